"""Every way a file can be wrong ends in one InputError that names the problem."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from yinse.core.errors import InputError
from yinse.core.score import Note, Score
from yinse.formats import load_score, save_score

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"


def _raises(path: Path, *keywords: str, **kwargs: object) -> str:
    with pytest.raises(InputError) as info:
        load_score(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    for keyword in keywords:
        assert keyword in message, message
    return message


def test_missing_file(tmp_path: Path) -> None:
    _raises(tmp_path / "nope.musicxml", "does not exist", "nope.musicxml")


def test_folder_instead_of_file(tmp_path: Path) -> None:
    folder = tmp_path / "dir.mid"
    folder.mkdir()
    _raises(folder, "is a folder")


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "song.wav"
    path.write_bytes(b"RIFF")
    message = _raises(path, "unknown score format", "'.wav'")
    for ext in (".musicxml", ".mxl", ".mid", ".ust", ".notes"):
        assert ext in message


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.musicxml"
    with path.open("wb") as fh:
        fh.truncate(51 * 1024 * 1024)  # sparse: costs no disk
    _raises(path, "limit")


def test_malformed_xml(tmp_path: Path) -> None:
    path = tmp_path / "bad.musicxml"
    text = (DATA / "english_ms3.musicxml").read_text(encoding="utf-8")
    path.write_text(text.replace("</note>", "</nota>", 3), encoding="utf-8")
    _raises(path, "bad.musicxml", "not well-formed XML", "mismatched tag", "line")


def test_truncated_xml(tmp_path: Path) -> None:
    path = tmp_path / "cut.musicxml"
    data = (DATA / "mandarin_ms4.musicxml").read_bytes()
    for cut in (len(data) // 3, len(data) - 20):
        path.write_bytes(data[:cut])
        _raises(path, "cut.musicxml", "truncated")


def test_text_file_with_xml_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.xml"
    path.write_text("just some words", encoding="utf-8")
    _raises(path, "not XML")


def test_truncated_midi(tmp_path: Path) -> None:
    mid = mido.MidiFile()
    track = mido.MidiTrack()
    for i in range(20):
        track.append(mido.Message("note_on", note=60 + i, velocity=90, time=0))
        track.append(mido.Message("note_off", note=60 + i, time=480))
    mid.tracks.append(track)
    full = tmp_path / "full.mid"
    mid.save(full)
    data = full.read_bytes()
    path = tmp_path / "cut.mid"
    for cut in (10, 30, len(data) - 7):
        path.write_bytes(data[:cut])
        _raises(path, "cut.mid", "truncated")


def test_non_midi_with_mid_extension(tmp_path: Path) -> None:
    path = tmp_path / "song.mid"
    path.write_bytes((DATA / "twinkle.notes").read_bytes())
    _raises(path, "song.mid", "not a MIDI file")


def test_ust_missing_notenum(tmp_path: Path) -> None:
    path = tmp_path / "t.ust"
    path.write_text("[#SETTING]\nTempo=120\n[#0000]\nLength=480\nLyric=a\n", encoding="utf-8")
    _raises(path, "[#0000]", "NoteNum")


def test_ust_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "t.ust"
    path.write_bytes(b"[#0000]\nLength=480\nLyric=\xff\xfe\xfd\nNoteNum=60\n")
    _raises(path, "t.ust", "neither UTF-8 nor Shift-JIS")


def test_score_without_lyrics(tmp_path: Path) -> None:
    path = tmp_path / "nolyrics.notes"
    path.write_text("C4:1 D4:1 E4:2", encoding="utf-8")
    _raises(path, "nolyrics.notes", "no lyrics")


def test_overlapping_notes_from_two_voices_merged_wrongly(tmp_path: Path) -> None:
    # The same voice number used twice with a <backup>: notes overlap in one line.
    path = tmp_path / "overlap.musicxml"
    note = ("<note><pitch><step>{}</step><octave>4</octave></pitch><duration>2</duration>"
            "<voice>1</voice><lyric><text>la</text></lyric></note>")
    path.write_text(
        '<score-partwise version="4.0"><part-list><score-part id="P1"><part-name>V'
        '</part-name></score-part></part-list><part id="P1"><measure number="1"><attributes>'
        "<divisions>1</divisions></attributes>" + note.format("C") + note.format("D")
        + "<backup><duration>3</duration></backup>" + note.format("E")
        + "</measure></part></score-partwise>",
        encoding="utf-8",
    )
    _raises(path, "overlap", "one melody line")


def test_midi_chord(tmp_path: Path) -> None:
    mid = mido.MidiFile(type=0)
    track = mido.MidiTrack([
        mido.MetaMessage("lyrics", text="la", time=0),
        mido.Message("note_on", note=60, velocity=90, time=0),
        mido.Message("note_on", note=67, velocity=90, time=0),
        mido.Message("note_off", note=60, time=480),
        mido.Message("note_off", note=67, time=0),
    ])
    mid.tracks.append(track)
    path = tmp_path / "chord.mid"
    mid.save(path)
    _raises(path, "chord.mid", "chord", "melody")


def test_midi_zero_length_notes_are_dropped_not_fatal(tmp_path: Path) -> None:
    mid = mido.MidiFile(type=0)
    mid.tracks.append(mido.MidiTrack([
        mido.MetaMessage("lyrics", text="la", time=0),
        mido.Message("note_on", note=50, velocity=90, time=0),
        mido.Message("note_off", note=50, time=0),  # a zero-length artefact
        mido.Message("note_on", note=60, velocity=90, time=0),
        mido.Message("note_off", note=60, time=480),
    ]))
    path = tmp_path / "zero.mid"
    mid.save(path)
    score = load_score(path)
    assert [(n.pitch_midi, n.dur_beats, n.lyric) for n in score.notes] == [(60.0, 1.0, "la")]


def test_zero_length_note_in_notes_text(tmp_path: Path) -> None:
    path = tmp_path / "zero.notes"
    path.write_text("C4:0:la", encoding="utf-8")
    _raises(path, "zero.notes", "line 1", "duration '0'")


def test_zero_length_musicxml_note(tmp_path: Path) -> None:
    path = tmp_path / "zero.musicxml"
    path.write_text(
        '<score-partwise><part-list><score-part id="P1"><part-name>V</part-name></score-part>'
        '</part-list><part id="P1"><measure number="1"><attributes><divisions>1</divisions>'
        "</attributes><note><pitch><step>C</step><octave>4</octave></pitch>"
        "<duration>0</duration><lyric><text>la</text></lyric></note></measure></part>"
        "</score-partwise>",
        encoding="utf-8",
    )
    _raises(path, "zero.musicxml", "zero or negative length")


def test_lyrics_with_wrong_syllable_count(tmp_path: Path) -> None:
    lyrics = tmp_path / "words.txt"
    lyrics.write_text("Twin-kle twin-kle", encoding="utf-8")
    _raises(DATA / "english_ms3.musicxml", "4 syllables", "15 notes", "'-'",
            lyrics_path=lyrics)


def test_missing_lyrics_file(tmp_path: Path) -> None:
    _raises(DATA / "twinkle.notes", "lyrics file", "does not exist",
            lyrics_path=tmp_path / "none.txt")


def test_unsaveable_score_writes_nothing(tmp_path: Path) -> None:
    score = Score(notes=(Note(0.0, 1e-6, 60.0, "a"),))
    with pytest.raises(InputError, match="shorter than"):
        save_score(score, tmp_path / "x.musicxml")
    assert list(tmp_path.iterdir()) == []
