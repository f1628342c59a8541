"""Mastering to a streaming loudness with a true-peak-safe limiter, and the two measures.

Loudness is ITU-R BS.1770 integrated loudness (pyloudnorm); true peak is the peak of the
signal oversampled 4x (2x at 96 kHz and above), as BS.1770 Annex 2 describes, so inter-sample
peaks that a DAC or a lossy encoder would produce count too.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from yinse.core.errors import InputError

_CHUNK = 1 << 18  # frames oversampled at a time: bounded memory on long songs
_MARGIN = 64  # frames of context on each side of a chunk for the interpolation filter
_ATTACK_S = 0.0015  # limiter attack: gain starts falling twice this long before a peak
_RELEASE_S = 0.06  # limiter release time constant
_LOUDNESS_TOLERANCE_LU = 0.1
_TP_SAFETY_DB = 0.05  # aim this far under the ceiling; the check afterwards is exact
_MAX_LIMITING_DB = 20.0  # deepest gain reduction the loudness loop may ask of the limiter


@dataclass(frozen=True)
class MasterReport:
    """What :func:`master` did and measured on its output."""

    loudness_lufs: float
    true_peak_dbtp: float
    peak_dbfs: float
    gain_db: float  # static gain from input to output, before the limiter
    limited_db: float  # the limiter's largest gain reduction (0 if it never acted)


def true_peak_dbtp(audio: np.ndarray, *, sr: int) -> float:
    """True peak in dBTP: the largest magnitude of the 4x oversampled signal (2x from
    96 kHz, none from 192 kHz), over all channels; ``-inf`` for digital silence."""
    x = _as_audio(audio, "audio")
    peak = float(_oversampled_peaks(x, sr=check_sr(sr)).max())
    return 20 * math.log10(peak) if peak > 0 else float("-inf")


def loudness_lufs(audio: np.ndarray, *, sr: int) -> float:
    """Integrated loudness in LUFS (BS.1770-4 gating, pyloudnorm); ``-inf`` when nothing is
    above the -70 LUFS gate.  Needs at least 0.4 s of audio (one gating block)."""
    x = _as_audio(audio, "audio")
    sr = check_sr(sr)
    if len(x) < int(0.4 * sr) + 1:
        raise InputError(
            f"audio is {len(x) / sr:.3f} s long; expected at least 0.4 s to measure integrated "
            "loudness (one BS.1770 gating block); measure a longer excerpt"
        )
    return _integrated_lufs(x, sr=sr)


def master(
    mix: np.ndarray,
    *,
    sr: int,
    target_lufs: float = -14.0,
    ceiling_dbtp: float = -1.0,
) -> tuple[np.ndarray, MasterReport]:
    """Bring a mix to ``target_lufs`` integrated with true peaks at or under ``ceiling_dbtp``.

    A 20 Hz high-pass (DC and rumble waste headroom) and a gentle 1.5:1 bus compressor on
    the loudest peaks, then a static gain to the target and a look-ahead limiter driven by
    the 4x oversampled peaks.  Limiting lowers loudness, so gain and limiter are iterated
    until the loudness is within 0.1 LU of the target; the true peak is then measured
    exactly and the limiter tightened if the estimate was short.

    The limiter never takes off more than 20 dB: material too sparse to reach the target
    within that (isolated clicks) comes back quieter than asked, still under the ceiling,
    and the report's ``loudness_lufs`` says so.

    Mono ``(n,)`` or stereo ``(n, 2)`` in; the same shape out, float32.  Raises
    :class:`~yinse.core.errors.InputError` for empty, non-finite or silent input.
    """
    import pedalboard as pb

    sr = check_sr(sr)
    if not math.isfinite(target_lufs) or not -40 <= target_lufs <= -5:
        raise InputError(
            f"target_lufs={target_lufs!r} is out of range; expected -40 to -5 LUFS "
            "(-14 for streaming, -16 for podcasts/Apple, -23 for broadcast)"
        )
    if not math.isfinite(ceiling_dbtp) or not -12 <= ceiling_dbtp <= 0:
        raise InputError(
            f"ceiling_dbtp={ceiling_dbtp!r} is out of range; expected -12 to 0 dBTP (-1 is usual)"
        )
    x = _as_audio(mix, "mix", nothing_to="master")
    mono = x.ndim == 1
    if len(x) < int(0.4 * sr) + 1:
        raise InputError(
            f"nothing to master: the mix is {len(x) / sr:.3f} s long; expected at least 0.4 s "
            "(one loudness block); render a longer song"
        )
    if np.max(np.abs(x)) < 1e-6:
        raise InputError(
            "nothing to master: the mix is silent (peak below -120 dBFS); expected audio; "
            "check that the vocal and the stems were rendered"
        )
    lufs_in = _gated_lufs(_k_power(x, sr=sr), sr=sr)
    if not math.isfinite(lufs_in):
        raise InputError(
            "nothing to master: the mix is below the -70 LUFS loudness gate throughout; "
            "expected audible audio; check the levels of the vocal and the stems"
        )

    # Bus stage at the target level, so the compressor threshold means the same thing for
    # every input: it only touches peaks well above the average.
    pre_db = target_lufs - lufs_in
    bus = pb.Pedalboard(
        [
            pb.HighpassFilter(cutoff_frequency_hz=20.0),
            pb.Compressor(
                threshold_db=target_lufs + 8.0, ratio=1.5, attack_ms=30.0, release_ms=250.0
            ),
        ]
    )
    planar = (x[None, :] if mono else x.T) * 10 ** (pre_db / 20)
    y0 = bus(planar.astype(np.float32), sr).astype(np.float64)
    y0 = y0[0] if mono else y0.T

    peaks = _oversampled_peaks(y0, sr=sr)
    peaks = np.maximum(peaks, np.concatenate([[0.0], peaks[:-1]]))  # cover both neighbours
    # Iterate on a loudness model (K-weighted power times the gain curve squared), which
    # costs a fraction of a full measurement; the exact measurement then only confirms, and
    # its difference from the model (block edges, the gain inside the filters) is fed back.
    power = _k_power(y0, sr=sr)
    bias = 0.0
    gain_db = target_lufs - _gated_lufs(power, sr=sr)
    aim_db = ceiling_dbtp - _TP_SAFETY_DB
    # Past this much limiting a mix only gets more distorted, not louder: a mix too sparse
    # to reach the target within it comes back quieter (the report says by how much).
    max_gain_db = aim_db - 20 * math.log10(float(peaks.max())) + _MAX_LIMITING_DB
    last: tuple[float, float] | None = None  # (gain_db, modelled lufs) of the previous try
    y = limiter = None
    tp = lufs = float("nan")
    for _ in range(20):
        gain_db = min(gain_db, max_gain_db)
        capped = gain_db >= max_gain_db - 1e-9
        static = 10 ** (gain_db / 20)
        limiter = _limiter_gain(peaks * static, ceiling=10 ** (aim_db / 20), sr=sr)
        modelled = _gated_lufs(power * (static * limiter) ** 2, sr=sr) + bias
        miss = target_lufs - modelled
        if abs(miss) > _LOUDNESS_TOLERANCE_LU / 2 and not (capped and miss > 0):
            # Limiting makes loudness grow slower than gain: step by the measured slope
            # (secant), kept between 0.2 and 1 LU per dB so one odd step cannot run away.
            slope = 1.0
            if last is not None and abs(gain_db - last[0]) > 1e-3:
                slope = float(np.clip((modelled - last[1]) / (gain_db - last[0]), 0.2, 1.0))
            last = (gain_db, modelled)
            gain_db += miss / slope
            continue
        y = (y0 * (static * (limiter if mono else limiter[:, None]))).astype(np.float32)
        lufs = _integrated_lufs(y, sr=sr)
        off = target_lufs - lufs
        if (
            abs(off) > _LOUDNESS_TOLERANCE_LU
            and not (capped and off > 0)
            and abs(lufs - modelled) > 0.01
        ):
            bias += lufs - modelled
            last = None
            continue
        tp = true_peak_dbtp(y, sr=sr)
        if tp <= ceiling_dbtp - 0.01:
            break
        aim_db -= tp - (ceiling_dbtp - 0.01) + 0.02
        max_gain_db -= tp - (ceiling_dbtp - 0.01) + 0.02
        last = None
    else:
        # Out of tries (not seen in tests): keep the result safe rather than loud.
        tp = true_peak_dbtp(y, sr=sr)
        if tp > ceiling_dbtp - 0.01:
            y = (y * 10 ** ((ceiling_dbtp - 0.02 - tp) / 20)).astype(np.float32)
            tp = true_peak_dbtp(y, sr=sr)
        lufs = _integrated_lufs(y, sr=sr)

    report = MasterReport(
        loudness_lufs=round(float(lufs), 3),
        true_peak_dbtp=round(float(tp), 3),
        peak_dbfs=round(float(20 * np.log10(np.max(np.abs(y)))), 3),
        gain_db=round(float(pre_db + gain_db), 3),
        limited_db=round(float(max(0.0, -20 * math.log10(max(limiter.min(), 1e-12)))), 3),
    )
    return y, report


def _limiter_gain(peaks: np.ndarray, *, ceiling: float, sr: int) -> np.ndarray:
    """Per-sample gain <= what every peak needs, with look-ahead attack and smooth release.

    The gain a sample needs is ``ceiling / peak``.  Release: the gain reduction in dB decays
    exponentially (time constant ``_RELEASE_S``) unless a new peak needs more, i.e.
    ``g[n] = min(need[n], r * g[n-1])`` in dB; this is a running minimum once each value is
    divided by ``r**n``, done in blocks short enough for ``r**-n`` to stay finite.  Attack: a
    centred minimum over ±A followed by a centred mean over ±A; every value averaged is
    below the need at the centre, so the smoothed gain never exceeds it.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    if need.min() >= 1.0:
        return np.ones_like(need)
    need_db = 20 * np.log10(need)
    held_db = np.empty_like(need_db)
    step = _RELEASE_S * sr  # samples per time constant
    block = max(1, int(20 * step))  # r**-block = e**20: no overflow
    carry = 0.0
    for start in range(0, len(need_db), block):
        part = need_db[start : start + block]
        k = np.arange(len(part))
        decay = np.exp(-k / step)
        run = np.minimum.accumulate(part / decay)
        held_db[start : start + len(part)] = np.minimum(run, carry * math.exp(-1 / step)) * decay
        carry = held_db[start + len(part) - 1]
    gain = 10 ** (np.minimum(held_db, 0.0) / 20)
    radius = max(1, int(round(_ATTACK_S * sr)))
    gain = minimum_filter1d(gain, size=2 * radius + 1, mode="nearest")
    gain = uniform_filter1d(gain, size=2 * radius + 1, mode="nearest")
    return np.minimum(gain, 1.0)


