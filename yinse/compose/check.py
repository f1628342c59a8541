"""``yinse lyrics check``: what a songwriter wants to know about lyrics before singing them.

Per line: syllables, the rhyme of its last syllable (十三辙 for Mandarin, the rhyme key
of the last word for English) and the section's rhyme scheme.  With a score: how well each
line's melody follows the Mandarin tones, and how that compares with random melodies on the
same rhythm in the same key (the share of 200 random melodies it beats).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.errors import InputError
from ..core.score import Score
from ..text.rhyme import line_rhymes, rhyme_class
from .harmony import Key
from .sheet import LyricLine, LyricSheet
from .tonefit import tone_fit

RANDOM_MELODIES = 200


@dataclass(frozen=True)
class LineCheck:
    section: str
    text: str
    syllables: int
    rhyme: str | None
    scheme: str
    tone_fit: float | None = None
    #: Share of random melodies (same rhythm and key) whose tone fit this line beats.
    beats_random: float | None = None


def check_lyrics(sheet: LyricSheet, score: Score | None = None, *, seed: int = 0) -> list[LineCheck]:
    firsts = _line_pitches(sheet, score) if score is not None else None
    rng = np.random.default_rng(seed)
    key = _score_key(score) if score is not None else None
    out: list[LineCheck] = []
    k = 0
    for section in sheet.sections:
        lasts = [line.syllables[-1].as_lyric_syllable(sheet.language) for line in section.lines]
        scheme = line_rhymes(lasts)
        for line, last, letter in zip(section.lines, lasts, scheme):
            fit = beats = None
            if firsts is not None and sheet.language == "zh":
                pitches = firsts[k]
                tones = [s.tone for s in line.syllables]
                fit = tone_fit(tones, pitches)
                if fit is not None:
                    beats = _beats_random(tones, pitches, key, rng, fit)
            out.append(LineCheck(section.kind, line.text, len(line.syllables), rhyme_class(last),
                                 letter, fit, beats))  # fmt: skip
            k += 1
    return out


def _line_pitches(sheet: LyricSheet, score: Score) -> list[list[float]]:
    """Each line's syllables' first-note pitches, matching the score's sung syllables to
    the lyrics in order."""
    groups = score.syllable_groups()
    lines: list[LyricLine] = sheet.lines
    wanted = sum(len(line.syllables) for line in lines)
    if len(groups) != wanted:
        raise InputError(
            f"the score sings {len(groups)} syllables but the lyrics have {wanted}; check the "
            "score that belongs to these lyrics (one syllable per note, melismas without lyric)"
        )
    out, i = [], 0
    for line in lines:
        n = len(line.syllables)
        out.append([score.notes[g.note_indexes[0]].pitch_midi for g in groups[i : i + n]])
        i += n
    return out


def _score_key(score: Score) -> Key:
    if not score.keys:
        pcs = np.bincount([round(n.pitch_midi) % 12 for n in score.notes], minlength=12)
        major = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1])
        return Key(int(np.argmax([np.dot(np.roll(major, t), pcs) for t in range(12)])), "major")
    return Key.from_signature(score.keys[0].fifths, score.keys[0].mode)


def random_fits(tones, pitches, key: Key, rng: np.random.Generator) -> list[float | None]:
    """Tone fits of :data:`RANDOM_MELODIES` random melodies with the line's rhythm (one
    pitch per syllable, as the line has), drawn from the key's scale across the line's own
    range (two semitones beyond it each way)."""
    low, high = int(min(pitches)) - 2, int(max(pitches)) + 2
    scale = [p for p in range(low, high + 1) if p % 12 in key.scale_pcs]
    return [tone_fit(tones, rng.choice(scale, size=len(pitches))) for _ in range(RANDOM_MELODIES)]


def _beats_random(tones, pitches, key: Key, rng: np.random.Generator, fit: float) -> float:
    """Share of random melodies whose tone fit this line's beats."""
    return sum(r is not None and fit > r for r in random_fits(tones, pitches, key, rng)) / RANDOM_MELODIES


def format_check(sheet: LyricSheet, checks: list[LineCheck]) -> str:
    rows = [f"{'section':<11} {'syl':>3}  {'rhyme':<10} {'sch':<3} {'fit':>5} {'>rand':>5}  line"]
    for c in checks:
        fit = f"{c.tone_fit:5.2f}" if c.tone_fit is not None else "    –"
        beats = f"{c.beats_random:5.0%}" if c.beats_random is not None else "    –"
        rows.append(f"{c.section:<11} {c.syllables:>3}  {c.rhyme or '–':<10} {c.scheme:<3} {fit} {beats}  {c.text}")
    counts = [c.syllables for c in checks]
    rows.append(f"{len(checks)} lines, {sum(counts)} syllables ({min(counts)}–{max(counts)} per line), "
                f"language {sheet.language}")  # fmt: skip
    fits = [c.tone_fit for c in checks if c.tone_fit is not None]
    if fits:
        rows.append(f"tone–melody fit: mean {np.mean(fits):.2f}; beats random melodies on "
                    f"{np.mean([c.beats_random for c in checks if c.beats_random is not None]):.0%} "
                    "of draws")  # fmt: skip
    return "\n".join(rows)
