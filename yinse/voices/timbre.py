"""A person's timbre as units cut from their recordings, played under a base voice's speech.

An enrolled voice speaks through a base voice (``baker`` for Mandarin, ``joe`` for English)
and sounds like the person because every spectral frame the vocoder plays is one of the
person's own.  Enrollment pairs the base voice saying each recorded sentence with the
recording (DTW on speaker-normalised mel-cepstra, :mod:`yinse.enroll.align`).  At render
time:

* every phone the base voice says is played by a *unit*: the same phone cut from the
  person's recordings, chosen for the same neighbouring phones, a similar length, a
  similar sound and smooth joins with its neighbours' units (:meth:`TimbreBank.play_units`);
* frames without a known phone choose frame by frame: nearest paired base frames, then a
  Viterbi pass that prefers runs of consecutive frames (:meth:`TimbreBank.select`).

Measured on ``cathy`` (2026-11-24; resemblyzer cosine to her held-out real recordings, one
sentence each; pocketsphinx WER): base voice 0.55 (WER 0.28–0.31), averaging the 4 nearest
frames 0.72, frame selection 0.77 (WER 0.80), phone units 0.78–0.80 (WER 0.63–0.76); her real
envelope on the base voice's timing 0.79 (WER 0.24) is the ceiling of any mapping that keeps
the base voice's rhythm.  docs/BENCHMARKS.md has the whole table.

Everything here works on WORLD features at the base voice's sample rate with a 5 ms hop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .speaking_pitch import typical_pitch_hz

FRAME_S = 0.005
#: Mel-cepstral order of the stored envelopes: WORLD analysis and resynthesis through this
#: coding kept 0.90 resemblyzer cosine to the original (cathy), against 0.55 for a base voice.
CODED_DIMS = 40
#: Cepstra 1..MATCH_DIMS (c0, the level, left out) describe a frame for matching.
MATCH_DIMS = 24
CONTEXT_FRAMES = 2
PROJECTED_DIMS = 32
VOICING_WEIGHT = 3.0
CANDIDATES = 16
#: Cost of leaving a run of consecutive frames, in units of the median match distance.
JUMP_COST = 3.0
SMOOTH_FRAMES = 3
#: Unit choice: a matching neighbour phone is worth this many median feature distances,
#: a length ratio of e (log 1) this many.
CONTEXT_WEIGHT = 1.0
LENGTH_WEIGHT = 0.5
#: Units are chosen together (Viterbi over the phones): a unit that does not follow the
#: previous one in its recording costs JOIN_JUMP_COST plus JOIN_WEIGHT × the envelope
#: distance across the join, in median units, among the UNIT_CANDIDATES best of each phone.
#: Held-out sentences, resemblyzer to the owner / pocketsphinx WER, phones chosen one by one
#: → together: cathy (two sets of 20) 0.794 / 0.59 → 0.783 / 0.54 and 0.753 / 0.51 → 0.770 /
#: 0.47; vctk_p225 (3) 0.700 / 0.96 → 0.726 / 0.91; magicdata_f 0.879 → 0.882.
JOIN_WEIGHT = 1.0
JOIN_JUMP_COST = 1.0
UNIT_CANDIDATES = 30
#: A clone speaks on the F0 of the units it plays (:meth:`TimbreBank.speech_pitch`), not the
#: base voice's moved to the person's pitch: held-out resemblyzer per sentence (bench_clone)
#: cathy 0.783 → 0.791, vctk_p225 0.726 → 0.777, magicdata_f 0.879 → 0.892; cathy's WER
#: 54 → 53 %.  The median over this many voiced frames smooths the joins between units.
OWN_PITCH_SMOOTH_FRAMES = 7
#: Semitones under and over the typical pitch of the person's frames that their unit F0 is
#: kept within (by whole octaves): speech rarely leaves it, DIO's octave errors do.
OWN_PITCH_SPAN = (-9.0, 12.0)
#: With this many frames on the units' F0, the other voiced frames of a sentence are moved
#: by the median difference to them (vctk_p225 0.759 → 0.777).
MIN_OWN_PITCH_FRAMES = 20
UNIT_FIELDS = ("label", "prev", "next", "start", "end", "base_frames", "feature")
#: Cost of a person's frame whose voicing differs from the frame it plays (median units).
VOICING_MISMATCH_COST = 1.0
#: Voiced frames more than this far below the person's full voice start to cost.
WEAK_FRAME_DB = 20.0
#: A clone's speech mixes this share of the base voice's own envelope, moved to the
#: person's cepstral mean and spread, into every frame of units: the joins between units
#: cut from different sentences blur words.  cathy, 20 held-out sentences (resemblyzer to
#: her / pocketsphinx WER): 0 → 0.799 / 0.73, 0.2 → 0.794 / 0.61, 0.3 → 0.789 / 0.58,
#: 0.5 → 0.749 / 0.45, 1 → 0.654 / 0.41.  Singing keeps 0 (0.3 cost it 0.03–0.04).
#: Only cepstra 1..SPEECH_BASE_DIMS are mixed: the broad shape carries the words, the finer
#: cepstra more of the voice.  cathy, two held-out sets of 20: 0.2 of 1–24 0.797 / 43 % and
#: 0.811 / 49 %; 0.3 of 1–12 0.798 / 42 % and 0.809 / 41 % (docs/BENCHMARKS.md).
SPEECH_BASE_SHARE = 0.3
SPEECH_BASE_DIMS = 12
#: A clone's speech takes this share of its level contour (c0, the frame's mean log power)
#: from the base voice, moved to the person's loud-frame mean and spread, by base voice: the
#: units' levels come from other sentences and blur which syllable carries the stress.  Held
#: out (resemblyzer / WER, none → half): cathy 0.791 / 53 % → 0.793 / 45 % and 0.783 / 48 %
#: → 0.802 / 44 % (two sets of 20), vctk_p225 0.777 / 96 % → 0.780 / 82 %.  A Mandarin clone
#: lost 0.02 with baker's contour (magicdata_f 0.887 → 0.866), so baker gives none.
SPEECH_LEVEL_SHARE = {"joe": 0.5}


@dataclass
class WorldFeatures:
    """WORLD analysis of one clip: F0 (Hz, 0 unvoiced), coded envelope, coded aperiodicity."""

    f0: np.ndarray
    coded_sp: np.ndarray
    coded_ap: np.ndarray


def dio_f0(
    audio: np.ndarray, sr: int, *, floor_hz: float = 60.0, ceil_hz: float = 800.0, frame_s: float = FRAME_S
) -> tuple[np.ndarray, np.ndarray]:
    """WORLD's F0 (DIO refined by StoneMask; 0 where unvoiced) and its frame times: the one
    place the project runs DIO, so every F0 it reads is read the same way."""
    import pyworld

    x = np.ascontiguousarray(audio, dtype=np.float64)
    f0, t = pyworld.dio(x, sr, f0_floor=floor_hz, f0_ceil=ceil_hz, frame_period=frame_s * 1000)
    return pyworld.stonemask(x, f0, t, sr), t


def world_features(audio: np.ndarray, sr: int, *, aperiodicity: bool = True) -> WorldFeatures:
    """DIO + StoneMask, CheapTrick and D4C at 5 ms, coded to :data:`CODED_DIMS` cepstra.
    The base voice's side of a bank needs no aperiodicity (D4C is a third of the cost)."""
    import pyworld

    x = np.ascontiguousarray(audio, dtype=np.float64)
    f0, t = dio_f0(x, sr)
    sp = pyworld.cheaptrick(x, f0, t, sr)
    coded_ap = (
        pyworld.code_aperiodicity(pyworld.d4c(x, f0, t, sr), sr).astype(np.float32)
        if aperiodicity
        else np.zeros((len(f0), 0), np.float32)
    )
    return WorldFeatures(
        f0=f0.astype(np.float32),
        coded_sp=pyworld.code_spectral_envelope(sp, sr, CODED_DIMS).astype(np.float32),
        coded_ap=coded_ap,
    )


