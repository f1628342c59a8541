"""MusicXML (``score-partwise``, plain or compressed ``.mxl``) in and out.

Import reads the first part that has lyrics and, in it, voice 1 (or the first voice with
lyrics), as MuseScore 3/4 writes them.  Positions are kept as exact fractions of a beat
while ``<duration>``, ``<backup>`` and ``<forward>`` are walked, so pickup bars and
divisions changes need no special case.  Tied notes become one note; a note without a
lyric for the chosen verse (under a slur, after an ``<extend/>``, or a lyric of ``-``, ``+``
or ``_``) continues the syllable before it.  Where a note has only another verse's lyric
(verses that share a refrain often write it once), that lyric is used unless a slur or an
extender says the note is a melisma.  Grace notes are skipped; cue notes count as rests;
repeats and voltas are not expanded (the score is sung as written, once).

Export writes one part, one voice, at 480 divisions per beat: bars from the time
signatures, rests in the gaps, notes split at barlines (and at key or tempo changes) with
ties, note types and dots where the length maps exactly (otherwise tied pieces that do, or
just the duration), lyrics with ``<syllabic>``, and an ``<extend/>`` plus a slur over each
melisma.  What it writes reads back identically through :func:`read_musicxml`.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field
from fractions import Fraction

from ..core.errors import InputError
from ..core.score import KeyChange, Note, Score, TempoChange, TimeSignature
from ._io import MAX_FILE_BYTES
from .lyrics import is_melisma_mark

DIVISIONS = 480
_STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_BEAT_UNITS = {
    "maxima": Fraction(32), "long": Fraction(16), "breve": Fraction(8), "whole": Fraction(4),
    "half": Fraction(2), "quarter": Fraction(1), "eighth": Fraction(1, 2),
    "16th": Fraction(1, 4), "32nd": Fraction(1, 8), "64th": Fraction(1, 16),
    "128th": Fraction(1, 32), "256th": Fraction(1, 64),
}
_SYLLABICS = frozenset({"single", "begin", "middle", "end"})
_MAX_CONTAINER_BYTES = 1024 * 1024
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError,
               NotImplementedError)


# ------------------------------------------------------------------------- import
@dataclass
class _Lyric:
    text: str | None  # None: an extender or continuation mark, nothing new to sing
    syllabic: str
    extend: bool  # an extender starts or goes on here: the notes after are a melisma


@dataclass
class _XNote:
    start: Fraction
    dur: Fraction
    pitch: float
    voice: str
    measure: str
    chord: bool
    tie_start: bool
    tie_stop: bool
    in_slur: bool
    velocity: int
    lyrics: dict[int, _Lyric] = field(default_factory=dict)

    @property
    def end(self) -> Fraction:
        return self.start + self.dur


@dataclass
class _Part:
    part_id: str
    notes: list[_XNote] = field(default_factory=list)
    tempos: list[tuple[Fraction, float]] = field(default_factory=list)
    keys: list[KeyChange] = field(default_factory=list)
    times: list[TimeSignature] = field(default_factory=list)
    voice_order: list[str] = field(default_factory=list)


class _Ctx:
    """Where we are, for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.where = ""

    def error(self, problem: str, fix: str) -> InputError:
        at = f" ({self.where})" if self.where else ""
        return InputError(f"MusicXML file {self.source}{at}: {problem}; {fix}")


