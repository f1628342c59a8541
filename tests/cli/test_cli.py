"""The ``yinse`` command line: what a user runs, and what a user gets wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from yinse.cli import app

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
runner = CliRunner()

ZH_NOTES = """title: test
tempo: 100
G4:1:我 A4:1:们 B4:2:唱 R:1 A4:1:歌 G4:2:吧
"""
EN_NOTES = """tempo: 100
G3:1:Sing A3:1:a B3:1:song- A3:1:- G3:2:now
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_voices_lists_names_languages_and_licences():
    result = run("voices")
    assert result.exit_code == 0
    for name in ("baker", "joe", "espeak-zh", "espeak-en"):
        assert name in result.stdout
    assert "non-commercial" in result.stdout


def test_sing_writes_labelled_audio_and_a_plot(tmp_path):
    score = write(tmp_path, "song.notes", ZH_NOTES)
    out, plot = tmp_path / "out.wav", tmp_path / "out.png"
    result = run("sing", score, "--voice", "baker", "-o", out, "--plot", plot)
    assert result.exit_code == 0, result.output
    info = sf.info(out)
    assert info.samplerate == 44100 and info.channels == 1 and info.subtype == "PCM_24"
    from yinse.provenance.labels import read_label

    assert read_label(out)["AIGC"]["Label"] == "1"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "out.wav", "song.notes"]


def test_key_and_tempo_change_the_render(tmp_path):
    score = write(tmp_path, "song.notes", EN_NOTES)
    plain, fast = tmp_path / "plain.wav", tmp_path / "fast.flac"
    assert run("sing", score, "-v", "joe", "-o", plain).exit_code == 0
    result = run("sing", score, "-v", "joe", "-o", fast, "--tempo", "200", "--key", "+2")
    assert result.exit_code == 0, result.output
    # 6 beats at 100 BPM = 3.6 s, at 200 BPM = 1.8 s; both with 0.5 s lead-in and 0.5 s tail.
    assert abs(sf.info(plain).duration - 4.6) < 0.05
    assert abs(sf.info(fast).duration - 2.8) < 0.05


def test_key_auto_puts_the_melody_in_the_middle_of_the_voice(tmp_path):
    """joe's comfortable range is MIDI 49–64 (the middle 30–72 % of 38–74): the song's
    median note (A3 = 57) is already there, and an octave lower it is moved back up."""
    low = write(tmp_path, "low.notes", EN_NOTES.replace("3:", "2:"))
    out = tmp_path / "auto.wav"
    result = run("sing", low, "-v", "joe", "-o", out, "--key", "auto")
    assert result.exit_code == 0, result.output
    from yinse.provenance.verify import verify_file

    settings = verify_file(out)["record"]["settings"]
    assert settings["key_requested"] == "auto" and settings["key_shift"] == 12.0
    assert "--key auto" not in result.stderr


def test_a_melody_far_from_the_voice_gets_a_note_suggesting_key_auto(tmp_path):
    """Sung as written an octave under joe's middle, the render is made and a note says
    where --key auto would put it; moved there by hand, no note."""
    low = write(tmp_path, "low.notes", EN_NOTES.replace("3:", "2:"))
    result = run("sing", low, "-v", "joe", "-o", tmp_path / "low.wav")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "--key auto" in line]
    assert len(notes) == 1 and notes[0].startswith("note: the melody's middle sits 12 semitones below"), result.stderr
    moved = run("sing", low, "-v", "joe", "-o", tmp_path / "moved.wav", "--key", "+12")
    assert moved.exit_code == 0 and "--key auto" not in moved.stderr, moved.stderr


@pytest.mark.parametrize("key, words", [("up", "--key 'up'"), ("30", "outside -24..+24")])
def test_a_bad_key_is_refused(tmp_path, key, words):
    score = write(tmp_path, "song.notes", EN_NOTES)
    _bad(tmp_path, ["sing", score, "--voice", "joe", "-o", tmp_path / "out.wav", "--key", key], words)


def test_musicxml_with_mandarin_lyrics_sings(tmp_path):
    out = tmp_path / "ms.wav"
    result = run("sing", DATA / "mandarin_ms4.musicxml", "--voice", "baker", "-o", out)
    assert result.exit_code == 0, result.output
    audio, sr = sf.read(out)
    assert sr == 44100 and np.abs(audio).max() > 0.5


def test_ust_sings_in_espeak(tmp_path):
    out = tmp_path / "ust.wav"
    result = run("sing", DATA / "star_utf8.ust", "--voice", "espeak-zh", "-o", out)
    assert result.exit_code == 0, result.output
    assert sf.info(out).duration > 1


