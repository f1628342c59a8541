"""What a conversion needs to know about its input, and the checks that refuse bad input.

The input must be a dry vocal: one voice, no band.  A band keeps sounding where the voice
rests, and what it plays there are notes: narrow peaks in the spectrum, where a dry
recording's pauses hold noise and breath, whose spectra are smooth;
:func:`accompaniment_score` measures both.  Tried before and dropped: voiced frames' energy
on one F0's harmonics (low harmonics dominate either way); loud frames without an F0 plus
energy under 70 Hz (DIO finds an F0 in the band's own notes, and rooms rumble); how little
the quiet frames' spectrum changes from frame to frame (a noisy room changes as little as
a band).  The limits were set on the real a cappella and speech recordings in
``../shared/data``, also with noise added, against the same mixed with bands Yinse
rendered in six styles (numbers in docs/BENCHMARKS.md).

Long inputs are cut into chunks at their quietest moments so that analysis, frame choice
and synthesis only ever hold one chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.audio import resample
from ..core.errors import InputError

MIN_INPUT_S = 1.0
MAX_INPUT_S = 600.0
SILENT_DBFS = -50.0
#: Share of samples at full scale above which the input counts as clipped.
MAX_CLIPPED_FRACTION = 0.002
#: Accompaniment limits (see :class:`Accompaniment`), chosen on half of the 119 dry
#: recordings of ../shared/data (as they are, and with white or pink noise 20 dB under the
#: voice) and three band styles, and checked on the other half and three other styles
#: (benchmarks/bench_convert.py).  PEAK_SHARE_LIMIT is 1.5 x the largest value of a dry
#: recording on the choosing half (0.060).
FLOOR_LIMIT_DB = -24.0
PEAK_SHARE_LIMIT = 0.09
#: A bin is a peak in a frame when it stands this far above the median of the 15 bins
#: (234 Hz) around it, and a lasting peak when it is one in more than PERSISTENT_SHARE of
#: the rest frames (noise makes a bin a peak in about 2 % of frames, at random).
PEAK_DB = 8.0
PEAK_SPAN_BINS = 15
PERSISTENT_SHARE = 0.15
#: At least this many voiceless frames (0.2 s) are looked at; an input with fewer gives no
#: evidence of a band.
MIN_REST_FRAMES = 20
CHUNK_S = 20.0
ANALYSIS_SR = 16000
ANALYSIS_FFT = 1024
#: Frames per FFT block: memory stays a few MB however long the input.
BLOCK_FRAMES = 1000


@dataclass(frozen=True)
class Input:
    audio: np.ndarray
    sr: int
    name: str

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sr


def read_input(path: str | Path) -> Input:
    """Decode a vocal (any format Yinse reads, any rate) and refuse what cannot be converted:
    too short or long, silent, clipped, or music with accompaniment."""
    from ..enroll.recordings import decode_audio

    source = Path(path)
    if not source.is_file():
        raise InputError(f"'{source}' is not a file; give the recording to convert")
    audio, sr = decode_audio(source)
    audio = np.asarray(audio, dtype=np.float32)
    duration = len(audio) / sr
    if duration < MIN_INPUT_S:
        raise InputError(f"'{source.name}' is {duration:.2f} s long; give at least {MIN_INPUT_S:g} s of voice")
    if duration > MAX_INPUT_S:
        raise InputError(
            f"'{source.name}' is {duration / 60:.1f} minutes long; the limit is {MAX_INPUT_S / 60:g} "
            "minutes — cut it into parts"
        )
    rms_db = 10 * np.log10(float(np.mean(audio.astype(np.float64) ** 2)) + 1e-20)
    if rms_db < SILENT_DBFS:
        raise InputError(f"'{source.name}' is silent ({rms_db:.0f} dBFS); give a recording of a voice")
    clipped = float(np.mean(np.abs(audio) >= 0.999))
    if clipped > MAX_CLIPPED_FRACTION:
        raise InputError(
            f"'{source.name}' is clipped ({clipped:.1%} of samples at full scale); record it again "
            "with the input level lower"
        )
    score = accompaniment_score(audio, sr)
    if score.accompanied:
        raise InputError(
            f"'{source.name}' sounds like music with accompaniment: something keeps playing where "
            f"the voice rests (its quietest moments are only {-score.floor_db:.0f} dB under the "
            f"loudest), and it plays notes ({score.rest_peaks:.0%} of the spectrum in lasting narrow "
            "peaks; a dry recording's pauses show under 6 %); give a dry vocal — separate the vocal "
            "stem first (e.g. with a source-separation tool)"
        )
    return Input(audio, sr, source.name)


@dataclass(frozen=True)
class Accompaniment:
    #: Level of the input's quietest tenth against its loud frames (95th percentile), dB, in
    #: 80–4000 Hz: a dry voice falls silent between phrases (our dry recordings: most −40 to
    #: −75 dB; −11 to −24 where the singing never stops or the room is noisy), a band keeps
    #: playing (−14 to −23 with the band 12 dB under the voice).
    floor_db: float
    #: In the quiet frames where no voice F0 is found, the share of 80–4000 Hz bins that are
    #: lasting peaks (:data:`PEAK_DB` over their surroundings in more than
    #: :data:`PERSISTENT_SHARE` of those frames): a band's notes stand at the same
    #: frequencies frame after frame, while the peaks of noise and breath come and go (dry
    #: recordings whose pauses are not quiet: at most 0.06; bands 12 dB under the voice
    #: mostly 0.16–0.32, the electronic style 0.09–0.15).
    rest_peaks: float

    @property
    def accompanied(self) -> bool:
        """Both at once: sound in the pauses, and notes in it."""
        return self.floor_db > FLOOR_LIMIT_DB and self.rest_peaks > PEAK_SHARE_LIMIT


def accompaniment_score(audio: np.ndarray, sr: int) -> Accompaniment:
    """The two measurements of :class:`Accompaniment`."""
    from scipy.ndimage import median_filter

    x = resample(np.asarray(audio, np.float64), sr, ANALYSIS_SR)
    hop = ANALYSIS_SR // 100
    f0 = _voice_f0(x, hop)
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(x, ANALYSIS_FFT // 2), ANALYSIS_FFT)[::hop]
    level = np.concatenate([10 * np.log10(_band_power(frames[k : k + BLOCK_FRAMES]).sum(axis=1) + 1e-12)
                            for k in range(0, len(frames), BLOCK_FRAMES)])  # fmt: skip
    loud = np.percentile(level, 95)
    present = level > loud - 100.0  # digital silence (zero padding) is no evidence either way
    floor = float(np.percentile(level[present], 10) - loud)
    n = min(len(f0), len(level))
    voiceless = np.flatnonzero(present[:n] & (f0[:n] == 0))
    quietest = voiceless[np.argsort(level[voiceless], kind="stable")]
    # The quiet frames (bottom 30 %) without a voice F0; where a loud band leaves fewer than
    # MIN_REST_FRAMES of them (DIO finds an F0 in its notes), the quietest voiceless ones.
    quiet = int(np.sum(level[voiceless] < np.percentile(level[present], 30)))
    rests = np.sort(quietest[: max(quiet, MIN_REST_FRAMES)])
    if len(rests) < MIN_REST_FRAMES:
        return Accompaniment(floor, 0.0)
    peaks = 0
    for k in range(0, len(rests), BLOCK_FRAMES):
        spectrum_db = 10 * np.log10(_band_power(frames[rests[k : k + BLOCK_FRAMES]]) + 1e-12)
        around = median_filter(spectrum_db, size=(1, PEAK_SPAN_BINS), mode="nearest")
        peaks = peaks + np.sum(spectrum_db - around > PEAK_DB, axis=0)  # per bin
    return Accompaniment(floor, float(np.mean(peaks / len(rests) > PERSISTENT_SHARE)))


def _voice_f0(x: np.ndarray, hop: int) -> np.ndarray:
    """DIO's F0 every ``hop`` samples of ``x`` (at ANALYSIS_SR), a chunk at a time: DIO on a
    whole 10-minute input holds about 0.8 GB.  Chunks are cut on multiples of ``hop``, so
    each chunk's last frame is the next one's first and is dropped."""
    from ..voices.timbre import dio_f0

    bounds = chunk_bounds(x, ANALYSIS_SR)
    parts = []
    for k, (start, end) in enumerate(bounds):
        f0, _ = dio_f0(x[start:end], ANALYSIS_SR, ceil_hz=1000.0, frame_s=hop / ANALYSIS_SR)
        parts.append(f0 if k == len(bounds) - 1 else f0[: (end - start) // hop])
    return np.concatenate(parts)


def _band_power(frames: np.ndarray) -> np.ndarray:
    """Power spectra of frames (Hann window), 80–4000 Hz bins only."""
    lo, hi = int(np.ceil(80 * ANALYSIS_FFT / ANALYSIS_SR)), int(4000 * ANALYSIS_FFT / ANALYSIS_SR) + 1
    return np.abs(np.fft.rfft(frames * np.hanning(ANALYSIS_FFT), axis=1)[:, lo:hi]) ** 2


def chunk_bounds(audio: np.ndarray, sr: int, *, chunk_s: float = CHUNK_S) -> list[tuple[int, int]]:
    """Sample ranges of about ``chunk_s`` each, cut at the quietest 10 ms in the last
    quarter of each chunk, so that cuts fall in pauses where there are any."""
    n = len(audio)
    size = int(chunk_s * sr)
    if n <= int(size * 1.25):
        return [(0, n)]
    hop = sr // 100
    energy = np.convolve(audio.astype(np.float64) ** 2, np.ones(hop), "same")
    bounds, start = [], 0
    while n - start > int(size * 1.25):
        lo, hi = start + int(size * 0.75), start + size
        cut = lo + int(np.argmin(energy[lo:hi:hop])) * hop
        bounds.append((start, cut))
        start = cut
    bounds.append((start, n))
    return bounds
