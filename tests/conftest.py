"""Shared fixtures: real voices (loaded once per session), the shared recordings folder,
and an isolated YINSE_HOME for every test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def yinse_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("yinse_home")
    monkeypatch.setenv("YINSE_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return SHARED_DATA


def pyin_f0(
    audio: np.ndarray, sr: int, *, low_midi: float = 36, high_midi: float = 84,
    frame_length: int = 2048, hop_length: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """Independent pitch tracker (librosa's pYIN): times, Hz (NaN where unvoiced).

    pYIN reports bin centres, so its resolution is the bin width: 5-cent bins starting on a
    semitone put every bin on the A440 grid, and the quantisation error is at most 2.5 cents.
    Its cost grows with the square of the bin count, so callers give the melody's range."""
    import librosa

    y = librosa.resample(audio.astype(np.float32), orig_sr=sr, target_sr=22050)
    fmin = float(librosa.midi_to_hz(np.floor(low_midi) - 3))
    fmax = float(librosa.midi_to_hz(np.ceil(high_midi) + 3))
    f0, _, _ = librosa.pyin(
        y, fmin=fmin, fmax=fmax, sr=22050, frame_length=frame_length, hop_length=hop_length,
        resolution=0.05,
    )
    return librosa.times_like(f0, sr=22050, hop_length=hop_length), f0


def note_centre_errors_cents(score, audio: np.ndarray, sr: int, *, offset_s: float) -> np.ndarray:
    """Per note: median F0 over the middle half of the note vs the written pitch, in cents
    (NaN where the middle is unvoiced); ``offset_s`` is where score time 0 lies in the audio.  The middle half keeps portamento and overshoot out,
    and the median averages vibrato away."""
    pitches = [n.pitch_midi for n in score.notes]
    times, f0 = pyin_f0(audio, sr, low_midi=min(pitches), high_midi=max(pitches))
    errors = []
    for note in score.notes:
        start, end = (t + offset_s for t in score.note_span_s(note))
        quarter = (end - start) / 4
        mask = (times >= start + quarter) & (times <= end - quarter) & ~np.isnan(f0)
        if mask.sum() < 2:
            errors.append(np.nan)
            continue
        written_hz = 440.0 * 2 ** ((note.pitch_midi - 69) / 12)
        errors.append(1200 * np.log2(np.median(f0[mask]) / written_hz))
    return np.array(errors)
