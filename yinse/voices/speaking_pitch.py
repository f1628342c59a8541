"""Where a voice speaks: the typical pitch of its recordings, and so where it sings best.

DIO, which the frame-by-frame work uses for speed, errs by octaves on some voices (it reads
joe's 92 Hz as 182 Hz).  What places a voice's pitch as a whole (the automatic key of a
conversion or a song, an enrolled voice's range) uses Harvest on a few seconds instead, and
the peak of a histogram rather than a mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.audio import resample

PITCH_SR = 4000  # Harvest at 4 kHz: half the time of 8 kHz, the same typical pitch
PITCH_EXCERPT_S = 6.0
#: Recordings of an enrollment tracked for its speaking pitch (spread over the set: one
#: speaker's pitch moved by 1.5 semitones between sessions in our data).
PITCH_RECORDINGS = 10


def typical_pitch_hz(f0: np.ndarray) -> float:
    """The most common pitch of voiced frames (the peak of a semitone histogram, smoothed
    over a whole tone): unlike a mean or median it ignores DIO's octave-down errors, which
    took a third of one speaker's frames in our data."""
    voiced = np.asarray(f0)[np.asarray(f0) > 0]
    if len(voiced) < 10:
        return float(np.median(voiced)) if len(voiced) else 0.0
    semis = 12 * np.log2(voiced / 55.0)
    counts, edges = np.histogram(semis, bins=np.arange(-12, 61))
    smooth = np.convolve(counts, np.ones(3), "same")
    peak = int(np.argmax(smooth))
    near = np.abs(semis - (edges[peak] + 0.5)) <= 3
    return float(55.0 * 2 ** (np.median(semis[near]) / 12))


def speaking_pitch_hz(audio: np.ndarray, sr: int, *, excerpt_s: float = PITCH_EXCERPT_S) -> float:
    """The typical pitch of a voice, from Harvest at 4 kHz on (at most) its ``excerpt_s``
    loudest-in-a-row seconds."""
    x = resample(np.asarray(audio, np.float64), sr, PITCH_SR)
    n = int(excerpt_s * PITCH_SR)
    if len(x) > n:
        energy = np.convolve(x**2, np.ones(n), "valid")[:: PITCH_SR // 10]
        start = int(np.argmax(energy)) * (PITCH_SR // 10)
        x = x[start : start + n]
    return typical_pitch_hz(_harvest(x))


def recordings_pitch_hz(clips: Sequence[tuple[np.ndarray, int]]) -> float:
    """The speaking pitch of a person's recordings (``(audio, sr)`` each): Harvest on
    :data:`PITCH_RECORDINGS` of them, spread over the set (4–6 s for 5 minutes of recordings)."""
    picks = np.unique(np.linspace(0, len(clips) - 1, min(PITCH_RECORDINGS, len(clips))).round().astype(int))
    f0 = [_harvest(resample(np.asarray(clips[i][0], np.float64), clips[i][1], PITCH_SR)) for i in picks]
    return typical_pitch_hz(np.concatenate(f0))


def _harvest(x: np.ndarray) -> np.ndarray:
    import pyworld

    f0, _ = pyworld.harvest(np.ascontiguousarray(x), PITCH_SR, f0_floor=60.0, f0_ceil=1000.0, frame_period=10.0)
    return f0


def hz_to_midi(hz: float) -> float:
    return float(69 + 12 * np.log2(hz / 440.0))