def _oversampled_peaks(x: np.ndarray, *, sr: int) -> np.ndarray:
    """Per input frame: the largest magnitude of the oversampled signal from that frame up to
    the next, across channels.  Worked in chunks with context so memory stays bounded."""
    from scipy.signal import resample_poly

    factor = 4 if sr < 96000 else (2 if sr < 192000 else 1)
    x2 = x[:, None] if x.ndim == 1 else x
    n = len(x2)
    out = np.max(np.abs(x2), axis=1)
    if factor == 1:
        return out
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        lo, hi = max(0, start - _MARGIN), min(n, stop + _MARGIN)
        seg = out[start:stop]
        for ch in range(x2.shape[1]):
            up = np.abs(resample_poly(x2[lo:hi, ch], factor, 1))
            up = up[(start - lo) * factor : (stop - lo) * factor]
            for phase in range(factor):  # strided maxima: far faster than a reshape-max
                np.maximum(seg, up[phase::factor], out=seg)
    return out


def _k_power(x: np.ndarray, *, sr: int) -> np.ndarray:
    """Per-sample K-weighted power summed over channels (BS.1770 weights 1 for L and R),
    using pyloudnorm's own filter coefficients so the two measures agree."""
    import pyloudnorm
    from scipy.signal import sosfilt, tf2sos

    filters = pyloudnorm.Meter(sr)._filters.values()
    sos = np.vstack([tf2sos(f.b, f.a) * np.array([f.passband_gain] * 3 + [1] * 3) for f in filters])
    channels = [x] if x.ndim == 1 else [np.ascontiguousarray(x[:, c]) for c in range(x.shape[1])]
    power = np.zeros(len(x))
    for channel in channels:  # contiguous per channel: filtering along a strided axis is slow
        power += sosfilt(sos, channel) ** 2
    return power


