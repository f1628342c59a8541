"""Score -> file -> Score keeps what a singer needs: notes, lyrics, syllabic, tempo map."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from yinse.core.errors import InputError
from yinse.core.score import KeyChange, Note, Score, TempoChange, TimeSignature
from yinse.formats import load_score, save_score, write_musicxml

TICK = 1 / 480


def _score() -> Score:
    """Covers begin/middle/end words, a melisma, a rest, a bar-crossing note, a tempo
    change inside a note, a time change, two keys, a velocity and Mandarin."""
    notes = [
        Note(0.0, 1.0, 60.0, "Hal", "begin"),
        Note(1.0, 0.5, 62.0, "le", "middle"),
        Note(1.5, 0.5, 64.0, None),
        Note(2.0, 1.0, 65.0, "lu", "middle"),
        Note(3.0, 2.5, 67.0, "jah", "end", velocity=80),  # crosses the bar at beat 4
        Note(6.0, 0.5, 69.0, "我", "single"),
        Note(6.5, 1.5, 71.0, None),
        Note(8.0, 1.0, 72.0, "爱", "single"),
        Note(9.0, 1.0 / 3, 71.0, "you", "single"),
        Note(9.0 + 1.0 / 3, 2.0 / 3, 70.0, None),
        Note(10.0, 5.0, 62.0, "too", "single"),
    ]
    return Score(
        notes=tuple(notes),
        tempos=(TempoChange(0.0, 96.0), TempoChange(3.5, 72.0), TempoChange(8.0, 110.5)),
        keys=(KeyChange(0.0, 2, "major"), KeyChange(8.0, -3, "minor")),
        time_signatures=(TimeSignature(0.0, 4, 4), TimeSignature(8.0, 3, 4)),
        title="Hallelujah 我爱",
    )


def _assert_same_notes(a: Score, b: Score, *, tol: float) -> None:
    assert len(a.notes) == len(b.notes)
    for x, y in zip(a.notes, b.notes):
        assert x.start_beats == pytest.approx(y.start_beats, abs=tol)
        assert x.dur_beats == pytest.approx(y.dur_beats, abs=tol)
        assert x.pitch_midi == y.pitch_midi
        assert (x.lyric, x.syllabic, x.velocity) == (y.lyric, y.syllabic, y.velocity)


def _assert_same_maps(a: Score, b: Score, *, tol: float) -> None:
    assert [(t.beat, t.bpm) for t in a.tempos] == [
        (pytest.approx(t.beat, abs=tol), pytest.approx(t.bpm, abs=1e-3)) for t in b.tempos
    ]
    assert a.keys == b.keys
    assert a.time_signatures == b.time_signatures
    assert a.title == b.title


@pytest.mark.parametrize("ext", [".mid", ".midi"])
def test_midi_round_trip(tmp_path: Path, ext: str) -> None:
    score = _score()
    path = tmp_path / f"song{ext}"
    save_score(score, path)
    back = load_score(path)
    _assert_same_notes(back, score, tol=TICK)
    _assert_same_maps(back, score, tol=TICK)


@pytest.mark.parametrize("ext", [".musicxml", ".xml", ".mxl"])
def test_musicxml_round_trip_is_exact(tmp_path: Path, ext: str) -> None:
    score = _score()
    path = tmp_path / f"song{ext}"
    save_score(score, path)
    back = load_score(path)
    _assert_same_notes(back, score, tol=1e-9)
    _assert_same_maps(back, score, tol=1e-9)


def test_notes_text_round_trip(tmp_path: Path) -> None:
    score = Score(
        notes=(Note(0.0, 1.5, 62.0, "Twin", "begin"), Note(1.5, 0.5, 64.0, None),
               Note(2.0, 1.0, 66.0, "kle", "end"), Note(4.0, 2.0, 69.0, "星"),
               Note(6.0, 1.0, 60.5, "la")),
        tempos=(TempoChange(0.0, 80.0), TempoChange(4.0, 100.0)),
        keys=(KeyChange(0.0, -5, "minor"),),
        time_signatures=(TimeSignature(0.0, 3, 4),),
        title="Test",
    )
    path = tmp_path / "song.notes"
    save_score(score, path)
    assert load_score(path) == score


def test_musicxml_splits_bar_crossing_notes_with_ties() -> None:
    root = ET.fromstring(write_musicxml(_score()))
    measures = root.findall("part/measure")
    # the 2.5-beat "jah" from beat 3 is cut at the tempo change (3.5) and the barline (4)
    jah = [n for n in measures[0].findall("note") if n.findtext("pitch/step") == "G"]
    assert [[t.get("type") for t in n.findall("tie")] for n in jah] == [
        ["start"], ["stop", "start"]]
    first_of_bar2 = measures[1].findall("note")[0]
    assert [t.get("type") for t in first_of_bar2.findall("tie")] == ["stop"]
    # a melisma's syllable carries an extender; the melisma note has no lyric
    extends = [n for n in root.iter("note") if n.find("lyric/extend") is not None]
    assert [n.find("lyric/text").text for n in extends] == ["le", "我", "you"]
    # every bar of a time signature is full: durations add up
    for measure in measures:
        total = sum(int(n.findtext("duration")) for n in measure.findall("note"))
        assert total in (4 * 480, 3 * 480)


def test_musicxml_writes_types_where_they_are_exact() -> None:
    root = ET.fromstring(write_musicxml(_score()))
    types = {(n.findtext("duration"), n.findtext("type"), len(n.findall("dot")))
             for n in root.iter("note") if n.find("rest") is None}
    assert ("480", "quarter", 0) in types
    assert ("240", "eighth", 0) in types
    assert ("720", "quarter", 1) in types  # dotted quarter
    assert ("160", None, 0) in types  # a triplet eighth: duration only


def test_musicxml_export_is_readable_by_music21(tmp_path: Path) -> None:
    music21 = pytest.importorskip("music21")
    path = tmp_path / "song.musicxml"
    save_score(_score(), path)
    parsed = music21.converter.parse(str(path))
    notes = list(parsed.recurse().notes)
    # music21 keeps tied pieces as notes: the bar split adds pieces, lyrics stay 8
    assert sum(1 for n in notes if n.lyric) == 8
    assert parsed.metadata.title == "Hallelujah 我爱"


def test_save_is_atomic_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "song.mid"
    path.write_bytes(b"old")
    save_score(_score(), path)
    assert path.read_bytes().startswith(b"MThd")
    assert os.listdir(tmp_path) == ["song.mid"]  # no temp file left


def test_failed_save_leaves_nothing(tmp_path: Path) -> None:
    overlapping = Score(notes=(Note(0.0, 2.0, 60.0, "a"), Note(1.0, 1.0, 62.0, "b")))
    with pytest.raises(InputError, match="overlap"):
        save_score(overlapping, tmp_path / "x.musicxml")
    assert os.listdir(tmp_path) == []


def test_save_into_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        save_score(_score(), tmp_path / "nope" / "x.mid")


def test_save_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown score format '\.wav'.*\.mid"):
        save_score(_score(), tmp_path / "x.wav")