def read_musicxml(data: bytes, *, source: str, verse: int = 1) -> Score:
    """A Score from uncompressed MusicXML bytes (not validated)."""
    ctx = _Ctx(source)
    root = _parse_xml(data, ctx)
    tag = _local(root.tag)
    if tag == "score-timewise":
        raise ctx.error(
            "this is a score-timewise MusicXML file, Yinse reads score-partwise",
            "re-export it from your notation program as ordinary (partwise) MusicXML",
        )
    if tag != "score-partwise":
        raise ctx.error(
            f"the root element is <{tag}>, not <score-partwise>, so this is not a MusicXML score",
            "export the score as MusicXML",
        )
    parts = [_parse_part(p, ctx) for p in root if _local(p.tag) == "part"]
    if not any(p.notes for p in parts):
        raise ctx.error("the score has no notes", "write the melody, then export again")

    part = next((p for p in parts if _has_text(p.notes)), None)
    part = part or next(p for p in parts if p.notes)
    voice = _choose_voice(part)
    ctx.where = f"part {part.part_id}, voice {voice}"
    voice_notes = sorted((n for n in part.notes if n.voice == voice), key=lambda n: n.start)
    for n in voice_notes:
        if n.chord:
            raise InputError(
                f"MusicXML file {source}: part {part.part_id}, measure {n.measure} has a chord "
                f"in the vocal line (voice {voice}); a voice sings one note at a time: keep one "
                "melody line (move other notes to another voice or part)"
            )
    use_verse = _resolve_verse(voice_notes, verse, ctx)
    merged = _merge_ties(voice_notes, use_verse)
    notes = _assign_lyrics(merged, use_verse)

    tempos: dict[Fraction, float] = {}
    for p in parts:  # tempo marks usually sit on the top part, which may not be the voice
        for at, bpm in p.tempos:
            tempos.setdefault(at, bpm)
    tempo_list = [TempoChange(float(at), bpm) for at, bpm in sorted(tempos.items())]
    return Score(
        notes=tuple(notes),
        tempos=tuple(_dedupe(tempo_list, ("bpm",))) or (TempoChange(0.0, 120.0),),
        keys=tuple(_dedupe(part.keys, ("fifths", "mode"))),
        time_signatures=tuple(_dedupe(part.times, ("numerator", "denominator")))
        or (TimeSignature(0.0, 4, 4),),
        title=_title(root),
    )


