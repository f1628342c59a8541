"""Hummed recordings become notes: a synthetic hum with known notes, one real sung clip
against its MIDI, and every kind of unusable recording refused with advice."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from yinse.core.errors import InputError
from yinse.formats.hum import hum_notes, read_hum

SR = 16000
BPM = 100.0
BEAT_S = 60.0 / BPM
START_S = 0.3
# (start beat, beats, MIDI pitch, how it begins): "attack" after silence, "legato" from
# the note before (a 40 ms slide), "dip" the same pitch sung again after a short dip in
# loudness with no break in the voice.  G major.
MELODY = [
    (0, 1, 67, "attack"), (1, 1, 71, "legato"), (2, 1, 69, "legato"),
    (3, 1, 71, "legato"), (4, 1, 71, "dip"),
    (6, 1, 74, "attack"), (7, 0.5, 72, "legato"), (7.5, 0.5, 71, "legato"),
    (8, 2, 67, "legato"),
]  # fmt: skip


def _hum(melody=MELODY, *, sharp=0.15, vibrato=0.3) -> np.ndarray:
    """A harmonic tone (8 partials) with vibrato (5.5 Hz), slides between legato notes,
    attacks and releases, a 50 ms dip to −20 dB between repeated notes, and faint noise."""
    total_s = START_S + (max(b + d for b, d, _, _ in melody)) * BEAT_S + 0.4
    t = np.arange(int(total_s * SR)) / SR
    midi = np.full(len(t), np.nan)
    amp = np.zeros(len(t))
    for k, (beat, beats, pitch, how) in enumerate(melody):
        t0, t1 = START_S + beat * BEAT_S, START_S + (beat + beats) * BEAT_S
        nxt = melody[k + 1] if k + 1 < len(melody) else None
        joined = nxt is not None and nxt[0] == beat + beats
        span = (t >= t0) & (t < t1)
        local = t[span] - t0
        p = pitch + sharp + vibrato * np.sin(2 * math.pi * 5.5 * local)
        if how == "legato":
            prev = melody[k - 1][2] + sharp
            glide = local < 0.04
            p[glide] = prev + (pitch + sharp - prev) * local[glide] / 0.04
        midi[span] = p
        env = np.ones(len(local))
        if how == "attack":
            env *= np.clip(local / 0.03, 0, 1)
        if not joined:
            env *= np.clip((t1 - t0 - 0.05 - local) / 0.04, 0, 1)  # release, then silence
        if how == "dip":
            env *= 1 - 0.9 * np.clip(1 - np.abs(local) / 0.025, 0, 1)
        if nxt is not None and nxt[3] == "dip":
            env *= 1 - 0.9 * np.clip(1 - np.abs(local - (t1 - t0)) / 0.025, 0, 1)
        amp[span] = env * (0.8 + 0.2 * np.sin(2 * math.pi * 0.7 * local))
    f0 = 440.0 * 2 ** ((np.nan_to_num(midi, nan=60.0) - 69) / 12)
    phase = 2 * math.pi * np.cumsum(f0) / SR
    tone = sum(np.sin(h * phase) / h for h in range(1, 9))
    rng = np.random.default_rng(7)
    audio = 0.25 * amp * tone + 0.0005 * rng.standard_normal(len(t))
    return audio.astype(np.float32)


@pytest.fixture(scope="module")
def hum_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hum") / "hum.wav"
    sf.write(path, _hum(), SR)
    return path


def test_hum_notes_find_every_onset_including_the_repeated_note(hum_file: Path) -> None:
    audio, sr = sf.read(hum_file, dtype="float32")
    notes = hum_notes(audio, sr=sr)
    assert len(notes) == len(MELODY)
    for note, (beat, _, pitch, _) in zip(notes, MELODY):
        assert note.onset_s == pytest.approx(START_S + beat * BEAT_S, abs=0.04)
        assert note.pitch_midi == pytest.approx(pitch + 0.15, abs=0.25)
        assert note.offset_s > note.onset_s


def test_read_hum_gives_the_notes_on_the_grid_in_the_key(hum_file: Path) -> None:
    score = read_hum(hum_file, bpm=BPM, key="G")
    got = [(n.start_beats, n.dur_beats, n.pitch_midi) for n in score.notes]
    # The rest before beat 6 and the gap the release leaves before it stay rests; a note
    # followed by a rest ends on the grid step nearest its release.
    expected = [(float(b), float(d), float(p)) for b, d, p, _ in MELODY]
    assert [(s, p) for s, _, p in got] == [(s, p) for s, _, p in expected]
    for (_, d_got, _), (_, d_exp, _) in zip(got, expected):
        assert d_exp - 0.5 <= d_got <= d_exp
    assert all(n.lyric == "la" for n in score.notes)
    assert (score.keys[0].fifths, score.keys[0].mode) == (1, "major")
    score.validate()


def test_read_hum_estimates_tempo_and_key(hum_file: Path) -> None:
    score = read_hum(hum_file)
    assert score.tempos[0].bpm == BPM
    assert (score.keys[0].fifths, score.keys[0].mode) == (1, "major")
    assert [(n.start_beats, n.pitch_midi) for n in score.notes] == [
        (float(b), float(p)) for b, _, p, _ in MELODY
    ]


def test_real_sung_clip_onsets_match_its_midi(shared_data: Path) -> None:
    """M4Singer clip 2 against its MIDI: onset F measured at 0.92 (benchmarks/bench_hum);
    skipped where ../shared/data is absent (the ``shared_data`` fixture)."""
    import mir_eval

    from yinse.enroll.recordings import decode_audio
    from yinse.formats.midi import read_midi

    folder = shared_data / "singing" / "zh" / "m4singer" / "svs"
    audio, sr = decode_audio(folder / "2.flac")
    midi = read_midi((folder / "2.mid").read_bytes(), source="2.mid")
    ref = np.array([midi.note_span_s(n) for n in midi.notes])
    notes = hum_notes(audio, sr=sr)
    est = np.array([[n.onset_s, n.offset_s] for n in notes])
    _, _, f = mir_eval.transcription.onset_precision_recall_f1(ref, est, onset_tolerance=0.05)
    assert f >= 0.85


# ------------------------------------------------------------------ bad input
def _refused(path: Path, *keywords: str, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        read_hum(path, **kwargs)
    message = str(info.value)
    assert path.name in message and "\n" not in message
    for keyword in keywords:
        assert keyword in message, message
    return message


def test_missing_file(tmp_path: Path) -> None:
    _refused(tmp_path / "nope.wav", "does not exist", "check the path")


def test_folder(tmp_path: Path) -> None:
    folder = tmp_path / "takes.wav"
    folder.mkdir()
    _refused(folder, "is a folder", "audio file")


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "hum.wav"
    path.write_bytes(b"this is not audio at all" * 100)
    message = _refused(path)
    assert "not audio that Yinse can read" in message or "ffmpeg" in message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "hum.wav"
    path.write_bytes(b"")
    _refused(path, "empty", "record it again")


def test_silent_recording(tmp_path: Path) -> None:
    path = tmp_path / "hum.wav"
    sf.write(path, np.zeros(3 * SR, dtype=np.float32), SR)
    _refused(path, "is silent", "microphone")


def test_too_short(tmp_path: Path) -> None:
    path = tmp_path / "hum.wav"
    sf.write(path, _hum()[:SR], SR)
    _refused(path, "1.0 s long", "shorter than 2 s", "at least a phrase")


def test_too_long(tmp_path: Path) -> None:
    path = tmp_path / "hum.wav"
    sf.write(path, np.zeros(601 * 1000, dtype=np.float32), 1000)  # 601 s at 1 kHz
    _refused(path, "10.0 minutes", "10-minute limit", "shorter pieces")


def test_noise_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "hum.wav"
    noise = 0.1 * np.random.default_rng(3).standard_normal(3 * SR)
    sf.write(path, noise.astype(np.float32), SR)
    _refused(path, "too noisy", "closer to the microphone", "quiet room")


def test_bad_tempo_and_key(hum_file: Path) -> None:
    _refused(hum_file, "tempo 500 BPM", "30–300", bpm=500)
    _refused(hum_file, "key 'X minor'", "F#m", key="X minor")
