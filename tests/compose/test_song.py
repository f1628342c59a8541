"""The whole song path with real parts: composer, singing engine, SoundFont, mixer,
mastering, output stage and registry; and its refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from yinse.cli import app
from yinse.core.errors import InputError, VoiceError
from yinse.provenance.verify import verify_file
from yinse.render.master import loudness_lufs, true_peak_dbtp
from yinse.songs import SongRequest, make_song

ZH = "[verse]\n春风吹过小河\n花开满山坡\n[chorus]\n我们一起唱歌\n唱到天亮\n"
EN = "[chorus]\nSail away, sail away\nBring my heart back to me\n"
runner = CliRunner()


@pytest.fixture(scope="module")
def zh_song(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("YINSE_HOME", str(home))
    out = tmp_path_factory.mktemp("songs") / "spring"
    try:
        yield make_song(SongRequest(ZH, "baker", style="guofeng", seed=4), out), home
    finally:
        mp.undo()


def test_song_folder_has_every_file(zh_song):
    result, _ = zh_song
    names = sorted(p.relative_to(result.folder).as_posix() for p in result.folder.rglob("*") if p.is_file())
    assert names == sorted([
        "arrangement.mid", "report.json", "report.md", "score.mid", "score.musicxml",
        "song.flac", "song.mp3", "song.wav",
        "stems/bass.wav", "stems/chords.wav", "stems/drums.wav", "stems/lead.wav", "stems/pad.wav",
        "stems/vocal.wav",
    ])  # fmt: skip
    info = sf.info(result.folder / "song.wav")
    assert (info.samplerate, info.channels, info.subtype) == (48000, 2, "PCM_24")
    assert not list(result.folder.parent.glob(".tmp-song-*"))


def test_song_is_mastered_and_every_stem_is_audible(zh_song):
    result, _ = zh_song
    audio, sr = sf.read(result.folder / "song.wav")
    assert abs(loudness_lufs(audio, sr=sr) + 14) <= 0.5
    assert true_peak_dbtp(audio, sr=sr) <= -1.0
    assert np.max(np.abs(audio)) < 1.0
    mix_lufs = loudness_lufs(audio, sr=sr)
    for stem in (result.folder / "stems").iterdir():
        x, _ = sf.read(stem)
        assert loudness_lufs(x, sr=sr) > mix_lufs - 30, stem.name
    report = json.loads((result.folder / "report.json").read_text("utf-8"))
    assert report["style"] == "guofeng" and report["language"] == "zh"
    assert report["strong_beat_chord_tones"] >= 0.8
    assert report["form"][0]["section"] == "intro" and report["form"][-1]["section"] == "outro"


def test_song_files_verify_as_one_song_render(zh_song, monkeypatch):
    result, home = zh_song
    monkeypatch.setenv("YINSE_HOME", str(home))
    for name in ("song.mp3", "song.flac", "stems/vocal.wav", "stems/drums.wav", "stems/pad.wav"):
        report = verify_file(result.folder / name)
        assert report["watermark"]["found"], name
        assert report["watermark"]["payload"] == result.render_id[:16]
        assert report["record"]["kind"] == "song" and report["record"]["voice"] == "baker"
        assert report["labels"]["aigc"]["AIGC"]["ProduceID"] == result.render_id


def test_english_song_through_the_cli(tmp_path):
    lyrics = tmp_path / "sail.txt"
    lyrics.write_text(EN, "utf-8")
    result = runner.invoke(app, ["song", str(lyrics), "--voice", "joe", "--style", "rock",
                                 "--key", "E", "--tempo", "120", "-o", str(tmp_path / "sail")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "key E" in result.output and "120 BPM" in result.output
    assert (tmp_path / "sail" / "song.mp3").is_file()


def _refused(tmp_path, request: SongRequest, error, words: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(error, match=words):
        make_song(request, out)
    assert not out.exists()
    assert not list(tmp_path.glob(".tmp-song-*"))


@pytest.mark.parametrize(
    "request_,error,words",
    [
        (SongRequest("", "baker"), InputError, "no lyrics"),
        (SongRequest(ZH, "baker", style="polka"), InputError, "unknown style 'polka'"),
        (SongRequest(ZH, "baker", key="X#"), InputError, "unknown key"),
        (SongRequest(ZH, "baker", tempo_bpm=400), InputError, "outside 40–220"),
        (SongRequest(ZH, "baker", style="ballad", tempo_bpm=180), InputError, "does not suit ballad"),
        (SongRequest(EN, "baker"), InputError, "choose a voice for the lyrics' language"),
        (SongRequest(ZH, "nobody"), VoiceError, "unknown voice 'nobody'"),
        (SongRequest("！！！\n", "baker"), InputError, "nothing singable"),
        (SongRequest(ZH, "baker", melody_path="tune.txt"), InputError, "drawn curve"),
        (SongRequest(ZH, "baker", melody_path="missing.json"), InputError, "not a file"),
    ],
)
def test_bad_requests_are_refused_and_leave_no_folder(tmp_path, request_, error, words):
    _refused(tmp_path, request_, error, words)


def _curve(path, pitches, *, step_s=0.45):
    points = []
    for i, pitch in enumerate(pitches):
        points += [[round(i * step_s + k * 0.02, 3), pitch + 0.2 * np.sin(k / 3)] for k in range(20)]
    path.write_text(json.dumps({"points": points, "bpm": 80}))
    return path


def test_song_on_a_drawn_melody(tmp_path):
    curve = _curve(tmp_path / "drawn.json", [62, 64, 66, 67, 69, 67, 66, 64, 62, 62, 64, 66, 64, 62])
    result = make_song(SongRequest("春风吹过小河\n花开满山坡\n", "baker", melody_path=str(curve)), tmp_path / "s")
    notes = json.loads((result.folder / "report.json").read_text("utf-8"))
    assert notes["melody"] == "drawn.json" and notes["tempo_bpm"] == 80 and notes["key"] == "D"
    from yinse.formats import load_score

    sung = load_score(result.folder / "score.musicxml")
    assert [n.lyric for n in sung.notes if n.lyric][:3] == ["春", "风", "吹"]
    # the drawn pitches (D major, moved by octaves into the voice's range) are kept in order
    assert [round(n.pitch_midi) % 12 for n in sung.notes][:5] == [2, 4, 6, 7, 9]


def test_bad_melodies_are_refused_and_leave_no_folder(tmp_path):
    bad_curve = _curve(tmp_path / "bad.json", [62, 64, 300, 62])
    _refused(tmp_path, SongRequest(ZH, "baker", melody_path=str(bad_curve)), InputError, "impossible pitch")
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(48000 * 4), 48000)
    _refused(tmp_path, SongRequest(ZH, "baker", melody_path=str(silent)), InputError, "silent")
    noise = tmp_path / "noise.wav"
    sf.write(noise, np.random.default_rng(0).normal(0, 0.2, 48000 * 4), 48000)
    _refused(tmp_path, SongRequest(ZH, "baker", melody_path=str(noise)), InputError, "hum closer")
    short = _curve(tmp_path / "short.json", [62, 64])
    _refused(tmp_path, SongRequest(ZH, "baker", melody_path=str(short)), InputError, "too few|longer melody")


def test_existing_folder_is_not_overwritten(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(InputError, match="already exists"):
        make_song(SongRequest(ZH, "baker"), out)
    assert (out / "mine.txt").read_text() == "keep me"


def test_a_failure_late_in_the_song_leaves_no_partial_folder(tmp_path, monkeypatch):
    import yinse.songs as songs

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(songs, "write_outputs", broken)
    with pytest.raises(OSError):
        make_song(SongRequest(ZH, "baker"), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".tmp-song-*"))


def test_compose_and_lyrics_check_commands(tmp_path):
    lyrics = tmp_path / "l.txt"
    lyrics.write_text(ZH, "utf-8")
    score = tmp_path / "s.musicxml"
    result = runner.invoke(app, ["compose", str(lyrics), "-o", str(score), "--style", "ballad", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert score.is_file()
    result = runner.invoke(app, ["lyrics", "check", str(lyrics), "--score", str(score), "--json"])
    assert result.exit_code == 0, result.output
    checks = json.loads(result.output)
    assert [c["syllables"] for c in checks] == [6, 5, 6, 4]
    assert all(c["tone_fit"] is not None for c in checks)
    bad = runner.invoke(app, ["compose", str(lyrics), "-o", str(tmp_path / "s.pdf")])
    assert bad.exit_code == 2 and "cannot write 's.pdf'" in bad.output
