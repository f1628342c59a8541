"""Vocal processing and the stereo mix of a vocal over rendered accompaniment stems.

The vocal chain (pedalboard) turns a raw mono singing render into a produced stereo vocal;
:func:`mix` places the accompaniment stems, sets the bed under the vocal, ducks it while the
vocal sings and returns every stem as it sits in the mix, so the stems sum back to the mix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from yinse.core.errors import InputError

from .master import check_sr

VOCAL = "vocal"

# Envelope followers run on 1 ms frames: cheap enough for a plain Python loop on songs.
_FRAME_S = 0.001


@dataclass(frozen=True)
class _Style:
    """How wet a style sits: reverb send and room, optional echo send and time."""

    reverb_send: float
    room_size: float
    echo_send: float = 0.0
    echo_s: float = 0.3


STYLES: dict[str, _Style] = {
    "pop": _Style(reverb_send=0.22, room_size=0.55, echo_send=0.06, echo_s=0.28),
    "ballad": _Style(reverb_send=0.38, room_size=0.75, echo_send=0.08, echo_s=0.36),
    "guofeng": _Style(reverb_send=0.40, room_size=0.80, echo_send=0.12, echo_s=0.42),
    "folk": _Style(reverb_send=0.20, room_size=0.50),
    "rnb": _Style(reverb_send=0.24, room_size=0.55, echo_send=0.06, echo_s=0.25),
    "rock": _Style(reverb_send=0.10, room_size=0.40, echo_send=0.04, echo_s=0.18),
    "electronic": _Style(reverb_send=0.10, room_size=0.45, echo_send=0.10, echo_s=0.25),
}
DEFAULT_STYLE = "pop"

# The dry vocal leaves the chain at this active RMS level, whatever came in.
_VOCAL_LEVEL_DBFS = -20.0


def vocal_chain(vocal: np.ndarray, *, sr: int, style: str = "pop") -> np.ndarray:
    """Produce a raw mono vocal: clean, even, present, not sibilant, in a space.

    High-pass at ~90 Hz (12 dB/oct) to drop rumble and breath pops, a small mud cut and a
    presence lift, a 3:1 compressor to even the phrases, a split-band de-esser on 5–9 kHz,
    then a reverb (and for some styles an echo) as a send on a stereo return.  Wetter for
    ``ballad`` and ``guofeng``, drier for ``rock`` and ``electronic``; an unknown style is
    treated as ``pop``.

    Returns a float32 ``(n, 2)`` array of the same length; the dry vocal sits in the centre
    at an active level of about -20 dBFS RMS (a silent input stays silent).
    """
    import pedalboard as pb

    x = _as_mono(vocal, "vocal")
    sr = check_sr(sr)
    settings = STYLES.get(str(style).strip().lower(), STYLES[DEFAULT_STYLE])
    n = len(x)
    level = _active_rms_db(x, sr=sr)
    if level is None:
        return np.zeros((n, 2), dtype=np.float32)
    x = x * _db_to_lin(_VOCAL_LEVEL_DBFS - level)  # a known level for the thresholds below
    shape = pb.Pedalboard(
        [
            pb.HighpassFilter(cutoff_frequency_hz=90.0),
            pb.HighpassFilter(cutoff_frequency_hz=90.0),
            pb.PeakFilter(cutoff_frequency_hz=300.0, gain_db=-1.5, q=1.0),
            pb.PeakFilter(cutoff_frequency_hz=3200.0, gain_db=2.5, q=0.9),
            pb.HighShelfFilter(cutoff_frequency_hz=10000.0, gain_db=1.5, q=0.7),
            pb.Compressor(threshold_db=-24.0, ratio=3.0, attack_ms=8.0, release_ms=120.0),
        ]
    )
    dry = shape(x.astype(np.float32)[None, :], sr)[0].astype(np.float64)
    dry = de_ess(dry, sr=sr)
    level = _active_rms_db(dry, sr=sr)
    if level is not None:
        dry *= _db_to_lin(_VOCAL_LEVEL_DBFS - level)
    out = np.repeat(dry[:, None], 2, axis=1)
    out += _send_return(dry, sr=sr, settings=settings)
    return out.astype(np.float32)


def _send_return(dry: np.ndarray, *, sr: int, settings: _Style) -> np.ndarray:
    """The wet (n, 2) return of the reverb and echo sends: band-limited so the space stays
    out of the low end and off the sibilants."""
    import pedalboard as pb

    send = np.repeat(dry.astype(np.float32)[None, :], 2, axis=0)
    tone = [
        pb.HighpassFilter(cutoff_frequency_hz=250.0),
        pb.LowpassFilter(cutoff_frequency_hz=7000.0),
    ]
    reverb = pb.Pedalboard(
        [
            pb.Delay(delay_seconds=0.025, feedback=0.0, mix=1.0),  # pre-delay keeps words clear
            pb.Reverb(
                room_size=settings.room_size, damping=0.5, wet_level=1.0, dry_level=0.0, width=1.0
            ),
            *tone,
        ]
    )
    wet = reverb(send, sr) * settings.reverb_send
    if settings.echo_send > 0:
        echo = pb.Pedalboard(
            [pb.Delay(delay_seconds=settings.echo_s, feedback=0.3, mix=1.0), *tone]
        )
        echoed = echo(send, sr)
        echoed[1] = np.roll(echoed[1], int(0.012 * sr))  # a little width between sides
        wet = wet + echoed * settings.echo_send
    return wet.T.astype(np.float64)


def de_ess(
    vocal: np.ndarray,
    *,
    sr: int,
    band_hz: tuple[float, float] = (5000.0, 9000.0),
    threshold_db: float = -12.0,
    ratio: float = 4.0,
    max_reduction_db: float = 10.0,
) -> np.ndarray:
    """Turn down the 5–9 kHz band only while it dominates the voice (an "s", "sh", "x").

    The band is split off with a zero-phase band-pass, so ``x - band`` keeps everything else
    untouched and the two parts sum back exactly when no reduction is applied.  Detection
    is relative: the band's level against the full-band level, so the same setting works at
    any vocal level; ``threshold_db`` is that difference (vowels sit near -25 dB, sibilants
    near 0 dB).  Mono in, mono out.
    """
    from scipy.signal import butter, sosfiltfilt

    x = _as_mono(vocal, "vocal")
    sr = check_sr(sr)
    low, high = float(band_hz[0]), min(float(band_hz[1]), 0.45 * sr)
    if not 0 < low < high or len(x) < 64:
        return x.copy()  # no sibilant band at this rate, or too short to filter
    sos = butter(4, [low, high], btype="bandpass", fs=sr, output="sos")
    band = sosfiltfilt(sos, x)
    hop = max(1, int(round(_FRAME_S * sr)))
    band_env = _follow(_frame_rms(band, hop), attack_frames=1, release_frames=40)
    full_env = _follow(_frame_rms(x, hop), attack_frames=1, release_frames=40)
    floor = 1e-5  # -100 dBFS: nothing to do in silence
    over_db = (
        20 * np.log10(np.maximum(band_env, floor) / np.maximum(full_env, floor)) - threshold_db
    )
    reduction_db = np.clip(over_db * (1 - 1 / ratio), 0.0, max_reduction_db)
    reduction_db[band_env < floor] = 0.0
    gain = _db_to_lin(-_frames_to_samples(reduction_db, hop, len(x)))
    return x - (1.0 - gain) * band


def mix(
    vocal: np.ndarray,
    stems: dict[str, np.ndarray],
    *,
    sr: int,
    pans: dict[str, float] | None = None,
    gains_db: dict[str, float] | None = None,
    duck_db: float = 4.0,
    bed_under_vocal_db: float | None = 2.0,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sum a produced vocal and accompaniment stems into a stereo mix.

    Parameters
    ----------
    vocal
        The ``(n, 2)`` output of :func:`vocal_chain` (mono is accepted and centred).
    stems
        ``{name: (n, 2) array}`` from :func:`~yinse.render.render_tracks`; lengths may
        differ: everything is padded with silence to the longest.
    pans
        ``{name: -1..1}`` (left..right), equal-power; a stereo stem keeps its width at the
        centre and narrows as it moves out.  Missing names sit in the centre.
    gains_db
        ``{name: dB}`` on top of the automatic balance; ``"vocal"`` sets the vocal.  Names
        that are not stems (a track the renderer skipped as empty) are ignored.
    duck_db
        The most the accompaniment is turned down while the vocal sings, following a
        smoothed vocal envelope (10 ms attack, 250 ms release); 0 turns ducking off.
    bed_under_vocal_db
        The accompaniment as a whole is levelled to this many LU below the vocal (integrated
        loudness) before ``gains_db`` apply, since SoundFont levels are arbitrary; ``None``
        keeps the stems at their given level.

    Returns
    -------
    tuple
        The float32 ``(n, 2)`` mix and ``{"vocal": ..., name: ...}``: every stem as it sits
        in the mix (panned, levelled, ducked), which sum to the mix.
    """
    sr = check_sr(sr)
    pans = dict(pans or {})
    gains_db = dict(gains_db or {})
    if not isinstance(stems, dict):
        raise InputError(
            f"stems ({type(stems).__name__}) is not a dict; expected {{name: (n, 2) array}} "
            "as render_tracks returns"
        )
    if VOCAL in stems:
        raise InputError(
            f"stems has a stem named {VOCAL!r}, the name the mix keeps for the sung vocal; "
            "expected accompaniment only; rename that MIDI track (e.g. 'melody')"
        )
    if not math.isfinite(duck_db) or not 0 <= duck_db <= 24:
        raise InputError(
            f"duck_db={duck_db!r} is out of range; expected 0 to 24 dB of ducking (4 is usual)"
        )
    for name, pan in pans.items():
        if not isinstance(pan, int | float) or not math.isfinite(pan) or not -1 <= pan <= 1:
            raise InputError(
                f"pan of {name!r} is {pan!r}; expected a number from -1 (left) to 1 (right)"
            )
    for name, gain in gains_db.items():
        if not isinstance(gain, int | float) or not math.isfinite(gain) or not -96 <= gain <= 24:
            raise InputError(
                f"gain of {name!r} is {gain!r} dB; expected a number from -96 to +24 dB"
            )
    voice = _as_stereo(vocal, "vocal")
    beds = {str(name): _as_stereo(audio, f"stem {name!r}") for name, audio in stems.items()}
    n = max([len(voice), *(len(a) for a in beds.values())])
    voice = _place(_pad(voice, n), pans.get(VOCAL, 0.0))
    beds = {name: _place(_pad(a, n), pans.get(name, 0.0)) for name, a in beds.items()}

    # One scalar per stem (balance and user gain) and one shared duck curve, applied
    # together in float32: songs are long and every full-length pass costs.
    bed_gain_db = 0.0
    if beds and bed_under_vocal_db is not None:
        bed_sum = np.zeros((n, 2), dtype=np.float32)
        for audio in beds.values():
            bed_sum += audio
        bed_gain_db = _balance_db(voice, bed_sum, sr=sr, under_db=bed_under_vocal_db)
        del bed_sum
    duck = None
    if beds and duck_db > 0:
        duck = duck_gain(voice, sr=sr, duck_db=duck_db).astype(np.float32)[:, None]

    out = {VOCAL: voice * np.float32(_db_to_lin(gains_db.get(VOCAL, 0.0)))}
    for name, audio in beds.items():
        scale = np.float32(_db_to_lin(bed_gain_db + gains_db.get(name, 0.0)))
        out[name] = audio * (duck * scale if duck is not None else scale)
    total = np.zeros((n, 2), dtype=np.float32)
    for audio in out.values():
        total += audio
    return total, out


