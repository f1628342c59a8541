"""Standard MIDI files in and out (via mido).

Import picks one melody: the (track, channel) whose note onsets carry the lyric events
(``lyrics`` meta events, or ``text`` events at note onsets when a file has no ``lyrics``,
as karaoke files do), else the one with the most notes; drums (channel 10) never count.
Legato overlaps are cut at the next onset, zero-length notes are dropped, and true chords
are refused because a voice sings one note at a time.  A lyric ending in ``-`` continues
its word into the next lyric (``Twin-`` ``kle``), which is also how export writes words.

Export writes one track (format 0) at 480 ticks per beat: tempo map, key and time
signatures, a ``lyrics`` event at each syllable's first note, then the notes.  Pitches are
rounded to semitones (no pitch bend) and per-note vibrato is not written.
"""

from __future__ import annotations

import bisect
import io
import re
from dataclasses import dataclass
from typing import Any

import mido
from mido.midifiles.meta import KeySignatureError

from ..core.errors import InputError
from ..core.score import KeyChange, Note, Score, TempoChange, TimeSignature
from .lyrics import syllabic_from_hyphens

TICKS_PER_BEAT = 480
_DRUM_CHANNEL = 9
#: A lyric this close to a note onset (in beats) belongs to that note: files from some
#: editors place lyric events a few ticks off.
_LYRIC_SNAP_BEATS = 1 / 16
#: A karaoke-style text event longer than this is a comment, not a sung syllable.
_MAX_TEXT_LYRIC_BYTES = 32
_PLACEHOLDER_NAME = re.compile(r"(master|tempo|conductor|untitled|track|音轨)?\s*(track)?\s*\d*")

_MAJOR_KEYS = {-7: "Cb", -6: "Gb", -5: "Db", -4: "Ab", -3: "Eb", -2: "Bb", -1: "F", 0: "C",
               1: "G", 2: "D", 3: "A", 4: "E", 5: "B", 6: "F#", 7: "C#"}
_MINOR_KEYS = {-7: "Abm", -6: "Ebm", -5: "Bbm", -4: "Fm", -3: "Cm", -2: "Gm", -1: "Dm",
               0: "Am", 1: "Em", 2: "Bm", 3: "F#m", 4: "C#m", 5: "G#m", 6: "D#m", 7: "A#m"}
_KEY_TO_FIFTHS = {name: (f, "major") for f, name in _MAJOR_KEYS.items()}
_KEY_TO_FIFTHS.update({name: (f, "minor") for f, name in _MINOR_KEYS.items()})
# Text encodings tried, in order, for lyric bytes (mido hands them over as latin-1).
_LYRIC_ENCODINGS = ("utf-8", "gbk", "cp932")
_MIDI_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, TypeError,
                KeySignatureError)


@dataclass
class _RawNote:
    start_tick: int
    end_tick: int
    pitch: int
    velocity: int


@dataclass
class _Track:
    name: str
    notes: dict[int, list[_RawNote]]  # by channel
    lyrics: list[tuple[int, bytes]]  # (tick, raw text) from 'lyrics' events
    texts: list[tuple[int, bytes]]  # (tick, raw text) from 'text' events


