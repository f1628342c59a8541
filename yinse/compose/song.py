"""The composer: a lyric sheet, a style and a voice's range in; a song's form, vocal score
and chords out.

Form: an instrumental intro, then each section's lines (two bars each, four when long),
padded to whole four-bar phrases; two bars of interlude after a chorus that a verse
follows; an instrumental outro that cadences on the tonic.  A repeated chorus (same words)
keeps its melody; a later verse reuses an earlier verse's rhythm where the syllable count
matches and echoes its steps, so the song has a recognisable tune without repeating tones
that no longer fit the words.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..core.errors import InputError
from ..core.score import KeyChange, Note, Score, TempoChange, TimeSignature
from ..voices.base import comfortable_range
from .harmony import Chord, Key, chord, fit_chords, parse_key, strong_beat_pitches
from .melody import (
    UNITS_PER_BAR,
    UNITS_PER_BEAT,
    LineRhythm,
    LineScore,
    bars_for,
    grid_steps,
    line_melody,
    line_rhythm,
    pitch_grid,
)  # fmt: skip
from .sheet import LyricLine, LyricSheet
from .styles import Style, get_style, loop_for

BEATS_PER_BAR = 4
INTRO_BARS = 4
OUTRO_BARS = 4
INTERLUDE_BARS = 2
#: How hard the band plays in each kind of section (0–1): velocities and drum density.
ENERGY = {"intro": 0.35, "verse": 0.55, "pre-chorus": 0.7, "chorus": 0.9, "bridge": 0.65,
          "outro": 0.45, "interlude": 0.5}  # fmt: skip
#: Sections after which the music comes to rest on the tonic.
CLOSING = ("chorus", "outro")


@dataclass(frozen=True)
class Bar:
    start_beats: float
    numeral: str
    section: str  # a section kind, or intro/interlude/outro for instrumental bars
    section_index: int  # which section of the song (instrumental bars: -1)
    energy: float
    sung: bool
    first_of_section: bool = False
    last_of_section: bool = False


@dataclass(frozen=True)
class SungLine:
    line: LyricLine
    section: str
    start_beats: float
    note_indexes: tuple[int, ...]
    score: LineScore


@dataclass(frozen=True)
class Composition:
    sheet: LyricSheet
    style: Style
    key: Key
    bpm: float
    seed: int
    vocal: Score
    bars: tuple[Bar, ...]
    lines: tuple[SungLine, ...] = field(default=())

    def chord(self, bar: Bar) -> Chord:
        return chord(bar.numeral, self.key)

    @property
    def duration_beats(self) -> float:
        return len(self.bars) * BEATS_PER_BAR


def default_key(range_midi: tuple[int, int], mode: str) -> Key:
    low, high = comfortable_range(range_midi)
    return Key((round((low + high) / 2) - 5) % 12, mode)


def compose(
    sheet: LyricSheet,
    *,
    style: str | Style = "pop",
    range_midi: tuple[int, int] = (48, 84),
    key: str | Key | None = None,
    bpm: float | None = None,
    seed: int = 0,
) -> Composition:
    style = style if isinstance(style, Style) else get_style(style)
    if isinstance(key, str):
        key = parse_key(key)
    key = key or default_key(range_midi, style.mode)
    bpm = float(bpm or style.bpm)
    if not 40 <= bpm <= 220:
        raise InputError(f"tempo {bpm:g} BPM is outside 40–220; choose a tempo a voice can sing")
    rng = np.random.default_rng(seed)
    low, high = comfortable_range(range_midi)
    grid = pitch_grid(key, low, high, pentatonic=style.pentatonic)
    if len(grid) < 5:
        raise InputError(f"the voice's range {range_midi} is too narrow to write a melody in")

    bars: list[Bar] = []
    notes: list[Note] = []
    lines: list[SungLine] = []
    remembered: dict[str, list[tuple[LineRhythm, list[int], LineScore]]] = {}
    by_kind: dict[str, list[list[tuple[LineRhythm, list[int]]]]] = {}
    occurrences: dict[str, int] = {}
    previous: float | None = None

    def add_instrumental(kind: str, n: int, numerals: tuple[str, ...]) -> None:
        for k in range(n):
            bars.append(Bar(len(bars) * BEATS_PER_BAR, numerals[k % len(numerals)], kind, -1,
                            ENERGY[kind], False, k == 0, k == n - 1))  # fmt: skip

    sections = sheet.sections
    if sections[0].kind != "intro":
        add_instrumental("intro", INTRO_BARS, loop_for(style, "chorus", 0))
    for s_index, section in enumerate(sections):
        occurrence = occurrences.get(section.kind, 0)
        occurrences[section.kind] = occurrence + 1
        loop = loop_for(style, section.kind, occurrence)
        closing = section.kind in CLOSING or s_index == len(sections) - 1
        n_bars = sum(bars_for(len(line.syllables)) for line in section.lines)
        n_bars = -(-n_bars // 4) * 4
        numerals = [loop[k % len(loop)] for k in range(n_bars)]
        if closing:
            numerals[-2:] = list(style.cadence)
        else:
            numerals[-1] = style.cadence[0]  # a half cadence leads on
        energy = min(1.0, ENERGY[section.kind] + 0.05 * occurrence)
        first_bar = len(bars)
        for k, numeral in enumerate(numerals):
            bars.append(Bar(len(bars) * BEATS_PER_BAR, numeral, section.kind, s_index, energy,
                            False, k == 0, k == n_bars - 1))  # fmt: skip
        reuse = remembered.get(section.key)
        earlier = by_kind.get(section.kind, [])
        written: list[tuple[LineRhythm, list[int], LineScore]] = []
        bar_cursor = first_bar
        for j, line in enumerate(section.lines):
            start_beats = bar_cursor * BEATS_PER_BAR
            line_bar = bar_cursor

            def chord_at(unit: int, line_bar: int = line_bar) -> Chord:
                b = min(line_bar + unit // UNITS_PER_BAR, len(bars) - 1)
                return chord(bars[b].numeral, key)

            last_line = j == len(section.lines) - 1
            centre = low + (0.62 if section.kind in ("chorus", "bridge") else 0.45) * (high - low)
            if reuse is not None:
                rhythm, pitches, score = reuse[j]
            else:
                rhythm, motif = _rhythm_and_motif(line, j, written, earlier, grid, rng)
                pitches, score = line_melody(
                    line.syllables, rhythm, chord_at=chord_at, key=key, grid=grid,
                    centre=centre, rng=rng, previous=previous, motif=motif,
                    closing=closing and last_line,
                )  # fmt: skip
            written.append((rhythm, pitches, score))
            indexes = []
            velocity = int(70 + 40 * energy)
            for syl, onset, length, pitch in zip(line.syllables, rhythm.onsets, rhythm.lengths,
                                                 pitches):  # fmt: skip
                indexes.append(len(notes))
                notes.append(Note(start_beats + onset / UNITS_PER_BEAT, length / UNITS_PER_BEAT,
                                  float(pitch), syl.text, syl.syllabic, velocity))  # fmt: skip
            lines.append(SungLine(line, section.kind, start_beats, tuple(indexes), score))
            previous = float(pitches[-1])
            bar_cursor += rhythm.n_bars
        for b in range(first_bar, bar_cursor):
            bars[b] = replace(bars[b], sung=True)
        remembered.setdefault(section.key, written)
        by_kind.setdefault(section.kind, []).append([(r, p) for r, p, _ in written])
        nxt = sections[s_index + 1].kind if s_index + 1 < len(sections) else None
        if section.kind == "chorus" and nxt in ("verse", "bridge"):
            add_instrumental("interlude", INTERLUDE_BARS, loop)
    if sections[-1].kind != "outro":
        add_instrumental("outro", OUTRO_BARS, loop_for(style, "chorus", 0)[:2] + style.cadence)

    bars = _fit_harmony(bars, notes, key)
    vocal = Score(
        notes=tuple(notes), tempos=(TempoChange(0.0, bpm),),
        keys=(KeyChange(0.0, key.fifths, key.mode),), time_signatures=(TimeSignature(0.0, 4, 4),),
        title=sheet.title or sheet.lines[0].text[:40],
    ).validate()  # fmt: skip
    return Composition(sheet, style, key, bpm, seed, vocal, tuple(bars), tuple(lines))


def _rhythm_and_motif(line, j, written, earlier, grid, rng):
    """A line's rhythm and the steps it may echo: the same line of an earlier section of
    its kind when the syllable count matches, else the line two (or one) before it."""
    n = len(line.syllables)
    for section in reversed(earlier):
        if j < len(section) and len(section[j][0].onsets) == n:
            rhythm, pitches = section[j]
            return rhythm, grid_steps(grid, pitches)
    for back in (2, 1):
        if j - back >= 0 and len(written[j - back][0].onsets) == n:
            rhythm, pitches, _ = written[j - back]
            return rhythm, grid_steps(grid, pitches)
    return line_rhythm(line.syllables, rng), None


def compose_on_melody(
    sheet: LyricSheet,
    melody: Score,
    *,
    style: str | Style = "pop",
    range_midi: tuple[int, int] = (48, 84),
    seed: int = 0,
) -> Composition:
    """A song on a melody that came from elsewhere (a drawn curve, a hum): the lyrics'
    syllables go onto its notes in order (the longest notes split when there are more
    syllables than notes; extra notes right after a syllable carry it on as a melisma, the
    rest of the melody is dropped), the melody moves by octaves into the voice's range, and
    the style's chords are fitted to it bar by bar."""
    style = style if isinstance(style, Style) else get_style(style)
    key = _key_of(melody, style.mode)
    bpm = melody.tempos[0].bpm
    syllables = [(s_i, l_i, syl) for s_i, sec in enumerate(sheet.sections)
                 for l_i, line in enumerate(sec.lines) for syl in line.syllables]  # fmt: skip
    spans = _split_to_count([(n.start_beats, n.dur_beats, n.pitch_midi) for n in melody.notes],
                            len(syllables))  # fmt: skip
    low, high = comfortable_range(range_midi)
    median = float(np.median([p for _, _, p in spans]))
    octave = 12 * round(((low + high) / 2 - median) / 12)
    first = spans[0][0]
    shift = INTRO_BARS * BEATS_PER_BAR + (first % BEATS_PER_BAR) - first
    notes: list[Note] = []
    owner: list[int] = []  # syllable index of each note
    for j, (start, dur, pitch) in enumerate(spans):
        if j < len(syllables):
            syl = syllables[j][2]
            lyric, syllabic, k = syl.text, syl.syllabic, j
        elif start - notes[-1].end_beats + shift < 0.5:  # tied on: a melisma on the last word
            lyric, syllabic, k = None, "single", len(syllables) - 1
        else:
            break  # the words are sung; the rest of the melody is left out
        notes.append(Note(start + shift, dur, float(pitch + octave), lyric, syllabic, 95))
        owner.append(k)
    end = max(n.end_beats for n in notes)
    n_bars = int(np.ceil(end / BEATS_PER_BAR)) + OUTRO_BARS
    kinds = ["intro"] * n_bars
    for note, k in zip(notes, owner):
        kinds[int(note.start_beats // BEATS_PER_BAR)] = sheet.sections[syllables[k][0]].kind
    for b in range(INTRO_BARS, n_bars - OUTRO_BARS):
        if kinds[b] == "intro":
            kinds[b] = kinds[b - 1] if b > INTRO_BARS else "verse"
    for b in range(n_bars - OUTRO_BARS, n_bars):
        kinds[b] = "outro"
    bars = []
    for b, kind in enumerate(kinds):
        loop = loop_for(style, "chorus" if kind in ("intro", "outro") else kind, 0)
        numeral = style.cadence[b - n_bars + 2] if b >= n_bars - 2 else loop[b % len(loop)]
        bars.append(Bar(b * BEATS_PER_BAR, numeral, kind, -1 if kind in ("intro", "outro") else 0,
                        ENERGY[kind], INTRO_BARS <= b < n_bars - OUTRO_BARS,
                        b == 0 or kind != kinds[b - 1], b == n_bars - 1 or kind != kinds[b + 1]))  # fmt: skip
    bars = _fit_harmony(bars, notes, key, free=True)
    vocal = Score(tuple(notes), (TempoChange(0.0, bpm),), (KeyChange(0.0, key.fifths, key.mode),),
                  (TimeSignature(0.0, 4, 4),), title=sheet.lines[0].text[:40]).validate()  # fmt: skip
    lines = _lines_of(sheet, syllables, owner, vocal, style, key, bars)
    return Composition(sheet, style, key, bpm, seed, vocal, tuple(bars), lines)


def _key_of(melody: Score, mode: str) -> Key:
    """The melody's key from its key signature (its reader estimated it), else C."""
    if not melody.keys:
        return Key(0, mode)
    return Key.from_signature(melody.keys[0].fifths, melody.keys[0].mode)


def _split_to_count(spans: list[tuple[float, float, float]], n: int) -> list[tuple[float, float, float]]:
    """Split the longest notes in two until there are at least ``n`` notes."""
    spans = sorted(spans)
    while len(spans) < n:
        i = max(range(len(spans)), key=lambda j: spans[j][1])
        start, dur, pitch = spans[i]
        if dur < 0.5:
            raise InputError(
                f"the melody has {len(spans)} notes, too few for the {n} syllables of the "
                "lyrics; draw or hum a longer melody, or shorten the lyrics"
            )
        half = round(dur / 2 * 4) / 4
        spans[i : i + 1] = [(start, half, pitch), (start + half, dur - half, pitch)]
    return spans


def _lines_of(sheet, syllables, owner, vocal, style, key, bars) -> tuple[SungLine, ...]:
    from .melody import LineScore
    from .tonefit import tone_fit

    out = []
    flat = [(s_i, l_i) for s_i, l_i, _ in syllables]
    for s_i, section in enumerate(sheet.sections):
        for l_i, line in enumerate(section.lines):
            ks = [k for k, key_ in enumerate(flat) if key_ == (s_i, l_i)]
            idx = tuple(j for j, k in enumerate(owner) if k in ks)
            firsts = [j for j in idx if vocal.notes[j].lyric is not None]
            pitches = [vocal.notes[j].pitch_midi for j in firsts]
            fit = tone_fit([s.tone for s in line.syllables], pitches) if pitches else None
            strong = [vocal.notes[j] for j in idx if vocal.notes[j].start_beats % 2 == 0]
            share = (sum(chord(bars[int(n.start_beats // 4)].numeral, key).contains(n.pitch_midi)
                         for n in strong) / len(strong)) if strong else 1.0  # fmt: skip
            start = vocal.notes[idx[0]].start_beats if idx else 0.0
            out.append(SungLine(line, section.kind, start, idx, LineScore(0.0, fit, share)))
    return tuple(out)


def _fit_harmony(bars: list[Bar], notes: list[Note], key: Key, *, free: bool = False) -> list[Bar]:
    """Let each sung bar take a substitute chord that holds more of its strong-beat notes;
    the last two bars of every section (its cadence) are kept."""
    by_bar: list[list[tuple[float, float]]] = [[] for _ in bars]
    for note in notes:
        b = int(note.start_beats // BEATS_PER_BAR)
        if b < len(bars):
            by_bar[b].append((note.start_beats, note.pitch_midi))
    melody = [strong_beat_pitches(group, bars[b].start_beats) for b, group in enumerate(by_bar)]
    locked = [bar.last_of_section or (b + 1 < len(bars) and bars[b + 1].last_of_section)
              or not bar.sung for b, bar in enumerate(bars)]  # fmt: skip
    numerals = fit_chords([b.numeral for b in bars], melody, key, locked=locked, free=free)
    return [replace(b, numeral=n) for b, n in zip(bars, numerals)]
