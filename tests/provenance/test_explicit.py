import io

import numpy as np
import soundfile as sf

from yinse.provenance.explicit import find_rhythm_prompt, rhythm_prompt, with_explicit_label

SR = 44100


def singing_like(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f0 = 220 * 2 ** (np.cumsum(rng.normal(0, 0.002, len(t))))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    return (0.3 * sum(np.sin(k * phase) / k for k in range(1, 12))).astype(np.float32)


def test_prompt_is_short_long_short_short():
    env = np.abs(rhythm_prompt(SR)) > 0.05
    edges = np.flatnonzero(np.diff(env.astype(int)))
    # the tone is a sine: group samples into 10 ms frames to read the on/off pattern
    frames = np.add.reduceat(env, np.arange(0, len(env), SR // 100)) > 0
    runs = [len(r) for r in "".join("1" if f else "0" for f in frames).split("0") if r]
    assert runs == [12, 36, 12, 12] and len(edges) > 0


def test_label_is_found_at_start_and_end_and_survives_mp3():
    audio = singing_like(12.0)
    labelled = with_explicit_label(audio, SR, spoken=singing_like(1.5, seed=1))
    assert find_rhythm_prompt(labelled, SR)
    assert find_rhythm_prompt(labelled[len(labelled) // 2 :], SR)  # the end copy alone
    buffer = io.BytesIO()
    sf.write(buffer, labelled, SR, format="MP3")
    buffer.seek(0)
    decoded, _ = sf.read(buffer, dtype="float32")
    assert find_rhythm_prompt(decoded, SR)


def test_unlabelled_audio_has_no_prompt(shared_data):
    assert not find_rhythm_prompt(singing_like(12.0), SR)
    assert not find_rhythm_prompt(np.zeros(SR * 3, np.float32), SR)
    files = sorted(shared_data.rglob("*.flac"))[:60]
    for path in files:
        audio, sr = sf.read(path, dtype="float32")
        assert not find_rhythm_prompt(audio if audio.ndim == 1 else audio.mean(axis=1), sr), path
