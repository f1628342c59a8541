"""Yinse's plain-text melody notation (``.notes``): quick to type, easy to diff.

Example::

    # Twinkle, twinkle (a comment: "#" at the start of a word runs to the end of the line)
    title: Twinkle Twinkle
    tempo: 90
    key: D            # or "key: Bb minor", "key: F#m"
    time: 4/4

    C4:1:Twin- C4:1:kle G4:1:twin- G4:1:kle | A4:1:lit- A4:1:tle G4:2:star |
    F4:1:how F4:1:I E4:1:won- E4:1:der D4:1:what D4:0.5:you D4:0.5 C4:2:are

Header lines are ``name: value`` with name ``title``, ``tempo`` (quarter notes per
minute), ``key`` (``D``, ``Bb minor``, ``F#m``) or ``time`` (``3/4``).  ``tempo``, ``key`` and
``time`` may also appear between note lines: they change from the next note on.

Every other word is a note ``PITCH:DUR[:LYRIC]``:

* PITCH: a note name with octave (``C4`` is middle C, MIDI 60; ``F#3``, ``Bb4``, ``Cb5``;
  ``♯``/``♭`` work too) or a MIDI number (``60``, ``60.5`` for a quarter tone);
  ``R`` is a rest.
* DUR: length in beats (quarter notes): ``1``, ``0.5``, ``1/2``, ``1.5``, ``3/2``.
* LYRIC: the syllable (``爱``, ``star``).  A lyric ending in ``-`` (``Twin-``) means the word
  goes on into the next syllable.  No lyric, or a lyric of ``-``, ``_`` or ``+``, is a
  melisma note: it continues the syllable before it.  Spaces cannot be part of a lyric.

``|`` bar lines are only for the eye and are ignored.  Notes follow one another; a rest
is a gap.  Since ``#`` only starts a comment at the start of a word, ``F#4`` is a pitch.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..core.errors import InputError
from ..core.score import KeyChange, Note, Score, TempoChange, TimeSignature
from .lyrics import syllabic_from_hyphens

_HEADER = re.compile(r"^\s*(title|tempo|key|time)\s*:(.*)$", re.IGNORECASE)
_PITCH = re.compile(r"^([A-Ga-g])((?:#|♯|b|♭)*)(-?\d+)$")
_KEY = re.compile(r"^([A-Ga-g])([#♯b♭]?)\s*(m|min|minor|maj|major)?$", re.IGNORECASE)
_STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}


def _strip_comment(line: str) -> str:
    match = re.search(r"(^|\s)#", line)
    return line[: match.start()] if match else line


def parse_pitch(text: str) -> float:
    """MIDI pitch of ``C4``/``F#3``/``Bb4`` (C4 = 60) or of a number; ValueError if neither."""
    match = _PITCH.match(text)
    if match:
        step, accidentals, octave = match.groups()
        alter = sum(1 if a in "#♯" else -1 for a in accidentals)
        value = (int(octave) + 1) * 12 + _STEPS[step.upper()] + alter
    else:
        value = float(text)  # ValueError for anything else
    if not 0 <= value <= 127:
        raise ValueError(f"pitch {value:g} is outside MIDI 0–127")
    return float(value)


def parse_key(text: str) -> tuple[int, str]:
    """(fifths, mode) for ``D``, ``Bb minor``, ``F#m``; ValueError otherwise."""
    match = _KEY.match(text.strip())
    if not match:
        raise ValueError("not a key")
    letter, accidental, mode_word = match.groups()
    fifths = _LETTER_FIFTHS[letter.upper()]
    fifths += 7 if accidental in ("#", "♯") else -7 if accidental in ("b", "♭") else 0
    minor = (mode_word or "").lower() in ("m", "min", "minor") and mode_word != "M"
    if minor:
        fifths -= 3
    if not -7 <= fifths <= 7:
        raise ValueError("a key with more than 7 sharps or flats")
    return fifths, "minor" if minor else "major"


