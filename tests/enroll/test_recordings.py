"""Import and quality checks of enrollment recordings, on real shared recordings and on
generated bad ones (silent, clipped, noisy, music, too short, broken files and TSVs)."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from yinse.core.errors import InputError
from yinse.enroll import quality
from yinse.enroll.quality import check_quality, clipped_fraction, plot_quality
from yinse.enroll.recordings import Recording, load_recordings


def speech(shared: Path, *parts: str) -> Path:
    return shared.joinpath("speech", *parts)


@pytest.fixture(scope="module")
def cathy(shared_data) -> list[Recording]:
    folder = speech(shared_data, "en", "cathy")
    return load_recordings([folder], transcripts=folder / "transcripts.tsv")


def synth_music(seconds: float, sr: int, seed: int = 0) -> np.ndarray:
    """A pop loop at 100 bpm: I–V–vi–IV piano-like chords, bass, a random lead, kick on 1
    and 3, snare on 2 and 4, eighth-note hi-hats.  Peak 0.5."""
    rng = np.random.default_rng(seed)
    n, beat = int(seconds * sr), 60 / 100
    out = np.zeros(n)

    def tone(f, dur, amp, decay, harmonics):
        t = np.arange(int(dur * sr)) / sr
        env = np.exp(-decay * t) * np.minimum(1, t / 0.005)
        return amp * env * sum(np.sin(2 * np.pi * f * k * t) / k**1.2
                               for k in range(1, harmonics + 1))  # fmt: skip

    def add(x, start_s):
        i = int(start_s * sr)
        j = min(n, i + len(x))
        if i < n:
            out[i:j] += x[: j - i]

    def hz(m):
        return 440 * 2 ** ((m - 69) / 12)

    chords = [[60, 64, 67], [55, 59, 62], [57, 60, 64], [53, 57, 60]]
    bar_start, k = 0.0, 0
    while bar_start < seconds:
        chord = chords[k % 4]
        add(tone(hz(chord[0] - 24), 4 * beat, 0.2, 0.8, 4), bar_start)
        for b in range(4):
            at = bar_start + b * beat
            for m in chord:
                add(tone(hz(m), 1.2 * beat, 0.08, 2.5, 6), at)
            t = np.arange(int(0.15 * sr)) / sr
            if b % 2 == 0:
                add(0.5 * np.sin(2 * np.pi * (50 + 100 * np.exp(-30 * t)) * t)
                    * np.exp(-20 * t), at)  # fmt: skip
            else:
                add(0.25 * rng.standard_normal(len(t)) * np.exp(-25 * t), at)
            for h in range(2):
                th = np.arange(int(0.04 * sr)) / sr
                add(0.05 * np.diff(rng.standard_normal(len(th) + 1)) * np.exp(-80 * th),
                    at + h * beat / 2)  # fmt: skip
        for e in range(8):
            lead = [72, 74, 76, 77, 79, 81, 83, 84][rng.integers(0, 8)]
            add(tone(hz(lead), 0.33, 0.12, 1.0, 4), bar_start + e * beat / 2)
        bar_start += 4 * beat
        k += 1
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def as_recording(name: str, audio: np.ndarray, sr: int) -> Recording:
    return Recording(name, audio.astype(np.float32), sr, None, None, Path(name), "0" * 64)


# ------------------------------------------------------------------------- real recordings


def test_cathy_loads_with_transcripts_and_passes(cathy):
    assert len(cathy) == 150
    first = cathy[0]
    assert first.name == "arctic_a0001_1592748600.flac"
    assert first.text == "Author of the danger trail, Philip Steels, etc."
    assert first.pinyin is None and first.sr == 48000 and first.audio.dtype == np.float32
    assert len(first.source_sha256) == 64
    report = check_quality(cathy)
    assert report.ok, report.table()
    assert not report.rejected and not report.problems
    # 7 min of studio speech: VAD finds speech in > 90 % of it, all above 300 s.
    assert report.usable_speech_s > 300 and report.speech_ratio > 0.9
    assert report.snr_db > 25  # measured 33 dB
    assert "all (150 files)" in report.table() and "OK" in report.table()


def test_magicdata_loads_hanzi_and_pinyin_and_passes(shared_data, tmp_path):
    folder = speech(shared_data, "zh", "magicdata_f")
    lines = (folder / "transcripts.tsv").read_text(encoding="utf-8").splitlines()[:30]
    tsv = tmp_path / "some.tsv"
    tsv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files = [folder / line.split("\t")[0] for line in lines]
    recs = load_recordings(files, transcripts=tsv)
    assert [r.name for r in recs] == [f.name for f in files]
    assert recs[0].text.startswith("它包含了课程") and recs[0].pinyin.startswith("ta1 bao1")
    report = check_quality(recs)
    assert report.ok and not report.rejected, report.table()
    assert report.snr_db > 50  # measured 66 dB: a quiet booth


@pytest.mark.parametrize("folder", ["2609", "367"])
def test_noisiest_and_quietest_real_speech_passes(shared_data, folder):
    """LibriSpeech test-other 2609 is the noisiest shared folder (files 21–23 dB SNR) and
    367 the quietest (files down to −38 dBFS): both must pass every per-file check."""
    recs = load_recordings([speech(shared_data, "en", "librispeech", folder)])
    report = check_quality(recs)
    assert report.ok and not report.rejected, report.table()
    if folder == "2609":
        assert any("background noise" in w for w in report.warnings)


def test_real_singing_is_flagged_and_spoken_lyrics_are_not(shared_data):
    gt = shared_data / "singing" / "multi" / "gtsinger"
    sung = [gt / "zh01_control.flac", gt / "zh05_Control.flac",
            gt / "EN-Tenor-1-Vibrato-Control.flac",
            shared_data / "singing" / "zh" / "m4singer" / "svs" / "4.flac"]  # fmt: skip
    spoken = [gt / "zh01_speech.flac", gt / "zh05_Speech.flac", gt / "EN-Tenor-1-Vibrato-Speech.flac"]
    report = check_quality(load_recordings(sung + spoken), min_speech_s=5)
    by_name = {q.name: q for q in report.files}
    for f in sung:  # measured scores 2.4–2.8; the limit is 1
        assert by_name[f.name].music_score > 1.5
        assert "sounds like music or singing" in report.rejected[f.name][0]
    for f in spoken:  # measured ≤ 0.16
        assert by_name[f.name].music_score < 0.5 and f.name in report.usable
    assert report.ok  # 13 s of spoken lyrics remain, over the 5 s asked for here


# ------------------------------------------------------------------------- bad recordings


def test_silent_file_is_set_aside_when_the_rest_is_enough(cathy, tmp_path):
    sf.write(tmp_path / "silent.wav", np.zeros(48000 * 4, dtype=np.float32), 48000)
    report = check_quality(cathy[:20] + load_recordings([tmp_path / "silent.wav"]))
    assert report.ok
    assert list(report.rejected) == ["silent.wav"]
    assert "silent.wav: no speech" in report.rejected["silent.wav"][0]
    assert "check that the microphone is on" in report.rejected["silent.wav"][0]
    assert any(w.startswith("set aside 1 of 21 recordings (silent.wav)") for w in report.warnings)
    assert "silent.wav" not in report.usable and len(report.usable) == 20
    assert [r.name for r in report.usable_recordings(cathy[:20])] == report.usable


def test_clipped_file_is_rejected(cathy):
    loud = cathy[0]
    clipped = as_recording("clipped.wav", np.clip(loud.audio * 8, -1, 1), loud.sr)
    report = check_quality(cathy[1:20] + [clipped])
    q = report.files[-1]
    # Her peaks (0.15–0.39) × 8 push loud vowels into the rails: measured 0.04–4.3 % of
    # samples across her 150 files, 0.69 % for this one, against a limit of 0.1 %.
    assert q.clipped_fraction > 0.003
    assert report.rejected["clipped.wav"][0].startswith("clipped.wav: clipped — ")
    assert "lower the input gain" in report.rejected["clipped.wav"][0]
    assert report.ok
    # Clipped, then scaled down: the flat tops still count.
    assert clipped_fraction(np.clip(loud.audio * 8, -1, 1) * 0.5) > 0.003
    assert max(clipped_fraction(r.audio) for r in cathy[:20]) < 1e-4


def test_noisy_file_is_rejected(cathy):
    rng = np.random.default_rng(0)
    src = cathy[3]
    noise = rng.standard_normal(len(src.audio)) * np.sqrt(np.mean(src.audio**2) / 10)
    noisy = as_recording("noisy.wav", src.audio + noise, src.sr)  # 10 dB SNR
    report = check_quality(cathy[10:25] + [noisy])
    q = report.files[-1]
    # White noise at 10 dB reads 10.2–11.5 dB on all 150 cathy files; the limit is 15 dB.
    assert 8 < q.snr_db < 13
    assert "noisy.wav: too noisy — speech is only" in report.rejected["noisy.wav"][0]
    assert "quieter room" in report.rejected["noisy.wav"][0]


def test_music_file_is_rejected(cathy, tmp_path):
    sf.write(tmp_path / "song.flac", synth_music(12, 44100), 44100)
    report = check_quality(cathy[:20] + load_recordings([tmp_path / "song.flac"]))
    q = report.files[-1]
    assert q.loud_nonspeech_ratio > 0.9 and q.music_score >= 2  # measured 1.0 and 2–4.6
    assert report.rejected["song.flac"] == [report.rejected["song.flac"][0]]
    assert "song.flac: sounds like music or singing, not speech" in report.rejected["song.flac"][0]


def test_steady_noise_is_no_speech_not_music(cathy):
    rng = np.random.default_rng(1)
    hiss = as_recording("hiss.wav", 0.1 * rng.standard_normal(48000 * 3), 48000)
    report = check_quality(cathy[:10] + [hiss])
    assert report.files[-1].music_score == 0
    assert report.rejected["hiss.wav"][0].startswith("hiss.wav: no speech")


def test_too_quiet_file_is_rejected(cathy):
    quiet = as_recording("quiet.wav", cathy[5].audio / 100, 48000)  # −40 dB: about −69 dBFS
    report = check_quality(cathy[10:25] + [quiet])
    assert report.rejected["quiet.wav"][0].startswith("quiet.wav: too quiet — speech at -")


def test_too_short_set_fails(cathy):
    report = check_quality(cathy[:3])
    assert not report.ok
    assert report.problems[0].startswith("too little speech: ")
    assert "at least 30 s needed, 2–5 minutes recommended" in report.problems[0]
    assert "NOT OK" in report.table()
    # Enough for a lower minimum, with the 2-minute recommendation as a warning.
    relaxed = check_quality(cathy[:3], min_speech_s=5)
    assert relaxed.ok and any("2–5 minutes recommended" in w for w in relaxed.warnings)


def test_bad_files_are_not_set_aside_when_too_little_remains(cathy):
    silent = as_recording("silent.wav", np.zeros(48000 * 2), 48000)
    report = check_quality(cathy[:4] + [silent])
    assert not report.ok
    assert report.problems[0].startswith("too little usable speech: ")
    assert "once the 1 with problems below are left out" in report.problems[0]
    assert report.problems[1].startswith("silent.wav: no speech")


def test_quality_plot_is_a_png_written_atomically(cathy, tmp_path):
    recs = cathy[:12] + [as_recording("silent.wav", np.zeros(48000), 48000)]
    report = check_quality(recs)
    out = plot_quality(report, recs, tmp_path / "quality.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["quality.png"]


# ------------------------------------------------------------------------- import errors


def write_tsv(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


@pytest.fixture
def two_files(cathy, tmp_path) -> Path:
    folder = tmp_path / "rec"
    folder.mkdir()
    for r in cathy[:2]:
        sf.write(folder / f"{r.name[:12]}.wav", r.audio, r.sr)
    return folder


def test_transcript_naming_a_missing_file(two_files, tmp_path):
    tsv = write_tsv(tmp_path / "t.tsv", "arctic_a0001.wav\tone\narctic_a0002.wav\ttwo\n"
                                        "arctic_a0999.wav\tthree\n")  # fmt: skip
    with pytest.raises(InputError, match=r"line 3 names arctic_a0999.wav, which is not among"):
        load_recordings([two_files], transcripts=tsv)


def test_file_without_a_transcript_line(two_files, tmp_path):
    tsv = write_tsv(tmp_path / "t.tsv", "arctic_a0001.wav\tone\n")
    with pytest.raises(InputError, match=r"has no line for arctic_a0002.wav"):
        load_recordings([two_files], transcripts=tsv)


@pytest.mark.parametrize(
    "content, message",
    [
        ("arctic_a0001.wav one\n", r"line 1: expected file<TAB>text\[<TAB>pinyin\], found 1"),
        ("arctic_a0001.wav\tone\narctic_a0002.wav\t \n", r"line 2: the text for arctic_a0002"),
        ("a\tb\tc\td\n", r"line 1: expected .* found 4"),
        ("arctic_a0001.wav\tone\narctic_a0001.wav\tagain\n", r"line 2: arctic_a0001.wav already"),
        ("# only a comment\n", r"has no transcript lines"),
        (b"arctic_a0001.wav\tone\narctic_a0002.wav\t\xff\xfe bad\n", r"not UTF-8 .*line 2"),
    ],
)  # fmt: skip
def test_bad_transcript_files(two_files, tmp_path, content, message):
    tsv = write_tsv(tmp_path / "t.tsv", content)
    with pytest.raises(InputError, match=message):
        load_recordings([two_files], transcripts=tsv)


def test_transcripts_match_by_stem_and_allow_bom_and_comments(two_files, tmp_path):
    tsv = write_tsv(tmp_path / "t.tsv", "\ufeff# file\ttext\narctic_a0001.flac\tone\tyi1\n\n"
                                        "arctic_a0002\ttwo\n")  # fmt: skip
    recs = load_recordings([two_files], transcripts=tsv)
    assert [(r.name, r.text, r.pinyin) for r in recs] == [
        ("arctic_a0001.wav", "one", "yi1"), ("arctic_a0002.wav", "two", None)]  # fmt: skip


def test_non_audio_file_named_wav(tmp_path):
    fake = tmp_path / "notes.wav"
    fake.write_text("these are my lyrics, not a recording\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"notes.wav .*(not audio that Yinse can read|ffmpeg)"):
        load_recordings([fake])


def test_missing_ffmpeg_is_explained(tmp_path, monkeypatch):
    fake = tmp_path / "voice.m4a"
    fake.write_bytes(b"\x00\x00\x00\x18ftypM4A not really")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(InputError, match=r"install ffmpeg .* or convert the file to WAV or FLAC"):
        load_recordings([fake])


def test_empty_inputs_and_folders(tmp_path):
    with pytest.raises(InputError, match="no recordings given"):
        load_recordings([])
    with pytest.raises(InputError, match="holds no recordings"):
        load_recordings([tmp_path])
    with pytest.raises(InputError, match="does not exist"):
        load_recordings([tmp_path / "nope.wav"])
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        load_recordings([tmp_path / "empty.wav"])


def test_stereo_is_averaged_and_rate_kept_and_folder_sorted(tmp_path):
    t = np.arange(22050) / 22050
    left = 0.4 * np.sin(2 * np.pi * 220 * t)
    sf.write(tmp_path / "b.wav", np.stack([left, np.zeros_like(left)], axis=1), 22050)
    sf.write(tmp_path / "a.flac", left, 22050)
    (tmp_path / "readme.txt").write_text("not audio")
    recs = load_recordings([tmp_path])
    assert [r.name for r in recs] == ["a.flac", "b.wav"]
    assert recs[1].sr == 22050 and recs[1].audio.ndim == 1
    np.testing.assert_allclose(recs[1].audio, left / 2, atol=1e-4)  # 16-bit quantisation


def test_a_folder_is_read_in_the_order_its_numbered_names_count(tmp_path):
    """A recorder's "Recording 10" comes after "Recording 2": the order the lines were read."""
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(16000) / 16000)
    for name in ("Recording 10.wav", "Recording 2.wav", "Recording 1.wav", "recording 3.wav"):
        sf.write(tmp_path / name, tone, 16000)
    names = [r.name for r in load_recordings([tmp_path])]
    assert names == ["Recording 1.wav", "Recording 2.wav", "recording 3.wav", "Recording 10.wav"]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_m4a_is_decoded_through_ffmpeg(cathy, tmp_path):
    src = tmp_path / "src.wav"
    sf.write(src, cathy[0].audio, cathy[0].sr)
    m4a = tmp_path / "take.m4a"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(src), "-c:a", "aac",
                    "-b:a", "128k", str(m4a)], check=True)  # fmt: skip
    (rec,) = load_recordings([m4a])
    assert rec.sr == 48000
    assert abs(rec.duration_s - cathy[0].duration_s) < 0.1  # AAC priming/padding frames