def _fast_lufs(x: np.ndarray, *, sr: int) -> float:
    """The same integrated loudness as pyloudnorm (to a few hundredths of an LU) in a
    fraction of the time: for balancing and iterating, not for reporting."""
    return _gated_lufs(_k_power(x, sr=sr), sr=sr)


def _gated_lufs(power: np.ndarray, *, sr: int) -> float:
    """BS.1770 gated integrated loudness from per-sample K-weighted power: 400 ms blocks
    every 100 ms, absolute gate -70 LUFS, relative gate -10 LU (the blocks as pyloudnorm
    cuts them).  ``-inf`` when nothing passes the gate."""
    block = 0.4 * sr
    n_blocks = int(round((len(power) - block) / (block * 0.25))) + 1
    if len(power) < block or n_blocks < 1:
        return float("-inf")
    j = np.arange(n_blocks)
    lo = (0.4 * j * 0.25 * sr).astype(np.int64)
    hi = np.minimum((0.4 * (j * 0.25 + 1) * sr).astype(np.int64), len(power))
    csum = np.concatenate([[0.0], np.cumsum(power, dtype=np.float64)])
    z = np.maximum((csum[hi] - csum[lo]) / block, 0.0)
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10 * np.log10(z)
    gated = z[loud >= -70.0]
    if gated.size == 0:
        return float("-inf")
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    gated = z[(loud > relative) & (loud > -70.0)]
    if gated.size == 0:
        return float("-inf")
    return float(-0.691 + 10 * np.log10(gated.mean()))