def _duration(text: str) -> Fraction:
    value = Fraction(text)  # "1", "0.5", "1/2"; ValueError/ZeroDivisionError otherwise
    if value <= 0:
        raise ValueError("not positive")
    return value


def read_notes(data: bytes | str, *, source: str) -> Score:
    """A Score from ``.notes`` text (not validated)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{source} is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
            ) from None
    title = ""
    tempos: dict[Fraction, float] = {}
    keys: dict[Fraction, KeyChange] = {}
    times: dict[Fraction, TimeSignature] = {}
    beat = Fraction(0)
    # (start, dur, pitch, raw lyric) per note
    parsed: list[tuple[Fraction, Fraction, float, str | None]] = []

    for line_no, raw_line in enumerate(data.splitlines(), start=1):
        line = _strip_comment(raw_line)
        header = _HEADER.match(line)
        if header:
            name, value = header.group(1).lower(), header.group(2).strip()

            def bad(what: str, example: str, line_no=line_no, name=name, value=value) -> InputError:
                return InputError(
                    f"{source}, line {line_no}: {name} {value!r} is not {what}; "
                    f"write it like '{name}: {example}'"
                )

            if name == "title":
                title = value
            elif name == "tempo":
                try:
                    tempos[beat] = float(value)
                except ValueError:
                    raise bad("a number of beats per minute", "90") from None
            elif name == "key":
                try:
                    fifths, mode = parse_key(value)
                except ValueError:
                    raise bad("a key", "D, Bb minor or F#m") from None
                keys[beat] = KeyChange(float(beat), fifths, mode)
            else:
                match = re.fullmatch(r"(\d+)\s*/\s*(\d+)", value)
                den = int(match.group(2)) if match else 0
                if not match or int(match.group(1)) <= 0 or den <= 0 or den & (den - 1):
                    raise bad("a time signature", "3/4")
                times[beat] = TimeSignature(float(beat), int(match.group(1)), den)
            continue
        for token in line.split():
            token = token.strip("|")
            if not token:
                continue
            beat = _read_token(token, beat, parsed, source=source, line_no=line_no)

    if not parsed:
        raise InputError(f"{source} has no notes; write notes like 'C4:1:la'")
    syllables = syllabic_from_hyphens(lyric for *_, lyric in parsed)
    notes = tuple(
        Note(start_beats=float(start), dur_beats=float(dur), pitch_midi=pitch,
             lyric=lyric, syllabic=syllabic)
        for (start, dur, pitch, _), (lyric, syllabic) in zip(parsed, syllables)
    )
    return Score(
        notes=notes,
        tempos=tuple(TempoChange(float(b), bpm) for b, bpm in sorted(tempos.items()))
        or (TempoChange(0.0, 120.0),),
        keys=tuple(keys[b] for b in sorted(keys)),
        time_signatures=tuple(times[b] for b in sorted(times)) or (TimeSignature(0.0, 4, 4),),
        title=title,
    )


def _read_token(
    token: str,
    beat: Fraction,
    parsed: list[tuple[Fraction, Fraction, float, str | None]],
    *,
    source: str,
    line_no: int,
) -> Fraction:
    """Parse one ``PITCH:DUR[:LYRIC]`` word; returns the beat after it."""
    where = f"{source}, line {line_no}, token {token!r}"
    fields = token.split(":", 2)
    if len(fields) < 2:
        raise InputError(
            f"{where}: a note needs PITCH:DURATION[:LYRIC], e.g. 'C4:1:la' or 'R:1' for a rest"
        )
    pitch_text, dur_text = fields[0], fields[1]
    lyric = fields[2] if len(fields) == 3 else None
    try:
        dur = _duration(dur_text)
    except (ValueError, ZeroDivisionError):
        raise InputError(
            f"{where}: duration {dur_text!r} is not a positive number of beats; "
            "write it like 1, 0.5, 1/2 or 1.5"
        ) from None
    if pitch_text in ("R", "r"):
        return beat + dur
    try:
        pitch = parse_pitch(pitch_text)
    except ValueError:
        raise InputError(
            f"{where}: pitch {pitch_text!r} is not a note like C4, F#3 or Bb4 (C4 = middle C), "
            "a MIDI number 0–127, or R for a rest"
        ) from None
    parsed.append((beat, dur, pitch, lyric))
    return beat + dur


# ------------------------------------------------------------------------- export
_SHARPS = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
_FLATS = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"]
_KEY_NAMES_MAJOR = {-7: "Cb", -6: "Gb", -5: "Db", -4: "Ab", -3: "Eb", -2: "Bb", -1: "F",
                    0: "C", 1: "G", 2: "D", 3: "A", 4: "E", 5: "B", 6: "F#", 7: "C#"}
_KEY_NAMES_MINOR = {-7: "Ab", -6: "Eb", -5: "Bb", -4: "F", -3: "C", -2: "G", -1: "D",
                    0: "A", 1: "E", 2: "B", 3: "F#", 4: "C#", 5: "G#", 6: "D#", 7: "A#"}


def _beats_text(value: float) -> str:
    frac = Fraction(value).limit_denominator(1920)
    if abs(float(frac) - value) < 1e-9:
        return str(frac)
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _pitch_text(pitch: float, fifths: int) -> str:
    if pitch != int(pitch):
        return f"{pitch:g}"
    names = _FLATS if fifths < 0 else _SHARPS
    p = int(pitch)
    return f"{names[p % 12]}{p // 12 - 1}"


def _key_text(key: KeyChange) -> str:
    if key.mode == "minor":
        return f"{_KEY_NAMES_MINOR.get(key.fifths, 'A')} minor"
    return _KEY_NAMES_MAJOR.get(key.fifths, "C")


def write_notes(score: Score) -> bytes:
    """The score as ``.notes`` text: header, then one line of notes per bar (rests written
    as ``R``).  A tempo, key or time change inside a note is written before the next note."""
    lines = []
    if score.title:
        lines.append(f"title: {' '.join(score.title.split())}")
    changes: list[tuple[float, int, str]] = []
    for t in score.tempos:
        changes.append((t.beat, 0, f"tempo: {round(t.bpm, 4):g}"))
    for k in score.keys:
        changes.append((k.beat, 1, f"key: {_key_text(k)}"))
    for ts in score.time_signatures:
        changes.append((ts.beat, 2, f"time: {ts.numerator}/{ts.denominator}"))
    changes.sort()
    bar_len = {ts.beat: ts.numerator * 4 / ts.denominator for ts in score.time_signatures}
    fifths = score.keys[0].fifths if score.keys else 0
    tokens: list[str] = []
    pos = 0.0
    bar_start, current_len = 0.0, 4.0

    def flush() -> None:
        if tokens:
            lines.append(" ".join(tokens) + " |")
            tokens.clear()

    items: list[tuple[float, float, Note | None]] = []
    for note in score.notes:
        if note.start_beats > pos + 1e-9:
            items.append((pos, note.start_beats - pos, None))
        items.append((note.start_beats, note.dur_beats, note))
        pos = note.end_beats
    for start, dur, note in items:
        while changes and changes[0][0] <= start + 1e-9:
            at, kind, text = changes.pop(0)
            flush()
            lines.append(text)
            if kind == 1:
                fifths = next(k.fifths for k in score.keys if k.beat == at)
            if kind == 2:
                bar_start, current_len = at, bar_len[at]
        while start >= bar_start + current_len - 1e-9:
            bar_start += current_len
            flush()
        dur_text = _beats_text(dur)
        if note is None:
            tokens.append(f"R:{dur_text}")
            continue
        pitch = _pitch_text(note.pitch_midi, fifths)
        if note.lyric is None:
            tokens.append(f"{pitch}:{dur_text}")
        else:
            lyric = "‿".join(note.lyric.split())
            hyphen = "-" if note.syllabic in ("begin", "middle") else ""
            tokens.append(f"{pitch}:{dur_text}:{lyric}{hyphen}")
    flush()
    for _, _, text in changes:
        lines.append(text)
    return ("\n".join(lines) + "\n").encode("utf-8")
