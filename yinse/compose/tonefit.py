"""How well a melody follows the tones of its Mandarin lyrics.

Sung Mandarin stays understandable when the step between two syllables' notes goes the way
the tones would glide in speech.  The table holds, for each previous tone → current tone,
the best range of semitone steps (ReLyMe, as collected in the guide).  A step inside its
range scores 1; outside, the score falls by half for every further semitone.  The neutral
tone (5) takes no side.  Phrase ends and strong beats weigh double, and Mandarin pop follows
tones only loosely, so the composer treats this as a preference among candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

#: (previous tone, current tone) -> best semitone steps (low, high), inclusive.
BEST_STEP = {
    (1, 1): (0, 1), (1, 2): (-5, -4), (1, 3): (-7, -6), (1, 4): (-4, -3),
    (2, 1): (2, 3), (2, 2): (-2, -1), (2, 3): (-4, -3), (2, 4): (1, 2),
    (3, 1): (4, 5), (3, 2): (1, 2), (3, 3): (-4, -3), (3, 4): (3, 4),
    (4, 1): (-1, 0), (4, 2): (-4, -3), (4, 3): (-7, -6), (4, 4): (-6, -3),
}  # fmt: skip


def step_score(prev_tone: int | None, tone: int | None, step_semitones: float) -> float | None:
    """1.0 inside the best range, halving per semitone outside; None for a pair that has
    no preference (a neutral or unknown tone)."""
    best = BEST_STEP.get((prev_tone, tone)) if prev_tone and tone else None
    if best is None:
        return None
    low, high = best
    miss = max(low - step_semitones, step_semitones - high, 0.0)
    return 0.5**miss


def tone_fit(
    tones: Sequence[int | None],
    pitches_midi: Sequence[float],
    *,
    weights: Sequence[float] | None = None,
) -> float | None:
    """Weighted mean step score over adjacent syllables (0–1), or None when no pair of
    adjacent tones has a preference.  ``pitches_midi`` holds each syllable's first note;
    ``weights[i]`` weighs the step into syllable i (double it on strong beats and phrase
    ends)."""
    total = weight_sum = 0.0
    for i in range(1, len(tones)):
        score = step_score(tones[i - 1], tones[i], pitches_midi[i] - pitches_midi[i - 1])
        if score is None:
            continue
        w = weights[i] if weights is not None else 1.0
        total += w * score
        weight_sum += w
    return total / weight_sum if weight_sum else None
