"""Keys, scales and chords: the harmonic vocabulary the composer and arranger share.

A key is a tonic pitch class and a mode.  Chords are written as Roman numerals relative to
the key (``I``, ``vi``, ``bVII``, ``V7``) so a style's progressions work in every key.
:func:`fit_chords` is the harmony pass after the melody exists: each bar keeps the style's
chord unless a chord of the same function holds more of the bar's strong-beat melody notes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.errors import InputError

MODES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
}
#: The Chinese pentatonic (宫调式 gong mode) inside a major key: do re mi sol la.
PENTATONIC = (0, 2, 4, 7, 9)
_NOTE_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_KEY = re.compile(r"^\s*([A-Ga-g])([#b♯♭]?)\s*(m|min|minor|maj|major)?\s*$")
_MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")


@dataclass(frozen=True)
class Key:
    tonic_pc: int
    mode: str = "major"

    @classmethod
    def from_signature(cls, fifths: int, mode: str) -> Key:
        """The key of a key signature (a score's ``KeyChange``): the inverse of
        :attr:`fifths`."""
        major_pc = (fifths * 7) % 12
        return cls(major_pc, "major") if mode != "minor" else cls((major_pc + 9) % 12, "minor")

    @property
    def scale_pcs(self) -> tuple[int, ...]:
        return tuple((self.tonic_pc + i) % 12 for i in MODES[self.mode])

    @property
    def name(self) -> str:
        """'Db', 'C#m': the spelling with the fewer accidentals (MIDI files accept these)."""
        if self.mode == "minor":
            return _MINOR_NAMES[self.tonic_pc] + "m"
        return _MAJOR_NAMES[self.tonic_pc]

    @property
    def fifths(self) -> int:
        """Sharps (+) or flats (−) of the key signature, for MusicXML and MIDI."""
        major_pc = self.tonic_pc if self.mode == "major" else (self.tonic_pc + 3) % 12
        fifths = (major_pc * 7) % 12
        return fifths - 12 if fifths > 6 else fifths


def parse_key(text: str) -> Key:
    """'D', 'Bb', 'F#m', 'A minor' → Key."""
    match = _KEY.match(text or "")
    if not match:
        raise InputError(
            f"unknown key '{text}'; write a note name with an optional sharp or flat and 'm' for "
            "minor, e.g. C, Eb, F#m, A minor"
        )
    letter, accidental, mode = match.groups()
    pc = _NOTE_PC[letter.upper()] + {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental, 0)
    return Key(pc % 12, "minor" if mode in ("m", "min", "minor") else "major")


@dataclass(frozen=True)
class Chord:
    numeral: str
    root_pc: int
    intervals: tuple[int, ...]

    @property
    def pcs(self) -> frozenset[int]:
        return frozenset((self.root_pc + i) % 12 for i in self.intervals)

    def contains(self, pitch_midi: float) -> bool:
        return round(pitch_midi) % 12 in self.pcs


_NUMERAL = re.compile(r"^(b|#)?(VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)(°|7|maj7|sus4)?$")
_DEGREE = {"i": 0, "ii": 1, "iii": 2, "iv": 3, "v": 4, "vi": 5, "vii": 6}
_MAJOR_STEPS = MODES["major"]


def chord(numeral: str, key: Key) -> Chord:
    """A Roman numeral in ``key``: the root is the major-scale degree (``b``/``#`` alter
    it; in a minor key, numerals count from the minor tonic with the minor scale's steps),
    upper case is a major triad, lower case minor, ``°`` diminished, ``7`` adds the seventh
    that fits (dominant on a major triad, minor seventh on a minor one)."""
    match = _NUMERAL.match(numeral)
    if not match:
        raise ValueError(f"not a chord numeral: {numeral!r}")
    accidental, roman, suffix = match.groups()
    steps = MODES[key.mode]
    root = key.tonic_pc + steps[_DEGREE[roman.lower()]] + {"b": -1, "#": 1}.get(accidental, 0)
    minor = roman.islower()
    if suffix == "°":
        intervals: tuple[int, ...] = (0, 3, 6)
    elif suffix == "sus4":
        intervals = (0, 5, 7)
    else:
        intervals = (0, 3, 7) if minor else (0, 4, 7)
        if suffix == "7":
            intervals += (10,)
        elif suffix == "maj7":
            intervals += (11,)
    return Chord(numeral, root % 12, intervals)


#: Chords that can stand in for each other (tonic, subdominant and dominant families).
SUBSTITUTES = {
    "I": ("vi", "iii"), "vi": ("I", "IV"), "iii": ("I", "V"), "IV": ("ii", "vi"),
    "ii": ("IV",), "V": ("iii", "V7"), "V7": ("V",), "bVII": ("IV", "V"),
    "i": ("VI", "III"), "VI": ("i", "iv"), "III": ("i", "VII"), "iv": ("VI", "ii°"),
    "VII": ("v", "III"), "v": ("VII",),
}  # fmt: skip


def strong_beat_pitches(notes: Sequence[tuple[float, float]], bar_start: float,
                        beats_per_bar: int = 4) -> list[float]:
    """Pitches of the notes starting on a strong beat (1 and 3 of 4/4) of one bar, given as
    (start_beats, pitch_midi)."""
    strong = {bar_start + b for b in range(0, beats_per_bar, 2)}
    return [p for start, p in notes if any(abs(start - s) < 1e-6 for s in strong)]


#: The primary chords, tried as well when a melody came from outside (a curve, a hum).
PRIMARY = {"major": ("I", "IV", "V", "vi", "ii"), "minor": ("i", "iv", "v", "VI", "VII")}


def fit_chords(
    numerals: Sequence[str], melody_by_bar: Sequence[list[float]], key: Key,
    *, locked: Sequence[bool] = (), free: bool = False,
) -> list[str]:
    """Per bar, the style's numeral or a substitute holding more of the bar's strong-beat
    melody pitches; ``locked`` bars (cadences) keep theirs; ``free`` also tries the key's
    primary chords (for melodies not written over the style's chords)."""
    out = []
    for i, (numeral, pitches) in enumerate(zip(numerals, melody_by_bar)):
        if (i < len(locked) and locked[i]) or not pitches:
            out.append(numeral)
            continue
        options = (numeral,) + SUBSTITUTES.get(numeral, ()) + (PRIMARY[key.mode] if free else ())
        scores = [sum(chord(o, key).contains(p) for p in pitches) for o in options]
        out.append(options[scores.index(max(scores))])  # ties keep the style's own chord
    return out