def read_mxl(data: bytes, *, source: str, verse: int = 1) -> Score:
    """A Score from compressed MusicXML: a zip whose META-INF/container.xml names the score."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(
            f"compressed MusicXML file {source} is not a valid .mxl (zip) archive or is "
            "truncated; export it again, or export uncompressed .musicxml"
        ) from None
    with archive:
        inner = _mxl_rootfile(archive, source)
        info = archive.getinfo(inner)
        if info.file_size > MAX_FILE_BYTES:
            raise InputError(
                f"{source}: {inner} unpacks to {info.file_size / 1e6:.0f} MB, over the "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB limit; this is not a score Yinse can read"
            )
        try:
            xml = archive.read(inner)
        except _ZIP_ERRORS as exc:
            raise InputError(
                f"compressed MusicXML file {source} is damaged ({exc}); export it again"
            ) from None
    return read_musicxml(xml, source=f"{source}:{inner}", verse=verse)


def _mxl_rootfile(archive: zipfile.ZipFile, source: str) -> str:
    names = archive.namelist()
    container: ET.Element | None = None
    if "META-INF/container.xml" in names:
        info = archive.getinfo("META-INF/container.xml")
        try:
            raw = archive.read(info) if info.file_size < _MAX_CONTAINER_BYTES else b""
            if raw and b"<!ENTITY" not in raw:
                container = ET.fromstring(raw)
        except (ET.ParseError, *_ZIP_ERRORS):
            container = None
        if container is not None:
            for rootfile in container.iter():
                if _local(rootfile.tag) != "rootfile":
                    continue
                path = rootfile.get("full-path", "")
                media = rootfile.get("media-type", "")
                if path in names and (not media or "musicxml" in media):
                    return path
    candidates = [n for n in names if not n.startswith("META-INF/")
                  and n.lower().endswith((".musicxml", ".xml"))]
    if not candidates:
        raise InputError(
            f"compressed MusicXML file {source} holds no MusicXML score (no rootfile in "
            "META-INF/container.xml and no .musicxml inside); export it again"
        )
    return candidates[0]


def _parse_xml(data: bytes, ctx: _Ctx) -> ET.Element:
    head = data[:4]
    text_for_check = data
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text_for_check = data.decode("utf-16", "replace").encode("utf-8", "replace")
    if b"<!ENTITY" in text_for_check:
        raise ctx.error(
            "it declares XML entities, which Yinse does not expand (they can read other files "
            "or blow up in size)",
            "export the score again from a notation program",
        )
    if not data.strip():
        raise ctx.error("the file is empty", "export the score again")
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not utf16 and not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise ctx.error(
            "it is not XML (it does not start with '<')",
            "give a MusicXML file exported from a notation program",
        )
    parser = ET.XMLParser()
    try:
        parser.feed(data)
        return parser.close()
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        total_lines = data.count(b"\n") + 1
        reason = str(exc).split(":")[0]
        cut_mid_tag = not data.rstrip(b" \t\r\n\x00").endswith((b">", b">\x00"))
        unclosed = reason in ("no element found", "unclosed token") and line >= total_lines - 1
        if cut_mid_tag or unclosed:
            raise ctx.error(
                f"the XML stops early at line {line} (truncated: {reason})",
                "the file is incomplete; export or download it again",
            ) from None
        raise ctx.error(
            f"it is not well-formed XML ({reason} at line {line}, column {col})",
            "export it again from your notation program",
        ) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(el: ET.Element | None, path: str, default: str | None = None) -> str | None:
    found = el.find(path) if el is not None else None
    if found is None or found.text is None:
        return default
    return found.text.strip()


def _number(text: str | None, ctx: _Ctx, what: str) -> Fraction:
    try:
        value = Fraction(text.strip()) if text is not None else None
    except (ValueError, ZeroDivisionError):
        value = None
    if value is None:
        raise ctx.error(f"{what} is {text!r}, not a number", "fix or re-export the file")
    return value


def _parse_part(part: ET.Element, ctx: _Ctx) -> _Part:
    """Every note of the part with its exact start, plus the part's tempo/key/time marks."""
    out = _Part(part_id=part.get("id", "?"))
    divisions: Fraction | None = None
    measure_start = Fraction(0)
    open_slurs: dict[str, set[str]] = {}
    for measure in part:
        if _local(measure.tag) != "measure":
            continue
        number = measure.get("number", "?")
        ctx.where = f"part {out.part_id}, measure {number}"
        pos = measure_start
        longest = Fraction(0)
        last_start = pos
        for el in measure:
            tag = _local(el.tag)
            if tag == "attributes":
                divisions = _attributes(el, out, pos, divisions, ctx)
            elif tag in ("backup", "forward"):
                divisions = _need(divisions, ctx)
                dur = _number(_text(el, "duration"), ctx, f"<{tag}> duration") / divisions
                pos = pos - dur if tag == "backup" else pos + dur
            elif tag == "direction":
                divisions = _need(divisions, ctx)
                offset = _text(el, "offset")
                at = pos + (_number(offset, ctx, "direction offset") / divisions if offset else 0)
                bpm = _direction_tempo(el)
                if bpm is not None:
                    out.tempos.append((max(at, Fraction(0)), bpm))
            elif tag == "sound" and el.get("tempo"):
                bpm = _float(el.get("tempo"))
                if bpm:
                    out.tempos.append((pos, bpm))
            elif tag == "note":
                if el.find("grace") is not None:
                    continue
                divisions = _need(divisions, ctx)
                dur = _number(_text(el, "duration"), ctx, "note <duration>") / divisions
                if dur < 0:
                    raise ctx.error("a note has a negative duration", "re-export the file")
                chord = el.find("chord") is not None
                start = last_start if chord else pos
                voice = _text(el, "voice", "1") or "1"
                if voice not in out.voice_order:
                    out.voice_order.append(voice)
                pitch = _pitch(el, ctx)
                in_slur, slur_events = bool(open_slurs.get(voice)), _slurs(el)
                for kind, slur_no in slur_events:
                    slurs = open_slurs.setdefault(voice, set())
                    if kind == "stop":
                        slurs.discard(slur_no)
                    elif kind == "start":
                        slurs.add(slur_no)
                if pitch is not None and el.find("cue") is None:
                    ties = [t.get("type") for t in el.findall("tie")]
                    ties += [t.get("type") for t in el.findall("notations/tied")]
                    out.notes.append(_XNote(
                        start=start, dur=dur, pitch=pitch, voice=voice, measure=number,
                        chord=chord,
                        tie_start="start" in ties or "continue" in ties,
                        tie_stop="stop" in ties or "continue" in ties,
                        in_slur=in_slur, velocity=_velocity(el.get("dynamics")),
                        lyrics=_lyrics(el),
                    ))
                if not chord:
                    last_start = pos
                    pos += dur
            longest = max(longest, pos - measure_start)
        measure_start += longest
    ctx.where = ""
    return out


