"""Every output leaves through one stage and can be verified afterwards, by the CLI as a
user runs it: watermark, registry record, C2PA signature, AIGC label, explicit label."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from yinse.cli import app

runner = CliRunner()
SONG = "tempo: 100\nG4:1:我 A4:1:们 B4:2:唱 R:1 A4:1:歌 G4:2:吧 A4:2:啊 G4:2:好\n"


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def verify(path: Path) -> dict:
    result = cli("verify", path, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def sung(tmp_path_factory):
    """One sung WAV in a module-wide YINSE_HOME (keys made on first use)."""
    folder = tmp_path_factory.mktemp("sung")
    home = folder / "home"
    mp = pytest.MonkeyPatch()
    mp.setenv("YINSE_HOME", str(home))
    (folder / "song.notes").write_text(SONG)
    out = folder / "song.wav"
    result = cli("sing", folder / "song.notes", "--voice", "baker", "-o", out)
    assert result.exit_code == 0, result.output
    yield out, result.stdout
    mp.undo()


@pytest.fixture
def same_home(sung, monkeypatch):
    monkeypatch.setenv("YINSE_HOME", str(sung[0].parent / "home"))
    return sung[0]


def test_a_sung_file_verifies_on_every_line(same_home):
    report = verify(same_home)
    mark, record = report["watermark"], report["record"]
    assert mark["found"] and len(mark["payload"]) == 16
    assert record["payload"] == mark["payload"] and record["render_id"].startswith(mark["payload"])
    assert record["kind"] == "sing" and record["voice"] == "baker"
    assert report["file_matches_record"]
    assert report["c2pa"]["state"] == "Trusted"
    assert report["labels"]["aigc"]["AIGC"]["Label"] == "1"
    assert report["labels"]["aigc"]["AIGC"]["ProduceID"] == record["render_id"]
    assert report["labels"]["explicit"] is False
    assert report["missing"] == ["explicit label"]


def test_plain_output_prints_the_payload_in_hex(same_home):
    result = cli("verify", same_home)
    payload = verify(same_home)["watermark"]["payload"]
    assert result.exit_code == 0 and payload in result.stdout and "Trusted" in result.stdout


def test_stripped_metadata_still_shows_the_watermark_and_the_record(same_home, tmp_path):
    audio, sr = sf.read(same_home, dtype="float32")
    plain = tmp_path / "stripped.flac"
    sf.write(plain, audio, sr)  # new file: no label, no manifest
    report = verify(plain)
    assert report["watermark"]["found"] and report["record"] is not None
    assert report["c2pa"]["state"] == "absent" and report["labels"]["aigc_state"] == "absent"
    assert {"C2PA manifest", "AIGC metadata label"} <= set(report["missing"])
    assert not report["file_matches_record"]


def test_a_cropped_resampled_excerpt_still_leads_to_the_render(same_home, tmp_path):
    from scipy.signal import resample_poly

    audio, sr = sf.read(same_home, dtype="float32")
    excerpt = audio[int(1.0 * sr) : int(7.0 * sr)]
    low = resample_poly(excerpt, 160, 441).astype(np.float32)
    path = tmp_path / "excerpt.wav"
    sf.write(path, low, 16000)
    report = verify(path)
    assert report["watermark"]["found"], report["watermark"]
    assert report["record"]["voice"] == "baker"


def test_changed_audio_breaks_the_signature(same_home, tmp_path):
    data = bytearray(same_home.read_bytes())
    data[-2000] ^= 0xFF  # one sample near the end of the data chunk
    tampered = tmp_path / "tampered.wav"
    tampered.write_bytes(bytes(data))
    report = verify(tampered)
    assert report["c2pa"]["state"] == "Invalid"
    assert "not" in report["summary"].lower() or "invalid" in report["summary"].lower()


def test_unmarked_audio_is_reported_as_such(tmp_path):
    t = np.arange(44100 * 6) / 44100
    path = tmp_path / "tone.wav"
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 44100)
    report = verify(path)
    assert not report["watermark"]["found"] and report["watermark"]["payload"] is None
    assert report["record"] is None and report["c2pa"]["state"] == "absent"
    assert report["summary"].startswith("no Yinse evidence")


def test_a_forged_aigc_label_is_not_taken_for_proof(tmp_path):
    from yinse.provenance import labels

    t = np.arange(44100 * 6) / 44100
    path = tmp_path / "forged.wav"
    sf.write(path, (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 44100)
    labels.write_label(path, {"AIGC": {"Label": "1", "ContentProducer": "Yinse", "ProduceID": "x"}})
    report = verify(path)
    assert report["labels"]["aigc_state"] == "valid"
    assert not report["watermark"]["found"] and report["c2pa"]["state"] == "absent"
    assert "no watermark or valid signature" in report["summary"]


def test_speak_with_explicit_label_and_mp3(tmp_path):
    out = tmp_path / "notice.mp3"
    result = cli("speak", "今天天气很好，我们去公园散步吧。", "--voice", "baker", "-o", out, "--explicit-label")
    assert result.exit_code == 0, result.output
    report = verify(out)
    assert report["labels"]["explicit"] is True
    assert report["watermark"]["found"] and report["record"]["kind"] == "speak"
    assert report["c2pa"]["state"] == "Trusted"


@pytest.mark.parametrize(
    "text",
    [
        "Hello, this is my voice. I read a few sentences once, and now it says what I type.",
        "The quick brown fox jumps over the lazy dog, and then it runs back home again, happily.",
    ],
)
def test_short_clean_speech_carries_a_readable_mark(tmp_path, text):
    """5-6 s of clean synthetic speech: the shortest output the detector promises to read
    (before the mark's depth followed quiet slots too, these two verified without it)."""
    out = tmp_path / "short.wav"
    assert cli("speak", text, "--voice", "joe", "-o", out).exit_code == 0
    assert 5.0 < sf.info(out).duration < 7.0
    report = verify(out)
    assert report["watermark"]["found"] is True
    assert report["watermark"]["payload"] == report["record"]["payload"]


def test_output_under_five_seconds_says_its_mark_cannot_be_read(tmp_path):
    out = tmp_path / "hi.wav"
    result = cli("speak", "Hi there.", "--voice", "joe", "-o", out)
    assert result.exit_code == 0, result.output
    assert "too short to read it back" in result.output  # said when it is written
    report = verify(out)
    assert report["watermark"]["found"] is False
    assert report["watermark"]["too_short"] and report["watermark"]["reason"].startswith("too short")
    assert "watermark (too short to read)" in report["missing"]
    assert report["c2pa"]["state"] == "Trusted" and report["file_matches_record"]  # still ours
    plain = cli("verify", out)
    assert "watermark:  not readable (too short" in plain.stdout
    # a long enough output says nothing of the kind
    longer = cli("speak", "The quick brown fox jumps over the lazy dog, and then it runs back home "
                 "again, happily.", "--voice", "joe", "-o", tmp_path / "long.wav")  # fmt: skip
    assert longer.exit_code == 0 and "too short" not in longer.output


def test_a_short_output_says_whether_its_mark_reads_back_and_verify_agrees(tmp_path):
    """Under 5 s the detector reads a clip only for a payload whose CRC checks; the note
    written with the output says whether this one does, and verify says the same of it."""
    said = []
    for k, text in enumerate(["This is your bank calling about your account.", "Please send the money today, please."]):
        out = tmp_path / f"short{k}.wav"
        result = cli("speak", text, "--voice", "joe", "-o", out)
        assert result.exit_code == 0, result.output
        assert 1.5 < sf.info(out).duration < 5.0
        report = verify(out)
        reads = "reads back from this file" in result.output
        assert reads or "too short to read it back" in result.output
        assert report["watermark"]["found"] is reads
        if reads:
            assert report["watermark"]["payload"] == report["record"]["payload"] and not report["watermark"]["too_short"]
        else:
            assert report["watermark"]["too_short"]
        said.append(reads)
    assert any(said)  # measured: both read back


def test_mark_then_mark_again_keeps_one_payload(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(44100 * 8) / 44100
    source = tmp_path / "daw.wav"
    sig = 0.2 * np.sin(2 * np.pi * 196 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t)) + 0.01 * rng.standard_normal(len(t))
    sf.write(source, sig.astype(np.float32), 44100)
    first = tmp_path / "marked.wav"
    assert cli("mark", source, "-o", first, "--payload", "0123456789ABCDEF").exit_code == 0
    report = verify(first)
    assert report["watermark"]["payload"] == "0123456789abcdef" and report["record"]["kind"] == "mark"
    again = tmp_path / "again.flac"
    result = cli("mark", first, "-o", again)
    assert result.exit_code == 0 and "kept one mark" in result.stdout
    assert verify(again)["watermark"]["payload"] == "0123456789abcdef"
    clash = cli("mark", first, "-o", tmp_path / "clash.wav", "--payload", "ffffffffffffffff")
    assert clash.exit_code == 2 and "already carries" in clash.stderr
    assert not (tmp_path / "clash.wav").exists()


def test_mark_keeps_a_stereo_file_stereo(tmp_path):
    """A stereo master marked after a DAW comes back stereo, its two channels still apart
    (the same mark in each), and verifies; it used to come back as the channels' mean."""
    rng = np.random.default_rng(1)
    t = np.arange(48000 * 8) / 48000
    left = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(len(t))
    right = 0.2 * np.sin(2 * np.pi * 330 * t) + 0.01 * rng.standard_normal(len(t))
    source = tmp_path / "master.wav"
    sf.write(source, np.c_[left, right].astype(np.float32), 48000)
    out = tmp_path / "marked.flac"
    assert cli("mark", source, "-o", out).exit_code == 0
    marked, sr = sf.read(out, dtype="float32")
    assert sr == 48000 and marked.shape == (len(t), 2)
    # Each channel is its source plus a mark about 35 dB under it: far closer to its own
    # source than to the other channel's.
    for k, own in enumerate((left, right)):
        residual = marked[:, k] - own
        assert 10 * np.log10(np.mean(own**2) / np.mean(residual**2)) > 25
    assert np.allclose(marked[:, 0] - left, marked[:, 1] - right, atol=2e-3)  # one mark in both
    report = verify(out)
    assert report["watermark"]["found"] and report["record"]["kind"] == "mark"


def test_mark_refuses_more_than_two_channels(tmp_path):
    source = tmp_path / "surround.wav"
    sf.write(source, np.zeros((48000 * 6, 6), np.float32), 48000)
    result = cli("mark", source, "-o", tmp_path / "out.wav")
    assert result.exit_code == 2 and "6 channels" in result.stderr and "stereo" in result.stderr
    assert not (tmp_path / "out.wav").exists()


@pytest.mark.parametrize("payload", ["123", "zzzzzzzzzzzzzzzz", "0123456789abcdef00"])
def test_mark_refuses_a_bad_payload(tmp_path, payload):
    source = tmp_path / "in.wav"
    sf.write(source, np.zeros(44100 * 6, np.float32), 44100)
    result = cli("mark", source, "-o", tmp_path / "out.wav", "--payload", payload)
    assert result.exit_code == 2 and "16 hex digits" in result.stderr
    assert not (tmp_path / "out.wav").exists()


def test_verify_refuses_what_is_not_audio(tmp_path):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    result = cli("verify", junk)
    assert result.exit_code == 2 and "cannot decode" in result.stderr
    missing = cli("verify", tmp_path / "nothere.wav")
    assert missing.exit_code == 2 and "not a file" in missing.stderr


def test_keys_show_before_init_says_what_to_do():
    result = cli("keys", "show")
    assert result.exit_code == 2 and "yinse keys init" in result.stderr


def test_keys_init_then_show(yinse_home):
    assert cli("keys", "init", "--owner", "Test Studio").exit_code == 0
    shown = cli("keys", "show")
    assert shown.exit_code == 0 and "Test Studio" in shown.stdout
    again = cli("keys", "init")
    assert again.exit_code == 2 and "--force" in again.stderr


def test_mark_refuses_audio_whose_mark_is_present_but_unreadable(tmp_path, monkeypatch):
    """detect() may report a mark without a payload (sync found, payload not decodable);
    embedding a second mark over it would garble both, so mark refuses."""
    from yinse.provenance import watermark

    source = tmp_path / "in.wav"
    sf.write(source, np.zeros(44100 * 6, np.float32), 44100)
    present = watermark.Detection(found=True, payload=None, confidence=0.999, offset_s=0.0,
                                  speed=1.0, windows=1)  # fmt: skip
    monkeypatch.setattr(watermark, "detect", lambda audio, sr, key: present)
    result = cli("mark", source, "-o", tmp_path / "out.wav")
    assert result.exit_code == 2 and "cannot be read" in result.stderr
    assert not (tmp_path / "out.wav").exists()
