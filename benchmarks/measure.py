"""Measuring tools shared by the benchmarks and the tests, independent of the engine.

Pitch is measured with librosa's pYIN, not with WORLD (which the engine uses).  pYIN reports
bin centres, so its resolution is its bin width; bins starting on a semitone of the A440
grid put every bin on that grid.  Its cost grows with the square of the bin count, so the
search range is the melody's range plus a margin of 3 semitones each side.

The analysis runs at 22.05 kHz with 2048-sample frames (93 ms) and a 256-sample hop
(11.6 ms): a note shorter than about 0.2 s has a middle half (< 50 ms) narrower than one
analysis frame, so its "centre" is partly measured on its neighbours.
"""

from __future__ import annotations

import os
import platform
import sys
from datetime import date

import numpy as np

PYIN_SR = 22050
#: Notes at least this long have a middle half (≥ 0.1 s) about as wide as pYIN's frame.
LONG_NOTE_S = 0.2


def pyin_f0(
    audio: np.ndarray,
    sr: int,
    *,
    low_midi: float = 36,
    high_midi: float = 84,
    frame_length: int = 2048,
    hop_length: int = 256,
    cents_per_bin: float = 5.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Times and F0 in Hz (NaN where unvoiced) of ``audio``."""
    from yinse.core.librosa_import import import_librosa

    librosa = import_librosa()

    y = librosa.resample(np.asarray(audio, dtype=np.float32), orig_sr=sr, target_sr=PYIN_SR)
    fmin = float(librosa.midi_to_hz(np.floor(low_midi) - 3))
    fmax = float(librosa.midi_to_hz(np.ceil(high_midi) + 3))
    f0, _, _ = librosa.pyin(
        y, fmin=fmin, fmax=fmax, sr=PYIN_SR, frame_length=frame_length, hop_length=hop_length,
        resolution=cents_per_bin / 100.0,
    )  # fmt: skip
    return librosa.times_like(f0, sr=PYIN_SR, hop_length=hop_length), f0


def note_pitch_report(
    score, audio: np.ndarray, sr: int, *, offset_s: float, cents_per_bin: float = 5.0
) -> dict:
    """Per note, over the middle half of the note (25 %–75 %: portamento and overshoot stay
    out, the median averages vibrato away): centre error in cents (NaN if fewer than two
    voiced frames), and the voiced middle frames with their deviation from the written pitch.

    Returns ``centre_cents``, ``durations_s``, ``voiced_frames`` and ``middle_frames`` (per
    note), ``frame_cents`` (every voiced middle frame, all notes), ``frames_within_50`` (share
    of those within 50 cents) and ``middles_voiced`` (share of notes with a measured centre).
    """
    pitches = [n.pitch_midi for n in score.notes]
    times, f0 = pyin_f0(
        audio, sr, low_midi=min(pitches), high_midi=max(pitches), cents_per_bin=cents_per_bin
    )
    centre, frame_dev, durations, n_voiced, n_middle = [], [], [], [], []
    for note in score.notes:
        start, end = (t + offset_s for t in score.note_span_s(note))
        quarter = (end - start) / 4
        middle = (times >= start + quarter) & (times <= end - quarter)
        voiced = middle & ~np.isnan(f0)
        durations.append(end - start)
        n_middle.append(int(middle.sum()))
        n_voiced.append(int(voiced.sum()))
        written = 440.0 * 2 ** ((note.pitch_midi - 69) / 12)
        if voiced.sum() >= 2:
            centre.append(1200 * np.log2(np.median(f0[voiced]) / written))
            frame_dev.append(1200 * np.log2(f0[voiced] / written))
        else:
            centre.append(np.nan)
    frames = np.concatenate(frame_dev) if frame_dev else np.zeros(0)
    centre_arr = np.array(centre)
    return {
        "centre_cents": centre_arr,
        "durations_s": np.array(durations),
        "voiced_frames": np.array(n_voiced),
        "middle_frames": np.array(n_middle),
        "frame_cents": frames,
        "frames_within_50": float(np.mean(np.abs(frames) <= 50)) if len(frames) else float("nan"),
        "middles_voiced": float(np.mean(~np.isnan(centre_arr)))
        if len(centre_arr)
        else float("nan"),
    }


def note_centre_errors_cents(score, audio: np.ndarray, sr: int, *, offset_s: float) -> np.ndarray:
    """Per note: median F0 over the middle half vs the written pitch, in cents (NaN where
    the middle is unvoiced); ``offset_s`` is where score time 0 lies in the audio."""
    return note_pitch_report(score, audio, sr, offset_s=offset_s)["centre_cents"]


def gtsinger_singer(stem: str) -> str:
    """The singer a GTSinger file name names: ``EN-Alto-2`` for ``EN-Alto-2-Breathy-Speech``,
    ``zh01`` for ``zh01_control`` (a Mandarin number is taken as one singer's set)."""
    return "-".join(stem.split("-")[:3]) if stem.startswith("EN-") else stem.split("_")[0]


def machine_info() -> dict:
    """Date, CPU model, core count, Python version and OS of this machine."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "date": date.today().isoformat(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "os": f"{platform.system()} {platform.release()}",
    }


def machine() -> str:
    m = machine_info()
    return f"{m['date']}, {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['os']}"


def table(rows: list[dict], columns: list[str], formats: dict[str, str] | None = None) -> str:
    """A Markdown table (floats with two decimals unless ``formats`` names a column's
    format, NaN as "—")."""
    formats = formats or {}

    def cell(c, v):
        if isinstance(v, float):
            return "—" if np.isnan(v) else format(v, formats.get(c, ".2f"))
        return str(v).replace("|", "\\|")

    lines = [
        "| " + " | ".join(c.replace("|", "\\|") for c in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(cell(c, r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def to_jsonable(value):
    """Numpy scalars and arrays, and NaN, made JSON-safe (NaN becomes null)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
