"""The document model: a monophonic vocal line with lyrics, tempo, key and metre.

Times are kept in beats (quarter notes) because that is what scores write; seconds come
from the tempo map.  A note whose ``lyric`` is ``None`` continues the syllable of the note
before it (a melisma: a slur, an extender, ``-`` or ``+`` in UTAU); rests are the gaps
between notes.  Everything here is immutable so a score can be hashed into a render id.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace

from .errors import InputError

#: Gap between notes (seconds) that ends a phrase: the voice breathes and says a new line.
PHRASE_REST_S = 0.25
#: A phrase longer than this (seconds) is split at its longest inner gap or syllable join.
PHRASE_MAX_S = 8.0
_EPS_BEATS = 1e-6
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Note:
    """One sung note.  ``syllabic`` is the syllable's place in its word, as MusicXML says it
    (``single``, ``begin``, ``middle``, ``end``), so English words can be rebuilt from their
    sung pieces ("Twin-" + "kle")."""

    start_beats: float
    dur_beats: float
    pitch_midi: float
    lyric: str | None = None
    syllabic: str = "single"
    velocity: int = 100
    #: Per-note expression overrides; ``None`` takes the global setting.
    vibrato_depth_cents: float | None = None

    @property
    def end_beats(self) -> float:
        return self.start_beats + self.dur_beats


@dataclass(frozen=True)
class TempoChange:
    beat: float
    bpm: float


@dataclass(frozen=True)
class KeyChange:
    """A key signature: ``fifths`` sharps (positive) or flats (negative)."""

    beat: float
    fifths: int
    mode: str = "major"


@dataclass(frozen=True)
class TimeSignature:
    beat: float
    numerator: int = 4
    denominator: int = 4


@dataclass(frozen=True)
class SyllableGroup:
    """A lyric syllable with the notes it is sung on (more than one in a melisma)."""

    lyric: str
    syllabic: str
    note_indexes: tuple[int, ...]


@dataclass(frozen=True)
class Score:
    notes: tuple[Note, ...]
    tempos: tuple[TempoChange, ...] = (TempoChange(0.0, 120.0),)
    keys: tuple[KeyChange, ...] = ()
    time_signatures: tuple[TimeSignature, ...] = (TimeSignature(0.0, 4, 4),)
    title: str = ""
    _tempo_table: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        notes = tuple(sorted(self.notes, key=lambda n: (n.start_beats, n.pitch_midi)))
        object.__setattr__(self, "notes", notes)
        tempos = tuple(sorted(self.tempos, key=lambda t: t.beat)) or (TempoChange(0.0, 120.0),)
        for tempo in tempos:
            if not 10.0 <= tempo.bpm <= 400.0:
                raise InputError(
                    f"tempo {tempo.bpm:g} BPM at beat {tempo.beat:g} is outside 10–400 BPM; "
                    "fix the tempo marking in the score or pass --tempo"
                )
        if tempos[0].beat > 0:
            tempos = (TempoChange(0.0, tempos[0].bpm),) + tempos
        object.__setattr__(self, "tempos", tempos)
        # Cumulative seconds at each tempo change, for O(log n) beat <-> second conversion.
        beats, secs = [tempos[0].beat], [0.0]
        for prev, cur in zip(tempos, tempos[1:]):
            secs.append(secs[-1] + (cur.beat - prev.beat) * 60.0 / prev.bpm)
            beats.append(cur.beat)
        object.__setattr__(self, "_tempo_table", (tuple(beats), tuple(secs)))

    # ----------------------------------------------------------------- time
    def seconds_at(self, beat: float) -> float:
        beats, secs = self._tempo_table
        i = max(0, bisect.bisect_right(beats, beat) - 1)
        return secs[i] + (beat - beats[i]) * 60.0 / self.tempos[i].bpm

    def beats_at(self, seconds: float) -> float:
        beats, secs = self._tempo_table
        i = max(0, bisect.bisect_right(secs, seconds) - 1)
        return beats[i] + (seconds - secs[i]) * self.tempos[i].bpm / 60.0

    def note_span_s(self, note: Note) -> tuple[float, float]:
        return self.seconds_at(note.start_beats), self.seconds_at(note.end_beats)

    @property
    def duration_s(self) -> float:
        return self.seconds_at(max((n.end_beats for n in self.notes), default=0.0))

    # ----------------------------------------------------------- transforms
    def transposed(self, semitones: float) -> Score:
        if not semitones:
            return self
        notes = tuple(replace(n, pitch_midi=n.pitch_midi + semitones) for n in self.notes)
        return replace(self, notes=notes)

    def with_tempo(self, bpm: float) -> Score:
        """Scale every tempo so that the first one becomes ``bpm`` (tempo changes keep
        their ratios)."""
        if not 10.0 <= bpm <= 400.0:
            raise InputError(f"--tempo {bpm:g} is outside 10–400 BPM; pass a tempo in that range")
        ratio = bpm / self.tempos[0].bpm
        return replace(self, tempos=tuple(replace(t, bpm=t.bpm * ratio) for t in self.tempos))

    # ------------------------------------------------------------- lyrics
    @property
    def language(self) -> str:
        """``zh`` when any lyric has a CJK character, else ``en``."""
        text = "".join(n.lyric or "" for n in self.notes)
        return "zh" if _CJK.search(text) else "en"

    def syllable_groups(self) -> list[SyllableGroup]:
        """Each lyric syllable with the notes it is sung on."""
        groups: list[SyllableGroup] = []
        for i, note in enumerate(self.notes):
            if note.lyric is not None:
                groups.append(SyllableGroup(note.lyric, note.syllabic, (i,)))
            elif groups and self._joined(self.notes[groups[-1].note_indexes[-1]], note):
                last = groups[-1]
                groups[-1] = replace(last, note_indexes=last.note_indexes + (i,))
            else:
                raise InputError(
                    f"note {i + 1} (beat {note.start_beats:g}) has no lyric and follows a rest, "
                    "so there is no syllable to continue; give it a lyric"
                )
        return groups

    def _joined(self, a: Note, b: Note) -> bool:
        gap_s = self.seconds_at(b.start_beats) - self.seconds_at(a.end_beats)
        return gap_s < PHRASE_REST_S

    def phrases(self) -> list[list[SyllableGroup]]:
        """Groups of syllables said in one breath: split at rests ≥ ``PHRASE_REST_S`` and
        so that no phrase is longer than ``PHRASE_MAX_S`` (split at the widest join)."""
        groups = self.syllable_groups()
        phrases: list[list[SyllableGroup]] = []
        for g in groups:
            if phrases:
                prev_end = self.notes[phrases[-1][-1].note_indexes[-1]]
                if self._joined(prev_end, self.notes[g.note_indexes[0]]):
                    phrases[-1].append(g)
                    continue
            phrases.append([g])
        out: list[list[SyllableGroup]] = []
        for phrase in phrases:
            out.extend(self._split_long(phrase))
        return out

    def _split_long(self, phrase: list[SyllableGroup]) -> list[list[SyllableGroup]]:
        start = self.seconds_at(self.notes[phrase[0].note_indexes[0]].start_beats)
        end = self.seconds_at(self.notes[phrase[-1].note_indexes[-1]].end_beats)
        if end - start <= PHRASE_MAX_S or len(phrase) < 2:
            return [phrase]
        # Split where the gap is widest, preferring the middle among equals.
        def gap(k: int) -> float:
            a = self.notes[phrase[k - 1].note_indexes[-1]]
            b = self.notes[phrase[k].note_indexes[0]]
            middle = abs(k - len(phrase) / 2) / len(phrase)
            return (b.start_beats - a.end_beats) - 0.01 * middle

        k = max(range(1, len(phrase)), key=gap)
        return self._split_long(phrase[:k]) + self._split_long(phrase[k:])

    # ----------------------------------------------------------- checking
    def validate(self) -> Score:
        """Refuse what cannot be sung: no notes, no lyrics, zero-length or overlapping notes."""
        if not self.notes:
            raise InputError("the score has no notes; write a melody with at least one note")
        if all(n.lyric is None for n in self.notes):
            raise InputError(
                "the score has no lyrics; add lyrics to the notes (or give a lyrics text file)"
            )
        for i, n in enumerate(self.notes):
            if n.dur_beats <= _EPS_BEATS:
                raise InputError(
                    f"note {i + 1} at beat {n.start_beats:g} has zero or negative length "
                    f"({n.dur_beats:g} beats); give every note a positive duration"
                )
            if not 0 <= n.pitch_midi <= 127:
                raise InputError(
                    f"note {i + 1} has pitch {n.pitch_midi:g}, outside MIDI 0–127; fix the note"
                )
        for i, (a, b) in enumerate(zip(self.notes, self.notes[1:])):
            if b.start_beats < a.end_beats - 1e-3:
                raise InputError(
                    f"notes {i + 1} and {i + 2} overlap at beat {b.start_beats:g}: a voice sings "
                    "one note at a time; keep one melody line (remove chords or second voices)"
                )
        self.syllable_groups()
        return self

    # --------------------------------------------------------------- hash
    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "notes": [asdict(n) for n in self.notes],
            "tempos": [asdict(t) for t in self.tempos],
            "keys": [asdict(k) for k in self.keys],
            "time_signatures": [asdict(t) for t in self.time_signatures],
        }

    def content_hash(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()