def duck_gain(vocal: np.ndarray, *, sr: int, duck_db: float = 4.0) -> np.ndarray:
    """Per-sample linear gain for the accompaniment: 1 where the vocal is silent, down to
    ``-duck_db`` where it sings near its usual level.

    The vocal envelope is a 1 ms RMS followed with a 10 ms attack and 250 ms release; the
    depth grows over the 30 dB below the vocal's typical (95th percentile) level, so soft
    syllables and reverb tails duck less than full notes.
    """
    sr = check_sr(sr)
    mono = _as_stereo(vocal, "vocal").mean(axis=1, dtype=np.float64)
    hop = max(1, int(round(_FRAME_S * sr)))
    env = _follow(_frame_rms(mono, hop), attack_frames=10, release_frames=250)
    env_db = 20 * np.log10(np.maximum(env, 1e-6))
    active = env_db[env_db > -70]
    if active.size == 0:
        return np.ones(len(mono))
    ref_db = float(np.percentile(active, 95))
    depth = np.clip((env_db - (ref_db - 30.0)) / 20.0, 0.0, 1.0)
    return _db_to_lin(-duck_db * _frames_to_samples(depth, hop, len(mono)))


# ---------------------------------------------------------------------------- helpers


def _balance_db(voice: np.ndarray, bed: np.ndarray, *, sr: int, under_db: float) -> float:
    """Gain for the bed so its loudness sits ``under_db`` below the vocal (0 if either is
    silent or too short to measure)."""
    from .master import _fast_lufs

    vocal_lufs = _fast_lufs(voice, sr=sr)
    bed_lufs = _fast_lufs(bed, sr=sr)
    if not (math.isfinite(vocal_lufs) and math.isfinite(bed_lufs)):
        return 0.0
    return float(np.clip(vocal_lufs - under_db - bed_lufs, -40.0, 40.0))


