"""MusicXML import on MuseScore-shaped fixtures: verses, ties, slurs, pickups, voices."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from yinse.core.errors import InputError
from yinse.formats import load_score

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
MANDARIN = DATA / "mandarin_ms4.musicxml"
ENGLISH = DATA / "english_ms3.musicxml"


def _rows(score):  # (start, dur, pitch, lyric)
    return [(n.start_beats, n.dur_beats, n.pitch_midi, n.lyric) for n in score.notes]


def test_mandarin_verse_1() -> None:
    score = load_score(MANDARIN)
    assert score.title == "一闪一闪"
    assert _rows(score) == [
        (0.0, 1.0, 62.0, "一"),  # pickup bar
        (1.0, 1.0, 67.0, "闪"),
        (2.0, 1.0, 67.0, "闪"),  # " 闪 " stripped
        (3.0, 3.0, 74.0, "亮"),  # half tied over the barline to a quarter
        (6.0, 0.5, 76.0, "晶"),
        (6.5, 0.5, 78.0, None),  # under the slur, no verse-1 lyric: melisma
        (7.0, 2.0, 76.0, "晶"),
        (10.0, 1.0, 74.0, "满"),  # after a rest; the grace note is skipped
        (11.0, 1.0, 72.0, "天"),
        (12.0, 1.0, 71.0, "都"),
        (13.0, 2.0, 69.0, "是"),  # voice 2 (a harmony note) is not the melody
        (15.0, 2.0, 67.0, "星"),
    ]
    assert [n.syllabic for n in score.notes] == ["single"] * 12
    assert score.language == "zh"


def test_mandarin_tempo_key_time() -> None:
    score = load_score(MANDARIN)
    # 72 from <sound tempo>; dotted quarter = 60 (metronome only) is 90 quarters a minute,
    # and both sit in the piano part above the voice
    assert [(t.beat, t.bpm) for t in score.tempos] == [(0.0, 72.0), (9.0, 90.0)]
    assert [(k.beat, k.fifths, k.mode) for k in score.keys] == [(0.0, 1, "major")]
    assert [(t.beat, t.numerator, t.denominator) for t in score.time_signatures] == [
        (0.0, 4, 4)]


def test_mandarin_verse_2_with_fallback() -> None:
    score = load_score(MANDARIN, verse=2)
    assert [n.lyric for n in score.notes] == [
        "天", "上", "的", "星", "星", "多",  # verse 2 sings the slurred note on its own
        "明", "月", "光", "都",  # "都" has only a verse-1 lyric: both verses sing it
        "明", "亮",
    ]


def test_missing_verse_names_the_ones_there() -> None:
    with pytest.raises(InputError, match=r"no verse 3 lyrics.*verse 1, 2"):
        load_score(MANDARIN, verse=3)


def test_bad_verse_number() -> None:
    with pytest.raises(InputError, match="verse"):
        load_score(MANDARIN, verse=0)


def test_english_syllables_and_melismas() -> None:
    score = load_score(ENGLISH)
    assert score.title == "Twinkle Twinkle Little Star"  # from <movement-title>
    assert [(g.lyric, g.syllabic, len(g.note_indexes)) for g in score.syllable_groups()] == [
        ("Twin", "begin", 1), ("kle", "end", 1), ("twin", "begin", 1), ("kle", "end", 1),
        ("lit", "begin", 1), ("tle", "end", 1), ("star", "single", 1),
        ("how", "single", 2),  # <extend/> then an extender-only lyric
        ("I", "single", 1), ("won", "begin", 1),
        ("der", "end", 2),  # a "_" lyric continues
        ("what", "single", 1), ("are", "single", 1),
    ]
    assert [(t.beat, t.bpm) for t in score.tempos] == [(0.0, 100.0)]  # bare <sound>
    what, are = score.notes[-2:]
    assert (what.end_beats, are.start_beats) == (13.0, 14.0)  # <forward> is a rest


def _zip_mxl(path: Path, xml: bytes, *, inner: str = "score.musicxml",
             container: bool = True) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.recordare.musicxml")
        if container:
            archive.writestr(
                "META-INF/container.xml",
                '<?xml version="1.0" encoding="UTF-8"?><container><rootfiles>'
                f'<rootfile full-path="{inner}" '
                'media-type="application/vnd.recordare.musicxml+xml"/>'
                "</rootfiles></container>",
            )
        archive.writestr(inner, xml, compress_type=zipfile.ZIP_DEFLATED)


def test_mxl_reads_the_rootfile(tmp_path: Path) -> None:
    mxl = tmp_path / "twinkle.mxl"
    _zip_mxl(mxl, ENGLISH.read_bytes(), inner="scores/Twinkle.xml")
    assert load_score(mxl) == load_score(ENGLISH)


def test_mxl_without_container_falls_back(tmp_path: Path) -> None:
    mxl = tmp_path / "twinkle.mxl"
    _zip_mxl(mxl, MANDARIN.read_bytes(), container=False)
    assert load_score(mxl, verse=2) == load_score(MANDARIN, verse=2)


def test_mxl_that_is_not_a_zip(tmp_path: Path) -> None:
    mxl = tmp_path / "x.mxl"
    mxl.write_bytes(ENGLISH.read_bytes())
    with pytest.raises(InputError, match="not a valid .mxl"):
        load_score(mxl)


def test_mxl_truncated(tmp_path: Path) -> None:
    mxl = tmp_path / "x.mxl"
    _zip_mxl(mxl, ENGLISH.read_bytes())
    data = mxl.read_bytes()
    mxl.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        load_score(mxl)


def test_lyrics_file_replaces_musicxml_lyrics(tmp_path: Path) -> None:
    lyrics = tmp_path / "words.txt"
    lyrics.write_text("一闪一闪亮 - 晶晶，\n满天都是小星星", encoding="utf-8")
    with pytest.raises(InputError, match=r"15 syllables \(counting 1 melisma mark\).*12 notes"):
        load_score(MANDARIN, lyrics_path=lyrics)
    lyrics.write_text("一闪闪亮晶 - 晶，\n满天都是星", encoding="utf-8")
    score = load_score(MANDARIN, lyrics_path=lyrics, verse=7)  # verse is moot here
    assert "".join(n.lyric or "-" for n in score.notes) == "一闪闪亮晶-晶满天都是星"


def _vocal(notes_xml: str, *, root: str = "score-partwise", divisions: str = "1") -> bytes:
    attributes = f"<attributes><divisions>{divisions}</divisions></attributes>" if divisions \
        else ""
    return (
        f'<?xml version="1.0"?><{root} version="4.0"><part-list><score-part id="P1">'
        f'<part-name>V</part-name></score-part></part-list><part id="P1"><measure number="1">'
        f"{attributes}{notes_xml}</measure></part></{root}>"
    ).encode()


def _note(step: str, lyric: str | None = None, extra: str = "") -> str:
    lyr = f"<lyric><text>{lyric}</text></lyric>" if lyric else ""
    return (f"<note>{extra}<pitch><step>{step}</step><octave>4</octave></pitch>"
            f"<duration>1</duration><voice>1</voice>{lyr}</note>")


def test_chord_in_vocal_line(tmp_path: Path) -> None:
    path = tmp_path / "chord.musicxml"
    path.write_bytes(_vocal(_note("C", "la") + _note("E", None, "<chord/>")))
    with pytest.raises(InputError, match=r"measure 1 has a chord.*one melody line"):
        load_score(path)


def test_timewise_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tw.musicxml"
    path.write_bytes(_vocal(_note("C", "la"), root="score-timewise"))
    with pytest.raises(InputError, match="score-timewise"):
        load_score(path)


def test_not_a_musicxml_root(tmp_path: Path) -> None:
    path = tmp_path / "svg.xml"
    path.write_bytes(b'<?xml version="1.0"?><svg><g/></svg>')
    with pytest.raises(InputError, match=r"svg\.xml.*root element is <svg>"):
        load_score(path)


def test_missing_divisions(tmp_path: Path) -> None:
    path = tmp_path / "nodiv.musicxml"
    path.write_bytes(_vocal(_note("C", "la"), divisions=""))
    with pytest.raises(InputError, match="divisions"):
        load_score(path)


def test_bad_duration_names_the_measure(tmp_path: Path) -> None:
    path = tmp_path / "dur.musicxml"
    path.write_bytes(_vocal(_note("C", "la").replace("<duration>1", "<duration>one")))
    with pytest.raises(InputError, match=r"measure 1.*'one', not a number"):
        load_score(path)


def test_entities_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.musicxml"
    path.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE score-partwise [<!ENTITY a "la">'
        b'<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + _vocal(_note("C", "&a;&e;")).split(b"?>", 1)[1]
    )
    with pytest.raises(InputError, match="entities"):
        load_score(path)


def test_no_notes(tmp_path: Path) -> None:
    path = tmp_path / "empty.musicxml"
    path.write_bytes(_vocal("<note><rest/><duration>4</duration></note>"))
    with pytest.raises(InputError, match=r"empty\.musicxml.*no notes"):
        load_score(path)


def test_velocity_from_dynamics_attribute(tmp_path: Path) -> None:
    path = tmp_path / "dyn.musicxml"
    path.write_bytes(_vocal(_note("C", "la").replace("<note>", '<note dynamics="50">')))
    assert load_score(path).notes[0].velocity == 45


def test_mxl_with_corrupt_data(tmp_path: Path) -> None:
    mxl = tmp_path / "x.mxl"
    _zip_mxl(mxl, ENGLISH.read_bytes(), container=False)
    data = bytearray(mxl.read_bytes())
    start = data.index(b"score.musicxml") + len("score.musicxml")  # the deflated bytes
    for i in range(start, start + 200):
        data[i] ^= 0x55
    mxl.write_bytes(bytes(data))
    with pytest.raises(InputError, match="damaged"):
        load_score(mxl)


def test_utf16_musicxml(tmp_path: Path) -> None:
    text = ENGLISH.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = tmp_path / "u16.musicxml"
    path.write_bytes(text.encode("utf-16"))  # with a BOM
    assert load_score(path) == load_score(ENGLISH)
