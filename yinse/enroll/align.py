"""Text-to-audio alignment with no acoustic model (the aeneas method).

A base voice says the known text; both its speech and the recording become
speaker-normalised mel-cepstra (each speaker's own mean and spread removed), and dynamic time
warping pairs their frames.  The pairing is what the timbre bank is built from, it maps the
base voice's known syllable boundaries onto the recording, and its cost tells whether the
recording says the text at all: the right text aligns more cheaply than other texts
(:func:`text_match`), whoever the speaker is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..voices.timbre import FRAME_S, normalised_cepstra

BAND_FRACTION = 0.35
#: Cepstra 1..ALIGN_DIMS describe a frame for alignment: the low orders carry the phones,
#: the higher ones more of the speaker.  benchmarks/bench_alignment.py (docs/BENCHMARKS.md):
#: 8 orders against 12 — boundary error median 39 vs 40 ms (en), 45 vs 69 ms (zh), 70 vs
#: 135 ms on real singing; own sentence cheapest of 40 for 100 % vs 87.5 % of cathy's
#: recordings; 24 orders: 50 %.
ALIGN_DIMS = 8
#: Added cost of a step that holds one side still: without it a warp can pair any sentence
#: with any other almost as cheaply (measured: right sentence cheapest for 97 % with 0.5,
#: 63 % with 4.0, and no better than chance with 0).
HOLD_PENALTY = 0.5


@dataclass(frozen=True)
class Alignment:
    #: (base frame, target frame) pairs from start to end, both increasing.
    path: np.ndarray
    #: Mean frame distance along the path (normalised cepstra, so comparable across speakers).
    cost: float

    def target_time_s(self, base_time_s: float) -> float:
        """Where a moment of the base voice's speech lies in the recording."""
        frame = int(round(base_time_s / FRAME_S))
        frames = self.path[:, 0]
        k = int(np.clip(np.searchsorted(frames, frame), 0, len(frames) - 1))
        return float(self.path[k, 1] * FRAME_S)


def speech_frames(coded_sp: np.ndarray) -> tuple[int, int]:
    """First and last frame of speech (level within 35 dB of the loudest frames): leading and
    trailing silence would otherwise be warped onto the first and last phones.  Cepstrum c0
    is the frame's mean log power, so 35 dB is 3.5 ln 10 in its units."""
    level = coded_sp[:, 0]
    loud = np.nonzero(level > np.percentile(level, 98) - 3.5 * np.log(10))[0]
    if len(loud) == 0:
        return 0, len(level)
    return int(loud[0]), int(loud[-1]) + 1


def align(
    base_sp: np.ndarray,
    target_sp: np.ndarray,
    *,
    base_stats: tuple[np.ndarray, np.ndarray],
    target_stats: tuple[np.ndarray, np.ndarray],
) -> Alignment:
    """DTW between two coded envelopes (frames x cepstra), each normalised by its speaker's
    statistics, within a band around the diagonal."""
    from ..core.librosa_import import import_librosa

    librosa = import_librosa()

    b0, b1 = speech_frames(base_sp)
    t0, t1 = speech_frames(target_sp)
    x = normalised_cepstra(base_sp[b0:b1], *base_stats)[:, :ALIGN_DIMS]
    y = normalised_cepstra(target_sp[t0:t1], *target_stats)[:, :ALIGN_DIMS]
    band = max(BAND_FRACTION, abs(len(x) - len(y)) / max(len(x), len(y)) + 0.1)
    acc, path = librosa.sequence.dtw(
        X=x.T, Y=y.T, metric="euclidean", backtrack=True, global_constraints=True,
        band_rad=min(1.0, band), step_sizes_sigma=np.array([[1, 1], [0, 1], [1, 0]]),
        weights_add=np.array([0.0, HOLD_PENALTY, HOLD_PENALTY]), weights_mul=np.ones(3),
    )  # fmt: skip
    path = path[::-1] + np.array([b0, t0])
    cost = float(acc[-1, -1] / (len(x) + len(y)))
    if not np.isfinite(cost):
        cost = float("inf")
    return Alignment(path=np.ascontiguousarray(path), cost=cost)


@dataclass(frozen=True)
class TextMatch:
    """How a recording aligns with its text compared with other texts.

    ``score`` is how many spreads (standard deviations) of the other texts' costs the right
    text's cost lies below their mean: a recording of the text scores high, a recording of
    something else scores around zero, whoever speaks."""

    cost: float
    decoy_costs: tuple[float, ...]
    score: float


def text_match(
    target_sp: np.ndarray,
    target_stats: tuple[np.ndarray, np.ndarray],
    expected_sp: np.ndarray,
    decoys_sp: Sequence[np.ndarray],
    base_stats: tuple[np.ndarray, np.ndarray],
) -> TextMatch:
    kw = {"base_stats": base_stats, "target_stats": target_stats}
    cost = align(expected_sp, target_sp, **kw).cost
    decoys = tuple(align(d, target_sp, **kw).cost for d in decoys_sp)
    spread = float(np.std(decoys)) if len(decoys) > 1 else 1.0
    score = (float(np.mean(decoys)) - cost) / max(spread, 1e-6)
    return TextMatch(cost=cost, decoy_costs=decoys, score=score)