def test_long_file_without_transcripts_is_split_at_pauses(cathy, tmp_path):
    gap = np.zeros(int(0.6 * 48000), dtype=np.float32)
    parts = [p for r in cathy[:12] for p in (r.audio, gap)]
    long = np.concatenate(parts)  # ≈ 44 s: 12 sentences, 0.6 s pauses
    sf.write(tmp_path / "reading.flac", long, 48000)
    recs = load_recordings([tmp_path / "reading.flac"])
    assert len(recs) >= 10
    assert [r.name for r in recs[:2]] == ["reading.flac#1", "reading.flac#2"]
    assert all(1.0 <= r.duration_s <= 20.0 for r in recs)
    assert all(r.text is None and r.source == tmp_path / "reading.flac" for r in recs)
    assert len({r.source_sha256 for r in recs}) == 1
    # Nothing but pauses is lost: the segments hold ≥ 90 % of the file's sentence time.
    assert sum(r.duration_s for r in recs) > 0.9 * sum(r.duration_s for r in cathy[:12])
    assert all(r.passage is None for r in recs)
    # With a transcript line, the 44 s file reads a passage: cut the same way, each piece
    # keeping the passage for the enrollment to find its sentence in.
    passage = " ".join(r.text for r in cathy[:12])
    tsv = write_tsv(tmp_path / "t.tsv", f"reading.flac\t{passage}\n")
    pieces = load_recordings([tmp_path / "reading.flac"], transcripts=tsv)
    assert [(r.name, r.duration_s) for r in pieces] == [(r.name, r.duration_s) for r in recs]
    assert all(r.text is None and r.pinyin is None and r.passage == passage for r in pieces)


def test_vad_model_comes_from_the_package_without_downloads(monkeypatch):
    import torch

    def refuse(*args, **kwargs):
        raise AssertionError("the VAD tried to download something")

    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    monkeypatch.setattr(torch.hub, "load", refuse)
    monkeypatch.setattr("yinse.enroll.recordings._VAD_MODEL", None)
    from yinse.enroll.recordings import _vad_model, speech_probabilities

    model = _vad_model()
    assert model is _vad_model()  # cached per process
    t = np.arange(16000) / 16000
    (probs,) = speech_probabilities([0.1 * np.sin(2 * np.pi * 300 * t)], [16000])
    assert len(probs) == 32 and quality.VAD_SR == 16000
