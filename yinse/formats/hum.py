"""A hummed (or sung) recording as a melody: pitch track, notes, score.

The audio is decoded as enrollment recordings are (:func:`yinse.enroll.recordings.decode_audio`:
soundfile, ffmpeg for M4A), mixed to mono and resampled to 16 kHz.  pYIN tracks the pitch
every 10 ms (C2–C6, 20-cent bins: the note's median is finer than that, and 20-cent bins
make pYIN's Viterbi pass 4–5 times faster than 10-cent ones).

Notes (:func:`hum_notes`) are the voiced runs, cut where the pitch settles at a new level
(:mod:`yinse.formats.pitchtrack`) and where the loudness dips by ``DIP_DB`` and comes back
(the same pitch sung again: "la la", or a hum re-attacked).  A note after an unvoiced gap
starts before its voicing, because a sung syllable starts with its consonant: when the
gap is short and never silent (an "s", "sh", "x" between two vowels) a quarter of the way
into the gap, else where the sound rises out of silence (at most ``BACKTRACK_S`` early).
:func:`read_hum` then puts the notes on the tempo grid and in the key, as curves are.

The constants were set on the eight M4Singer clips of ``benchmarks/bench_hum.py`` (onset
F 0.84 median, 0.82 mean there; 0.57 on a held-out Japanese clip whose labels count
onsets differently); changing any one of them by about a third keeps the median F
within 0.79–0.89 and the mean within 0.80–0.85.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.audio import resample
from ..core.errors import InputError
from ..core.score import Score
from .pitchtrack import (
    MIN_NOTE_S,
    HumNote,
    check_bpm,
    check_key,
    frames_to_notes,
    notes_to_score,
    segment_frames,
    voiced_runs,
)

__all__ = ["HumNote", "hum_notes", "read_hum"]

ANALYSIS_SR = 16000
HOP = 160  # 10 ms
FRAME = 1024  # 64 ms: two periods of C2
HOP_S = HOP / ANALYSIS_SR
FMIN_HZ = 65.41  # C2
FMAX_HZ = 1046.5  # C6
PYIN_RESOLUTION = 0.2  # semitones per bin

#: A frame pYIN gives less voicing probability than this is unvoiced.
MIN_FRAME_PROBABILITY = 0.1

MIN_DURATION_S = 2.0
MAX_DURATION_S = 600.0
#: A recording quieter than this (RMS over the whole file, dBFS) is silence.
SILENT_DBFS = -60.0
#: Less voiced than this, or voiced frames this unsure on average, is not a melody.
MIN_VOICED_FRACTION = 0.2
MIN_VOICED_PROBABILITY = 0.3
#: A loudness dip this deep (dB below the lower of the peaks either side within
#: ``DIP_REACH_S``) inside a voiced run starts a new note there.
DIP_DB = 3.0
DIP_REACH_S = 0.12
#: A note after silence starts where its sound rises above the silence, up to this much
#: before its voicing (an unvoiced consonant).
BACKTRACK_S = 0.15
#: Sound is louder than the file's quietest frames (1st percentile) by this many dB …
SOUND_ABOVE_FLOOR_DB = 6.0
#: … and within this many dB of its loudest frame.
SOUND_BELOW_PEAK_DB = 40.0
#: A gap between two voiced notes with sound all through, at most this long, is the
#: consonant of the second note's syllable …
MAX_CONSONANT_S = 0.25
#: … which starts this far into it (M4Singer's syllable starts lie 0–60 ms after the
#: previous voicing ends).
CONSONANT_FRACTION = 0.25
#: Unvoiced gaps this short inside a note are pYIN dropouts, not breaks.
MAX_DROPOUT_S = 0.03
_ADVICE = "hum closer to the microphone in a quiet room, one clear note at a time"


@dataclass(frozen=True)
class _Track:
    pitch_midi: np.ndarray  # NaN where unvoiced
    voiced_probability: np.ndarray
    loudness_db: np.ndarray  # frame RMS, dBFS


def _analyse(audio: np.ndarray, sr: int) -> _Track:
    """pYIN pitch and frame loudness at 16 kHz, 10 ms frames (centred)."""
    from ..core.librosa_import import import_librosa

    librosa = import_librosa()

    y = np.asarray(resample(np.asarray(audio, dtype=np.float32), int(sr), ANALYSIS_SR),
                   dtype=np.float32)  # fmt: skip
    f0, voiced, prob = librosa.pyin(
        y, fmin=FMIN_HZ, fmax=FMAX_HZ, sr=ANALYSIS_SR, frame_length=FRAME, hop_length=HOP,
        resolution=PYIN_RESOLUTION,
    )  # fmt: skip
    # pYIN's Viterbi pass keeps some frames voiced that it gives almost no chance of
    # voicing (an unvoiced consonant between two notes): those are not sung.
    voiced = voiced & np.isfinite(f0) & (prob >= MIN_FRAME_PROBABILITY)
    pitch = np.where(voiced, librosa.hz_to_midi(np.nan_to_num(f0, nan=1.0)), np.nan)
    rms = librosa.feature.rms(y=y, frame_length=FRAME, hop_length=HOP)[0]
    n = min(len(pitch), len(rms))
    loudness = 20 * np.log10(np.maximum(rms[:n], 1e-6))
    return _Track(pitch[:n].astype(np.float64), np.asarray(prob[:n], dtype=np.float64), loudness)


def _fill_dropouts(pitch: np.ndarray) -> np.ndarray:
    """Bridge unvoiced gaps of at most ``MAX_DROPOUT_S`` between voiced frames."""
    p = pitch.copy()
    longest = round(MAX_DROPOUT_S / HOP_S)
    runs = voiced_runs(p)
    for (_, b), (a, _) in zip(runs, runs[1:]):
        if a - b <= longest:
            p[b:a] = np.linspace(p[b - 1], p[a], a - b + 2)[1:-1]
    return p


def _dip_cuts(loudness_db: np.ndarray, pitch: np.ndarray) -> list[int]:
    """Frames of loudness minima inside voiced runs at least ``DIP_DB`` below the peaks on
    both sides (within ``DIP_REACH_S``)."""
    smooth = np.convolve(loudness_db, np.ones(3) / 3, mode="same")
    reach = max(1, round(DIP_REACH_S / HOP_S))
    cuts = []
    for a, b in voiced_runs(pitch):
        for i in range(a + 1, b - 1):
            if not (smooth[i] <= smooth[i - 1] and smooth[i] < smooth[i + 1]):
                continue
            left = smooth[max(a, i - reach) : i].max()
            right = smooth[i + 1 : min(b, i + 1 + reach)].max()
            if min(left, right) - smooth[i] >= DIP_DB:
                cuts.append(i)
    return cuts


def _onset_before(
    loudness_db: np.ndarray, frame: int, prev_end: int | None, silence_db: float
) -> int:
    """Where the note whose voicing starts at ``frame`` starts, after voicing that ended
    at ``prev_end`` (None: nothing sung before).  A gap between two voiced notes with
    sound all through is the new syllable's consonant: the note starts
    ``CONSONANT_FRACTION`` of the way into it (up to ``MAX_CONSONANT_S``).  Otherwise the
    note starts where the sound rises out of silence, at most ``BACKTRACK_S`` before its
    voicing."""
    if prev_end is not None:
        gap = frame - prev_end
        if 0 < gap <= round(MAX_CONSONANT_S / HOP_S) and np.all(
            loudness_db[prev_end:frame] > silence_db
        ):
            return prev_end + int(round(CONSONANT_FRACTION * gap))
    limit = max(prev_end or 0, frame - round(BACKTRACK_S / HOP_S))
    j = frame
    while j - 1 >= limit and loudness_db[j - 1] > silence_db:
        j -= 1
    return j


def _notes_from_track(track: _Track) -> list[HumNote]:
    pitch = _fill_dropouts(track.pitch_midi)
    segments = segment_frames(pitch, hop_s=HOP_S, cuts=_dip_cuts(track.loudness_db, pitch))
    loud = track.loudness_db
    silence_db = max(float(np.percentile(loud, 1)) + SOUND_ABOVE_FLOOR_DB,
                     float(loud.max()) - SOUND_BELOW_PEAK_DB)  # fmt: skip
    runs = voiced_runs(pitch)
    # Where the voicing before each run ended (the first run has none before it).
    end_before = {a: prev_b for (a, _), (_, prev_b) in zip(runs[1:], runs)}
    onsets = []
    for a, _ in segments:
        if a == 0 or np.isnan(pitch[a - 1]):  # follows a gap: include its consonant
            a = _onset_before(loud, a, end_before.get(a), silence_db)
        onsets.append(a)
    # Frames are centred: frame k covers k·hop ± half a frame, so its time is k·hop.
    notes = frames_to_notes(pitch, segments, hop_s=HOP_S)
    return [HumNote(a * HOP_S, n.offset_s, n.pitch_midi) for a, n in zip(onsets, notes)]


def _too_long(duration_s: float, *, what: str) -> None:
    raise InputError(
        f"{what} is {duration_s / 60:.1f} minutes long, over the "
        f"{MAX_DURATION_S / 60:g}-minute limit; cut it into shorter pieces"
    )


def _refuse_long(path: Path, *, what: str) -> None:
    """Refuse an over-long file from its header, before decoding all of it (formats
    soundfile cannot read are checked after decoding)."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except Exception:  # noqa: BLE001 - decode_audio reports unreadable files properly
        return
    if info.samplerate > 0 and info.frames / info.samplerate > MAX_DURATION_S:
        _too_long(info.frames / info.samplerate, what=what)


