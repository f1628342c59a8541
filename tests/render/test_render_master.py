"""Mastering hits the loudness target with safe true peaks on any material; the meters agree
with BS.1770 on signals whose answer is known."""

import math

import numpy as np
import pytest

from yinse.core import InputError
from yinse.render import MasterReport, loudness_lufs, master, true_peak_dbtp

SR = 48000
N = 6 * SR
T = np.arange(N) / SR


def noise_bursts(level):
    """Half-second noise bursts every 1.5 s (loud or quiet), silence between."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, 2)) * level
    x *= ((T % 1.5) < 0.5)[:, None]
    return np.clip(x, -1, 1)


def music(level):
    """A chord progression with a plucked envelope and a kick: ordinary synthetic music."""
    out = np.zeros(N)
    for beat in range(int(N / SR * 2)):
        start = beat * SR // 2
        n = min(SR // 2, N - start)
        t = np.arange(n) / SR
        root = (110.0, 146.8, 130.8, 98.0)[(beat // 4) % 4]
        chord = sum(np.sin(2 * np.pi * root * r * t) for r in (1, 1.26, 1.5, 2.0)) / 4
        kick = np.sin(2 * np.pi * 55 * t * (1 + 2 * np.exp(-t / 0.02))) * np.exp(-t / 0.12)
        out[start : start + n] += chord * np.exp(-t / 0.3) * 0.5 + kick * 0.6
    return np.column_stack([out, 0.9 * out]) * level


def dense(level):
    """Wall of sound: detuned saws, square bass and steady noise, almost no crest."""
    saw = sum(((T * f) % 1.0) * 2 - 1 for f in (220.0, 220.7, 329.6, 440.9))
    bass = np.sign(np.sin(2 * np.pi * 55 * T))
    noise = np.random.default_rng(2).standard_normal(N) * 0.3
    x = np.clip((saw / 4 + bass * 0.6 + noise), -1, 1)
    return np.column_stack([x, np.roll(x, 37)]) * level


def dynamic(level):
    """Very dynamic: a soft verse 35 dB under a loud chorus, plus sharp drum hits."""
    x = music(1.0)
    x[: N // 2] *= 10 ** (-35 / 20)
    hits = np.zeros(N)
    t = np.arange(SR // 4) / SR
    for start in range(0, N - SR // 4, SR // 2):
        hits[start : start + SR // 4] += np.random.default_rng(start).standard_normal(
            SR // 4
        ) * np.exp(-t / 0.03)
    return (x + hits[:, None] * 0.8) * level


CASES = {
    "loud noise bursts": noise_bursts(2.0),  # clipped, over full scale before the clip
    "quiet noise bursts": noise_bursts(0.002),
    "loud music": music(1.8),
    "quiet music": music(0.003),
    "loud dense": dense(1.0),
    "quiet dense": dense(0.01),
    "very dynamic": dynamic(0.9),
    "quiet and very dynamic": dynamic(0.01),
}


@pytest.mark.parametrize("name", list(CASES))
def test_master_hits_minus_14_lufs_under_minus_1_dbtp(name):
    y, report = master(CASES[name], sr=SR)
    assert y.shape == CASES[name].shape and y.dtype == np.float32
    lufs, tp = loudness_lufs(y, sr=SR), true_peak_dbtp(y, sr=SR)
    assert lufs == pytest.approx(-14.0, abs=0.5)
    assert tp <= -1.0
    assert np.max(np.abs(y)) < 1.0
    # The report describes the output it came with.
    assert isinstance(report, MasterReport)
    assert report.loudness_lufs == pytest.approx(lufs, abs=0.01)
    assert report.true_peak_dbtp == pytest.approx(tp, abs=0.01)
    assert report.peak_dbfs == pytest.approx(20 * math.log10(np.max(np.abs(y))), abs=0.01)
    assert report.limited_db >= 0


def test_mono_and_other_targets():
    x = music(0.1)[:, 0]
    y, report = master(x, sr=SR, target_lufs=-16.0, ceiling_dbtp=-2.0)
    assert y.ndim == 1
    assert loudness_lufs(y, sr=SR) == pytest.approx(-16.0, abs=0.5)
    assert true_peak_dbtp(y, sr=SR) <= -2.0


def test_the_limiter_only_works_when_it_must():
    # Quiet, low-crest material: reaching -14 LUFS needs gain only.
    sine = np.column_stack([np.sin(2 * np.pi * 440 * T)] * 2) * 0.01
    y, report = master(sine, sr=SR)
    assert report.limited_db < 0.1
    assert report.gain_db == pytest.approx(-14.0 - loudness_lufs(sine, sr=SR), abs=0.3)
    # Peaky material: the limiter takes several dB off the drum hits.
    _, peaky = master(CASES["very dynamic"], sr=SR)
    assert peaky.limited_db > 3


def test_a_target_out_of_reach_stays_safe_and_says_so():
    clicks = np.zeros(N)
    clicks[:: SR // 2] = 0.9  # single-sample clicks: no limiter can make these -14 LUFS
    clicks += np.random.default_rng(3).standard_normal(N) * 1e-4
    y, report = master(clicks, sr=SR)
    assert true_peak_dbtp(y, sr=SR) <= -1.0
    assert report.loudness_lufs < -14.5  # honest report: quieter than asked
    assert report.limited_db <= 20.5


def test_true_peak_finds_the_peak_between_samples():
    # A tone at sr/4 sampled 45 degrees off its crests: samples reach only 0.707.
    x = 0.9 * np.sin(2 * np.pi * (SR / 4) * T + math.pi / 4)
    assert 20 * math.log10(np.max(np.abs(x))) == pytest.approx(
        20 * math.log10(0.9) - 3.01, abs=0.05
    )
    assert true_peak_dbtp(x, sr=SR) == pytest.approx(20 * math.log10(0.9), abs=0.2)
    assert true_peak_dbtp(np.zeros(100), sr=SR) == float("-inf")


def test_loudness_of_a_known_sine():
    # BS.1770: a 1 kHz sine at 0 dBFS peak in one channel reads -3.01 LUFS.
    x = 10 ** (-20 / 20) * np.sin(2 * np.pi * 1000 * T)
    assert loudness_lufs(x, sr=SR) == pytest.approx(-23.01, abs=0.05)
    assert loudness_lufs(np.column_stack([x, x]), sr=SR) == pytest.approx(-20.0, abs=0.05)


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (np.zeros((N, 2)), "nothing to master: the mix is silent"),
        (np.zeros((0, 2)), "nothing to master: mix has shape"),
        (np.full((N, 2), np.nan), "nothing to master: mix has .* NaN"),
        (np.array([[0.1, np.inf]] * N), "nothing to master: mix has .* infinite"),
        (np.ones((100, 2)) * 0.1, "nothing to master: the mix is 0.002 s long"),
        (np.zeros((N, 3)), "nothing to master: mix has shape"),
    ],
)
def test_master_bad_input(audio, message):
    with pytest.raises(InputError, match=message):
        master(audio, sr=SR)


@pytest.mark.parametrize("kwargs", [{"target_lufs": 0.0}, {"ceiling_dbtp": 1.0}, {"sr": 100}])
def test_master_bad_options(kwargs):
    with pytest.raises(InputError):
        master(music(0.1), **{"sr": SR, **kwargs})


def test_loudness_needs_one_block():
    with pytest.raises(InputError, match="0.4 s"):
        loudness_lufs(np.ones(1000) * 0.1, sr=SR)
