"""The plain-text .notes notation: fixture, pitches, keys, and errors naming line and token."""

from __future__ import annotations

from pathlib import Path

import pytest

from yinse.core.errors import InputError
from yinse.formats import load_score, read_notes
from yinse.formats.notation import parse_key, parse_pitch

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"


def test_fixture() -> None:
    score = load_score(DATA / "twinkle.notes")
    assert score.title == "Twinkle Twinkle"
    assert [(t.beat, t.bpm) for t in score.tempos] == [(0.0, 90.0), (16.0, 60.0)]
    assert [(k.fifths, k.mode) for k in score.keys] == [(2, "major")]
    rows = [(n.start_beats, n.dur_beats, n.pitch_midi, n.lyric, n.syllabic)
            for n in score.notes]
    assert rows[:2] == [(0.0, 1.0, 60.0, "Twin", "begin"), (1.0, 1.0, 60.0, "kle", "end")]
    assert rows[7:9] == [(8.0, 0.5, 65.0, "how", "single"), (8.5, 0.5, 67.0, None, "single")]
    assert rows[12] == (11.5, 0.5, 62.0, None, "single")  # "D4:0.5:-"
    assert rows[13:] == [
        (13.0, 1.5, 62.0, "闪", "single"),  # after "R:1"; pitch as a MIDI number
        (14.5, 0.5, 66.0, None, "single"),  # F#4: "#" inside a word is a sharp
        (15.0, 1.0, 70.0, "星", "single"),
        (16.0, 4.0, 72.0, "end", "single"),  # after "tempo: 60" between note lines
    ]


@pytest.mark.parametrize(("text", "midi"), [
    ("C4", 60), ("c4", 60), ("F#3", 54), ("Bb4", 70), ("bb4", 70), ("B4", 71), ("Cb5", 71),
    ("E♭4", 63), ("G##4", 69), ("C-1", 0), ("60", 60), ("60.5", 60.5),
])
def test_pitches(text: str, midi: float) -> None:
    assert parse_pitch(text) == midi


@pytest.mark.parametrize(("text", "key"), [
    ("C", (0, "major")), ("D", (2, "major")), ("Bb minor", (-5, "minor")),
    ("F#m", (3, "minor")), ("a minor", (0, "minor")), ("Eb major", (-3, "major")),
    ("D#m", (6, "minor")),
])
def test_keys(text: str, key: tuple[int, str]) -> None:
    assert parse_key(text) == key


@pytest.mark.parametrize(("body", "pattern"), [
    ("C4:1:la\nC4:x:la", r"line 2, token 'C4:x:la': duration 'x'"),
    ("C4:1:la H4:1:la", r"line 1, token 'H4:1:la': pitch 'H4'"),
    ("C4:1:la C4", r"line 1, token 'C4': a note needs PITCH:DURATION"),
    ("C4:0:la", r"duration '0' is not a positive"),
    ("C4:1/0:la", r"duration '1/0'"),
    ("C10:1:la", r"pitch 'C10'"),
    ("key: H\nC4:1:la", r"line 1: key 'H' is not a key"),
    ("time: 3/5\nC4:1:la", r"line 1: time '3/5' is not a time signature"),
    ("tempo: fast\nC4:1:la", r"line 1: tempo 'fast'"),
    ("# nothing but a comment\n| |", r"has no notes"),
])
def test_errors_name_line_and_token(body: str, pattern: str) -> None:
    with pytest.raises(InputError, match=pattern):
        read_notes(body, source="song.notes")


def test_tempo_out_of_range_is_refused() -> None:
    with pytest.raises(InputError, match="outside 10–400 BPM"):
        read_notes("tempo: 1000\nC4:1:la", source="song.notes")


def test_melisma_after_rest_fails_validation(tmp_path: Path) -> None:
    path = tmp_path / "x.notes"
    path.write_text("C4:1:la R:1 D4:1", encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.notes: note 2 .* follows a rest"):
        load_score(path)


def test_docstring_example_parses() -> None:
    import textwrap

    from yinse.formats import notation

    example = notation.__doc__.split("Example::")[1].split("Header lines")[0]
    score = read_notes(textwrap.dedent(example), source="docstring").validate()
    assert score.title == "Twinkle Twinkle" and len(score.notes) == 15