def _need(divisions: Fraction | None, ctx: _Ctx) -> Fraction:
    if divisions is None:
        raise ctx.error(
            "a note or direction comes before <divisions> is set", "re-export the file"
        )
    return divisions


def _attributes(
    el: ET.Element, out: _Part, pos: Fraction, divisions: Fraction | None, ctx: _Ctx
) -> Fraction | None:
    text = _text(el, "divisions")
    if text is not None:
        divisions = _number(text, ctx, "<divisions>")
        if divisions <= 0:
            raise ctx.error(f"<divisions> is {text}, not positive", "re-export the file")
    key = el.find("key")
    fifths = _text(key, "fifths")
    if fifths is not None and re.fullmatch(r"[+-]?\d+", fifths):
        mode = (_text(key, "mode") or "major").lower()
        out.keys.append(KeyChange(float(pos), int(fifths), mode))
    time = el.find("time")
    if time is not None and time.find("senza-misura") is None:
        beats, beat_type = _text(time, "beats"), _text(time, "beat-type")
        try:
            numerator = sum(int(b) for b in (beats or "").split("+"))
            denominator = int(beat_type or "")
        except ValueError:
            numerator = denominator = 0
        if numerator > 0 and denominator > 0:
            out.times.append(TimeSignature(float(pos), numerator, denominator))
    return divisions


def _direction_tempo(el: ET.Element) -> float | None:
    """Quarter notes per minute from ``<sound tempo>`` or, failing that, ``<metronome>``."""
    for sound in el.iter("sound"):
        bpm = _float(sound.get("tempo"))
        if bpm:
            return bpm
    for metronome in el.iter("metronome"):
        units = metronome.findall("beat-unit")
        per_minute = _float(re.sub(r"^[^\d.]*", "", _text(metronome, "per-minute", "") or ""))
        if len(units) != 1 or not per_minute:
            continue  # metric modulation (unit = unit) or no number: no tempo here
        unit = _BEAT_UNITS.get((units[0].text or "").strip())
        if unit is None:
            continue
        dots = len(metronome.findall("beat-unit-dot"))
        beats = unit * (2 - Fraction(1, 2**dots))
        return per_minute * float(beats)
    return None


def _float(text: str | None) -> float | None:
    if not text:
        return None
    match = re.match(r"\s*([0-9]*\.?[0-9]+)", text)
    return float(match.group(1)) if match else None


def _pitch(el: ET.Element, ctx: _Ctx) -> float | None:
    pitch = el.find("pitch")
    if pitch is None:
        return None  # a rest, or an unpitched (percussion) note: nothing to sing
    step = (_text(pitch, "step") or "").upper()
    octave = _text(pitch, "octave")
    if step not in _STEPS or octave is None or not re.fullmatch(r"-?\d+", octave):
        raise ctx.error(f"a note has an unreadable pitch (step {step!r}, octave {octave!r})",
                        "re-export the file")
    alter = float(_number(_text(pitch, "alter", "0"), ctx, "<alter>"))
    return (int(octave) + 1) * 12 + _STEPS[step] + alter


def _velocity(dynamics: str | None) -> int:
    """MusicXML ``dynamics`` is a percentage of forte (MIDI velocity 90)."""
    value = _float(dynamics)
    if value is None:
        return 100
    return max(1, min(127, round(value * 0.9)))


def _slurs(el: ET.Element) -> list[tuple[str, str]]:
    return [(s.get("type", ""), s.get("number", "1")) for s in el.findall("notations/slur")]


