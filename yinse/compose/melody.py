"""The vocal line, one lyric line at a time: a rhythm for the syllables, then pitches.

Rhythm: a line fills two bars (four when it is long) of 4/4 on a sixteenth grid.  It may
start after the downbeat, ends on a long note and leaves at least a quarter's rest to
breathe.  Syllables get eighths, lengthened at random (English stressed syllables first);
sixteenths only when a line is dense.  Candidates are scored for English stress on strong
beats and a last note on a beat.

Pitches: seeded candidates walk the key's scale (or the pentatonic) in small steps along
an arch, land on chord tones on strong beats, may reuse the previous line's intervals (a
motif, varied), and end on a stable chord tone.  Each candidate is scored — tone–melody fit
for Mandarin, chord tones on strong beats, smooth steps, staying near the register, motif
kinship — and the best is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .harmony import PENTATONIC, Chord, Key
from .sheet import SungSyllable
from .tonefit import tone_fit

UNITS_PER_BEAT = 4  # sixteenths
UNITS_PER_BAR = 16
#: Syllables in a line beyond which it takes four bars instead of two.
TWO_BAR_MAX_SYLLABLES = 13
RHYTHM_CANDIDATES = 24
MELODY_CANDIDATES = 64


@dataclass(frozen=True)
class LineRhythm:
    """Onsets and lengths (sixteenths from the line's first bar) of a line's syllables."""

    n_bars: int
    onsets: tuple[int, ...]
    lengths: tuple[int, ...]


@dataclass(frozen=True)
class LineScore:
    total: float
    tone_fit: float | None
    chord_tones: float  # share of strong-beat notes that are chord tones


def bars_for(n_syllables: int) -> int:
    return 2 if n_syllables <= TWO_BAR_MAX_SYLLABLES else 4


def _strength(unit: int) -> int:
    """Metric weight of a sixteenth position in 4/4: downbeat 4, beat 3 → 3, other beats 2,
    eighths 1, sixteenths 0."""
    u = unit % UNITS_PER_BAR
    return 4 if u == 0 else 3 if u == 8 else 2 if u % 4 == 0 else 1 if u % 2 == 0 else 0


def line_rhythm(
    syllables: Sequence[SungSyllable], rng: np.random.Generator, *, n_bars: int | None = None
) -> LineRhythm:
    n = len(syllables)
    n_bars = n_bars or bars_for(n)
    total = n_bars * UNITS_PER_BAR
    best: tuple[float, LineRhythm] | None = None
    for _ in range(RHYTHM_CANDIDATES):
        rhythm = _one_rhythm(syllables, total, rng, n_bars)
        score = _rhythm_score(syllables, rhythm) + rng.uniform(0, 0.3)
        if best is None or score > best[0]:
            best = (score, rhythm)
    assert best is not None
    return best[1]


def _one_rhythm(syllables: Sequence[SungSyllable], total: int, rng: np.random.Generator,
                n_bars: int) -> LineRhythm:  # fmt: skip
    n = len(syllables)
    middle = n - 1
    start = int(rng.choice([0, 0, 0, 2, 4])) if 2 * n + 12 <= total else 0
    last = int(rng.choice([4, 6, 8])) if 2 * n + 16 <= total else 4
    rest = 4
    room = total - start - last - rest
    if middle * 2 > room:  # dense: sixteenths, shorter last note and breath
        last, rest = 2, 2
        room = total - start - last - rest
    base = 2 if middle * 2 <= room else 1
    lengths = [base] * middle
    extra = room - base * middle
    weights = np.array([1.0 + 1.5 * (s.stress == 1) for s in syllables[:middle]]) if middle else None
    while extra > 0 and middle:
        open_ = [i for i in range(middle) if lengths[i] < 8]
        if not open_:
            break
        w = weights[open_] / weights[open_].sum()
        i = int(rng.choice(open_, p=w))
        step = 2 if extra >= 2 and lengths[i] % 2 == 0 else 1
        lengths[i] += step
        extra -= step
    last += extra  # what the middle could not take
    onsets, t = [], start
    for length in lengths:
        onsets.append(t)
        t += length
    onsets.append(t)
    return LineRhythm(n_bars, tuple(onsets), tuple(lengths) + (last,))


def _rhythm_score(syllables: Sequence[SungSyllable], rhythm: LineRhythm) -> float:
    score = 0.0
    for syl, onset, length in zip(syllables, rhythm.onsets, rhythm.lengths):
        strength = _strength(onset)
        if syl.stress == 1:
            score += 0.5 * strength
        elif syl.stress == 0 and syl.syllabic in ("middle", "end"):
            score -= 0.4 * max(0, strength - 1) + 0.1 * max(0, length - 4)
    score += 1.0 if rhythm.onsets[-1] % UNITS_PER_BEAT == 0 else -1.0
    score += 0.5 * len(set(rhythm.lengths[:-1]))  # some variety
    odd = sum(o % 2 for o in rhythm.onsets)
    return score - 0.3 * odd


# --------------------------------------------------------------------------- pitches
def pitch_grid(key: Key, low: int, high: int, *, pentatonic: bool) -> list[int]:
    pcs = {(key.tonic_pc + i) % 12 for i in PENTATONIC} if pentatonic else set(key.scale_pcs)
    return [p for p in range(low, high + 1) if p % 12 in pcs]


def line_melody(
    syllables: Sequence[SungSyllable],
    rhythm: LineRhythm,
    *,
    chord_at: Callable[[int], Chord],
    key: Key,
    grid: Sequence[int],
    centre: float,
    rng: np.random.Generator,
    previous: float | None = None,
    motif: Sequence[int] | None = None,
    closing: bool = False,
) -> tuple[list[int], LineScore]:
    """Pitches for a line; ``chord_at(unit)`` gives the chord sounding at a sixteenth of
    the line; ``motif`` is an earlier line's steps on the grid; ``closing`` ends the line on
    the tonic (the end of a chorus or the song)."""
    best: tuple[LineScore, list[int]] | None = None
    for _ in range(MELODY_CANDIDATES):
        pitches = _one_melody(syllables, rhythm, chord_at, key, grid, centre, rng,
                              previous, motif, closing)  # fmt: skip
        score = score_line(syllables, rhythm, pitches, chord_at=chord_at, centre=centre,
                           motif=motif, grid=grid)  # fmt: skip
        if best is None or score.total > best[0].total:
            best = (score, pitches)
    assert best is not None
    return best[1], best[0]


def _nearest(grid: Sequence[int], pitch: float) -> int:
    return int(np.argmin([abs(g - pitch) for g in grid]))


def _one_melody(syllables, rhythm, chord_at, key, grid, centre, rng, previous, motif, closing):
    n = len(syllables)
    top = len(grid) - 1
    anchor = previous if previous is not None else centre
    idx = min(top, max(0, _nearest(grid, anchor) + int(rng.integers(-2, 3))))
    home = _nearest(grid, centre) - 1
    peak_at = rng.uniform(0.3, 0.75)
    height = rng.uniform(1.5, 4.5)
    steps, probs = [-2, -1, 0, 1, 2, 3, -3], [0.12, 0.3, 0.14, 0.28, 0.1, 0.03, 0.03]
    out: list[int] = []
    for i, onset in enumerate(rhythm.onsets):
        if i:
            if motif is not None and i - 1 < len(motif) and rng.random() < 0.7:
                delta = motif[i - 1]
            else:
                pos = i / max(1, n - 1)
                arch = height * (pos / peak_at if pos < peak_at else (1 - pos) / (1 - peak_at))
                pull = np.clip((home + arch - idx) * 0.35, -1.5, 1.5)
                delta = int(round(pull + rng.choice(steps, p=probs)))
            idx = min(top, max(0, idx + delta))
        chord = chord_at(onset)
        last = i == n - 1
        if last:
            idx = _landing(grid, idx, chord, key, closing)
        elif _strength(onset) >= 3 and not chord.contains(grid[idx]) and rng.random() < 0.85:
            idx = _nearest_where(grid, idx, chord.contains)
        out.append(grid[idx])
    return out


def _nearest_where(grid: Sequence[int], idx: int, ok: Callable[[int], bool]) -> int:
    for d in range(0, len(grid)):
        for j in (idx - d, idx + d):
            if 0 <= j < len(grid) and ok(grid[j]):
                return j
    return idx


def _landing(grid, idx, chord: Chord, key: Key, closing: bool) -> int:
    """A line ends on the tonic when it closes a section, else on a stable chord tone."""
    if closing:
        return _nearest_where(grid, idx, lambda p: p % 12 == key.tonic_pc)
    stable = {key.tonic_pc, key.scale_pcs[2], key.scale_pcs[4]}
    j = _nearest_where(grid, idx, lambda p: chord.contains(p) and p % 12 in stable)
    return j if chord.contains(grid[j]) else _nearest_where(grid, idx, chord.contains)


def score_line(
    syllables: Sequence[SungSyllable],
    rhythm: LineRhythm,
    pitches: Sequence[float],
    *,
    chord_at: Callable[[int], Chord],
    centre: float,
    motif: Sequence[int] | None = None,
    grid: Sequence[int] | None = None,
) -> LineScore:
    tones = [s.tone for s in syllables]
    weights = [2.0 if _strength(o) >= 3 or i == len(pitches) - 1 else 1.0
               for i, o in enumerate(rhythm.onsets)]  # fmt: skip
    fit = tone_fit(tones, pitches, weights=weights) if any(tones) else None
    strong = [(o, p) for o, p in zip(rhythm.onsets, pitches) if _strength(o) >= 3]
    chord_share = (sum(chord_at(o).contains(p) for o, p in strong) / len(strong)) if strong else 1.0
    steps = np.abs(np.diff(np.asarray(pitches, dtype=float))) if len(pitches) > 1 else np.zeros(1)
    leaps = float(np.mean(steps > 7))
    smooth = -abs(float(np.mean(steps)) - 2.2) / 3
    drift = -float(np.mean(np.abs(np.asarray(pitches) - centre))) / 12
    repeats = sum(1 for a, b, c in zip(pitches, pitches[1:], pitches[2:]) if a == b == c) / len(pitches)
    total = 2.0 * chord_share + smooth - 2.0 * leaps + drift - repeats
    if fit is not None:
        total += 4.0 * fit
    if motif is not None and grid is not None:
        mine = np.sign(np.diff([_nearest(grid, p) for p in pitches]))
        theirs = np.sign(np.asarray(motif[: len(mine)]))
        k = min(len(mine), len(theirs))
        if k:
            total += 0.6 * float(np.mean(mine[:k] == theirs[:k]))
    stressed = [i for i, s in enumerate(syllables) if s.stress == 1 and 0 < i < len(pitches) - 1]
    if stressed:
        total += 0.3 * float(np.mean([pitches[i] >= pitches[i - 1] for i in stressed]))
    return LineScore(total=total, tone_fit=fit, chord_tones=chord_share)


def grid_steps(grid: Sequence[int], pitches: Sequence[float]) -> list[int]:
    """A line's steps on the grid: the motif a later line may echo."""
    idx = [_nearest(grid, p) for p in pitches]
    return [b - a for a, b in zip(idx, idx[1:])]