def code_envelope(sp: np.ndarray, sr: int) -> np.ndarray:
    import pyworld

    return pyworld.code_spectral_envelope(np.ascontiguousarray(sp, np.float64), sr, CODED_DIMS)


def decode(coded_sp: np.ndarray, coded_ap: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    import pyworld

    fft = pyworld.get_cheaptrick_fft_size(sr)
    sp = pyworld.decode_spectral_envelope(np.ascontiguousarray(coded_sp, np.float64), sr, fft)
    ap = pyworld.decode_aperiodicity(
        np.ascontiguousarray(np.clip(coded_ap, -60.0, 0.0), np.float64), sr, fft
    )
    return sp, ap


def frames_between(
    coded_sp: np.ndarray, coded_ap: np.ndarray, position: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Coded envelope and aperiodicity at fractional frame positions (between two frames, a
    mix of both)."""
    position = np.asarray(position, np.float64)
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, len(coded_sp) - 1)
    frac = (position - lo)[:, None]
    env = (1 - frac) * coded_sp[lo] + frac * coded_sp[hi]
    aper = (1 - frac) * coded_ap[lo] + frac * coded_ap[hi]
    return env.astype(np.float64), aper.astype(np.float64)


def normalised_cepstra(coded_sp: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Cepstra 1..MATCH_DIMS with one speaker's mean and spread taken out (cepstral mean and
    variance normalisation): what is left is mostly *what* is said, not *who* says it."""
    return (coded_sp[:, 1 : MATCH_DIMS + 1] - mean) / std


def _loud(level: np.ndarray) -> np.ndarray:
    """The frames louder than a speaker's quietest fifth (silence and breath left out)."""
    return level > np.percentile(level, 20)


def _speaking_cepstra(coded: list[np.ndarray]) -> np.ndarray:
    """Cepstra 1..MATCH_DIMS of one speaker's non-silent frames: what their statistics
    (:func:`cepstral_stats`, :class:`FeatureWarp`) are taken over."""
    allc = np.concatenate(coded)
    return allc[_loud(allc[:, 0]), 1 : MATCH_DIMS + 1]


def cepstral_stats(coded: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of one speaker's cepstra over their non-silent frames."""
    part = _speaking_cepstra(coded)
    return part.mean(0), part.std(0) + 1e-6


def level_stats(level: np.ndarray) -> tuple[float, float]:
    """Mean and spread of a level contour (c0) over its non-silent frames."""
    part = level[_loud(level)]
    return float(part.mean()), float(part.std()) + 1e-6


#: Quantile levels at which :class:`FeatureWarp` keeps a speaker's distribution.
WARP_LEVELS = np.linspace(0.005, 0.995, 199)


@dataclass(frozen=True)
class FeatureWarp:
    """Feature warping: each of a speaker's cepstra 1..MATCH_DIMS mapped through that
    speaker's own distribution (over their non-silent frames) onto a standard normal.

    Conversion matches one speaker's frames against another's.  Taking out each speaker's
    mean and spread (:func:`normalised_cepstra`) leaves the shape of their distributions,
    which is partly *who* speaks, so the nearest target frames were partly the ones most like
    the source voice; matching ranks instead, the target frames chosen are those that stand
    where the input stands among its own speaker's sounds.  On bench_convert's 21 clips,
    converted both ways in one process (docs/BENCHMARKS.md, "Feature warping"): the output
    is further from its source (resemblyzer, median −0.021 speech, −0.019 singing) and as
    close to its target (+0.002, +0.007); margin over the source better on 14 of 21 clips;
    melody and V/UV unchanged."""

    #: (len(WARP_LEVELS), MATCH_DIMS): the value of each cepstrum at each quantile level.
    quantiles: np.ndarray

    @classmethod
    def of(cls, coded: list[np.ndarray]) -> FeatureWarp:
        """The warp of one speaker, from their coded frames (all of them, or an even sample)."""
        return cls(np.quantile(_speaking_cepstra(coded), WARP_LEVELS, axis=0))

    def __call__(self, coded_sp: np.ndarray) -> np.ndarray:
        """Standard-normal scores of cepstra 1..MATCH_DIMS of ``coded_sp``."""
        from scipy.special import ndtri

        x = np.asarray(coded_sp, np.float64)[:, 1 : MATCH_DIMS + 1]
        levels = np.empty_like(x)
        for d in range(x.shape[1]):
            levels[:, d] = np.interp(x[:, d], self.quantiles[:, d], WARP_LEVELS)
        return ndtri(levels)

    def onto(self, other: FeatureWarp, coded_sp: np.ndarray, dims: int = MATCH_DIMS) -> np.ndarray:
        """Cepstra 1..``dims`` of ``coded_sp`` (this speaker's) moved to where they stand in
        ``other``'s distribution: each cepstrum quantile-mapped, so a frame keeps its rank
        among its speaker's sounds and takes the other speaker's values."""
        x = np.asarray(coded_sp, np.float64)[:, 1 : dims + 1]
        moved = np.empty_like(x)
        for d in range(x.shape[1]):
            moved[:, d] = np.interp(x[:, d], self.quantiles[:, d], other.quantiles[:, d])
        return moved


def _context(x: np.ndarray) -> np.ndarray:
    padded = np.pad(x, ((CONTEXT_FRAMES, CONTEXT_FRAMES), (0, 0)), mode="edge")
    n = len(x)
    return np.concatenate([padded[k : k + n] for k in (0, CONTEXT_FRAMES, 2 * CONTEXT_FRAMES)], 1)


@dataclass
class TimbreBank:
    """The person's frames and the base-voice frames they were paired with."""

    sr: int
    base_voice: str
    #: Base-voice cepstral normalisation (mean, std) and the projection of match features.
    base_mean: np.ndarray
    base_std: np.ndarray
    projection: np.ndarray
    #: One row per paired base frame: projected match features and the person's frame index.
    keys: np.ndarray
    target_index: np.ndarray
    #: The person's frames (all of them, in recording order, so runs are contiguous).
    target_sp: np.ndarray
    target_ap: np.ndarray
    target_f0: np.ndarray
    #: Frame indexes where each recording starts (a run never crosses a recording).
    target_starts: np.ndarray
    #: Mean log F0 of base voice and person over voiced frames (speech pitch shift).
    base_log_f0: float
    target_log_f0: float
    #: The person's speaking pitch by Harvest (:mod:`yinse.voices.speaking_pitch`), measured
    #: when the bank is built; 0 in banks made before it was stored.
    speaking_hz: float = 0.0
    #: Phone units: every phone the base voice said in enrollment, with its label and its
    #: neighbours' (indexes into ``label_names``), the span of the person's frames aligned
    #: with it, its length in base frames, and its mean match feature.
    label_names: tuple[str, ...] = ()
    unit_label: np.ndarray | None = None
    unit_prev: np.ndarray | None = None
    unit_next: np.ndarray | None = None
    unit_start: np.ndarray | None = None
    unit_end: np.ndarray | None = None
    unit_base_frames: np.ndarray | None = None
    unit_feature: np.ndarray | None = None
    _label_ids: dict | None = None
    _faiss: object = None

    # ---------------------------------------------------------------- features
    def match_features(
        self, coded_sp: np.ndarray, voiced: np.ndarray, stats: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        """Projected features of frames, normalised by ``stats`` (mean, std) of the speaker
        who said them: the base voice's by default (conversion passes the input's)."""
        mean, std = stats if stats is not None else (self.base_mean, self.base_std)
        return self.project(normalised_cepstra(coded_sp, mean, std), voiced)

    def project(self, normalised: np.ndarray, voiced: np.ndarray) -> np.ndarray:
        """Match features of frames from their speaker-normalised cepstra: context frames,
        the bank's projection and the voicing."""
        x = _context(normalised)
        return np.c_[x @ self.projection, VOICING_WEIGHT * voiced.astype(np.float32)[:, None]]

    @property
    def pitch_shift_semitones(self) -> float:
        """The shift from the base voice's speech to the person's, as DIO reads both: a clone's
        speech is tracked by DIO too, so its octave errors cancel here."""
        return float(12 * (self.target_log_f0 - self.base_log_f0) / np.log(2))

    @property
    def typical_hz(self) -> float:
        """The person's speaking pitch: Harvest's when stored, else the peak of DIO's frames."""
        return self.speaking_hz or self.dio_typical_hz

    @cached_property
    def dio_typical_hz(self) -> float:
        """The peak of the person's DIO frames: what a clone's unit F0 is folded around
        (:meth:`speech_pitch`), since it has DIO's octave errors too."""
        return typical_pitch_hz(self.target_f0)

    # ---------------------------------------------------------------- mapping
    def select(self, coded_sp: np.ndarray, voiced: np.ndarray) -> np.ndarray:
        """The person's frame index to play for each base-voice frame, frame by frame (used
        where the base voice gave no phones)."""
        query = np.ascontiguousarray(self.match_features(coded_sp, voiced), dtype=np.float32)
        k = min(CANDIDATES, len(self.keys))
        squared, found = self._index().search(query, k)
        return self.best_path(squared, self.target_index[found], voiced)

    def best_path(self, squared: np.ndarray, cand: np.ndarray, voiced: np.ndarray) -> np.ndarray:
        """The person's frame for each frame, given kNN candidates (frame indexes) and their
        squared distances: match cost plus :meth:`_unfit`, then the Viterbi pass."""
        dist = np.sqrt(np.maximum(squared, 0.0))
        cost = dist / (np.median(dist) + 1e-9) + self._unfit(cand, voiced)
        return _viterbi(cost, cand, self._recording_of(cand))

    def _unfit(self, cand: np.ndarray, voiced: np.ndarray) -> np.ndarray:
        """Extra cost of the person's frames that cannot play a frame well, whatever their
        match: an unvoiced (noisy) frame where the voice sings or speaks a voiced sound, a
        voiced one in a voiceless consonant, and, for voiced sounds, a frame far below the
        person's full voice (a fading vowel end: its thin, dull spectrum held over a sung
        note was plain to see in the spectrogram of a clone's singing)."""
        frame_voiced = self.target_f0[cand] > 0
        mismatch = frame_voiced != voiced[:, None]
        level_db = 10 / np.log(10) * self.target_sp[cand, 0]
        weak_db = np.maximum(0.0, self.full_voice_db - level_db - WEAK_FRAME_DB)
        return VOICING_MISMATCH_COST * mismatch + (voiced[:, None] * weak_db / 10.0)

    @cached_property
    def full_voice_db(self) -> float:
        voiced = self.target_f0 > 0
        level = self.target_sp[voiced, 0] if voiced.any() else self.target_sp[:, 0]
        return float(np.percentile(10 / np.log(10) * level, 95))

    def _index(self):
        """Exact nearest-neighbour search over the keys (faiss: ~8x faster than numpy's
        matrix product + argpartition here, which took half of a clone's render time)."""
        if self._faiss is None:
            self._faiss = _flat_index(self.keys)
        return self._faiss

    @cached_property
    def own_index(self):
        """Exact nearest-neighbour search over the person's own frames, each warped by their
        distribution (:attr:`target_warp`) and projected: what a conversion's input is
        matched against.  Built once per loaded bank (0.3 s for 6 minutes of recordings),
        so a process that converts again (a Python program, the benchmark) does not pay it again."""
        return _flat_index(self.project(self.target_warp(self.target_sp), self.target_f0 > 0))

    def nearest_own(self, coded_sp: np.ndarray, voiced: np.ndarray, warp: FeatureWarp) -> np.ndarray:
        """The person's frame to play for each frame of another speaker (a conversion's
        input), matched by where each frame stands among its own speaker's sounds (``warp``:
        that speaker's :class:`FeatureWarp`), then the Viterbi pass."""
        query = np.ascontiguousarray(self.project(warp(coded_sp), voiced), dtype=np.float32)
        squared, cand = self.own_index.search(query, CANDIDATES)
        return self.best_path(squared, cand, voiced)

    def _recording_of(self, frames: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.target_starts, frames, side="right") - 1

    def convert(
        self,
        f0: np.ndarray,
        sp: np.ndarray,
        sr: int,
        *,
        phones: list[tuple[str, float, float]] | None = None,
        speech_times_s: np.ndarray | None = None,
        base_share: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Envelope and aperiodicity of the person for WORLD frames of the base voice
        (:meth:`choose`, then :meth:`play`)."""
        if sr != self.sr:
            raise ValueError(f"the bank is at {self.sr} Hz, the frames at {sr} Hz")
        coded = code_envelope(sp, sr)
        position, _ = self.choose(coded, np.asarray(f0) > 0, phones, speech_times_s)
        return self.play(position, coded, base_share)

    def choose(self, coded, voiced, phones=None, speech_times_s=None) -> tuple[np.ndarray, np.ndarray]:
        """The person's (fractional) frame to play for each coded frame of the base voice,
        and which frames a phone unit plays.

        ``phones`` are the base voice's phones (label, start_s, end_s) and
        ``speech_times_s`` the moment of its speech each frame shows (the singing engine's
        time map; plain speech passes the frame times).  Frames inside a phone the bank
        holds play a unit of that phone (:meth:`play_units`); the others fall back to
        frame-by-frame choice (:meth:`select`)."""
        position = np.full(len(coded), -1.0)
        if phones and speech_times_s is not None and self.unit_label is not None:
            position = self.play_units(coded, voiced, phones, np.asarray(speech_times_s))
        from_units = position >= 0
        if not from_units.all():
            position[~from_units] = self.select(coded[~from_units], voiced[~from_units])
        return position, from_units

    def play(
        self, position: np.ndarray, coded: np.ndarray, base_share: float = 0.0, level_share: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """WORLD envelope and aperiodicity of the person's frames at ``position``;
        ``base_share`` of the base voice's own envelope (``coded``, its cepstra
        1..SPEECH_BASE_DIMS), moved to the person's cepstral statistics, is mixed in (see
        :data:`SPEECH_BASE_SHARE`), and ``level_share`` of its level contour, moved to the
        person's level (:data:`SPEECH_LEVEL_SHARE`)."""
        from scipy.ndimage import uniform_filter1d

        env, aper = self.frames_at(position)
        if base_share:
            mean, std = self.target_stats
            moved = normalised_cepstra(coded, self.base_mean, self.base_std) * std + mean
            dims = slice(1, 1 + SPEECH_BASE_DIMS)
            env[:, dims] = (1 - base_share) * env[:, dims] + base_share * moved[:, :SPEECH_BASE_DIMS]
        if level_share:
            (base_mean, base_std), (mean, std) = level_stats(coded[:, 0]), self.target_level
            moved_level = (coded[:, 0] - base_mean) / base_std * std + mean
            env[:, 0] = (1 - level_share) * env[:, 0] + level_share * moved_level
        return decode(uniform_filter1d(env, SMOOTH_FRAMES, axis=0), aper, self.sr)

    def speech_pitch(self, f0: np.ndarray, position: np.ndarray, from_units: np.ndarray) -> np.ndarray:
        """F0 for a clone's speech: where the base voice and the unit playing a frame are
        both voiced, the person's own F0 in that unit (median over
        :data:`OWN_PITCH_SMOOTH_FRAMES` voiced frames, smoothing the joins); elsewhere
        the base voice's, moved to the person's pitch and then to the units'.  DIO reads weak and creaky frames an
        octave low (vctk_p225: 453 of 2500 unit frames 9–18 semitones under her typical
        pitch), so unit F0 outside :data:`OWN_PITCH_SPAN` around the typical pitch of the
        person's DIO frames is moved into it by whole octaves."""
        from scipy.ndimage import median_filter

        voiced = f0 > 0
        out = np.where(voiced, f0 * 2 ** (self.pitch_shift_semitones / 12), 0.0)
        if not voiced.any():
            return out
        own = self.target_f0[np.round(np.maximum(position, 0)).astype(np.int64)].astype(np.float64)
        use = voiced & from_units & (own > 0)
        semitones = 12 * np.log2(own[use] / self.dio_typical_hz)
        low, high = OWN_PITCH_SPAN
        semitones += 12 * (np.ceil(np.maximum(0.0, low - semitones) / 12) - np.ceil(np.maximum(0.0, semitones - high) / 12))
        own[use] = self.dio_typical_hz * 2 ** (semitones / 12)
        if use.sum() >= MIN_OWN_PITCH_FRAMES:
            # The other voiced frames keep the base voice's contour, at the units' pitch.
            out[voiced & ~use] *= np.exp(np.median(np.log(own[use] / out[use])))
        log_f0 = np.log(np.where(use, own, np.maximum(out, 1.0)))[voiced]
        smoothed = np.empty(len(out))
        smoothed[voiced] = median_filter(log_f0, OWN_PITCH_SMOOTH_FRAMES, mode="nearest")
        out[use] = np.exp(smoothed[use])
        return out

    @cached_property
    def target_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """The person's cepstral mean and spread (:func:`cepstral_stats`)."""
        return cepstral_stats([self.target_sp])

    @cached_property
    def target_warp(self) -> FeatureWarp:
        """The person's :class:`FeatureWarp` (a conversion matches their frames with it)."""
        return FeatureWarp.of([self.target_sp])

    @cached_property
    def target_level(self) -> tuple[float, float]:
        """The person's level (c0) mean and spread over their non-silent frames."""
        return level_stats(self.target_sp[:, 0])

    def frames_at(self, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coded envelope and aperiodicity of the person at fractional frame positions."""
        return frames_between(self.target_sp, self.target_ap, position)

    def play_units(self, coded, voiced, phones, times, stats=None) -> np.ndarray:
        """A fractional frame of the person's recordings for every frame inside a known
        phone, -1 elsewhere (``stats``: the speaker normalisation of ``coded``, the base
        voice's by default).

        Each phone the base voice says is played by one unit: the same phone cut from the
        person's recordings, chosen for the same neighbours, a similar length and a
        similar sound in the base voice's rendering, and for joining its neighbours'
        units smoothly (:meth:`_unit_path`); the frame's place within the phone maps
        linearly into the unit, so a sung vowel stretched over a long note moves slowly
        through a real vowel of the person (between frames, not repeating them).  Frame
        by frame choice alone picked the wrong phone often enough that pocketsphinx
        understood few of a clone's words (WER 0.8 against 0.28 for the base voice)."""
        ids = self._label_index()
        features = self.match_features(coded, voiced, stats)
        labels = [ids.get(label, -1) for label, _, _ in phones]
        slots, candidates, costs = [], [], []
        for k, (_, start, end) in enumerate(phones):
            rows = np.nonzero((times >= start) & (times < end))[0]
            if labels[k] < 0 or len(rows) == 0 or end <= start:
                continue
            prev = labels[k - 1] if k else ids.get("", -1)
            nxt = labels[k + 1] if k + 1 < len(phones) else ids.get("", -1)
            units, cost = self._unit_candidates(labels[k], prev, nxt, (end - start) / FRAME_S, features[rows].mean(0))
            if len(units):
                slots.append((rows, start, end))
                candidates.append(units)
                costs.append(cost)
        position = np.full(len(coded), -1.0)
        for (rows, start, end), unit in zip(slots, self._unit_path(candidates, costs)):
            place = np.clip((times[rows] - start) / (end - start), 0.0, 1.0)
            first, last = self.unit_start[unit], self.unit_end[unit] - 1
            position[rows] = first + place * (last - first)
        return position

    def _unit_candidates(
        self, label: int, prev: int, nxt: int, frames: float, feature: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The :data:`UNIT_CANDIDATES` best units of a phone and their costs: a neighbour of
        another label, the distance of their sound and their length ratio (median units)."""
        candidates = np.nonzero(self.unit_label == label)[0]
        if len(candidates) == 0:
            return candidates, np.zeros(0)
        context = (self.unit_prev[candidates] == prev).astype(float) + (self.unit_next[candidates] == nxt)
        distance = np.linalg.norm(self.unit_feature[candidates] - feature, axis=1)
        distance /= np.median(distance) + 1e-9
        length = np.abs(np.log(np.maximum(self.unit_base_frames[candidates], 1) / max(frames, 1.0)))
        cost = CONTEXT_WEIGHT * (2 - context) + distance + LENGTH_WEIGHT * length
        best = np.argsort(cost, kind="stable")[:UNIT_CANDIDATES]
        return candidates[best], cost[best]

    def _unit_path(self, candidates: list[np.ndarray], costs: list[np.ndarray]) -> list[int]:
        """The cheapest sequence of units (Viterbi): each unit's own cost plus, where it
        did not follow the previous unit in the same recording, :data:`JOIN_JUMP_COST` and
        :data:`JOIN_WEIGHT` × the envelope distance across the join (median units)."""
        if not candidates:
            return []
        envelope = self.target_sp[:, 1 : MATCH_DIMS + 1]
        recording = [self._recording_of(self.unit_start[units]) for units in candidates]
        joins = []
        for k in range(1, len(candidates)):
            before, after = candidates[k - 1], candidates[k]
            end = envelope[self.unit_end[before] - 1]
            start = envelope[self.unit_start[after]]
            distance = np.sqrt(((end[:, None, :] - start[None, :, :]) ** 2).sum(-1))
            follows = (after[None, :] == before[:, None] + 1) & (recording[k][None, :] == recording[k - 1][:, None])
            joins.append((distance, follows))
        scale = np.median(np.concatenate([d.ravel() for d, _ in joins])) + 1e-9 if joins else 1.0
        path = _cheapest_path(
            costs, (np.where(follows, 0.0, JOIN_JUMP_COST + JOIN_WEIGHT * d / scale) for d, follows in joins)
        )
        return [int(units[i]) for units, i in zip(candidates, path)]

    def _label_index(self) -> dict[str, int]:
        if self._label_ids is None:
            self._label_ids = {name: i for i, name in enumerate(self.label_names)}
        return self._label_ids

    # ---------------------------------------------------------------- storage
    def save(self, folder: Path) -> None:
        np.savez(
            folder / "bank.npz",
            base_mean=self.base_mean, base_std=self.base_std, projection=self.projection,
            keys=self.keys.astype(np.float16), target_index=self.target_index.astype(np.int32),
            target_sp=self.target_sp.astype(np.float16), target_ap=self.target_ap.astype(np.float16),
            target_f0=self.target_f0.astype(np.float32), target_starts=self.target_starts,
            **{f"unit_{k}": getattr(self, f"unit_{k}") for k in UNIT_FIELDS
               if getattr(self, f"unit_{k}") is not None},
        )  # fmt: skip
        meta = {"sr": self.sr, "base_voice": self.base_voice, "base_log_f0": self.base_log_f0,
                "target_log_f0": self.target_log_f0, "speaking_hz": self.speaking_hz,
                "labels": list(self.label_names), "format": 2}  # fmt: skip
        (folder / "bank.json").write_text(json.dumps(meta, indent=1))

    @staticmethod
    def read_meta(folder: Path) -> dict:
        """The bank's small facts (rate, base voice, pitches, phone labels) without its arrays."""
        return json.loads((folder / "bank.json").read_text())

    @classmethod
    def load(cls, folder: Path) -> TimbreBank:
        meta = cls.read_meta(folder)
        with np.load(folder / "bank.npz") as z:
            arrays = {k: z[k] for k in z.files}
        f32 = {k: arrays[k].astype(np.float32) for k in ("keys", "target_sp", "target_ap")}
        return cls(
            sr=int(meta["sr"]), base_voice=meta["base_voice"], base_mean=arrays["base_mean"],
            base_std=arrays["base_std"], projection=arrays["projection"], keys=f32["keys"],
            target_index=arrays["target_index"].astype(np.int64), target_sp=f32["target_sp"],
            target_ap=f32["target_ap"], target_f0=arrays["target_f0"],
            target_starts=arrays["target_starts"], base_log_f0=float(meta["base_log_f0"]),
            target_log_f0=float(meta["target_log_f0"]), speaking_hz=float(meta.get("speaking_hz", 0.0)),
            label_names=tuple(meta.get("labels", ())),
            **{f"unit_{k}": arrays.get(f"unit_{k}") for k in UNIT_FIELDS},
        )  # fmt: skip


def _flat_index(features: np.ndarray):
    """An exact (flat L2) faiss index over rows of features."""
    import faiss

    index = faiss.IndexFlatL2(features.shape[1])
    index.add(np.ascontiguousarray(features, dtype=np.float32))
    return index


def _viterbi(dist: np.ndarray, cand: np.ndarray, recording: np.ndarray) -> np.ndarray:
    """Cheapest path through the candidates: match distance plus :data:`JUMP_COST` for every
    step that is not 0–2 frames forward within one recording."""

    def jumps():
        for t in range(1, len(cand)):
            step = cand[t][None, :] - cand[t - 1][:, None]
            same = recording[t][None, :] == recording[t - 1][:, None]
            yield np.where(same & (step >= 0) & (step <= 2), 0.0, JUMP_COST)

    return cand[np.arange(len(cand)), _cheapest_path(dist, jumps())]


def _cheapest_path(costs, transitions) -> np.ndarray:
    """Viterbi: for each step, the index of the option that minimises the options' own
    ``costs`` (one array per step) plus the ``transitions`` between the options of
    consecutive steps (one matrix, previous × next, per step after the first)."""
    total = np.asarray(costs[0], np.float64)
    backs = []
    for cost, transition in zip(costs[1:], transitions):
        step = total[:, None] + transition
        backs.append(step.argmin(0))
        total = step.min(0) + cost
    path = np.empty(len(costs), np.int64)
    path[-1] = int(total.argmin())
    for t in range(len(costs) - 1, 0, -1):
        path[t - 1] = backs[t - 1][path[t]]
    return path


def build_bank(
    *,
    sr: int,
    base_voice: str,
    base: list[WorldFeatures],
    target: list[WorldFeatures],
    paths: list[np.ndarray],
    phones: list[list[tuple[str, float, float]]] | None = None,
    speaking_hz: float = 0.0,
) -> TimbreBank:
    """A bank from aligned pairs: ``paths[u]`` is the DTW path (base frame, target frame)
    of utterance ``u``; ``phones[u]`` the base voice's phones in it (label, start_s, end_s);
    ``speaking_hz`` the person's speaking pitch (:func:`~yinse.voices.speaking_pitch.speaking_pitch_hz`)."""
    base_mean, base_std = cepstral_stats([b.coded_sp for b in base])
    feats, index, firsts, contexts = [], [], [], []
    starts = np.cumsum([0] + [len(t.f0) for t in target])
    for u, (b, path) in enumerate(zip(base, paths)):
        x = _context(normalised_cepstra(b.coded_sp, base_mean, base_std))
        # The first target frame paired with each base frame; every second base frame is
        # enough (10 ms) for keys, the target keeps all its frames for contiguous runs.
        first = np.full(len(b.f0), -1)
        for i, j in path[::-1]:
            first[i] = j
        keep = np.arange(0, len(b.f0), 2)
        keep = keep[first[keep] >= 0]
        feats.append(np.c_[x[keep], (b.f0[keep] > 0).astype(np.float32)])
        index.append(starts[u] + first[keep])
        firsts.append(np.maximum.accumulate(np.where(first >= 0, first, 0)) + starts[u])
        contexts.append(np.c_[x, (b.f0 > 0).astype(np.float32)])
    allx = np.concatenate(feats)
    ctx = allx[:, :-1]
    centred = ctx - ctx.mean(0)
    _, _, vt = np.linalg.svd(centred[:: max(1, len(centred) // 20000)], full_matrices=False)
    projection = vt[:PROJECTED_DIMS].T.astype(np.float32)
    keys = np.c_[ctx @ projection, VOICING_WEIGHT * allx[:, -1:]].astype(np.float32)
    tf0 = np.concatenate([t.f0 for t in target])
    bf0 = np.concatenate([b.f0 for b in base])
    units = _units(phones, firsts, [c[:, :-1] @ projection for c in contexts],
                   [c[:, -1] for c in contexts]) if phones is not None else {}  # fmt: skip
    return TimbreBank(
        sr=sr, base_voice=base_voice, base_mean=base_mean.astype(np.float32),
        base_std=base_std.astype(np.float32), projection=projection, keys=keys,
        target_index=np.concatenate(index).astype(np.int64),
        target_sp=np.concatenate([t.coded_sp for t in target]),
        target_ap=np.concatenate([t.coded_ap for t in target]), target_f0=tf0,
        target_starts=starts[:-1].astype(np.int64),
        base_log_f0=float(np.log(bf0[bf0 > 0]).mean()), target_log_f0=float(np.log(tf0[tf0 > 0]).mean()),
        speaking_hz=speaking_hz, **units,
    )  # fmt: skip


def _units(phones, firsts, projected, voiced) -> dict:
    """The phone units of a bank (see :meth:`TimbreBank.play_units`)."""
    names = sorted({label for utterance in phones for label, _, _ in utterance} | {""})
    ids = {name: i for i, name in enumerate(names)}
    rows = []
    for spans, first, proj, v in zip(phones, firsts, projected, voiced):
        feature = np.c_[proj, VOICING_WEIGHT * v[:, None]]
        for k, (label, start, end) in enumerate(spans):
            a = int(round(start / FRAME_S))
            b = min(len(first), max(a + 1, int(round(end / FRAME_S))))
            if a >= len(first):
                continue
            t0, t1 = int(first[a]), int(first[b - 1]) + 1
            prev = ids[spans[k - 1][0]] if k else ids[""]
            nxt = ids[spans[k + 1][0]] if k + 1 < len(spans) else ids[""]
            rows.append((ids[label], prev, nxt, t0, max(t1, t0 + 1), b - a, feature[a:b].mean(0)))
    if not rows:
        return {}
    return {
        "label_names": tuple(names),
        "unit_label": np.array([r[0] for r in rows], np.int32),
        "unit_prev": np.array([r[1] for r in rows], np.int32),
        "unit_next": np.array([r[2] for r in rows], np.int32),
        "unit_start": np.array([r[3] for r in rows], np.int64),
        "unit_end": np.array([r[4] for r in rows], np.int64),
        "unit_base_frames": np.array([r[5] for r in rows], np.int32),
        "unit_feature": np.stack([r[6] for r in rows]).astype(np.float32),
    }