# ------------------------------------------------------------------------- import
def read_midi(data: bytes, *, source: str) -> Score:
    """A Score from the bytes of a standard MIDI file (not validated)."""
    mid = _open(data, source=source)
    tpb = mid.ticks_per_beat
    if not 0 < tpb < 0x8000:
        raise InputError(
            f"MIDI file {source} uses SMPTE time ({tpb} ticks per beat), which has no beats; "
            "re-export it with musical (ticks per quarter note) timing"
        )
    tempos: dict[int, float] = {}
    keys: dict[int, KeyChange] = {}
    times: dict[int, TimeSignature] = {}
    tracks: list[_Track] = []
    for track in mid.tracks:
        tracks.append(_read_track(track, tpb, tempos, keys, times))

    melody_track, channel = _choose_melody(tracks, source=source)
    raw = _clean_notes(melody_track.notes[channel], tpb, source=source)
    use_lyrics = any(t.lyrics for t in tracks)
    lyric_events = _lyrics_for(melody_track, tracks, use_lyrics=use_lyrics)
    lyric_of = _attach_lyrics(raw, lyric_events, tpb, strict=use_lyrics, source=source)
    syllables = syllabic_from_hyphens(lyric_of.get(i) for i in range(len(raw)))
    notes = tuple(
        Note(
            start_beats=r.start_tick / tpb,
            dur_beats=(r.end_tick - r.start_tick) / tpb,
            pitch_midi=float(r.pitch),
            lyric=lyric,
            syllabic=syllabic,
            velocity=r.velocity,
        )
        for r, (lyric, syllabic) in zip(raw, syllables)
    )
    tempo_list = _dedupe(
        [TempoChange(tick / tpb, bpm) for tick, bpm in sorted(tempos.items())], ("bpm",)
    ) or [TempoChange(0.0, 120.0)]
    key_list = _dedupe([keys[t] for t in sorted(keys)], ("fifths", "mode"))
    time_list = _dedupe([times[t] for t in sorted(times)], ("numerator", "denominator"))
    return Score(
        notes=notes,
        tempos=tuple(tempo_list),
        keys=tuple(key_list),
        time_signatures=tuple(time_list) or (TimeSignature(0.0, 4, 4),),
        title=_title(tracks),
    )


def _title(tracks: list[_Track]) -> str:
    """The first track's name, unless it is a sequencer's placeholder."""
    name = tracks[0].name if tracks else ""
    return "" if _PLACEHOLDER_NAME.fullmatch(name.lower()) else name


def _open(data: bytes, *, source: str) -> mido.MidiFile:
    if not data.startswith(b"MThd"):
        raise InputError(
            f"{source} is not a MIDI file (it does not start with 'MThd'); "
            "give a standard MIDI file (.mid) or use the right extension for this file"
        )
    try:
        mid = mido.MidiFile(file=io.BytesIO(data), charset="latin1")
    except _MIDI_ERRORS as exc:
        detail = "it ends early" if isinstance(exc, EOFError) else str(exc) or type(exc).__name__
        raise InputError(
            f"MIDI file {source} is damaged or truncated ({detail}); export or download it again"
        ) from None
    if mid.type == 2:
        raise InputError(
            f"MIDI file {source} is type 2 (independent patterns); save it as type 0 or 1"
        )
    return mid


def _read_track(
    track: mido.MidiTrack,
    tpb: int,
    tempos: dict[int, float],
    keys: dict[int, KeyChange],
    times: dict[int, TimeSignature],
) -> _Track:
    """Absolute-time notes per channel and lyric/text events; tempo/key/time go to the maps."""
    out = _Track(name="", notes={}, lyrics=[], texts=[])
    active: dict[tuple[int, int], tuple[int, int]] = {}  # (channel, pitch) -> (tick, vel)
    tick = 0

    def close(channel: int, pitch: int, end: int) -> None:
        start, vel = active.pop((channel, pitch))
        out.notes.setdefault(channel, []).append(_RawNote(start, end, pitch, vel))

    for msg in track:
        tick += msg.time
        kind = msg.type
        if kind == "note_on" and msg.velocity > 0:
            if (msg.channel, msg.note) in active:  # re-struck without a note-off
                close(msg.channel, msg.note, tick)
            active[(msg.channel, msg.note)] = (tick, msg.velocity)
        elif kind in ("note_off", "note_on"):
            if (msg.channel, msg.note) in active:
                close(msg.channel, msg.note, tick)
        elif kind == "set_tempo":
            tempos[tick] = round(mido.tempo2bpm(msg.tempo), 3)
        elif kind == "key_signature":
            fifths, mode = _KEY_TO_FIFTHS.get(msg.key, (0, "major"))
            keys[tick] = KeyChange(tick / tpb, fifths, mode)
        elif kind == "time_signature":
            times[tick] = TimeSignature(tick / tpb, msg.numerator, msg.denominator)
        elif kind == "lyrics":
            out.lyrics.append((tick, msg.text.encode("latin1", "replace")))
        elif kind == "text":
            out.texts.append((tick, msg.text.encode("latin1", "replace")))
        elif kind == "track_name" and not out.name:
            out.name = _decode([msg.name.encode("latin1", "replace")])[0].strip()
    for channel, pitch in list(active):  # held to the end of the track
        close(channel, pitch, tick)
    return out


