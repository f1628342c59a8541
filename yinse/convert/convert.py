"""Voice conversion: anyone's dry vocal, re-voiced with a target's own recorded frames.

Per chunk of the input: WORLD analysis (F0 by DIO + StoneMask, envelope by CheapTrick) at
the target bank's rate; the envelope coded to mel-cepstra and normalised by the *input
speaker's* own mean and spread, so what remains is mostly what is said or sung; the target's
frames, normalised the same way by *their* speaker's statistics, are searched for the
nearest ones (with two frames of context each side, projected as the bank projects them),
and a Viterbi pass prefers runs of the target's consecutive frames.  The chosen frames'
envelopes and aperiodicities, levelled to the input's frame energy, are played by WORLD on
the input's own F0 (moved by the key shift) and timing, so melody, vibrato, slides and
phrasing stay the singer's while the timbre is the target's.

Given the words (``lyrics``), they are placed in the input (:mod:`yinse.convert.lyrics`).
A built-in target's own reading of them is then played, warped onto the input's timing.
For an enrolled target, the middle of each phone is played by a unit of the same phone of
the target, as a clone's own speech is; phone edges, frames outside a known phone, and
frames whose unit has the other voicing are still chosen frame by frame.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..core.audio import resample
from ..voices.speaking_pitch import speaking_pitch_hz, typical_pitch_hz
from ..voices.timbre import (
    FRAME_S,
    SMOOTH_FRAMES,
    FeatureWarp,
    TimbreBank,
    cepstral_stats,
    code_envelope,
    decode,
    dio_f0,
)
from .analysis import Input, chunk_bounds
from .lyrics import lyric_guide

Progress = Callable[[int, int], None]
#: Frames this much below the input's loudest are silence: no target frame is searched.
SILENCE_DB = 50.0
#: Unvoiced frames within this much of the loudest can be breaths (``keep_breath``).
BREATH_BELOW_DB = 20.0
F0_FLOOR_HZ = 60.0
#: DIO reads weak and creaky frames as a sub-harmonic (a woman's 200 Hz as 70 Hz), which
#: the output then plays as a buzz far below the melody; a second pass keeps its F0 within
#: 1.3 octaves under the voice's typical pitch (p225 → p226: V/UV agreement by pyin
#: 0.814–0.882 → 0.870–0.894).
BELOW_TYPICAL = 2.5
#: With lyrics, this share at each end of a phone is chosen frame by frame, the rest played
#: by a unit (vctk p225 → p226, 3 clips: to target 0.810 plain, 0.856 whole phones, 0.828
#: with 0.2; pocketsphinx WER 0.83 / 0.88 / 0.74).
UNIT_EDGE = 0.2
#: ``clarity``: the share of the input's own envelope, moved onto the target's distribution
#: (:meth:`FeatureWarp.onto`), mixed into frames chosen frame by frame.  Nearest target frames
#: keep the target's timbre but blur what is said; the input's envelope keeps the words.
#: Only cepstra 1..CLARITY_DIMS (the broad shape: formants, what is said) are mixed; the finer
#: ones stay the target's.  6 speech clips into enrolled VCTK voices, to target / margin /
#: pocketsphinx WER, medians: all 24 cepstra at 0.35 0.786 / +0.146 / 68 %, 12 at 0.5 0.794 /
#: +0.149 / 62 % (docs/BENCHMARKS.md, "Clarity").  At 0.7 the words were no clearer than at
#: 0.5 (WER median 63 % against 53 % over 9 clips) and the target's likeness lower.
CLARITY_DIMS = 12
CLARITY_MAX = 0.5


@dataclass(frozen=True)
class Conversion:
    audio: np.ndarray
    sr: int
    key_shift: float
    #: The input's typical pitch (Harvest: :func:`speaking_pitch_hz`), for reports.
    input_median_hz: float
    #: The shift ``--key auto`` gives (or gave): the input's typical pitch to the target's
    #: speaking pitch, so a report can say how far a given key is from it.
    auto_key_shift: float = 0.0


def auto_key(input_hz: float, target_hz: float) -> float:
    """Whole semitones that bring the input's typical pitch to the target's speaking
    pitch: a voice sounds most like itself at its own pitch.  (Telling singing from speech
    by the length of voiced stretches was tried and was wrong on a third of our clips, so a
    song is moved to where the target speaks; give --key to sing it higher.)"""
    if input_hz <= 0 or target_hz <= 0:
        return 0.0
    return float(round(12 * np.log2(target_hz / input_hz)))


def convert(
    source: Input,
    bank: TimbreBank,
    *,
    key_shift: float | str = 0.0,
    keep_breath: bool = False,
    progress: Progress | None = None,
    lyrics: str | None = None,
    target_reads: bool = False,
    clarity: float = 0.0,
) -> Conversion:
    """``lyrics``: the words the input says or sings, as :func:`~yinse.convert.lyrics.check_lyrics`
    returns them (:mod:`yinse.convert.lyrics`); ``target_reads``: the target is the bank's
    base voice (a built-in voice), which then says the lyrics itself; ``clarity``: the share
    of the input's own articulation kept in frames chosen frame by frame (0 to
    :data:`CLARITY_MAX`; more words, less of the target's timbre)."""
    import pyworld

    sr = bank.sr
    x_all = resample(source.audio.astype(np.float64), source.sr, sr)
    bounds = chunk_bounds(x_all, sr)
    with ThreadPoolExecutor(1) as pool:
        # The input's pitch by Harvest (for --key auto, and for the report of any key: a
        # third of a short clip's conversion) runs beside the analysis and the first chunk's
        # frame choice: pyworld releases the GIL, and the key is needed only when the first
        # chunk is played.
        input_pitch = pool.submit(speaking_pitch_hz, source.audio, source.sr)
        # First pass: F0 of every chunk; the second pass needs the input speaker's cepstral
        # statistics over all chunks before any frame is matched.
        analysed, _ = track_pitch(x_all, bounds, sr)
        coded_chunks, stats_frames = [], []
        for (start, end), (f0, t) in zip(bounds, analysed):
            x = np.ascontiguousarray(x_all[start:end])
            coded = code_envelope(pyworld.cheaptrick(x, f0, t, sr), sr)
            coded_chunks.append(coded)
            stats_frames.append(coded[:: max(1, len(coded) // 4000)])
        top_db = float(np.percentile(np.concatenate([c[:, 0] for c in coded_chunks]), 99)) * 10 / np.log(10)
        playing = _Playing(bank, cepstral_stats(stats_frames), FeatureWarp.of(stats_frames), top_db, keep_breath,
                           clarity)  # fmt: skip
        guide = (lyric_guide(lyrics, np.concatenate(coded_chunks), playing.stats, sr, bank, target_reads=target_reads)
                 if lyrics else None)  # fmt: skip

        out = np.zeros(len(x_all))
        shift = None if key_shift == "auto" else float(key_shift)
        for k, ((start, end), (f0, times), coded) in enumerate(zip(bounds, analysed, coded_chunks)):
            t0, t1 = start / sr, end / sr
            if guide and guide.reading:
                sp, ap, f0_played = playing.frames(x_all[start:end], f0, times, coded,
                                                   reading=guide.reading_frames(times + t0, f0 > 0))  # fmt: skip
            else:
                phones = [(p, s - t0, e - t0) for p, s, e in guide.phones if e > t0 and s < t1] if guide else []
                sp, ap, f0_played = playing.frames(x_all[start:end], f0, times, coded, phones=phones)
            if shift is None:
                shift = auto_key(input_pitch.result(), bank.typical_hz)
            chunk = pyworld.synthesize(f0_played * 2 ** (shift / 12), sp, ap, sr, FRAME_S * 1000)
            length = min(len(chunk), end - start)  # WORLD may return a few samples more or less
            out[start : start + length] += chunk[:length]
            if progress:
                progress(k + 1, len(bounds))
        input_hz = input_pitch.result()
    auto = auto_key(input_hz, bank.typical_hz)
    return Conversion(out.astype(np.float32), sr, auto if shift is None else shift, input_hz, auto)


def track_pitch(x_all: np.ndarray, bounds, sr: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], float]:
    """F0 and frame times of every chunk, and the voice's typical pitch: DIO once from
    60 Hz, then again no lower than :data:`BELOW_TYPICAL` under the typical pitch."""
    analysed = _pitch_track(x_all, bounds, sr, F0_FLOOR_HZ)
    typical_hz = typical_pitch_hz(np.concatenate([f0 for f0, _ in analysed]))
    if typical_hz / BELOW_TYPICAL > F0_FLOOR_HZ:
        analysed = _pitch_track(x_all, bounds, sr, typical_hz / BELOW_TYPICAL)
    return analysed, typical_hz


def _pitch_track(x_all: np.ndarray, bounds, sr: int, floor_hz: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """DIO + StoneMask F0 and frame times of every chunk, no lower than ``floor_hz``."""
    return [dio_f0(x_all[start:end], sr, floor_hz=floor_hz, ceil_hz=1000.0) for start, end in bounds]


@dataclass(frozen=True)
class _Playing:
    """What every chunk of one conversion shares: the target's ``bank``, the
    input speaker's cepstral ``stats`` (for units, which hold the base voice's features) and
    :class:`FeatureWarp` (for frame choice), the input's loudest level, whether breaths are
    kept, and the ``clarity`` share of the input's own envelope."""

    bank: TimbreBank
    stats: tuple[np.ndarray, np.ndarray]
    warp: FeatureWarp
    top_db: float
    keep_breath: bool
    clarity: float = 0.0

    def frames(self, x, f0, times, coded, *, phones=(), reading=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One chunk's WORLD frames in the target's timbre: envelope, aperiodicity, and the
        input's F0 where it is played (before the key shift).  ``times``: its frames' times
        (DIO's); ``phones`` (label, start_s, end_s in the chunk) from lyrics, played by units;
        ``reading``: a built-in target's own reading of the lyrics at these frames (envelope,
        aperiodicity, and which frames it covers: :meth:`LyricGuide.reading_frames`)."""
        import pyworld
        from scipy.ndimage import uniform_filter1d

        bank, sr = self.bank, self.bank.sr
        level_db = coded[:, 0] * 10 / np.log(10)
        voiced = f0 > 0
        active = level_db > self.top_db - SILENCE_DB
        position = np.full(len(f0), -1.0)
        covered = np.zeros(len(f0), bool)
        if reading is not None:
            # The target says these words itself: its reading is played wherever it reaches
            # (into joe, 9 English clips: pocketsphinx WER 0.31 against 0.90 with units, to joe
            # 0.767 against 0.710; docs/BENCHMARKS.md, "A built-in target reads the lyrics").
            covered = reading[2]
        elif phones:
            # Lyrics: the middle of each phone is played by a unit of that phone of the target,
            # as a clone's speech is (closer timbre than frame by frame: docs/BENCHMARKS.md).
            position = bank.play_units(coded, voiced, phones, times, self.stats)
            # Only the middle of each phone: its edges, where the alignment errs by tens of ms,
            # are chosen frame by frame, which follows the input's own transitions.
            core = np.zeros(len(f0), bool)
            for _, start, end in phones:
                margin = UNIT_EDGE * (end - start)
                core |= (times >= start + margin) & (times < end - margin)
            # A unit frame of the other voicing (a consonant's noise under a voiced sound) would
            # blur it: such frames are chosen one by one, as without lyrics.
            unit_voiced = bank.target_f0[np.round(np.maximum(position, 0)).astype(np.int64)] > 0
            position[~active | ~core | (unit_voiced != voiced)] = -1.0
        rest = active & (position < 0) & ~covered
        if rest.any():
            position[rest] = bank.nearest_own(coded[rest], voiced[rest], self.warp)
        env, aper = bank.frames_at(np.maximum(position, 0.0))
        if self.clarity > 0 and rest.any():
            own = self.warp.onto(bank.target_warp, coded[rest], CLARITY_DIMS)
            dims = slice(1, 1 + CLARITY_DIMS)
            env[rest, dims] += self.clarity * (own - env[rest, dims])
        if covered.any():
            env[covered], aper[covered] = reading[0][covered], reading[1][covered]
        env = uniform_filter1d(env, SMOOTH_FRAMES, axis=0)
        # The input's loudness contour: each frame's level (c0) from the input, smoothed.
        env[:, 0] = uniform_filter1d(coded[:, 0].astype(np.float64), SMOOTH_FRAMES)
        sp, ap = decode(env, aper, sr)
        if self.keep_breath:
            breath = ~voiced & active & (level_db < self.top_db - BREATH_BELOW_DB)
            breath &= uniform_filter1d(voiced.astype(float), 20) == 0  # in a pause, not a consonant
            if breath.any():
                own_sp = pyworld.cheaptrick(np.ascontiguousarray(x), f0, times, sr)
                sp[breath] = own_sp[breath]
                ap[breath] = 1.0 - 1e-6
        sp[~active] = sp[~active] * 1e-6
        return sp, ap, np.where(voiced & active, f0, 0.0)