def _integrated_lufs(x: np.ndarray, *, sr: int) -> float:
    """pyloudnorm's integrated loudness; ``-inf`` for silence or audio under one block."""
    import pyloudnorm

    if len(x) < int(0.4 * sr) + 1:
        return float("-inf")
    with warnings.catch_warnings(), np.errstate(divide="ignore"):
        warnings.simplefilter("ignore")  # pyloudnorm warns on clipping-range input
        value = float(pyloudnorm.Meter(sr).integrated_loudness(x))
    return value if math.isfinite(value) else float("-inf")


def check_sr(sr) -> int:
    """A sample rate every render function accepts (an integer, 8–384 kHz)."""
    if not isinstance(sr, int | np.integer) or isinstance(sr, bool) or not 8000 <= sr <= 384000:
        raise InputError(
            f"sample rate sr={sr!r} is not usable; expected an integer from 8000 to 384000 Hz"
        )
    return int(sr)


def _as_audio(audio, what: str, *, nothing_to: str | None = None) -> np.ndarray:
    """Mono (n,) or stereo (n, 2) finite float64, or an InputError that says which."""
    prefix = f"nothing to {nothing_to}: " if nothing_to else ""
    x = np.asarray(audio)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if (
        x.size == 0
        or not np.issubdtype(x.dtype, np.number)
        or not (x.ndim == 1 or (x.ndim == 2 and x.shape[1] == 2))
    ):
        raise InputError(
            f"{prefix}{what} has shape {x.shape} ({x.dtype}); expected non-empty mono (n,) or "
            "stereo (n, 2) float audio"
        )
    x = x.astype(np.float64)
    bad = int(np.sum(~np.isfinite(x)))
    if bad:
        raise InputError(
            f"{prefix}{what} has {bad} NaN or infinite samples; expected finite audio; check "
            "the step that produced it"
        )
    return x
