"""A reading cut at pauses, matched to the lines it reads by content: the guided script read
in one take, or a long recording transcribed as one passage (its sentences the lines).

A person reading the script in one take pauses inside a line now and then (at a comma, to
breathe), skips a line, or slips and reads a line again.  Counting pieces against lines
breaks on any of these.  Here each run of one to three consecutive pieces is aligned with
the base voice saying each nearby line (the enrollment aligner's banded DTW over
speaker-normalised cepstra, :func:`.align.align`), and a dynamic programme over pieces and
lines, both in reading order, picks the cheapest account of the whole reading: runs of
pieces matched to lines, one piece holding several lines said without a pause (cut where the
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
#: How far (in lines) from where the first pass puts a piece runs of pieces are tried, and
#: runs of pieces that hold several lines (these cost most of the time: ±4 matched cathy's
#: readings as ±6 did in three quarters of the time; ±2 lost 4 lines of a quick reading).
LINE_WINDOW = 6
SEVERAL_LINES_WINDOW = 4
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
#: One piece reading several lines (said without a pause between them) costs this much more
#: per line after the first (about 0.2 per frame of a 3 s piece): one line warps onto two
#: lines' speech more cheaply than onto its own, so the cut must fit clearly better (with 5,
#: a line and its neighbour were taken for two lines and the neighbour dropped).
EXTRA_LINE_COST = 30.0
#: Lines one piece may hold: a reader who pauses less than :data:`~.recordings.SPLIT_PAUSE_S`
#: between sentences makes pieces of several (four, 12 s, in a simulated passage of cathy's
#: with pauses of 0.3–0.9 s, which the rule for two lines matched to two of them).
MAX_LINES_PER_PIECE = 4
#: (pieces, lines) a run of pieces may hold when it holds several lines: a long piece cut
#: again at a short pause inside a line (:data:`~.recordings.SHORT_PAUSE_S`) leaves that
#: line's end at the start of the next piece, so two pieces together hold whole lines.  These
#: runs take about half the matching time (two to three times what it was without them;
#: trying them only where the first piece is shorter than its line saved a third of it and
#: lost a line of cathy's quick reading).
SEVERAL_LINES = [(s, m) for s in (1, 2) for m in range(2, MAX_LINES_PER_PIECE + 1)]
#: A line read a second time is kept as a retake; the small extra cost prefers one reading
#: per line where the costs are otherwise equal.
RETAKE_COST = 5.0
#: Of two readings of one line, one costing this much more per frame than the other is not
#: a retake but something else matched to the line for want of better (a sentence that is not
#: in the script, a long false start), and is left out.  Genuine readings of a line cost
#: 1.33–1.72 (cathy, 20 sentences, median 1.48); a sentence not in the script matched to a
#: line before it was read, 1.66–1.67.
RETAKE_MARGIN = 0.12
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
    #: one piece reads several lines said without a pause between them; None: all of it.
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
    at = np.interp(np.arange(len(pieces)), [m.pieces[0] for m in first], [m.line for m in first]).astype(int)

    def near(width: int) -> list[range]:
        return [range(max(0, k - width), min(len(lines), k + width + 1)) for k in at]

    fine = _AlignedCost(pieces, lines, stats)
    matches = _best_account(pieces, lines, fine, near(LINE_WINDOW), max_run=MAX_PIECES_PER_LINE,
                            several_lines=near(SEVERAL_LINES_WINDOW))  # fmt: skip
    best = {}
    for m in matches:
        best[m.line] = min(best.get(m.line, np.inf), m.cost)
    return [m for m in matches if m.cost <= best[m.line] + RETAKE_MARGIN]


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

    def cuts_s(self, i: int, s: int, k: int, m: int) -> list[float]:
        """Where in pieces i..i+s-1 joined, read as lines k..k+m-1, each line after the
        first begins: the base voice's boundaries mapped through the alignment, each moved
        to the quietest frame within 0.3 s."""
        path = self.alignment(i, s, k, m).path
        reach = int(round(0.3 / HOP_S))
        level = self.run(i, s)[0][:, 0]
        cuts, boundary = [], 0
        for line in self.lines[k : k + m - 1]:
            boundary += len(line)
            at = int(path[min(np.searchsorted(path[:, 0], boundary), len(path) - 1), 1])
            lo, hi = max(1, at - reach), min(len(level) - 1, at + reach + 1)
            cuts.append(float((lo + int(np.argmin(level[lo:hi]))) * HOP_S))
        return cuts


def _speech_length(cepstra: np.ndarray) -> int:
    first, last = speech_frames(cepstra)
    return last - first


def _best_account(pieces, lines, cost, candidates, *, max_run: int, several_lines=None) -> list[LineMatch]:
    """Dynamic programme over (pieces consumed, lines passed, how recently a line was read:
    0 not lately, 1 the last line passed, 2 the one before it): a run of up to ``max_run``
    pieces reads the next line (allowed :data:`IN_ORDER_ALLOWANCE` more per frame when one
    of the two lines before it was read), or the last line again (a retake); a piece reads
    no line; a line is not read; one or two pieces read the next two to
    :data:`MAX_LINES_PER_PIECE` lines (said without a pause between them).
    ``candidates[i]``: the lines piece ``i`` may start a run of; ``several_lines[i]``: those
    it may start a run of several lines at (none without it)."""
    n_p, n_l = len(pieces), len(lines)
    frames = np.array([len(p) for p in pieces], float)
    allowed = [set(c) for c in candidates]
    several = [set(c) for c in several_lines] if several_lines is not None else [set()] * n_p
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
                for s, m in SEVERAL_LINES if k in several[i] else ():
                    if k + m <= n_l and i + s <= n_p:
                        n = frames[i : i + s].sum()
                        value = (cost(i, s, k, m) - IN_ORDER_ALLOWANCE * bool(recent)) * n + (m - 1) * EXTRA_LINE_COST
                        relax((i + s, k + m, 1), here + value, ("lines", at, s, m, k))
    matches: list[LineMatch] = []
    at = min(((n_p, n_l, r) for r in (0, 1, 2)), key=lambda state: best[state])
    while at != (0, 0, 0):
        how = step[at]
        if how[0] == "read":
            i0, s, line = how[1][0], how[2], how[3]
            matches.append(LineMatch(tuple(range(i0, i0 + s)), line, cost(i0, s, line)))
        elif how[0] == "lines":
            i0, s, m, line = how[1][0], how[2], how[3], how[4]
            run = tuple(range(i0, i0 + s))
            edges = [0.0, *cost.cuts_s(i0, s, line, m), len(cost.run(i0, s)[0]) * HOP_S]
            together = cost(i0, s, line, m)
            for j in reversed(range(m)):
                matches.append(LineMatch(run, line + j, together, within_s=(edges[j], edges[j + 1])))
        at = how[1]
    return matches[::-1]


def check_reading(matches: Sequence[LineMatch], n_pieces: int, reading: str, advice: str) -> None:
    """Refuse a reading that is not of these lines: fewer than half its pieces matched one
    (a reading of part of them is fine).  ``reading`` says what does not read what (the
    message's start), ``advice`` what to do."""
    matched = len({i for m in matches for i in m.pieces})
    if matched < n_pieces / 2:
        raise InputError(f"{reading}: only {matched} of {n_pieces} pieces matched one of its lines; {advice}")
