"""UTAU .ust import: encodings, rests, continuations, VCV prefixes, per-note tempo."""

from __future__ import annotations

from pathlib import Path

import pytest

from yinse.core.errors import InputError
from yinse.formats import load_score
from yinse.formats.ust import sung_lyric

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"


def _rows(score):
    return [(n.start_beats, n.dur_beats, n.pitch_midi, n.lyric) for n in score.notes]


def test_shift_jis_with_vcv_prefixes() -> None:
    assert (DATA / "sakura_sjis.ust").read_bytes().decode("cp932")  # the fixture is SJIS
    score = load_score(DATA / "sakura_sjis.ust")
    assert score.title == "さくら"
    assert [(t.beat, t.bpm) for t in score.tempos] == [(0.0, 120.0)]
    assert _rows(score) == [  # a leading R rest, then "- さ", "a く", "u ら"
        (1.0, 1.0, 69.0, "さ"), (2.0, 1.0, 69.0, "く"), (3.0, 2.0, 71.0, "ら")]


def test_utf8_with_continuations_rest_and_tempo_change() -> None:
    score = load_score(DATA / "star_utf8.ust")
    assert score.title == "小星星"
    assert _rows(score) == [
        (0.0, 1.0, 67.0, "小"),
        (1.0, 0.5, 69.0, "星"),
        (1.5, 0.5, 71.0, None),  # "+"
        (3.0, 2.0, 72.0, "亮"),  # after an R; [#PREV]/[#INSERT] are not notes
        (5.0, 1.0, 71.0, None),  # "+~"
    ]
    assert [(t.beat, t.bpm) for t in score.tempos] == [(0.0, 100.0), (3.0, 80.0)]


def test_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.ust"
    path.write_bytes(b"\xef\xbb\xbf" + (DATA / "star_utf8.ust").read_bytes())
    assert load_score(path) == load_score(DATA / "star_utf8.ust")


@pytest.mark.parametrize(("raw", "sung"), [
    ("R", False), ("r", False), ("", False), ("rest", False), ("  ", False),
    ("-", None), ("+", None), ("+~", None), ("+*", None),
    ("か", "か"), ("a か", "か"), ("- ka", "ka"), ("a R", False), ("a +", None),
])
def test_lyric_rules(raw: str, sung: object) -> None:
    assert sung_lyric(raw) == sung


def _ust(tmp_path: Path, body: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / "t.ust"
    path.write_bytes(("[#SETTING]\nTempo=120\n" + body + "[#TRACKEND]\n").encode(encoding))
    return path


def test_missing_notenum_names_the_section(tmp_path: Path) -> None:
    path = _ust(tmp_path, "[#0000]\nLength=480\nLyric=a\nNoteNum=60\n"
                          "[#0001]\nLength=480\nLyric=ka\n")
    with pytest.raises(InputError, match=r"\[#0001\] has no NoteNum"):
        load_score(path)


def test_missing_length_names_the_section(tmp_path: Path) -> None:
    path = _ust(tmp_path, "[#0000]\nLyric=a\nNoteNum=60\n")
    with pytest.raises(InputError, match=r"\[#0000\] has no Length"):
        load_score(path)


def test_non_numeric_value(tmp_path: Path) -> None:
    path = _ust(tmp_path, "[#0000]\nLength=long\nLyric=a\nNoteNum=60\n")
    with pytest.raises(InputError, match=r"\[#0000\] has Length='long'.*not a number"):
        load_score(path)


def test_comma_decimal_tempo(tmp_path: Path) -> None:
    path = tmp_path / "t.ust"
    path.write_text("[#SETTING]\nTempo=96,50\n[#0000]\nLength=480\nLyric=a\nNoteNum=60\n")
    assert load_score(path).tempos[0].bpm == 96.5


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "bad.ust"
    # 0x81 0x20 is a broken Shift-JIS lead byte, and not UTF-8 either
    path.write_bytes(b"[#SETTING]\nTempo=120\n[#0000]\nLength=480\nLyric=\x81\x20\xff\n"
                     b"NoteNum=60\n")
    with pytest.raises(InputError, match="neither UTF-8 nor Shift-JIS"):
        load_score(path)


def test_not_a_ust(tmp_path: Path) -> None:
    path = tmp_path / "x.ust"
    path.write_text("hello world\n")
    with pytest.raises(InputError, match="not a UTAU project"):
        load_score(path)


def test_only_rests(tmp_path: Path) -> None:
    path = _ust(tmp_path, "[#0000]\nLength=480\nLyric=R\nNoteNum=60\n")
    with pytest.raises(InputError, match="only rests"):
        load_score(path)


def test_lyrics_file_replaces_ust_lyrics(tmp_path: Path) -> None:
    lyrics = tmp_path / "words.txt"
    lyrics.write_text("花 开 - 好 -", encoding="utf-8")
    score = load_score(DATA / "star_utf8.ust", lyrics_path=lyrics)
    assert [n.lyric for n in score.notes] == ["花", "开", None, "好", None]