def _choose_melody(tracks: list[_Track], *, source: str) -> tuple[_Track, int]:
    """The (track, channel) the lyric events sit on, else the one with the most notes."""
    use_lyrics = any(t.lyrics for t in tracks)
    lyric_ticks = {tick for t in tracks for tick, _ in (t.lyrics if use_lyrics else t.texts)}
    best: tuple[tuple[float, ...], _Track, int] | None = None
    for index, track in enumerate(tracks):
        for channel, notes in track.notes.items():
            if channel == _DRUM_CHANNEL or not notes:
                continue
            onsets = {n.start_tick for n in notes}
            own = {t for t, _ in (track.lyrics if use_lyrics else track.texts)}
            own_hits, hits = len(onsets & own), len(onsets & lyric_ticks)
            # Lyrics in its own track beat lyrics elsewhere; among channels sharing the
            # lyric onsets, the one with fewest notes off them (accompaniment fills in).
            rank = (own_hits, hits, hits / len(notes), len(notes), -index)
            if best is None or rank > best[0]:
                best = (rank, track, channel)
    if best is None:
        raise InputError(
            f"MIDI file {source} has no notes (drum channel 10 is not a melody); "
            "export the vocal melody as notes"
        )
    return best[1], best[2]


def _lyrics_for(
    melody: _Track, tracks: list[_Track], *, use_lyrics: bool
) -> list[tuple[int, bytes]]:
    """Lyric events for the melody: its own track's, else every track's (karaoke files keep
    words in a track of their own).  ``text`` events only stand in when no ``lyrics`` exist;
    karaoke headers (``@T`` title, ``@L`` language ...) are not words."""
    pick = (lambda t: t.lyrics) if use_lyrics else (lambda t: t.texts)
    events = pick(melody) or [e for t in tracks for e in pick(t)]
    if not use_lyrics:
        # Text events are often credits and notes at tick 0: they count as lyrics only
        # when short ones land on at least two different onsets of the melody.
        events = [(tick, raw) for tick, raw in events
                  if not raw.startswith(b"@") and len(raw.strip()) <= _MAX_TEXT_LYRIC_BYTES]
        onsets = {n.start_tick for notes in melody.notes.values() for n in notes}
        if len({tick for tick, _ in events} & onsets) < 2:
            return []
    return sorted(events, key=lambda e: e[0])


def _clean_notes(notes: list[_RawNote], tpb: int, *, source: str) -> list[_RawNote]:
    """Drop zero-length notes and unison doubles, cut legato overlaps, refuse chords."""
    notes = sorted((n for n in notes if n.end_tick > n.start_tick),
                   key=lambda n: (n.start_tick, n.pitch, -n.end_tick))
    out: list[_RawNote] = []
    for note in notes:
        if out and note.start_tick == out[-1].start_tick:
            prev = out[-1]
            if note.pitch == prev.pitch:  # the same note twice: keep the longer
                continue
            raise InputError(
                f"MIDI file {source} has a chord at beat {note.start_tick / tpb:g} "
                f"(MIDI notes {prev.pitch} and {note.pitch} start together): a voice sings one "
                "note at a time; export only the vocal melody"
            )
        if out and note.start_tick < out[-1].end_tick:  # legato: cut the held note
            out[-1].end_tick = note.start_tick
        out.append(note)
    return out


