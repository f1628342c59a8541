"""Voice conversion into a built-in voice, with real recordings, and its refusals."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from benchmarks.bench_clone import Recogniser, wer
from benchmarks.bench_convert import _shift_of, melody_kept
from yinse.cli import app
from yinse.convert.analysis import accompaniment_score, chunk_bounds, read_input
from yinse.core.errors import InputError, VoiceError
from yinse.pipeline import ConvertRequest, convert_to_file
from yinse.provenance.verify import verify_file

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One YINSE_HOME for the module: joe's conversion bank is built once (about 20 s)."""
    path = tmp_path_factory.mktemp("convert_home")
    mp = pytest.MonkeyPatch()
    mp.setenv("YINSE_HOME", str(path))
    mp.delenv("YINSE_DATABASE_URL", raising=False)
    yield path
    mp.undo()


@pytest.fixture
def in_home(home, monkeypatch):
    monkeypatch.setenv("YINSE_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def singing(shared_data):
    return shared_data / "singing" / "multi" / "gtsinger" / "EN-Alto-2-Vibrato-Control.flac"


def test_singing_converted_into_joe_keeps_its_melody(in_home, singing, tmp_path):
    out = tmp_path / "joe.wav"
    record = convert_to_file(ConvertRequest(str(singing), "joe", key_shift="auto"), out)
    x, sr_in = sf.read(singing, dtype="float32")
    y, sr_out = sf.read(out, dtype="float32")
    assert abs(len(y) / sr_out - len(x) / sr_in) < 0.05  # timing kept
    report = verify_file(out)
    assert report["record"]["kind"] == "convert" and report["record"]["voice"] == "joe"
    assert report["watermark"]["payload"] == record.payload_hex
    shift = _shift_of(record)
    assert -20 <= shift <= -10  # an alto (about 210 Hz) moved down to joe's speaking pitch
    assert f"--key auto moved it {shift:+.0f} semitones" in record.notes[-1] and "'joe' speaks" in record.notes[-1]
    cents, vuv = melody_kept(x, sr_in, y, sr_out, shift)
    assert cents <= 25, cents
    assert vuv >= 0.85, vuv
    assert (in_home / "banks" / "builtin").is_dir()  # the bank is kept for the next conversion


def test_speech_through_the_cli_with_a_fixed_key(in_home, shared_data, tmp_path):
    speech = sorted((shared_data / "speech" / "en" / "cathy").glob("*.flac"))[-1]
    out = tmp_path / "said.mp3"
    result = runner.invoke(app, ["convert", str(speech), "--to", "joe", "-o", str(out), "--key", "+3",
                                 "--keep-breath"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.is_file() and "payload" in result.output
    # cathy (about 160 Hz) moved up is far above where joe speaks: the user is told
    assert "moved +3 semitones, sits" in result.output and "above where 'joe' speaks" in result.output
    assert "--key auto (-" in result.output


def test_long_input_is_converted_in_parts(in_home, singing, tmp_path, monkeypatch):
    import yinse.convert.convert as conversion

    monkeypatch.setattr(conversion, "chunk_bounds", lambda x, sr: chunk_bounds(x, sr, chunk_s=2.0))
    parts = []
    out = tmp_path / "parts.wav"
    convert_to_file(ConvertRequest(str(singing), "joe", key_shift=-12), out, progress=lambda a, b: parts.append((a, b)))
    assert len(parts) >= 3 and parts[-1][0] == parts[-1][1]
    x, sr_in = sf.read(singing, dtype="float32")
    y, sr_out = sf.read(out, dtype="float32")
    cents, vuv = melody_kept(x, sr_in, y, sr_out, -12.0)
    assert cents <= 25 and vuv >= 0.85, (cents, vuv)


@pytest.fixture(scope="module", params=["ballad", "electronic"])
def band(singing, request):
    """A band from the composer and the SoundFont (ballad: piano, strings, drums, bass;
    electronic: four-on-the-floor, offbeat bass, pads, plucks), as long as the singing clip
    and at its loudness: 16 kHz mono."""
    from yinse.compose.arrange import arrange
    from yinse.compose.sheet import read_sheet
    from yinse.compose.song import compose
    from yinse.core.audio import resample
    from yinse.render.soundfont import render_tracks

    comp = compose(read_sheet("[verse]\nSail away sail away\nOver the silver sea\n"), style=request.param)
    stems = render_tracks(arrange(comp).to_midi(with_vocal=False), sr=16000)
    mono = sum(s.mean(axis=1) for s in stems.values())
    x, sr = sf.read(singing, dtype="float32")
    voice = resample(x, sr, 16000)
    mono = np.resize(mono[16000 * 4 :], len(voice))  # past the first bar
    return voice, mono * np.sqrt(np.mean(voice**2) / np.mean(mono**2))


def test_accompaniment_is_told_from_a_dry_voice(band):
    voice, accompaniment = band
    dry = accompaniment_score(voice, 16000)
    assert not dry.accompanied and dry.floor_db < -30
    for db in (-12, -6, 0):
        mixed = accompaniment_score(voice + accompaniment * 10 ** (db / 20), 16000)
        assert mixed.accompanied, (db, mixed)


def test_noisy_or_padded_dry_voices_are_not_taken_for_a_band(band):
    """A room's noise fills the pauses too, but changes at random; digital silence is no
    evidence either way."""
    voice, _ = band
    rng = np.random.default_rng(1)
    for noise_db in (-30, -12):
        noise = rng.normal(0, np.sqrt(np.mean(voice**2)) * 10 ** (noise_db / 20), len(voice))
        noisy = accompaniment_score(voice + noise, 16000)
        assert noisy.floor_db > -24 or noise_db == -30  # the pauses are not quiet ...
        assert not noisy.accompanied, (noise_db, noisy)  # ... but it is noise, not a band
    padded = np.concatenate([np.zeros(16000 * 20), voice, np.zeros(16000 * 20)])
    assert not accompaniment_score(padded, 16000).accompanied


def test_a_song_with_its_band_is_refused_and_nothing_is_written(band, tmp_path):
    """Through a real codec (MP3) and the whole pipeline: the refusal names the evidence
    and what to do."""
    import subprocess

    voice, accompaniment = band
    wav, mp3 = tmp_path / "song.wav", tmp_path / "song.mp3"
    mix = voice + accompaniment * 10 ** (-6 / 20)
    sf.write(wav, mix / np.abs(mix).max() * 0.9, 16000)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(wav), "-b:a", "96k", str(mp3)], check=True)
    out = tmp_path / "out.wav"
    with pytest.raises(InputError, match="accompaniment.*where the voice rests.*dry vocal"):
        convert_to_file(ConvertRequest(str(mp3), "joe"), out)
    assert not out.exists()


def test_long_input_is_cut_in_pauses():
    sr = 16000
    x = np.random.default_rng(0).normal(0, 0.1, sr * 70).astype(np.float32)
    x[sr * 17 : sr * 17 + 800] = 0  # a pause within the last quarter of the first chunk
    bounds = chunk_bounds(x, sr)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(x)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    assert sr * 17 <= bounds[0][1] <= sr * 17 + 800
    assert all(e - s <= sr * 25 for s, e in bounds)


def _write(path, audio, sr=16000):
    sf.write(path, audio, sr)
    return path


@pytest.mark.parametrize(
    "make,words",
    [
        (lambda p: p / "missing.wav", "is not a file"),
        (lambda p: _write(p / "short.wav", np.random.default_rng(0).normal(0, 0.1, 8000)), "at least 1 s"),
        (lambda p: _write(p / "silent.wav", np.zeros(16000 * 3)), "silent"),
        (lambda p: _write(p / "clipped.wav", np.clip(np.sin(np.arange(48000) / 5) * 3, -1, 1)), "clipped"),
        (lambda p: _write(p / "long.wav", np.random.default_rng(0).normal(0, 0.05, 16000 * 601)), "minutes"),
        (lambda p: (p / "junk.wav").write_bytes(b"not audio") and p / "junk.wav", "junk.wav"),
    ],
)
def test_bad_inputs_are_refused_and_nothing_is_written(tmp_path, make, words):
    source = make(tmp_path)
    out = tmp_path / "out.wav"
    with pytest.raises(InputError, match=words):
        convert_to_file(ConvertRequest(str(source), "joe"), out)
    assert not out.exists()


def test_unknown_target_key_and_output_are_refused(tmp_path, singing):
    with pytest.raises(VoiceError, match="unknown voice 'nobody'"):
        convert_to_file(ConvertRequest(str(singing), "nobody"), tmp_path / "a.wav")
    with pytest.raises(InputError, match="outside -24"):
        convert_to_file(ConvertRequest(str(singing), "joe", key_shift=30), tmp_path / "a.wav")
    with pytest.raises(InputError, match=r"--clarity 0.8 is outside 0..0.5"):
        convert_to_file(ConvertRequest(str(singing), "joe", clarity=0.8), tmp_path / "a.wav")
    with pytest.raises(InputError, match="--clarity 'much' is not a number"):
        ConvertRequest(str(singing), "joe", clarity="much")
    with pytest.raises(InputError, match="not supported"):
        convert_to_file(ConvertRequest(str(singing), "joe"), tmp_path / "a.aiff")
    with pytest.raises(VoiceError, match="not supported"):
        convert_to_file(ConvertRequest(str(singing), "espeak-de"), tmp_path / "a.wav")
    bad = runner.invoke(app, ["convert", str(singing), "--to", "joe", "-o", str(tmp_path / "b.wav"), "--key", "up"])
    assert bad.exit_code == 2 and "--key 'up'" in bad.output
    bad = runner.invoke(app, ["convert", str(singing), "--to", "joe", "-o", str(tmp_path / "b.wav"), "--clarity", "-1"])
    assert bad.exit_code == 2 and "--clarity -1.0 is outside" in bad.output
    assert not list(tmp_path.iterdir())


def test_read_input_accepts_a_dry_singing_clip(singing):
    source = read_input(singing)
    assert source.duration_s > 3 and source.name == singing.name


def test_pitch_is_not_tracked_at_sub_harmonics(shared_data):
    """DIO reads weak frames of this woman's speech (typical pitch about 186 Hz) as 60-90 Hz;
    played back they would buzz far under her melody.  The conversion's tracker keeps F0
    within 1.3 octaves under the typical pitch and still finds her voiced frames."""
    from yinse.convert.convert import BELOW_TYPICAL, F0_FLOOR_HZ, _pitch_track, track_pitch
    from yinse.core.audio import resample

    clip = read_input(shared_data / "speech" / "en" / "vctk_p225" / "p225_024.flac")
    sr = 22050
    x = resample(clip.audio.astype(np.float64), clip.sr, sr)
    bounds = chunk_bounds(x, sr)
    analysed, typical = track_pitch(x, bounds, sr)
    f0 = np.concatenate([f for f, _ in analysed])
    assert 160 < typical < 220
    voiced = f0[f0 > 0]
    assert len(voiced) > 0.3 * len(f0)  # her voice is still tracked
    assert voiced.min() >= typical / BELOW_TYPICAL - 1.0
    # what a single pass from the lowest floor gives on the same clip (so the check above
    # is not empty): dozens of frames at sub-harmonics
    single = np.concatenate([f for f, _ in _pitch_track(x, bounds, sr, F0_FLOOR_HZ)])
    assert np.sum((single > 0) & (single < typical / BELOW_TYPICAL)) > 20


# ---------------------------------------------------------------- --lyrics
def _cathy_clip(shared_data, index: int = -1):
    """One of cathy's recordings (the last by default) and its transcript."""
    folder = shared_data / "speech" / "en" / "cathy"
    rows = [r.split("\t") for r in (folder / "transcripts.tsv").read_text("utf-8").splitlines() if r]
    name, text = sorted(rows)[index][:2]
    return folder / name, text


def test_lyric_phones_land_where_they_are_said(in_home):
    """joe's own reading as the input: every phone of the lyrics is mapped back onto the
    moment joe said it (the alignment steps 20 ms)."""
    from yinse.convert.lyrics import lyric_guide
    from yinse.convert.targets import target_for
    from yinse.voices import get_voice
    from yinse.voices.timbre import cepstral_stats, world_features

    joe = get_voice("joe")
    bank = target_for(joe)
    text = "The little boat sailed across the quiet harbour at dawn."
    said = joe.speak_utterance(text)
    coded = world_features(said.audio.astype(np.float64), said.sr, aperiodicity=False).coded_sp
    placed = lyric_guide(text, coded, cepstral_stats([coded]), said.sr, bank).phones
    assert [p for p, _, _ in placed] == [p for p, s, e in said.phones if e > s]
    errors = np.abs([a[1] - b[1] for a, b in zip(placed, said.phones)])
    assert np.median(errors) <= 0.025 and np.percentile(errors, 90) <= 0.06, errors


def test_a_reading_follows_the_input_voicing():
    """A built-in target's reading, paired with the input: frames interpolate between the
    paired moments, only the aligned span is covered, and where the pairing puts the
    reading's consonant under a voiced input frame (or its vowel under an unvoiced one) the
    aperiodicity is the reading's typical one for the input's voicing."""
    from yinse.convert.lyrics import LyricGuide
    from yinse.voices.timbre import WorldFeatures

    f0 = np.array([0, 0, 200, 200, 200, 0], float)  # the reading: consonant, vowel, consonant
    sp = np.arange(6, dtype=float)[:, None] * np.ones((1, 3))
    ap = np.where(f0[:, None] > 0, -30.0, -1.0) * np.ones((1, 2))
    guide = LyricGuide([], input_s=np.array([0.1, 0.2, 0.3]), said_frame=np.array([1.0, 3.0, 5.0]),
                       reading=WorldFeatures(f0=f0, coded_sp=sp, coded_ap=ap))  # fmt: skip
    times = np.array([0.05, 0.1, 0.15, 0.2, 0.25, 0.35])
    voiced = np.array([False, True, True, True, False, False])
    env, aper, covered = guide.reading_frames(times, voiced)
    assert covered.tolist() == [False, True, True, True, True, False]
    assert env[2, 0] == pytest.approx(2.0) and env[4, 0] == pytest.approx(4.0)  # between frames 1 and 3; frame 4
    assert aper[1].tolist() == [-30.0, -30.0]  # voiced input over the reading's consonant (frame 1)
    assert aper[3].tolist() == [-30.0, -30.0]  # voiced over voiced: the reading's own
    assert aper[4].tolist() == [-1.0, -1.0]  # unvoiced input over the reading's vowel (frame 4)


@pytest.fixture(scope="module")
def plain_speech(home, shared_data, tmp_path_factory):
    """One of cathy's sentences converted into joe (key -3) with no help for the words: the
    clip, its words, what pocketsphinx makes of the conversion, and its V/UV agreement."""
    speech, text = _cathy_clip(shared_data, -5)  # "Of course, that is uninteresting, she continued."
    plain = tmp_path_factory.mktemp("plain") / "plain.wav"
    convert_to_file(ConvertRequest(str(speech), "joe", key_shift=-3), plain)
    x, sr_in = sf.read(speech, dtype="float32")
    z, sr = sf.read(plain, dtype="float32")
    return speech, text, wer([(text, Recogniser().words(z, sr))]), melody_kept(x, sr_in, z, sr, -3.0)[1]


def test_speech_converted_with_its_lyrics(in_home, plain_speech, tmp_path):
    speech, text, plain_wer, _ = plain_speech
    lyrics = tmp_path / "words.txt"
    lyrics.write_text(f"[verse]\n{text}\n", "utf-8")  # a section tag is not a word
    guided = tmp_path / "guided.wav"
    result = runner.invoke(app, ["convert", str(speech), "--to", "joe", "-o", str(guided), "--key", "-3",
                                 "--lyrics", str(lyrics)])  # fmt: skip
    assert result.exit_code == 0, result.output
    x, sr_in = sf.read(speech, dtype="float32")
    y, sr_out = sf.read(guided, dtype="float32")
    cents, vuv = melody_kept(x, sr_in, y, sr_out, -3.0)
    assert cents <= 25 and vuv >= 0.85, (cents, vuv)  # the lyrics change the frames, not the melody
    # joe says the words himself, so they are heard: pocketsphinx, independent of our code.
    heard = wer([(text, Recogniser().words(y, sr_out))])
    assert heard <= 0.5 and heard < plain_wer, (heard, plain_wer)
    assert verify_file(guided)["record"]["kind"] == "convert"  # the same output stage


def test_clarity_keeps_the_words_without_lyrics(in_home, plain_speech, tmp_path):
    """--clarity mixes a share of the input's own envelope, moved onto the target's
    distribution, into the frames matched one by one: the words come through (measured on
    this clip: pocketsphinx WER 1.86 plain, 0.29 at 0.5), the melody is untouched (V/UV 0.81
    plain, 0.85 at 0.5)."""
    speech, text, plain_wer, plain_vuv = plain_speech
    clear = tmp_path / "clear.wav"
    result = runner.invoke(app, ["convert", str(speech), "--to", "joe", "-o", str(clear), "--key", "-3",
                                 "--clarity", "0.5"])  # fmt: skip
    assert result.exit_code == 0, result.output
    x, sr_in = sf.read(speech, dtype="float32")
    y, sr_out = sf.read(clear, dtype="float32")
    cents, vuv = melody_kept(x, sr_in, y, sr_out, -3.0)
    assert cents <= 25 and vuv >= plain_vuv - 0.02, (cents, vuv, plain_vuv)
    heard = wer([(text, Recogniser().words(y, sr_out))])
    assert heard < plain_wer - 0.5, (heard, plain_wer)
    assert verify_file(clear)["record"]["settings"]["clarity"] == 0.5  # recorded with the output


@pytest.mark.parametrize(
    "words,message",
    [
        ("  [chorus]\n \n", "lyrics file is empty"),
        ("今天天气很好", "--lyrics: the text has Chinese characters"),
        ("This is a much longer text than the short recording could ever hold, " * 12, "do not fit"),
    ],
)
def test_bad_lyrics_are_refused_and_nothing_is_written(in_home, shared_data, tmp_path, words, message):
    speech, _ = _cathy_clip(shared_data)
    lyrics = tmp_path / "words.txt"
    lyrics.write_text(words, "utf-8")
    out = tmp_path / "out.wav"
    result = runner.invoke(app, ["convert", str(speech), "--to", "joe", "-o", str(out), "--lyrics", str(lyrics)])
    assert result.exit_code != 0 and message in result.output, result.output
    assert not out.exists()


def test_lyrics_on_a_long_recording_are_refused(in_home, singing, tmp_path, monkeypatch):
    import yinse.convert.lyrics as lyrics

    monkeypatch.setattr(lyrics, "LYRICS_MAX_S", 2.0)  # instead of a 2-minute recording
    out = tmp_path / "out.wav"
    with pytest.raises(InputError, match="--lyrics works on recordings up to 2 s"):
        convert_to_file(ConvertRequest(str(singing), "joe", lyrics="la la la"), out)
    assert not out.exists()


def test_feature_warp_matches_frames_by_rank_where_mean_and_spread_do_not():
    """Conversion matches the input's frames against the target's after warping each
    speaker's cepstra through their own distribution (FeatureWarp).  Two synthetic speakers
    say the same 30 sounds (class centres in cepstral space, with noise); one speaker's
    cepstra are a monotone but curved function of the other's (a skewed distribution, not a
    shift and scale).  Mean-and-spread normalisation leaves them apart, so a frame's nearest
    frame of the other speaker is often another sound; warping by ranks pairs the sounds."""
    from yinse.voices.timbre import MATCH_DIMS, FeatureWarp, cepstral_stats, normalised_cepstra

    rng = np.random.default_rng(3)
    sounds, n = 30, 2000
    centres = rng.normal(0.0, 1.0, (sounds, MATCH_DIMS))

    def speaker(curve):
        said = rng.integers(0, sounds, n)
        z = centres[said] + 0.9 * rng.normal(0.0, 1.0, (n, MATCH_DIMS))
        level = rng.normal(-8.0, 0.5, n)  # c0: every frame loud enough to count
        return np.c_[level, curve(z), rng.normal(0.0, 0.1, (n, 40 - MATCH_DIMS))], said

    target, target_said = speaker(lambda z: z)
    source, source_said = speaker(lambda z: np.exp(z))

    def same_sound(a: np.ndarray, b: np.ndarray) -> float:
        """Share of source frames whose nearest target frame says the same sound."""
        d = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
        return float(np.mean(target_said[d.argmin(1)] == source_said))

    warp_t = FeatureWarp.of([target])(target)
    # A speaker's own frames come out standard normal.
    assert np.allclose(warp_t.mean(0), 0.0, atol=0.05) and np.allclose(warp_t.std(0), 1.0, atol=0.06)
    warp = same_sound(FeatureWarp.of([source])(source), warp_t)
    cmvn = same_sound(normalised_cepstra(source, *cepstral_stats([source])),
                      normalised_cepstra(target, *cepstral_stats([target])))  # fmt: skip
    assert warp > 0.9 and cmvn < 0.75, (warp, cmvn)  # measured 0.957 against 0.617
    # Moved onto the target's distribution, a source frame keeps its rank among the source's
    # sounds and takes the target's values: here the curve undone (exp(z) back to z).
    moved = FeatureWarp.of([source]).onto(FeatureWarp.of([target]), source)
    assert np.median(np.abs(moved - np.log(source[:, 1 : MATCH_DIMS + 1]))) < 0.1


def test_the_automatic_key_plays_as_the_same_key_given(in_home, shared_data):
    """With --key auto the input's pitch is measured beside the analysis and applied when the
    chunks are played: the audio is the same as with that key given, and the built-in bank
    (with its frame index) is loaded once per process."""
    from yinse.convert.convert import convert
    from yinse.convert.targets import builtin_bank
    from yinse.voices import get_voice

    joe = get_voice("joe")
    bank = builtin_bank(joe)
    assert builtin_bank(joe) is bank
    speech = sorted((shared_data / "speech" / "en" / "cathy").glob("*.flac"))[-2]
    source = read_input(speech)
    auto = convert(source, bank, key_shift="auto")
    assert auto.key_shift != 0 and auto.input_median_hz > 100  # cathy is moved down towards joe
    given = convert(source, bank, key_shift=auto.key_shift)
    assert np.array_equal(auto.audio, given.audio)
