"""Splitting a lyrics text into one syllable per note."""

from __future__ import annotations

from pathlib import Path

import pytest

from yinse.core.errors import InputError
from yinse.core.score import Note, Score
from yinse.formats import apply_lyrics, read_lyrics_file, split_lyrics, syllabic_from_hyphens


def test_mandarin_one_character_per_note() -> None:
    assert split_lyrics("我想说，其实 你很好。\n“你”！") == [
        (ch, "single") for ch in "我想说其实你很好你"]


def test_english_hyphens_and_melisma_marks() -> None:
    assert split_lyrics("Twin-kle, twin-kle lit-tle star _ how I won-der-ing +") == [
        ("Twin", "begin"), ("kle", "end"), ("twin", "begin"), ("kle", "end"),
        ("lit", "begin"), ("tle", "end"), ("star", "single"), (None, "single"),
        ("how", "single"), ("I", "single"), ("won", "begin"), ("der", "middle"),
        ("ing", "end"), (None, "single"),
    ]


def test_melisma_inside_a_word_and_split_hyphens() -> None:
    assert split_lyrics("A- - men Glo -ri-a don't") == [
        ("A", "begin"), (None, "single"), ("men", "end"),
        ("Glo", "begin"), ("ri", "middle"), ("a", "end"), ("don't", "single"),
    ]


def test_mixed_scripts() -> None:
    assert split_lyrics("我love你") == [("我", "single"), ("love", "single"), ("你", "single")]


def test_trailing_hyphen_rule() -> None:
    assert syllabic_from_hyphens(["Twin-", None, "kle", "-", "star", "+", "a-", "b-", "c"]) == [
        ("Twin", "begin"), (None, "single"), ("kle", "end"), (None, "single"),
        ("star", "single"), (None, "single"), ("a", "begin"), ("b", "middle"), ("c", "end"),
    ]


def test_apply_counts_and_message() -> None:
    score = Score(notes=(Note(0.0, 1.0, 60.0), Note(1.0, 1.0, 62.0), Note(2.0, 1.0, 64.0)))
    assert [n.lyric for n in apply_lyrics(score, "a - b").notes] == ["a", None, "b"]
    with pytest.raises(InputError) as info:
        apply_lyrics(score, "a b c d", source="words.txt")
    assert str(info.value).startswith(
        "words.txt: lyrics have 4 syllables but the melody has 3 notes; ")
    assert "'-'" in str(info.value)


def test_lyrics_file_must_be_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes("我想说".encode("gbk"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_lyrics_file(path)
    path.write_bytes(b"\xef\xbb\xbf" + "我".encode())
    assert read_lyrics_file(path) == "我"