def _lyrics(el: ET.Element) -> dict[int, _Lyric]:
    out: dict[int, _Lyric] = {}
    for lyric in el.findall("lyric"):
        match = re.search(r"(\d+)\s*$", lyric.get("number", "1"))
        verse = int(match.group(1)) if match else 1
        texts = [(t.text or "").strip() for t in lyric.findall("text")]
        text: str | None = " ".join(t for t in texts if t)
        if is_melisma_mark(text):
            text = None
        syllabic = (_text(lyric, "syllabic") or "single").lower()
        extend = lyric.find("extend")
        extends = extend is not None and extend.get("type", "start") != "stop"
        out.setdefault(verse, _Lyric(
            text=text,
            syllabic=syllabic if syllabic in _SYLLABICS else "single",
            extend=extends,
        ))
    return out


def _has_text(notes: list[_XNote]) -> bool:
    return any(lyr.text for n in notes for lyr in n.lyrics.values())


def _choose_voice(part: _Part) -> str:
    with_text = [v for v in part.voice_order if _has_text([n for n in part.notes if n.voice == v])]
    with_notes = [v for v in part.voice_order if any(n.voice == v for n in part.notes)]
    for choices in (with_text, with_notes):
        if "1" in choices:
            return "1"
        if choices:
            return choices[0]
    return "1"


def _resolve_verse(notes: list[_XNote], verse: int, ctx: _Ctx) -> int:
    if verse < 1:
        raise ctx.error(f"verse {verse} was asked for", "verses are numbered from 1")
    available = sorted({v for n in notes for v, lyr in n.lyrics.items() if lyr.text})
    if not available or verse in available:
        return verse
    if verse == 1:
        return available[0]
    raise ctx.error(
        f"the melody has no verse {verse} lyrics (it has verse "
        f"{', '.join(map(str, available))})",
        "pick one of those verses",
    )


def _merge_ties(notes: list[_XNote], verse: int) -> list[_XNote]:
    """Tied notes become one note, unless the tied-to note starts a new syllable."""
    out: list[_XNote] = []
    for n in notes:
        prev = out[-1] if out else None
        own = n.lyrics.get(verse)
        if (
            prev is not None
            and n.tie_stop
            and prev.tie_start
            and prev.pitch == n.pitch
            and prev.end == n.start
            and not (own and own.text)
        ):
            prev.dur += n.dur
            prev.tie_start = n.tie_start
            continue
        out.append(_XNote(**{**n.__dict__, "lyrics": dict(n.lyrics)}))
    return out


def _assign_lyrics(notes: list[_XNote], verse: int) -> list[Note]:
    out: list[Note] = []
    extending = False
    prev_end: Fraction | None = None
    for n in notes:
        if prev_end is not None and n.start > prev_end:
            extending = False  # a rest ends any extender
        lyric: str | None = None
        syllabic = "single"
        own = n.lyrics.get(verse)
        if own is not None:
            if own.text is not None:
                lyric, syllabic, extending = own.text, own.syllabic, own.extend
            else:
                extending = own.extend or extending
        elif not (n.in_slur or extending):
            others = [n.lyrics[v] for v in sorted(n.lyrics) if n.lyrics[v].text]
            if others:
                lyric, syllabic = others[0].text, others[0].syllabic
        out.append(Note(
            start_beats=float(n.start), dur_beats=float(n.dur), pitch_midi=n.pitch,
            lyric=lyric, syllabic=syllabic if lyric is not None else "single",
            velocity=n.velocity,
        ))
        prev_end = n.end
    return out


def _title(root: ET.Element) -> str:
    for path in ("work/work-title", "movement-title"):
        text = _text(root, path)
        if text:
            return " ".join(text.split())
    return ""


def _dedupe(items: list, fields: tuple[str, ...]) -> list:
    out: list = []
    for item in items:
        if out and all(getattr(out[-1], f) == getattr(item, f) for f in fields):
            continue
        if out and out[-1].beat == item.beat:
            out[-1] = item  # two marks at one place: the later one wins
            continue
        out.append(item)
    return out


# ------------------------------------------------------------------------- export
_SHARP_NAMES = [("C", 0), ("C", 1), ("D", 0), ("D", 1), ("E", 0), ("F", 0),
                ("F", 1), ("G", 0), ("G", 1), ("A", 0), ("A", 1), ("B", 0)]