def test_speak_writes_audio(tmp_path):
    out = tmp_path / "hello.wav"
    result = run("speak", "你好，世界", "--voice", "baker", "-o", out)
    assert result.exit_code == 0, result.output
    assert 0.8 < sf.info(out).duration < 5


def _bad(tmp_path, args, words):
    """A user error: one line on stderr naming the problem, exit code 2, nothing written."""
    before = set(tmp_path.rglob("*"))
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert words.lower() in lines[0].lower(), lines[0]
    assert set(tmp_path.rglob("*")) == before  # no output, no temporary file left


@pytest.mark.parametrize(
    "name, content, voice, words",
    [
        ("bad.musicxml", "<score-partwise><part><measure>", "baker", "xml"),
        ("trunc.mid", b"MThd\x00\x00\x00\x06\x00\x01", "baker", "mid"),
        ("bad.ust", "[#0000]\nLength=480\nLyric=a\n[#TRACKEND]\n", "baker", "NoteNum"),
        ("nolyrics.notes", "C4:1 D4:1", "baker", "no lyrics"),
        ("overlap.mid", None, "baker", "overlap"),
        ("zero.notes", "C4:0:啊", "baker", "positive"),
        ("latin.notes", "C4:1:hello", "baker", "pinyin"),
        ("hanzi.notes", "C4:1:星", "joe", "Mandarin voice"),
        ("low.notes", "C1:1:啊", "baker", "--key"),
        ("song.notes", "C4:1:啊", "nobody", "unknown voice"),
        ("song.xyz", "whatever", "baker", "unknown score format"),
    ],
)
def test_bad_input_is_one_clear_line_and_writes_nothing(tmp_path, name, content, voice, words):
    if content is None:
        content = _overlapping_midi()
    score = write(tmp_path, name, content)
    _bad(tmp_path, ["sing", score, "--voice", voice, "-o", tmp_path / "out.wav"], words)


def _overlapping_midi() -> bytes:
    import io

    import mido

    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track += [
        mido.MetaMessage("lyrics", text="ah", time=0), mido.Message("note_on", note=60, time=0),
        mido.Message("note_on", note=64, time=0), mido.Message("note_off", note=60, time=480),
        mido.Message("note_off", note=64, time=0),
    ]  # fmt: skip
    buffer = io.BytesIO()
    mid.save(file=buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "output, words",
    [("missing/out.wav", "does not exist"), ("out.mp4", "not supported"), (".", "folder")],
)
def test_unwritable_outputs_are_refused_before_rendering(tmp_path, output, words):
    score = write(tmp_path, "song.notes", ZH_NOTES)
    _bad(tmp_path, ["sing", score, "--voice", "baker", "-o", tmp_path / output], words)


def test_bad_plot_path_is_refused_before_rendering(tmp_path):
    score = write(tmp_path, "song.notes", ZH_NOTES)
    _bad(tmp_path, ["sing", score, "-v", "baker", "-o", tmp_path / "o.wav", "--plot", tmp_path / "p.jpg"], "png")


def test_missing_score_file(tmp_path):
    _bad(tmp_path, ["sing", tmp_path / "nothere.musicxml", "-v", "baker", "-o", tmp_path / "o.wav"], "nothere")


def test_speak_text_the_voice_cannot_say(tmp_path):
    _bad(tmp_path, ["speak", "hello world", "--voice", "baker", "-o", tmp_path / "o.wav"], "Latin")


def test_console_script_exits_2_on_user_error(tmp_path):
    """The installed entry point, as a user runs it: no traceback, exit code 2."""
    exe = Path(sys.executable).with_name("yinse")
    result = subprocess.run(
        [str(exe), "sing", str(tmp_path / "none.notes"), "-v", "baker", "-o", str(tmp_path / "o.wav")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: ")


def test_console_output_is_only_ours(tmp_path):
    """A render through the installed command prints its own lines only: not TensorFlow Lite's
    delegate set-up, nor the pkg_resources deprecation that pyworld's import raises."""
    exe = Path(sys.executable).with_name("yinse")
    notes = write(tmp_path, "song.notes", ZH_NOTES)
    result = subprocess.run(
        [str(exe), "sing", str(notes), "-v", "baker", "-o", str(tmp_path / "o.wav")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o.wav").exists()
    for noise in ("TensorFlow Lite", "delegate", "pkg_resources", "UserWarning"):
        assert noise not in result.stderr and noise not in result.stdout, result.stderr
