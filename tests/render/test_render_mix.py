"""Vocal chain, de-esser and mix: judged by band energies, levels and sums."""

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from yinse.core import InputError
from yinse.render import de_ess, loudness_lufs, mix, vocal_chain

SR = 48000
RNG = np.random.default_rng(7)


def band_db(x, lo, hi, *, sr=SR):
    sos = butter(4, [lo, hi], btype="bandpass", fs=sr, output="sos")
    y = sosfiltfilt(sos, np.asarray(x, dtype=np.float64), axis=0)
    return 10 * np.log10(np.mean(y**2) + 1e-20)


def rms_db(x):
    return 10 * np.log10(np.mean(np.asarray(x, dtype=np.float64) ** 2) + 1e-20)


def sung(seconds, *, f0=220.0, sr=SR):
    """A harmonic 'voice' with vibrato, enough like singing for level and EQ checks."""
    t = np.arange(int(seconds * sr)) / sr
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))) / sr
    return sum(np.sin(k * phase) / k for k in range(1, 16)) * 0.2


def test_vocal_chain_gives_stereo_at_a_known_level():
    voice = sung(2.0) * 0.05  # quiet take
    out = vocal_chain(voice, sr=SR)
    assert out.shape == (len(voice), 2) and out.dtype == np.float32
    assert np.all(np.isfinite(out))
    assert -24 < rms_db(out[:, 0]) < -14  # levelled to about -20 dBFS RMS whatever came in
    assert np.abs(out).max() < 1.0


def test_vocal_chain_high_passes_rumble():
    t = np.arange(2 * SR) / SR
    voice = 0.2 * np.sin(2 * np.pi * 40 * t) + 0.2 * np.sin(2 * np.pi * 1000 * t)
    out = vocal_chain(voice, sr=SR, style="rock")[:, 0]
    before = band_db(voice, 30, 50) - band_db(voice, 900, 1100)
    after = band_db(out, 30, 50) - band_db(out, 900, 1100)
    assert before - after > 8


def test_silent_vocal_stays_silent():
    out = vocal_chain(np.zeros(SR), sr=SR)
    assert out.shape == (SR, 2) and not out.any()


def tail_db(style):
    voice = np.concatenate([sung(1.0), np.zeros(int(1.5 * SR))])
    out = vocal_chain(voice, sr=SR, style=style)
    return rms_db(out[int(1.1 * SR) : int(1.8 * SR)]) - rms_db(out[:SR])


def test_reverb_send_depends_on_style():
    ballad, pop, rock = tail_db("ballad"), tail_db("pop"), tail_db("rock")
    assert ballad > pop + 2 > rock + 4
    assert tail_db("guofeng") > pop
    assert tail_db("electronic") < pop


def test_unknown_style_falls_back_to_pop():
    voice = sung(1.0)
    assert np.array_equal(vocal_chain(voice, sr=SR, style="polka"), vocal_chain(voice, sr=SR))


def test_de_esser_cuts_sibilance_more_than_the_voice():
    t = np.arange(3 * SR) / SR
    vowel = 0.2 * np.sin(2 * np.pi * 1000 * t)
    sos = butter(4, [6000, 8000], btype="bandpass", fs=SR, output="sos")
    hiss = sosfiltfilt(sos, RNG.standard_normal(len(t))) * 0.6
    hiss *= ((t % 1.0) > 0.6) & ((t % 1.0) < 0.85)  # an "s" at the end of every second
    x = vowel + hiss
    y = de_ess(x, sr=SR)
    cut_7k = band_db(x, 6500, 7500) - band_db(y, 6500, 7500)
    cut_1k = band_db(x, 900, 1100) - band_db(y, 900, 1100)
    assert cut_7k > 4
    assert cut_1k < 0.5
    assert cut_7k > cut_1k + 4
    # Without sibilants the de-esser leaves the voice alone.
    assert np.allclose(de_ess(vowel, sr=SR), vowel, atol=1e-4)


def test_vocal_chain_de_esses():
    t = np.arange(3 * SR) / SR
    sos = butter(4, [6000, 8000], btype="bandpass", fs=SR, output="sos")
    hiss = sosfiltfilt(sos, RNG.standard_normal(len(t))) * 0.5
    hiss *= ((t % 1.0) > 0.6) & ((t % 1.0) < 0.85)
    voice = sung(3.0) * ((t % 1.0) < 0.6) + hiss
    out = vocal_chain(voice, sr=SR, style="rock")[:, 0]
    # Relative to the voice, the sibilant band comes out lower than it went in.
    before = band_db(voice, 6500, 7500) - band_db(voice, 200, 1200)
    after = band_db(out, 6500, 7500) - band_db(out, 200, 1200)
    assert before - after > 3


def bed(seconds):
    t = np.arange(int(seconds * SR)) / SR
    chord = sum(np.sin(2 * np.pi * f * t) for f in (130.8, 164.8, 196.0)) * 0.1
    return np.column_stack([chord, chord * 0.9]).astype(np.float32)


