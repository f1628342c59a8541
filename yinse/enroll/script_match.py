"""A reading of the guided script, cut at pauses, matched to the script's lines by content.

A person reading the script in one take pauses inside a line now and then (at a comma, to
breathe), skips a line, or slips and reads a line again.  Counting pieces against lines
breaks on any of these.  Here each run of one to three consecutive pieces is aligned with
the base voice saying each nearby line (the enrollment aligner's banded DTW over
speaker-normalised cepstra, :func:`.align.align`), and a dynamic programme over pieces and
lines, both in reading order, picks the cheapest account of the whole reading: runs of
pieces matched to lines, one piece holding two lines said without a pause (cut where the
alignment puts the boundary), a line read again (kept as a retake), pieces that match no
line (a cough, a false start) and lines not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.errors import InputError
from .align import align, speech_frames

#: Pieces one line may be spread over (a line said with two pauses inside it).
MAX_PIECES_PER_LINE = 3
#: How far (in lines) from where the first pass puts a piece runs of pieces are tried.
LINE_WINDOW = 6
#: Cost per frame of leaving a piece unmatched: between the cost of a sentence aligned with
#: its own line (median 1.48 for cathy, 1.36 for magicdata_f; 90th percentile 1.60 / 1.49)
#: and with another line (1st percentile 1.64 / 1.70); benchmarks/bench_one_take.py.
SKIP_COST = 1.7
#: How long a run of pieces may be, as a share of the base voice saying the line (speech
#: only): real readings of a sentence take 0.64–1.52 of joe's or baker's time (cathy,
#: magicdata_f, 40 sentences each; one short line of cathy's 2.06 in a take, with its
#: breaths); a false start, about 0.4, is not a reading of the line.
SPEECH_SHARE = (0.55, 2.5)
#: A run of pieces matched to a line when one of the two lines before it was read may cost
#: this much more per frame: a reading goes line by line, and pieces of another language or
#: text matched to lines at random seldom do.
IN_ORDER_ALLOWANCE = 0.15
#: One piece reading two lines (said without a pause between them) costs this much more
#: (about 0.2 per frame of a 3 s piece): one line warps onto two lines' speech more cheaply
#: than onto its own, so the cut must fit clearly better (with 5, a line and its neighbour
#: were taken for two lines and the neighbour dropped).
TWO_LINES_COST = 30.0
#: A line read a second time is kept as a retake; the small extra cost prefers one reading
#: per line where the costs are otherwise equal.
RETAKE_COST = 5.0
#: Matching frames are 20 ms (the bank's are 5 ms): on the benchmark's readings no less
#: accurate than 10 ms, and three times faster.  At 16 kHz, of a power spectrum smoothed over 300 Hz.
HOP_S = 0.020
MATCH_SR = 16000
SMOOTH_HZ = 300.0


@dataclass(frozen=True)
class LineMatch:
    #: Indexes of the consecutive pieces that read the line.
    pieces: tuple[int, ...]
    line: int
    #: Aligned cost per frame (lower is closer).
    cost: float
    #: The part of the joined pieces (seconds from their start) that reads the line, where
    #: one piece reads two lines said without a pause between them; None: all of it.
    within_s: tuple[float, float] | None = None


def matching_cepstra(audio: np.ndarray, sr: int) -> np.ndarray:
    """Coded cepstra (frames x dims, c0 first) every :data:`HOP_S` of the power spectrum
    smoothed over 300 Hz (wider than a harmonic spacing, so pitch leaves it), resampled to
    16 kHz: the coding warps frequency by the sampling rate, so both sides must share one.
    The same coding as the bank's WORLD envelopes without F0 analysis: seven times cheaper,
    and as good at telling lines apart (own line cheapest of 30 for 97 % of cathy's and of
    magicdata_f's sentences at 10 ms, against 100 and 97 % with WORLD; docs/BENCHMARKS.md)."""
    import pyworld

    from ..core.audio import resample
    from ..voices.timbre import CODED_DIMS

    x = resample(np.asarray(audio, np.float32), sr, MATCH_SR).astype(np.float64)
    n_fft = pyworld.get_cheaptrick_fft_size(MATCH_SR)
    hop = int(round(HOP_S * MATCH_SR))
    x = np.pad(x, (n_fft // 2, n_fft // 2))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    power = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)) ** 2 / n_fft
    width = int(round(SMOOTH_HZ * n_fft / MATCH_SR))
    kernel = np.bartlett(2 * width + 1)
    power = np.apply_along_axis(np.convolve, 1, power, kernel / kernel.sum(), "same") + 1e-12
    return pyworld.code_spectral_envelope(np.ascontiguousarray(power), MATCH_SR, CODED_DIMS)


def match_reading(pieces: Sequence[np.ndarray], lines: Sequence[np.ndarray]) -> list[LineMatch]:
    """The reading's pieces matched to the script's lines, both given as
    :func:`matching_cepstra` in reading order.  Pieces left out of every match read no line.

    Two passes: every piece alone against every line, at half the frame rate, gives a
    first account of where the reading is (it may cover part of the script, at any pace);
    runs of pieces are then tried at the full rate only near that account
    (:data:`LINE_WINDOW`)."""
    from ..voices.timbre import cepstral_stats

    if not pieces or not lines:
        return []
    stats = {"target_stats": cepstral_stats(list(pieces)), "base_stats": cepstral_stats(list(lines))}
    coarse = _AlignedCost([p[::2] for p in pieces], [x[::2] for x in lines], stats)
    first = _best_account(pieces, lines, coarse, [range(len(lines))] * len(pieces), max_run=1)
    if not first:
        return []
    at = np.interp(np.arange(len(pieces)), [m.pieces[0] for m in first], [m.line for m in first])
    near = [range(max(0, int(k) - LINE_WINDOW), min(len(lines), int(k) + LINE_WINDOW + 1)) for k in at]
    fine = _AlignedCost(pieces, lines, stats)
    return _best_account(pieces, lines, fine, near, max_run=MAX_PIECES_PER_LINE, two_lines=True)


class _AlignedCost:
    """cost(i, s, k, m): pieces i..i+s-1 joined, aligned with lines k..k+m-1 joined
    (memoised); infinite where their lengths cannot match (:data:`SPEECH_SHARE`)."""

    def __init__(self, pieces: Sequence[np.ndarray], lines: Sequence[np.ndarray], stats: dict):
        self.pieces, self.lines, self.stats = pieces, lines, stats
        self.spoken = [_speech_length(x) for x in lines]
        self.runs: dict[tuple[int, int], tuple[np.ndarray, int]] = {}
        self.costs: dict[tuple[int, int, int, int], float] = {}

    def run(self, i: int, s: int) -> tuple[np.ndarray, int]:
        """Pieces i..i+s-1 joined, and their speech length in frames."""
        if (i, s) not in self.runs:
            joined = np.concatenate(self.pieces[i : i + s])
            self.runs[i, s] = joined, _speech_length(joined)
        return self.runs[i, s]

    def __call__(self, i: int, s: int, k: int, m: int = 1) -> float:
        key = (i, s, k, m)
        if key not in self.costs:
            share = self.run(i, s)[1] / max(sum(self.spoken[k : k + m]), 1)
            fits = SPEECH_SHARE[0] <= share <= SPEECH_SHARE[1]
            self.costs[key] = self.alignment(i, s, k, m).cost if fits else np.inf
        return self.costs[key]

    def alignment(self, i: int, s: int, k: int, m: int):
        return align(np.concatenate(self.lines[k : k + m]), self.run(i, s)[0], **self.stats)

    def cut_s(self, i: int, k: int) -> float:
        """Where in piece ``i``, read as lines k and k+1, line k+1 begins: the base voice's
        boundary mapped through the alignment, moved to the quietest frame within 0.3 s."""
        path = self.alignment(i, 1, k, 2).path
        at = int(path[min(np.searchsorted(path[:, 0], len(self.lines[k])), len(path) - 1), 1])
        reach = int(round(0.3 / HOP_S))
        level = self.pieces[i][:, 0]
        lo, hi = max(1, at - reach), min(len(level) - 1, at + reach + 1)
        return float((lo + int(np.argmin(level[lo:hi]))) * HOP_S)


def _speech_length(cepstra: np.ndarray) -> int:
    first, last = speech_frames(cepstra)
    return last - first


def _best_account(pieces, lines, cost, candidates, *, max_run: int, two_lines: bool = False) -> list[LineMatch]:
    """Dynamic programme over (pieces consumed, lines passed, how recently a line was read:
    0 not lately, 1 the last line passed, 2 the one before it): a run of up to ``max_run``
    pieces reads the next line (allowed :data:`IN_ORDER_ALLOWANCE` more per frame when one
    of the two lines before it was read), or the last line again (a retake); a piece reads
    no line; a line is not read; with ``two_lines``, one piece reads the next two lines
    (said without a pause between them).  ``candidates[i]``: the lines piece ``i`` may start
    a run of."""
    n_p, n_l = len(pieces), len(lines)
    frames = np.array([len(p) for p in pieces], float)
    allowed = [set(c) for c in candidates]
    best = np.full((n_p + 1, n_l + 1, 3), np.inf)
    best[0, 0, 0] = 0.0
    step: dict[tuple[int, int, int], tuple] = {}

    def relax(to: tuple[int, int, int], value: float, how: tuple) -> None:
        if value < best[to]:
            best[to] = value
            step[to] = how

    for i in range(n_p + 1):
        for k in range(n_l + 1):
            for recent in (0, 1, 2):
                here = best[i, k, recent]
                if not np.isfinite(here):
                    continue
                at = (i, k, recent)
                if k < n_l:  # free: a cost would reward matching a piece to any line
                    relax((i, k + 1, 2 if recent == 1 else 0), here, ("line skipped", at))
                if i == n_p:
                    continue
                relax((i + 1, k, recent), here + SKIP_COST * frames[i], ("piece skipped", at))
                for s in range(1, min(max_run, n_p - i) + 1):
                    n = frames[i : i + s].sum()
                    if k < n_l and k in allowed[i]:
                        value = (cost(i, s, k) - IN_ORDER_ALLOWANCE * bool(recent)) * n
                        relax((i + s, k + 1, 1), here + value, ("read", at, s, k))
                    if k > 0 and recent == 1 and k - 1 in allowed[i]:
                        value = cost(i, s, k - 1) * n + RETAKE_COST
                        relax((i + s, k, 1), here + value, ("read", at, s, k - 1))
                if two_lines and k + 1 < n_l and k in allowed[i]:
                    value = (cost(i, 1, k, 2) - IN_ORDER_ALLOWANCE * bool(recent)) * frames[i]
                    relax((i + 1, k + 2, 1), here + value + TWO_LINES_COST, ("two lines", at, 1, k))
    matches: list[LineMatch] = []
    at = min(((n_p, n_l, r) for r in (0, 1, 2)), key=lambda state: best[state])
    while at != (0, 0, 0):
        how = step[at]
        if how[0] == "read":
            i0, s, line = how[1][0], how[2], how[3]
            matches.append(LineMatch(tuple(range(i0, i0 + s)), line, cost(i0, s, line)))
        elif how[0] == "two lines":
            i0, line = how[1][0], how[3]
            cut, end, both = cost.cut_s(i0, line), len(pieces[i0]) * HOP_S, cost(i0, 1, line, 2)
            matches.append(LineMatch((i0,), line + 1, both, within_s=(cut, end)))
            matches.append(LineMatch((i0,), line, both, within_s=(0.0, cut)))
        at = how[1]
    return matches[::-1]


def check_reading(matches: Sequence[LineMatch], n_pieces: int, language: str) -> None:
    """Refuse a reading that is not of this script: fewer than half its pieces matched a
    line (a reading of part of the script is fine)."""
    matched = len({i for m in matches for i in m.pieces})
    if matched < n_pieces / 2:
        raise InputError(
            f"the recordings without transcripts do not read the {language} script: only "
            f"{matched} of their {n_pieces} pieces matched one of its lines; read the script "
            "printed by `yinse voice script`, name each file by its line id (e.g. "
            f"{language}-007.wav), or give --transcripts"
        )
