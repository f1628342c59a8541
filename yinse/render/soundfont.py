"""General MIDI rendering with TinySoundFont, one stem per MIDI track.

Each track is played through the synthesizer on its own, so every instrument comes back as
a separate stereo stem that the mixer can pan, level and duck independently.  Everything is
offline: events are applied between blocks of ``generate_simple`` calls at their exact sample
positions (no audio device, no pyaudio).
"""

from __future__ import annotations

import importlib.util
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from yinse.core.errors import InputError

from .master import check_sr

SOUNDFONT_ENV = "YINSE_SOUNDFONT"

# Debian packages fluid-soundfont-gm and musescore-general-soundfont, best first.
SYSTEM_SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/MuseScore_General.sf2"),
)

DRUM_CHANNEL = 9  # MIDI channel 10
_BYTES_PER_FRAME = 8  # stereo float32
# Synth output gain: a full chord of several tracks stays under full scale before mixing.
_SYNTH_GAIN_DB = 0.0
_MAX_VOICES = 256
_DEFAULT_TEMPO_US = 500_000  # 120 bpm, the MIDI default until the first set_tempo


def default_soundfont() -> Path:
    """The best General MIDI SoundFont installed on this machine.

    ``$YINSE_SOUNDFONT`` wins when set; then Debian's FluidR3 or MuseScore General (fuller,
    better-sampled instruments); then the small TimGM6mb that ships inside pretty_midi, so a
    plain ``pip install`` still renders.
    """
    override = os.environ.get(SOUNDFONT_ENV)
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise InputError(
                f"SoundFont from ${SOUNDFONT_ENV}: {str(path)!r} is not a file; expected the "
                f"path of a .sf2 General MIDI SoundFont; fix or unset ${SOUNDFONT_ENV}"
            )
        return path
    for path in SYSTEM_SOUNDFONTS:
        if path.is_file():
            return path
    bundled = _pretty_midi_soundfont()
    if bundled is not None:
        return bundled
    raise InputError(
        "SoundFont: none installed; expected one of "
        + ", ".join(str(p) for p in SYSTEM_SOUNDFONTS)
        + " or pretty_midi's TimGM6mb.sf2; install Debian's fluid-soundfont-gm, or set "
        f"${SOUNDFONT_ENV} to a .sf2 file"
    )


def _pretty_midi_soundfont() -> Path | None:
    """pretty_midi's bundled TimGM6mb.sf2, located without importing pretty_midi."""
    try:
        spec = importlib.util.find_spec("pretty_midi")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "TimGM6mb.sf2"
        if path.is_file():
            return path
    return None


@dataclass
class _Track:
    """One MIDI track as timed synth actions: (sample, order, kind, channel, a, b)."""

    name: str
    events: list[tuple[int, int, str, int, int, int]] = field(default_factory=list)
    has_notes: bool = False


def render_tracks(
    midi_bytes: bytes,
    *,
    sr: int = 48000,
    soundfont: Path | None = None,
    tail_s: float = 2.0,
) -> dict[str, np.ndarray]:
    """Render every track of a standard MIDI file to its own stereo stem.

    Parameters
    ----------
    midi_bytes
        A type-1 (or type-0) standard MIDI file.  The tempo map may live in any track
        (usually track 0).  Program changes, bank select, channel 10 drums, velocities,
        volume (CC7), expression (CC11), sustain (CC64) and pitch bend are played; pan
        (CC10) is ignored because the mixer places the stems.
    sr
        Output sample rate in Hz.
    soundfont
        A .sf2 file; ``None`` uses :func:`default_soundfont`.
    tail_s
        Seconds rendered after the last event so releases and decays ring out.

    Returns
    -------
    dict
        ``{track_name: float32 array (n, 2)}``, all of the same length (song + tail), in track
        order.  Tracks without notes (such as a tempo-only conductor track) are left out;
        a track without a name is called ``"track <index>"``; a repeated name gets `` 2``,
        `` 3``... appended.
    """
    sr = check_sr(sr)
    if not np.isfinite(tail_s) or not 0 <= tail_s <= 60:
        raise InputError(
            f"tail_s={tail_s!r} is out of range; expected 0 to 60 seconds of decay after the "
            "last note (2.0 is usual)"
        )
    sf_path = Path(soundfont) if soundfont is not None else default_soundfont()
    if not sf_path.is_file():
        raise InputError(
            f"SoundFont {str(sf_path)!r} does not exist; expected the path of a .sf2 file; "
            "pass another file or leave soundfont unset to use the installed default"
        )
    midi = _read_midi(midi_bytes)
    tracks, end_s = _schedule(midi, sr=int(sr))
    if not tracks:
        raise InputError(
            f"MIDI file ({len(midi.tracks)} track(s)) has no notes; expected at least one "
            "track with note_on events; check what the arranger wrote"
        )
    n_frames = int(round((end_s + tail_s) * sr)) + 1
    synth, sfid = _load_synth(sf_path, sr=int(sr))
    return {track.name: _render_one(synth, sfid, track, n_frames) for track in tracks}


