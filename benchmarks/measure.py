"""Measuring tools shared by the benchmarks and the tests, independent of the engine.

Pitch is measured with librosa's pYIN, not with WORLD (which the engine uses).  pYIN reports
bin centres, so its resolution is its bin width; bins starting on a semitone of the A440
grid put every bin on that grid.  Its cost grows with the square of the bin count, so the
search range is the melody's range plus a margin.
"""

from __future__ import annotations

import os
import platform
import sys
from datetime import date

import numpy as np


def pyin_f0(
    audio: np.ndarray, sr: int, *, low_midi: float = 36, high_midi: float = 84,
    frame_length: int = 2048, hop_length: int = 256, cents_per_bin: float = 5.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Times and F0 in Hz (NaN where unvoiced) of ``audio``."""
    import librosa

    y = librosa.resample(audio.astype(np.float32), orig_sr=sr, target_sr=22050)
    fmin = float(librosa.midi_to_hz(np.floor(low_midi) - 3))
    fmax = float(librosa.midi_to_hz(np.ceil(high_midi) + 3))
    f0, _, _ = librosa.pyin(
        y, fmin=fmin, fmax=fmax, sr=22050, frame_length=frame_length, hop_length=hop_length,
        resolution=cents_per_bin / 100.0,
    )  # fmt: skip
    return librosa.times_like(f0, sr=22050, hop_length=hop_length), f0


def note_pitch_report(score, audio: np.ndarray, sr: int, *, offset_s: float, cents_per_bin: float = 5.0) -> dict:
    """Per note, over the middle half of the note (portamento and overshoot stay out, the
    median averages vibrato away): centre error in cents (NaN if unvoiced), and the voiced
    middle frames with their deviation from the written pitch."""
    pitches = [n.pitch_midi for n in score.notes]
    times, f0 = pyin_f0(audio, sr, low_midi=min(pitches), high_midi=max(pitches), cents_per_bin=cents_per_bin)
    centre, frame_dev, durations, middles_voiced = [], [], [], 0
    for note in score.notes:
        start, end = (t + offset_s for t in score.note_span_s(note))
        quarter = (end - start) / 4
        middle = (times >= start + quarter) & (times <= end - quarter)
        voiced = middle & ~np.isnan(f0)
        durations.append(end - start)
        written = 440.0 * 2 ** ((note.pitch_midi - 69) / 12)
        if voiced.sum() >= 2:
            middles_voiced += 1
            centre.append(1200 * np.log2(np.median(f0[voiced]) / written))
            frame_dev.append(1200 * np.log2(f0[voiced] / written))
        else:
            centre.append(np.nan)
    frames = np.concatenate(frame_dev) if frame_dev else np.zeros(0)
    return {
        "centre_cents": np.array(centre),
        "durations_s": np.array(durations),
        "frames_within_50": float(np.mean(np.abs(frames) <= 50)) if len(frames) else float("nan"),
        "middles_voiced": middles_voiced / max(1, len(score.notes)),
    }


def note_centre_errors_cents(score, audio: np.ndarray, sr: int, *, offset_s: float) -> np.ndarray:
    """Per note: median F0 over the middle half vs the written pitch, in cents (NaN where
    the middle is unvoiced); ``offset_s`` is where score time 0 lies in the audio."""
    return note_pitch_report(score, audio, sr, offset_s=offset_s)["centre_cents"]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{date.today().isoformat()}, {cpu}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, {platform.system()}"


def table(rows: list[dict], columns: list[str]) -> str:
    """A Markdown table."""
    def cell(v):
        return f"{v:.2f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
