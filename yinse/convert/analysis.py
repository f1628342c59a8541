"""What a conversion needs to know about its input, and the checks that refuse bad input.

The input must be a dry vocal: one voice, no band.  A band keeps sounding where the voice
rests, and its bass and kick drum put energy below any voice's F0;
:func:`accompaniment_score` measures both.  (The share of voiced energy on one F0's
harmonics was tried too and did not separate: low harmonics dominate either way.)  The
limits were set on the real a cappella and speech recordings in ``../shared/data`` against
the same recordings mixed with bands Yinse rendered (numbers in docs/BENCHMARKS.md).

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
#: Accompaniment limits (see :class:`Accompaniment`).  The combined one was fitted on the
#: 119 dry recordings of ../shared/data against the same with a Yinse band mixed in
#: (benchmarks/bench_convert.py): 4 % of dry ones refused; bands at −12/−6/0 dB: 38/61/81 %.
COMBINED_LIMIT = 0.264
LOW_BAND_PER_UNIT_DB = 200.0
LOW_BAND_ALONE_DB = -8.0
CHUNK_S = 20.0
ANALYSIS_SR = 16000


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
    if score.score >= 1.0:
        raise InputError(
            f"'{source.name}' sounds like music with accompaniment (sound where no voice sings in "
            f"{score.band_in_rests:.0%} of it, bass at {score.low_band_db:.0f} dB); give "
            "a dry vocal — separate the vocal stem first (e.g. with a source-separation tool)"
        )
    return Input(audio, sr, source.name)


@dataclass(frozen=True)
class Accompaniment:
    #: Share of loud frames in which no voice F0 is found (a band keeps playing where the
    #: voice rests; speech's voiceless consonants reach about 0.35).
    band_in_rests: float
    #: Energy at 25–70 Hz against 80–4000 Hz in loud frames, dB: bass and kick drum sit
    #: below any voice's F0 (dry voices measured −22 to −60 dB, one room at −11).
    low_band_db: float

    @property
    def score(self) -> float:
        """≥ 1 refuses: sound where no voice sings, raised by bass energy (a weighted sum),
        or bass energy far beyond what a dry voice shows."""
        combined = (self.band_in_rests + self.low_band_db / LOW_BAND_PER_UNIT_DB) / COMBINED_LIMIT
        return max(combined, 10 ** ((self.low_band_db - LOW_BAND_ALONE_DB) / 20))


def accompaniment_score(audio: np.ndarray, sr: int) -> Accompaniment:
    from ..voices.timbre import dio_f0

    x = resample(np.asarray(audio, np.float64), sr, ANALYSIS_SR)
    f0, t = dio_f0(x, ANALYSIS_SR, ceil_hz=1000.0, frame_s=0.010)
    n_fft, hop = 2048, ANALYSIS_SR // 100
    pad = np.pad(x, (n_fft // 2, n_fft // 2))
    n = min(len(f0), (len(pad) - n_fft) // hop + 1)
    frames = np.lib.stride_tricks.sliding_window_view(pad, n_fft)[::hop][:n] * np.hanning(n_fft)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n_fft, 1 / ANALYSIS_SR)
    voice_band = power[:, (freqs >= 80) & (freqs <= 4000)].sum(axis=1)
    level_db = 10 * np.log10(voice_band + 1e-12)
    loud = level_db > np.percentile(level_db, 95) - 25
    low = power[loud][:, (freqs >= 25) & (freqs < 70)].sum()
    low_db = 10 * np.log10(low / (voice_band[loud].sum() + 1e-20) + 1e-12)
    rests = float(np.mean(loud & (f0[:n] == 0)) / max(np.mean(loud), 1e-9))
    return Accompaniment(rests, float(low_db))


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