def _read_midi(midi_bytes: bytes):
    import mido

    if not isinstance(midi_bytes, bytes | bytearray | memoryview) or len(midi_bytes) == 0:
        kind = type(midi_bytes).__name__
        size = len(midi_bytes) if isinstance(midi_bytes, bytes | bytearray) else "?"
        raise InputError(
            f"MIDI data ({kind}, {size} bytes) is empty or not bytes; expected the bytes of a "
            "standard MIDI file (mido.MidiFile.save to a BytesIO, then getvalue())"
        )
    try:
        midi = mido.MidiFile(file=io.BytesIO(bytes(midi_bytes)))
    except Exception as exc:  # mido raises OSError, EOFError, ValueError, KeyError...
        raise InputError(
            f"MIDI data ({len(midi_bytes)} bytes, starting {bytes(midi_bytes[:8])!r}) could not "
            f"be read ({type(exc).__name__}: {exc}); expected a standard MIDI file starting "
            "with b'MThd'; write it again with mido"
        ) from None
    if midi.type == 2:
        raise InputError(
            "MIDI file is type 2 (independent sequences); expected type 1 (one track per "
            "instrument) or type 0; save it as type 1"
        )
    return midi


def _tempo_map(midi) -> tuple[np.ndarray, np.ndarray, float]:
    """Tick positions where tempo changes, seconds at those ticks, and ticks per beat."""
    changes: dict[int, int] = {}
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                changes[tick] = msg.tempo  # later tracks overwrite a clash at the same tick
    if 0 not in changes:
        changes[0] = _DEFAULT_TEMPO_US
    ticks = np.array(sorted(changes), dtype=np.int64)
    tempos = np.array([changes[t] for t in ticks], dtype=np.float64)
    tpb = float(midi.ticks_per_beat)
    seg_s = np.diff(ticks) * tempos[:-1] / 1e6 / tpb
    starts_s = np.concatenate([[0.0], np.cumsum(seg_s)])
    return ticks, np.column_stack([starts_s, tempos]), tpb


def _ticks_to_s(ticks: np.ndarray, tempo_map) -> np.ndarray:
    change_ticks, table, tpb = tempo_map
    i = np.searchsorted(change_ticks, ticks, side="right") - 1
    return table[i, 0] + (ticks - change_ticks[i]) * table[i, 1] / 1e6 / tpb


def _schedule(midi, *, sr: int) -> tuple[list[_Track], float]:
    """Timed synth actions for every track that has notes, and the song length in seconds."""
    tmap = _tempo_map(midi)
    tracks: list[_Track] = []
    used: dict[str, int] = {}
    end_s = 0.0
    for index, raw in enumerate(midi.tracks):
        ticks = np.cumsum([msg.time for msg in raw], dtype=np.int64) if len(raw) else None
        if ticks is None:
            continue
        seconds = _ticks_to_s(ticks, tmap)
        end_s = max(end_s, float(seconds[-1]))
        samples = np.round(seconds * sr).astype(np.int64)
        name = next((m.name.strip() for m in raw if m.type == "track_name" and m.name.strip()), "")
        track = _Track(name or f"track {index}")
        order = 0
        for msg, at in zip(raw, samples.tolist()):
            kind = msg.type
            order += 1
            if kind == "note_on" and msg.velocity > 0:
                track.events.append((at, order, "on", msg.channel, msg.note, msg.velocity))
                track.has_notes = True
            elif kind == "note_off" or (kind == "note_on" and msg.velocity == 0):
                track.events.append((at, order, "off", msg.channel, msg.note, 0))
            elif kind == "program_change":
                track.events.append((at, order, "program", msg.channel, msg.program, 0))
            elif kind == "control_change":
                track.events.append((at, order, "cc", msg.channel, msg.control, msg.value))
            elif kind == "pitchwheel":
                track.events.append((at, order, "bend", msg.channel, msg.pitch + 8192, 0))
        if track.has_notes:
            count = used.get(track.name, 0) + 1
            used[track.name] = count
            if count > 1:
                track.name = f"{track.name} {count}"
            track.events.sort(key=lambda e: (e[0], e[1]))
            tracks.append(track)
    return tracks, end_s