_FLAT_NAMES = [("C", 0), ("D", -1), ("D", 0), ("E", -1), ("E", 0), ("F", 0),
               ("G", -1), ("G", 0), ("A", -1), ("A", 0), ("B", -1), ("B", 0)]
_TYPE_TICKS = [("whole", 4 * DIVISIONS), ("half", 2 * DIVISIONS), ("quarter", DIVISIONS),
               ("eighth", DIVISIONS // 2), ("16th", DIVISIONS // 4), ("32nd", DIVISIONS // 8),
               ("64th", DIVISIONS // 16), ("128th", DIVISIONS // 32)]


def _note_values() -> list[tuple[int, str, int]]:
    """(ticks, type, dots) for every plain, dotted and double-dotted value, longest first."""
    values = []
    for name, ticks in _TYPE_TICKS:
        for dots in range(3):
            total = ticks * (2 - Fraction(1, 2**dots))
            if total.denominator == 1:
                values.append((int(total), name, dots))
    return sorted(values, reverse=True)


_NOTE_VALUES = _note_values()
_EXACT = {ticks: (name, dots) for ticks, name, dots in _NOTE_VALUES}


def _split_value(ticks: int) -> list[tuple[int, str | None, int]]:
    """Pieces that each have a written note value, or the whole length with no type."""
    if ticks in _EXACT:
        return [(ticks, *_EXACT[ticks])]
    pieces: list[tuple[int, str | None, int]] = []
    rest = ticks
    while rest > 0 and len(pieces) < 6:
        piece = next(((t, n, d) for t, n, d in _NOTE_VALUES if t <= rest and d == 0), None)
        if piece is None:
            break
        pieces.append(piece)
        rest -= piece[0]
    return pieces if rest == 0 else [(ticks, None, 0)]


@dataclass
class _Seg:
    """A stretch of one bar: a rest, or a piece of a (possibly tied) note."""

    start: int
    end: int
    note: int | None = None  # index into score.notes
    first: bool = False  # the note's first piece (gets the lyric, slur start)
    last: bool = False  # the note's last piece (gets the slur stop)


def write_musicxml(score: Score) -> bytes:
    """The score as one-part partwise MusicXML 4.0."""
    ticks = _note_ticks(score)
    end_tick = max((e for _, e in ticks), default=0)
    bars = _bars(score, end_tick)
    tempo_at = {_tick(t.beat): t.bpm for t in score.tempos}
    key_at = {_tick(k.beat): k for k in score.keys}
    time_at = {_tick(t.beat): t for t in score.time_signatures}
    cuts = set(tempo_at) | set(key_at)
    melisma_end = _melisma_ends(score)
    fifths = score.keys[0].fifths if score.keys else 0

    root = ET.Element("score-partwise", version="4.0")
    if score.title:
        ET.SubElement(ET.SubElement(root, "work"), "work-title").text = score.title
    ident = ET.SubElement(root, "identification")
    encoding = ET.SubElement(ident, "encoding")
    ET.SubElement(encoding, "software").text = "Yinse"
    ET.SubElement(encoding, "encoding-date").text = _dt.date.today().isoformat()
    part_list = ET.SubElement(root, "part-list")
    score_part = ET.SubElement(part_list, "score-part", id="P1")
    ET.SubElement(score_part, "part-name").text = "Voice"
    part = ET.SubElement(root, "part", id="P1")

    pitches = [n.pitch_midi for n in score.notes]
    bass = bool(pitches) and sum(pitches) / len(pitches) < 55
    for number, (bar_start, bar_end) in enumerate(bars, start=1):
        measure = ET.SubElement(part, "measure", number=str(number))
        segs = _bar_segments(ticks, bar_start, bar_end, cuts)
        for seg in segs:
            attrs_needed = number == 1 and seg.start == bar_start
            key = key_at.get(seg.start)
            time = time_at.get(seg.start) if seg.start == bar_start else None
            if attrs_needed or key is not None or time is not None:
                attributes = ET.SubElement(measure, "attributes")
                if attrs_needed:
                    ET.SubElement(attributes, "divisions").text = str(DIVISIONS)
                if key is not None:
                    fifths = key.fifths
                    k = ET.SubElement(attributes, "key")
                    ET.SubElement(k, "fifths").text = str(key.fifths)
                    ET.SubElement(k, "mode").text = key.mode
                if time is not None or attrs_needed:
                    t = time or score.time_signatures[0]
                    tm = ET.SubElement(attributes, "time")
                    ET.SubElement(tm, "beats").text = str(t.numerator)
                    ET.SubElement(tm, "beat-type").text = str(t.denominator)
                if attrs_needed:
                    clef = ET.SubElement(attributes, "clef")
                    ET.SubElement(clef, "sign").text = "F" if bass else "G"
                    ET.SubElement(clef, "line").text = "4" if bass else "2"
            if seg.start in tempo_at:
                _write_tempo(measure, tempo_at.pop(seg.start))
            whole_bar = seg.note is None and seg.start == bar_start and seg.end == bar_end
            length = seg.end - seg.start
            pieces = [(length, None, 0)] if whole_bar else _split_value(length)
            for i, (piece_len, name, dots) in enumerate(pieces):
                _write_note(
                    measure, score, seg, piece_len, name, dots, fifths,
                    piece=i, n_pieces=len(pieces), whole_bar=whole_bar,
                    melisma_end=melisma_end,
                )
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 4.0 Partwise//EN" '
        '"http://www.musicxml.org/dtds/partwise.dtd">\n'
    )
    return (head + body + "\n").encode("utf-8")


def write_mxl(score: Score) -> bytes:
    """The score as compressed MusicXML (.mxl)."""
    buf = io.BytesIO()
    container = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<container><rootfiles><rootfile full-path="score.musicxml" '
        'media-type="application/vnd.recordare.musicxml+xml"/></rootfiles></container>\n'
    )
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("mimetype", "application/vnd.recordare.musicxml",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", container,
                         compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("score.musicxml", write_musicxml(score),
                         compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _tick(beat: float) -> int:
    return max(0, round(beat * DIVISIONS))


def _note_ticks(score: Score) -> list[tuple[int, int]]:
    """(start, end) in divisions; refuses what one voice cannot hold."""
    out: list[tuple[int, int]] = []
    for i, note in enumerate(score.notes):
        start, end = _tick(note.start_beats), _tick(note.end_beats)
        if out and start < out[-1][1]:
            if out[-1][1] - start > 1:
                raise InputError(
                    f"notes {i} and {i + 1} overlap at beat {note.start_beats:g}; MusicXML "
                    "export writes one voice: keep one melody line"
                )
            out[-1] = (out[-1][0], start)  # rounding: they touch
        if end <= start:
            raise InputError(
                f"note {i + 1} at beat {note.start_beats:g} is shorter than 1/{DIVISIONS} beat; "
                "give it a real duration"
            )
        out.append((start, end))
    return out


def _bars(score: Score, end_tick: int) -> list[tuple[int, int]]:
    """Bar (start, end) in divisions from the time signatures, covering every note."""
    sigs = sorted((_tick(t.beat), t) for t in score.time_signatures)
    bars: list[tuple[int, int]] = []
    start = 0
    while not bars or start < end_tick:
        current = sigs[0][1]
        for at, sig in sigs:
            if at <= start:
                current = sig
        length = int(current.numerator * 4 * DIVISIONS // current.denominator) or DIVISIONS
        end = start + length
        nxt = [at for at, _ in sigs if start < at < end]
        if nxt:
            end = nxt[0]  # a time change mid-bar: close the bar there
        bars.append((start, end))
        start = end
    return bars


def _bar_segments(
    ticks: list[tuple[int, int]], bar_start: int, bar_end: int, cuts: set[int]
) -> list[_Seg]:
    """Rests and note pieces filling one bar, split where a key or tempo changes."""
    segs: list[_Seg] = []
    pos = bar_start
    for i, (start, end) in enumerate(ticks):
        if end <= bar_start or start >= bar_end:
            continue
        s, e = max(start, bar_start), min(end, bar_end)
        if s > pos:
            segs.append(_Seg(pos, s))
        segs.append(_Seg(s, e, note=i, first=s == start, last=e == end))
        pos = e
    if pos < bar_end:
        segs.append(_Seg(pos, bar_end))
    out: list[_Seg] = []
    for seg in segs:
        inner = sorted(c for c in cuts if seg.start < c < seg.end)
        bounds = [seg.start, *inner, seg.end]
        for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
            out.append(_Seg(a, b, seg.note, seg.first and k == 0,
                            seg.last and k == len(bounds) - 2))
    return out


def _melisma_ends(score: Score) -> dict[int, int]:
    """For each syllable note followed by melisma notes, the index of its last one."""
    ends: dict[int, int] = {}
    owner: int | None = None
    for i, note in enumerate(score.notes):
        if note.lyric is not None:
            owner = i
        elif owner is not None:
            ends[owner] = i
    return ends


def _write_tempo(measure: ET.Element, bpm: float) -> None:
    text = f"{round(bpm, 4):g}"
    direction = ET.SubElement(measure, "direction", placement="above")
    metronome = ET.SubElement(ET.SubElement(direction, "direction-type"), "metronome")
    ET.SubElement(metronome, "beat-unit").text = "quarter"
    ET.SubElement(metronome, "per-minute").text = text
    ET.SubElement(direction, "sound", tempo=text)


def _spell(pitch_midi: float, fifths: int) -> tuple[str, float, int]:
    base = math.floor(pitch_midi + 0.5)
    names = _FLAT_NAMES if fifths < 0 else _SHARP_NAMES
    step, alter = names[base % 12]
    return step, alter + (pitch_midi - base), base // 12 - 1


def _write_note(
    measure: ET.Element,
    score: Score,
    seg: _Seg,
    length: int,
    name: str | None,
    dots: int,
    fifths: int,
    *,
    piece: int,
    n_pieces: int,
    whole_bar: bool,
    melisma_end: dict[int, int],
) -> None:
    el = ET.SubElement(measure, "note")
    if seg.note is None:
        rest = ET.SubElement(el, "rest")
        if whole_bar:
            rest.set("measure", "yes")
        ET.SubElement(el, "duration").text = str(length)
        ET.SubElement(el, "voice").text = "1"
        if name and not whole_bar:
            ET.SubElement(el, "type").text = name
            for _ in range(dots):
                ET.SubElement(el, "dot")
        return
    note = score.notes[seg.note]
    if note.velocity != 100:
        el.set("dynamics", f"{note.velocity / 0.9:.2f}")
    step, alter, octave = _spell(note.pitch_midi, fifths)
    pitch = ET.SubElement(el, "pitch")
    ET.SubElement(pitch, "step").text = step
    if alter:
        ET.SubElement(pitch, "alter").text = f"{alter:g}"
    ET.SubElement(pitch, "octave").text = str(octave)
    ET.SubElement(el, "duration").text = str(length)
    first = seg.first and piece == 0
    last = seg.last and piece == n_pieces - 1
    tie_stop, tie_start = not first, not last
    if tie_stop:
        ET.SubElement(el, "tie", type="stop")
    if tie_start:
        ET.SubElement(el, "tie", type="start")
    ET.SubElement(el, "voice").text = "1"
    if name:
        ET.SubElement(el, "type").text = name
        for _ in range(dots):
            ET.SubElement(el, "dot")
    slur_start = first and seg.note in melisma_end
    slur_stop = last and seg.note in melisma_end.values()
    if tie_stop or tie_start or slur_start or slur_stop:
        notations = ET.SubElement(el, "notations")
        if tie_stop:
            ET.SubElement(notations, "tied", type="stop")
        if tie_start:
            ET.SubElement(notations, "tied", type="start")
        if slur_stop:
            ET.SubElement(notations, "slur", type="stop", number="1")
        if slur_start:
            ET.SubElement(notations, "slur", type="start", number="1")
    if first and note.lyric is not None:
        lyric = ET.SubElement(el, "lyric", number="1")
        ET.SubElement(lyric, "syllabic").text = note.syllabic
        ET.SubElement(lyric, "text").text = note.lyric
        if seg.note in melisma_end:
            ET.SubElement(lyric, "extend", type="start")