def test_ducking_lowers_the_bed_only_where_the_vocal_sings():
    n = 5 * SR
    voice = np.zeros(n)
    voice[2 * SR : 3 * SR] = sung(1.0)
    stereo_voice = np.repeat(voice[:, None], 2, axis=1)
    stems = {"pad": bed(5.0)}
    out, parts = mix(stereo_voice, stems, sr=SR, duck_db=4.0, bed_under_vocal_db=None)
    pad = parts["pad"]
    assert rms_db(pad[int(0.2 * SR) : int(1.5 * SR)]) == pytest.approx(
        rms_db(stems["pad"][:SR]), abs=0.05
    )
    assert rms_db(pad[int(4.0 * SR) :]) == pytest.approx(rms_db(stems["pad"][:SR]), abs=0.1)
    sung_part = pad[int(2.2 * SR) : int(2.9 * SR)]
    dip = rms_db(stems["pad"][:SR]) - rms_db(sung_part)
    assert 3.0 < dip <= 4.05
    # No ducking asked: the bed is untouched.
    _, plain = mix(stereo_voice, stems, sr=SR, duck_db=0.0, bed_under_vocal_db=None)
    assert np.allclose(plain["pad"], stems["pad"], atol=1e-6)


def test_stems_sum_to_the_mix_and_are_padded_to_one_length():
    voice = vocal_chain(sung(2.0), sr=SR)
    stems = {"pad": bed(3.0), "bass": bed(2.5) * 0.5, "keys": bed(1.0)}
    out, parts = mix(voice, stems, sr=SR, pans={"keys": -0.5, "bass": 0.2}, gains_db={"bass": 3})
    assert out.shape == (3 * SR, 2) and out.dtype == np.float32
    assert list(parts) == ["vocal", "pad", "bass", "keys"]
    assert all(p.shape == out.shape for p in parts.values())
    total = np.sum([p.astype(np.float64) for p in parts.values()], axis=0)
    assert np.max(np.abs(total - out)) < 1e-5


def test_bed_sits_under_the_vocal_and_gains_apply_on_top():
    voice = np.repeat(sung(4.0)[:, None], 2, axis=1)
    stems = {"a": bed(4.0) * 0.01, "b": bed(4.0) * 0.02}  # SoundFont levels are arbitrary
    _, parts = mix(voice, stems, sr=SR, duck_db=0.0)
    beds = parts["a"] + parts["b"]
    gap = loudness_lufs(parts["vocal"], sr=SR) - loudness_lufs(beds, sr=SR)
    assert gap == pytest.approx(2.0, abs=0.2)
    _, louder = mix(voice, stems, sr=SR, duck_db=0.0, gains_db={"a": 6.0, "vocal": -3.0})
    assert np.allclose(louder["a"], parts["a"] * 10 ** (6 / 20), rtol=1e-4, atol=1e-7)
    assert np.allclose(louder["vocal"], parts["vocal"] * 10 ** (-3 / 20), rtol=1e-4, atol=1e-7)
    assert np.allclose(louder["b"], parts["b"], atol=1e-7)


def test_equal_power_pan():
    mono = np.repeat(bed(1.0)[:, :1], 2, axis=1)
    voice = np.zeros((SR, 2))
    args = dict(sr=SR, duck_db=0.0, bed_under_vocal_db=None)
    _, left = mix(voice, {"x": mono}, pans={"x": -1.0}, **args)
    assert rms_db(left["x"][:, 1]) < -100 and rms_db(left["x"][:, 0]) > rms_db(mono[:, 0])
    _, centre = mix(voice, {"x": mono}, **args)
    assert np.allclose(centre["x"], mono)
    power = [
        np.sum(mix(voice, {"x": mono}, pans={"x": p}, **args)[1]["x"].astype(float) ** 2)
        for p in (-1.0, -0.4, 0.0, 0.7)
    ]
    assert np.allclose(power, power[2], rtol=1e-3)  # same power wherever it sits


def test_unknown_names_in_pans_and_gains_are_ignored():
    _, parts = mix(
        np.zeros((SR, 2)), {"x": bed(1.0)}, sr=SR, pans={"skipped": 0.5}, gains_db={"skipped": 3.0}
    )
    assert list(parts) == ["vocal", "x"]


@pytest.mark.parametrize(
    ("stems", "kwargs", "message"),
    [
        ({"vocal": np.zeros((10, 2))}, {}, "named 'vocal'"),
        ({"x": np.zeros((SR, 2))}, {"pans": {"x": 2.0}}, "pan of 'x' is 2.0"),
        ({"x": np.zeros((SR, 2))}, {"gains_db": {"x": float("nan")}}, "gain of 'x'"),
        ({"x": np.zeros((SR, 2))}, {"duck_db": -3.0}, "duck_db=-3.0"),
        ({"x": np.full((SR, 2), np.nan)}, {}, "stem 'x' has 96000 NaN"),
        ({"x": np.zeros((SR, 3))}, {}, r"stem 'x' has shape \(48000, 3\)"),
    ],
)
def test_mix_bad_input(stems, kwargs, message):
    with pytest.raises(InputError, match=message):
        mix(np.zeros((SR, 2)), stems, sr=SR, **kwargs)


@pytest.mark.parametrize(
    ("vocal", "message"),
    [
        (np.array([]), "vocal has shape"),
        (np.zeros((10, 2)), "vocal has shape"),
        (np.array([0.0, np.nan, 0.0]), "1 NaN"),
    ],
)
def test_vocal_chain_bad_input(vocal, message):
    with pytest.raises(InputError, match=message):
        vocal_chain(vocal, sr=SR)