def _load_synth(path: Path, *, sr: int):
    import tinysoundfont

    synth = tinysoundfont.Synth(gain=_SYNTH_GAIN_DB, samplerate=sr)
    try:
        sfid = synth.sfload(str(path), max_voices=_MAX_VOICES)
    except Exception as exc:
        raise InputError(
            f"SoundFont {str(path)!r} could not be loaded ({type(exc).__name__}: {exc}); "
            "expected a valid .sf2 file; pass another SoundFont"
        ) from None
    return synth, sfid


class _ChannelState:
    """Per-channel bank, sustain pedal and the note-offs the pedal is holding back."""

    def __init__(self) -> None:
        self.bank = 0
        self.pedal = False
        self.pressed: set[int] = set()
        self.held: set[int] = set()


def _select(synth, sfid: int, chan: int, bank: int, program: int) -> None:
    """Select a preset, falling back to bank 0 then preset 0 when the SoundFont lacks it
    (small SoundFonts carry only the GM set and one drum kit)."""
    drums = chan == DRUM_CHANNEL
    for b, p in ((bank, program), (0, program), (0, 0)):
        try:
            synth.program_select(chan, sfid, b, p, is_drums=drums)
            return
        except Exception:  # noqa: S112 - RuntimeError when the preset is missing
            continue


def _render_one(synth, sfid: int, track: _Track, n_frames: int) -> np.ndarray:
    """Play one track from a clean synth state into a (n_frames, 2) float32 array."""
    for chan in range(16):
        synth.control_change(chan, 120, 0)  # all sound off: nothing rings over from a track
        synth.control_change(chan, 121, 0)  # reset controllers (volume, expression, bend)
        synth.pitchbend(chan, 8192)
        _select(synth, sfid, chan, 0, 0)
    states = [_ChannelState() for _ in range(16)]
    out = np.zeros((n_frames, 2), dtype=np.float32)
    view = memoryview(out).cast("B")
    pos = 0
    for at, _, kind, chan, a, b in track.events:
        at = min(at, n_frames)
        if at > pos:
            synth.generate_simple(
                at - pos, buffer=view[pos * _BYTES_PER_FRAME : at * _BYTES_PER_FRAME]
            )
            pos = at
        state = states[chan]
        if kind == "on":
            state.pressed.add(a)
            state.held.discard(a)
            synth.noteon(chan, a, b)
        elif kind == "off":
            state.pressed.discard(a)
            if state.pedal:
                state.held.add(a)
            else:
                synth.noteoff(chan, a)
        elif kind == "program":
            _select(synth, sfid, chan, state.bank, a)
        elif kind == "bend":
            synth.pitchbend(chan, a)
        elif a == 0:  # bank select MSB; applied at the next program change
            state.bank = b
        elif a == 64:  # sustain pedal, played here so every SoundFont behaves the same
            down = b >= 64
            if state.pedal and not down:
                for key in state.held - state.pressed:
                    synth.noteoff(chan, key)
                state.held.clear()
            state.pedal = down
        elif a in (7, 11, 6, 38, 100, 101, 98, 99, 121, 123, 120):
            synth.control_change(chan, a, b)
        # Other controllers (pan CC10 included) are left to the mixer.
    for chan, state in enumerate(states):  # release whatever is still down at the end
        for key in state.pressed | state.held:
            synth.noteoff(chan, key)
    if pos < n_frames:
        synth.generate_simple(n_frames - pos, buffer=view[pos * _BYTES_PER_FRAME :])
    return out