def _place(stereo: np.ndarray, pan: float) -> np.ndarray:
    """Equal-power pan of a stereo stem: its mid goes to ``pan``, its side narrows with
    distance from the centre; unity at the centre."""
    if pan == 0:
        return stereo
    theta = (pan + 1) * math.pi / 4
    to_left, to_right = math.sqrt(2) * math.cos(theta), math.sqrt(2) * math.sin(theta)
    width = 1 - abs(pan)
    # left = mid * to_left + side * width, right = mid * to_right - side * width
    matrix = np.array(
        [
            [(to_left + width) / 2, (to_right - width) / 2],
            [(to_left - width) / 2, (to_right + width) / 2],
        ],
        dtype=np.float32,
    )
    return stereo @ matrix


def _follow(env: np.ndarray, *, attack_frames: float, release_frames: float) -> np.ndarray:
    """One-pole envelope follower with separate attack and release time constants."""
    a = math.exp(-1.0 / max(attack_frames, 1e-9))
    r = math.exp(-1.0 / max(release_frames, 1e-9))
    out = np.empty_like(env)
    y = 0.0
    for i, v in enumerate(env.tolist()):
        c = a if v > y else r
        y = c * y + (1 - c) * v
        out[i] = y
    return out


def _frame_rms(x: np.ndarray, hop: int) -> np.ndarray:
    frames = -(-len(x) // hop)
    padded = np.zeros(frames * hop)
    padded[: len(x)] = x
    return np.sqrt(np.mean(padded.reshape(frames, hop) ** 2, axis=1))


def _frames_to_samples(values: np.ndarray, hop: int, n: int) -> np.ndarray:
    """Frame values (at frame centres) linearly interpolated to every sample."""
    centres = np.arange(len(values)) * hop + (hop - 1) / 2
    return np.interp(np.arange(n), centres, values)


def _active_rms_db(x: np.ndarray, *, sr: int) -> float | None:
    """RMS level of the singing parts (frames within 30 dB of the loudest), None if silent."""
    hop = max(1, int(round(0.05 * sr)))
    rms = _frame_rms(x, hop)
    if rms.size == 0 or rms.max() < 1e-6:
        return None
    active = rms[rms > rms.max() * 10 ** (-30 / 20)]
    return float(20 * np.log10(np.sqrt(np.mean(active**2))))


def _db_to_lin(db):
    return np.power(10.0, np.asarray(db, dtype=np.float64) / 20.0)


def _as_mono(audio, what: str) -> np.ndarray:
    x = np.asarray(audio)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1 or x.size == 0 or not np.issubdtype(x.dtype, np.number):
        raise InputError(
            f"{what} has shape {x.shape} ({x.dtype}); expected mono audio, a non-empty 1-D "
            "float array; pass one channel"
        )
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise InputError(
            f"{what} has {int(np.sum(~np.isfinite(x)))} NaN or infinite samples; expected "
            "finite audio; check the step that produced it"
        )
    return x


def _as_stereo(audio, what: str) -> np.ndarray:
    x = np.asarray(audio)
    if x.ndim == 1:
        x = np.repeat(x[:, None], 2, axis=1)
    elif x.ndim == 2 and x.shape[1] == 1:
        x = np.repeat(x, 2, axis=1)
    if x.ndim != 2 or x.shape[1] != 2 or x.shape[0] == 0 or not np.issubdtype(x.dtype, np.number):
        raise InputError(
            f"{what} has shape {x.shape}; expected stereo audio shaped (n, 2) with n > 0 "
            "(or mono (n,))"
        )
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        raise InputError(
            f"{what} has {int(np.sum(~np.isfinite(x)))} NaN or infinite samples; expected "
            "finite audio; check the step that produced it"
        )
    return x


def _pad(x: np.ndarray, n: int) -> np.ndarray:
    if len(x) >= n:
        return x[:n]
    return np.concatenate([x, np.zeros((n - len(x), x.shape[1]), dtype=x.dtype)])