def hum_notes(audio: np.ndarray, *, sr: int) -> list[HumNote]:
    """Notes of a mono recording in seconds (unquantised onsets and ends, median pitch in
    fractional MIDI), in the recording's own timing."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise InputError(
            f"hum audio has shape {audio.shape}, expected mono samples; mix it to one channel"
        )
    if len(audio) < sr * FRAME / ANALYSIS_SR:
        return []
    return _notes_from_track(_analyse(audio, sr))


def read_hum(
    path: str | os.PathLike[str],
    *,
    bpm: float | None = None,
    key: tuple[int, str] | str | None = None,
) -> Score:
    """A score (eighth-note grid, in the key, every note on ``la``) from a hummed or sung
    recording; ``bpm`` and ``key`` (``(fifths, mode)`` or ``"D"``/``"Bb minor"``) are
    estimated when not given."""
    from ..enroll.recordings import decode_audio

    p = Path(path)
    what = f"hum recording {p}"
    bpm = check_bpm(bpm, what=what) if bpm is not None else None
    key = check_key(key, what=what) if key is not None else None
    if not p.exists():
        raise InputError(f"{what} does not exist; check the path")
    if p.is_dir():
        raise InputError(f"{what} is a folder; give an audio file (WAV, FLAC, MP3, Ogg, M4A)")
    _refuse_long(p, what=what)
    audio, sr = decode_audio(p)
    duration_s = len(audio) / sr
    if duration_s < MIN_DURATION_S:
        raise InputError(
            f"{what} is {duration_s:.1f} s long, shorter than {MIN_DURATION_S:g} s; "
            "record at least a phrase of the melody"
        )
    if duration_s > MAX_DURATION_S:
        _too_long(duration_s, what=what)
    level_dbfs = 10 * np.log10(max(float(np.mean(np.square(audio, dtype=np.float64))), 1e-20))
    if level_dbfs < SILENT_DBFS:
        raise InputError(
            f"{what} is silent (RMS {level_dbfs:.0f} dBFS, below {SILENT_DBFS:g} dBFS); "
            "check that the microphone is on and not muted, and record again"
        )
    track = _analyse(audio, sr)
    voiced = ~np.isnan(track.pitch_midi)
    fraction = float(voiced.mean()) if len(voiced) else 0.0
    if fraction < MIN_VOICED_FRACTION:
        raise InputError(
            f"{what} is too noisy or unpitched: only {fraction:.0%} of it has a clear pitch "
            f"(expected at least {MIN_VOICED_FRACTION:.0%}); {_ADVICE}"
        )
    confidence = float(track.voiced_probability[voiced].mean())
    if confidence < MIN_VOICED_PROBABILITY:
        raise InputError(
            f"{what} is too noisy: the pitch tracker is only {confidence:.0%} sure of the "
            f"pitch where it hears one (expected at least {MIN_VOICED_PROBABILITY:.0%}); "
            f"{_ADVICE}"
        )
    notes = _notes_from_track(track)
    if not notes:
        raise InputError(
            f"{what} has no note of at least {MIN_NOTE_S * 1000:.0f} ms with a steady pitch; "
            f"{_ADVICE}"
        )
    return notes_to_score(notes, bpm=bpm, key=key, source=what)
