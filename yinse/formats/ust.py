"""UTAU projects (``.ust``) in.

A UST is an INI-like file: ``[#SETTING]`` holds the project tempo and name, then one
section per note (``[#0000]``, ``[#0001]`` ...) with ``Length`` in ticks at 480 per beat,
``NoteNum`` (MIDI pitch) and ``Lyric``; a note may carry its own ``Tempo`` (a change from
that note on).  ``[#VERSION]``, ``[#TRACKEND]`` and the plugin sections ``[#PREV]``,
``[#NEXT]``, ``[#INSERT]``, ``[#DELETE]`` are ignored.

Lyric ``R``/``r``/``rest``/empty is a rest; ``-``, ``+``, ``+~``, ``+*`` continue the
syllable before (melisma); a VCV/CVVC lyric such as ``a か`` or ``- ka`` is sung as its
last word.  Files are UTF-8 (with or without a BOM, or saying ``Charset=UTF-8``) or
Shift-JIS, the UTAU default.  Pitch bends, envelopes, flags, ``Intensity`` and
``Modulation`` are not read: Yinse sings from the notes and does its own expression.
"""

from __future__ import annotations

import re

from ..core.errors import InputError
from ..core.score import Note, Score, TempoChange

UST_TICKS_PER_BEAT = 480
_NOTE_SECTION = re.compile(r"#\d+")
_IGNORED = frozenset({"#VERSION", "#SETTING", "#TRACKEND", "#PREV", "#NEXT", "#INSERT",
                      "#DELETE"})
_RESTS = frozenset({"", "r", "rest"})
_CONTINUE = re.compile(r"^[-+][~*]?$")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def decode_ust(data: bytes, *, source: str) -> str:
    """UTF-8 (strictly, BOM allowed), else Shift-JIS (cp932)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as exc:
        offset = exc.start
    else:
        # cp932 maps stray 0xFD-0xFF and its user-defined rows to private-use characters:
        # no lyric is written with those, so they mean the bytes are not Shift-JIS either.
        pua = _PRIVATE_USE.search(text)
        if pua is None:
            return text
        offset = len(text[: pua.start()].encode("cp932"))
    raise InputError(
        f"UST file {source} is neither UTF-8 nor Shift-JIS text (undecodable bytes at "
        f"offset {offset}); open it in UTAU or OpenUtau and save it again"
    )


def _sections(text: str, source: str) -> list[tuple[str, dict[str, str]]]:
    sections: list[tuple[str, dict[str, str]]] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1].strip(), {}))
        elif sections and "=" in line:
            key, _, value = line.partition("=")
            sections[-1][1][key.strip()] = value.strip()
        elif not sections:
            raise InputError(
                f"{source} is not a UTAU project: line {line_no} comes before any [#...] "
                "section; give a .ust file saved by UTAU or OpenUtau"
            )
    return sections


def _num(value: str | None, *, section: str, key: str, source: str) -> float:
    try:
        return float((value or "").replace(",", "."))
    except ValueError:
        raise InputError(
            f"UST file {source}: [{section}] has {key}={value!r}, which is not a number; "
            "fix that note in UTAU or OpenUtau"
        ) from None


def sung_lyric(raw: str) -> str | None | bool:
    """The syllable a UST lyric sings: text, ``None`` to continue, ``False`` for a rest."""
    text = raw.strip()
    if text.lower() in _RESTS:
        return False
    if _CONTINUE.match(text):
        return None
    last = text.split()[-1]  # "a か" (VCV) or "- ka": the last word is the syllable
    if _CONTINUE.match(last) or last.lower() in _RESTS:
        return None if _CONTINUE.match(last) else False
    return last


def read_ust(data: bytes, *, source: str) -> Score:
    """A Score from the bytes of a UTAU project (not validated)."""
    sections = _sections(decode_ust(data, source=source), source)
    if not any(_NOTE_SECTION.fullmatch(name) for name, _ in sections):
        raise InputError(
            f"{source} has no note sections ([#0000], [#0001] ...), so it is not a UTAU project "
            "with notes; save the project from UTAU or OpenUtau"
        )
    title = ""
    tempos: list[TempoChange] = []
    notes: list[Note] = []
    tick = 0
    for name, values in sections:
        upper = name.upper()
        if upper == "#SETTING":
            if "Tempo" in values:
                bpm = _num(values["Tempo"], section=name, key="Tempo", source=source)
                tempos.append(TempoChange(0.0, bpm))
            title = values.get("ProjectName", title).strip()
            continue
        if upper in _IGNORED or not _NOTE_SECTION.fullmatch(name):
            continue
        if "Length" not in values:
            raise InputError(
                f"UST file {source}: note section [{name}] has no Length; "
                "fix the note in UTAU or OpenUtau"
            )
        length = _num(values["Length"], section=name, key="Length", source=source)
        if length < 0:
            raise InputError(f"UST file {source}: [{name}] has a negative Length; fix the note")
        if "Tempo" in values:
            bpm = _num(values["Tempo"], section=name, key="Tempo", source=source)
            tempos.append(TempoChange(tick / UST_TICKS_PER_BEAT, bpm))
        lyric = sung_lyric(values.get("Lyric", ""))
        if lyric is not False and length > 0:
            if "NoteNum" not in values:
                raise InputError(
                    f"UST file {source}: note section [{name}] has no NoteNum (pitch); "
                    "fix the note in UTAU or OpenUtau"
                )
            pitch = _num(values["NoteNum"], section=name, key="NoteNum", source=source)
            notes.append(Note(
                start_beats=tick / UST_TICKS_PER_BEAT,
                dur_beats=length / UST_TICKS_PER_BEAT,
                pitch_midi=pitch,
                lyric=lyric,
            ))
        tick += length
    if not notes:
        raise InputError(f"UST file {source} has only rests; add notes with lyrics")
    by_beat = {t.beat: t for t in tempos}  # a later mark at the same beat wins
    return Score(
        notes=tuple(notes),
        tempos=tuple(by_beat[b] for b in sorted(by_beat)) or (TempoChange(0.0, 120.0),),
        title=title,
    )
