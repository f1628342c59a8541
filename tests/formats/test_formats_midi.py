"""MIDI import: melody choice, lyric events, legato, chords, tempo map; real M4Singer files."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from yinse.core.errors import InputError
from yinse.formats import load_score, read_midi

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
M4SINGER = SHARED / "singing" / "zh" / "m4singer" / "svs"


def _track(events: list[tuple[int, mido.Message | mido.MetaMessage]]) -> mido.MidiTrack:
    """A track from (absolute tick, message) pairs."""
    track = mido.MidiTrack()
    now = 0
    for tick, msg in sorted(events, key=lambda e: e[0]):
        track.append(msg.copy(time=tick - now))
        now = tick
    return track


def _notes(spec: list[tuple[int, int, int]], channel: int = 0) -> list[tuple[int, mido.Message]]:
    """(start, end, pitch) -> note_on/note_off events."""
    out: list[tuple[int, mido.Message]] = []
    for start, end, pitch in spec:
        out.append((start, mido.Message("note_on", note=pitch, velocity=90, channel=channel)))
        out.append((end, mido.Message("note_off", note=pitch, channel=channel)))
    return out


def _lyrics(
    spec: list[tuple[int, str]], kind: str = "lyrics"
) -> list[tuple[int, mido.MetaMessage]]:
    return [(tick, mido.MetaMessage(kind, text=text)) for tick, text in spec]


def _save(tmp_path: Path, tracks: list[mido.MidiTrack], *, type_: int = 1,
          tpb: int = 480, charset: str = "utf-8", name: str = "song.mid") -> Path:
    mid = mido.MidiFile(type=type_, ticks_per_beat=tpb, charset=charset)
    mid.tracks.extend(tracks)
    path = tmp_path / name
    mid.save(path)
    return path


def _conductor() -> mido.MidiTrack:
    return _track([
        (0, mido.MetaMessage("track_name", name="Little Song")),
        (0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(90))),
        (0, mido.MetaMessage("key_signature", key="Bbm")),
        (0, mido.MetaMessage("time_signature", numerator=3, denominator=4)),
        (960, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(60))),
        (1440, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
    ])


def test_type1_picks_the_track_with_lyrics(tmp_path: Path) -> None:
    piano = _track(_notes([(0, 480, 48), (0, 480, 52), (480, 960, 48), (480, 960, 55),
                           (960, 1440, 50), (1440, 1920, 53)]))  # more notes, chords
    voice = _track(
        _notes([(0, 480, 60), (480, 960, 62), (960, 1200, 64), (1200, 1440, 65),
                (1440, 1920, 67)], channel=1)
        + _lyrics([(0, "/Twin-"), (480, "kle"), (960, "\\star"), (1440, "你")])
    )
    score = load_score(_save(tmp_path, [_conductor(), piano, voice]))
    rows = [(n.start_beats, n.dur_beats, n.pitch_midi, n.lyric, n.syllabic) for n in score.notes]
    assert rows == [
        (0.0, 1.0, 60.0, "Twin", "begin"),
        (1.0, 1.0, 62.0, "kle", "end"),
        (2.0, 0.5, 64.0, "star", "single"),  # karaoke "\" marker stripped
        (2.5, 0.5, 65.0, None, "single"),  # no lyric event: melisma
        (3.0, 1.0, 67.0, "你", "single"),
    ]
    assert score.notes[0].velocity == 90
    assert [(t.beat, t.bpm) for t in score.tempos] == [(0.0, 90.0), (2.0, 60.0)]
    assert [(k.fifths, k.mode) for k in score.keys] == [(-5, "minor")]
    assert [(t.beat, t.numerator) for t in score.time_signatures] == [(0.0, 3), (3.0, 4)]
    assert score.title == "Little Song"


def test_format0_picks_the_channel_under_the_lyrics(tmp_path: Path) -> None:
    events = (
        _notes([(0, 480, 67), (480, 960, 69)], channel=0)
        + _notes([(0, 240, 40), (240, 480, 41), (480, 720, 42), (720, 960, 43)], channel=2)
        + _notes([(0, 120, 36), (120, 240, 36), (240, 360, 36)], channel=9)  # drums
        + _lyrics([(0, "la"), (480, "lu")])
    )
    score = load_score(_save(tmp_path, [_track(events)], type_=0))
    assert [(n.pitch_midi, n.lyric) for n in score.notes] == [(67.0, "la"), (69.0, "lu")]


def test_karaoke_text_events_when_no_lyrics(tmp_path: Path) -> None:
    words = _track(_lyrics([(0, "@KMIDI KARAOKE FILE"), (0, "@TLittle Song"), (0, "/Ah"),
                            (480, " men"), (700, "stray text")], kind="text"))
    melody = _track(_notes([(0, 480, 60), (480, 960, 62)]))
    score = load_score(_save(tmp_path, [_conductor(), words, melody]))
    assert [n.lyric for n in score.notes] == ["Ah", "men"]


def test_credit_text_at_the_first_note_is_not_a_lyric(tmp_path: Path) -> None:
    head = _track([(0, mido.MetaMessage("track_name", name="Master Track")),
                   (0, mido.MetaMessage("text", text="created with SomeSequencer"))])
    melody = _track(_notes([(0, 480, 60), (480, 960, 62)]))
    path = _save(tmp_path, [head, melody])
    score = read_midi(path.read_bytes(), source=str(path))
    assert [n.lyric for n in score.notes] == [None, None]
    assert score.title == ""  # a sequencer's placeholder name is not a title


def test_most_notes_wins_without_lyrics_and_lyrics_file(tmp_path: Path) -> None:
    bass = _track(_notes([(0, 960, 40)], channel=1))
    tune = _track(_notes([(0, 240, 60), (240, 480, 62), (480, 720, 64), (720, 960, 65)]))
    path = _save(tmp_path, [_conductor(), bass, tune])
    with pytest.raises(InputError, match="no lyrics"):
        load_score(path)
    lyrics = tmp_path / "words.txt"
    lyrics.write_text("Hap-py - day", encoding="utf-8")
    score = load_score(path, lyrics_path=lyrics)
    assert [(n.pitch_midi, n.lyric, n.syllabic) for n in score.notes] == [
        (60.0, "Hap", "begin"), (62.0, "py", "end"), (64.0, None, "single"),
        (65.0, "day", "single")]


def test_legato_overlap_is_cut_and_zero_length_dropped(tmp_path: Path) -> None:
    events = (
        _notes([(0, 500, 60), (480, 960, 62), (960, 960, 70), (960, 1440, 64)])
        + _lyrics([(0, "a"), (480, "b"), (960, "c")])
    )
    score = load_score(_save(tmp_path, [_track(events)], type_=0))
    assert [(n.start_beats, n.dur_beats, n.pitch_midi) for n in score.notes] == [
        (0.0, 1.0, 60.0), (1.0, 1.0, 62.0), (2.0, 1.0, 64.0)]


def test_restruck_unison_is_not_a_chord(tmp_path: Path) -> None:
    # the second note-on of 60 ends the first (at once: zero length, dropped)
    events = _notes([(0, 480, 60), (0, 240, 60), (480, 960, 62)]) + _lyrics(
        [(0, "a"), (480, "b")])
    score = load_score(_save(tmp_path, [_track(events)], type_=0))
    assert [(n.dur_beats, n.pitch_midi) for n in score.notes] == [(0.5, 60.0), (1.0, 62.0)]


def test_chord_is_refused(tmp_path: Path) -> None:
    events = _notes([(0, 480, 60), (0, 480, 64)]) + _lyrics([(0, "a")])
    with pytest.raises(InputError, match=r"chord at beat 0.*export only the vocal melody"):
        load_score(_save(tmp_path, [_track(events)], type_=0))


def test_lyric_off_the_notes_is_an_error(tmp_path: Path) -> None:
    events = _notes([(0, 480, 60), (960, 1440, 62)]) + _lyrics([(0, "a"), (720, "b")])
    with pytest.raises(InputError, match=r"lyric 'b' at beat 1.5 is not at the start"):
        load_score(_save(tmp_path, [_track(events)], type_=0))


def test_lyric_a_few_ticks_early_still_counts(tmp_path: Path) -> None:
    events = _notes([(0, 480, 60), (480, 960, 62)]) + _lyrics([(0, "a"), (470, "b")])
    score = load_score(_save(tmp_path, [_track(events)], type_=0))
    assert [n.lyric for n in score.notes] == ["a", "b"]


def test_gbk_lyrics_are_decoded(tmp_path: Path) -> None:
    events = _notes([(0, 480, 60), (480, 960, 62)])
    # mido writes text with the file's charset; GBK bytes as latin-1 text reproduce them
    events += _lyrics([(0, "星".encode("gbk").decode("latin1")),
                       (480, "光".encode("gbk").decode("latin1"))])
    score = load_score(_save(tmp_path, [_track(events)], type_=0, charset="latin1"))
    assert [n.lyric for n in score.notes] == ["星", "光"]


def test_no_notes(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="has no notes"):
        load_score(_save(tmp_path, [_conductor()]))


def test_ticks_per_beat_is_respected(tmp_path: Path) -> None:
    events = _notes([(0, 96, 60), (96, 144, 62)]) + _lyrics([(0, "a"), (96, "b")])
    score = read_midi(_save(tmp_path, [_track(events)], type_=0, tpb=96).read_bytes(),
                      source="x.mid")
    assert [(n.start_beats, n.dur_beats) for n in score.notes] == [(0.0, 1.0), (1.0, 0.5)]


@pytest.mark.skipif(not M4SINGER.is_dir(), reason="shared M4Singer data not present")
def test_m4singer_files_with_their_lyric_lines() -> None:
    """Real files: their melismas are not marked, so most give a clear count error."""
    loaded = errors = 0
    for mid in sorted(M4SINGER.glob("*.mid")):
        text = mid.with_suffix(".txt")
        n_chars = len(text.read_text(encoding="utf-8").strip())
        n_notes = len(read_midi(mid.read_bytes(), source=str(mid)).notes)
        if n_chars == n_notes:
            score = load_score(mid, lyrics_path=text)
            assert all(n.lyric for n in score.notes)
            loaded += 1
        else:
            with pytest.raises(InputError) as info:
                load_score(mid, lyrics_path=text)
            message = str(info.value)
            assert f"lyrics have {n_chars} syllables" in message
            assert f"the melody has {n_notes} notes" in message
            assert "'-'" in message
            errors += 1
    assert loaded and errors


@pytest.mark.skipif(not M4SINGER.is_dir(), reason="shared M4Singer data not present")
def test_m4singer_with_melisma_marks(tmp_path: Path) -> None:
    """Marking the extra notes with '-' makes a real file load."""
    mid = M4SINGER / "1.mid"
    text = (M4SINGER / "1.txt").read_text(encoding="utf-8").strip()
    n_notes = len(read_midi(mid.read_bytes(), source="1.mid").notes)
    extra = n_notes - len(text)
    assert extra > 0
    lyrics = tmp_path / "1.txt"
    lyrics.write_text(" ".join(list(text) + ["-"] * extra), encoding="utf-8")
    score = load_score(mid, lyrics_path=lyrics)
    assert sum(n.lyric is None for n in score.notes) == extra