def _attach_lyrics(
    notes: list[_RawNote],
    events: list[tuple[int, bytes]],
    tpb: int,
    *,
    strict: bool,
    source: str,
) -> dict[int, str]:
    """Lyric text per note index: each event goes to the note starting at its tick (or
    within a 64th note of it); events at the same note are joined.  A ``lyrics`` event
    that fits no note is an error (``strict``); a stray ``text`` event is just not a lyric."""
    texts = _decode([raw for _, raw in events])
    onsets = [n.start_tick for n in notes]
    snap = max(1, round(tpb * _LYRIC_SNAP_BEATS))
    by_note: dict[int, str] = {}
    for (tick, _), text in zip(events, texts):
        text = _strip_karaoke(text)
        if not text:
            continue
        i = _nearest(onsets, tick)
        if i is None or abs(onsets[i] - tick) > snap:
            if not strict:
                continue
            raise InputError(
                f"MIDI file {source}: lyric {text!r} at beat {tick / tpb:g} is not at the start "
                "of any melody note; align the lyric events with the notes, or give the lyrics "
                "as a separate text file"
            )
        by_note[i] = by_note.get(i, "") + text
    return by_note


def _nearest(onsets: list[int], tick: int) -> int | None:
    if not onsets:
        return None
    j = bisect.bisect_left(onsets, tick)
    candidates = [k for k in (j - 1, j) if 0 <= k < len(onsets)]
    return min(candidates, key=lambda k: abs(onsets[k] - tick))


def _strip_karaoke(text: str) -> str:
    """Karaoke ``/`` (new line) and ``\\`` (new paragraph) markers and line breaks go."""
    return text.lstrip("/\\").replace("\r", "").replace("\n", "").strip()


def _decode(raws: list[bytes]) -> list[str]:
    """Decode lyric bytes with the first encoding that fits all of them (UTF-8, GBK,
    Shift-JIS), so one file's lyrics are read consistently; latin-1 never fails."""
    blob = b"".join(raws)
    for enc in _LYRIC_ENCODINGS:
        try:
            blob.decode(enc)
        except UnicodeDecodeError:
            continue
        return [r.decode(enc) for r in raws]
    return [r.decode("latin1") for r in raws]


def _dedupe(items: list[Any], fields: tuple[str, ...]) -> list[Any]:
    """Drop changes that repeat what is already in force."""
    out: list[Any] = []
    for item in items:
        if out and all(getattr(out[-1], f) == getattr(item, f) for f in fields):
            continue
        out.append(item)
    return out


# ------------------------------------------------------------------------- export
def write_midi(score: Score) -> bytes:
    """The score as a format-0 MIDI file at 480 ticks per beat."""
    events: list[tuple[int, int, mido.Message | mido.MetaMessage]] = []

    def tick(beat: float) -> int:
        return max(0, round(beat * TICKS_PER_BEAT))

    # Order at one tick: note-offs, then meta (tempo, key, time, lyric), then note-ons.
    if score.title:
        events.append((0, 1, mido.MetaMessage("track_name", name=score.title)))
    for t in score.tempos:
        events.append((tick(t.beat), 1, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(t.bpm))))
    for k in score.keys:
        table = _MINOR_KEYS if k.mode == "minor" else _MAJOR_KEYS
        key = table.get(max(-7, min(7, k.fifths)), "C")
        events.append((tick(k.beat), 1, mido.MetaMessage("key_signature", key=key)))
    for ts in score.time_signatures:
        events.append((tick(ts.beat), 1, mido.MetaMessage(
            "time_signature", numerator=ts.numerator, denominator=ts.denominator)))
    for note in score.notes:
        pitch = max(0, min(127, round(note.pitch_midi)))
        velocity = max(1, min(127, note.velocity))
        start, end = tick(note.start_beats), tick(note.end_beats)
        if note.lyric is not None:
            text = note.lyric + ("-" if note.syllabic in ("begin", "middle") else "")
            events.append((start, 2, mido.MetaMessage("lyrics", text=text)))
        events.append((start, 3, mido.Message("note_on", note=pitch, velocity=velocity)))
        events.append((end, 0, mido.Message("note_off", note=pitch, velocity=64)))
    events.sort(key=lambda e: (e[0], e[1]))
    track = mido.MidiTrack()
    now = 0
    for at, _, msg in events:
        track.append(msg.copy(time=at - now))
        now = at
    track.append(mido.MetaMessage("end_of_track", time=0))
    mid = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT, charset="utf-8")
    mid.tracks.append(track)
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()
