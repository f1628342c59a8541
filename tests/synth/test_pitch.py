import numpy as np

from yinse.synth.pitch import Expression, PitchNote, cents_to_hz, f0_curve_cents

TIMES = np.arange(0, 3.0, 0.005)
NOTES = [PitchNote(0.0, 1.0, 60), PitchNote(1.0, 3.0, 67)]


def curve(**settings):
    return f0_curve_cents(TIMES, NOTES, Expression(**settings), np.random.default_rng(0))


def test_flat_settings_give_the_written_steps():
    c = curve(vibrato_depth_cents=0, overshoot_cents=0, preparation_cents=0, fluctuation_cents=0)
    assert np.allclose(c[TIMES < 0.95], 6000) and np.allclose(c[TIMES > 1.05], 6700)


def test_portamento_glides_over_its_window_only():
    c = curve(vibrato_depth_cents=0, overshoot_cents=0, preparation_cents=0, fluctuation_cents=0)
    window = (TIMES > 0.961) & (TIMES < 1.039)
    assert np.all(np.diff(c[window]) > 0)  # monotonic rise inside ±40 ms
    assert abs(c[np.argmin(abs(TIMES - 1.0))] - 6350) < 40  # halfway at the note start


def test_overshoot_passes_the_target_then_settles():
    c = curve(vibrato_depth_cents=0, preparation_cents=0, fluctuation_cents=0)
    after = (TIMES > 1.04) & (TIMES < 1.3)
    assert 6700 + 30 < c[after].max() <= 6700 + 42.5
    assert abs(c[np.argmin(abs(TIMES - 1.6))] - 6700) < 1  # settled well before mid-note


def test_preparation_dips_before_a_rise():
    c = curve(vibrato_depth_cents=0, overshoot_cents=0, fluctuation_cents=0)
    before = (TIMES > 0.85) & (TIMES < 0.96)
    assert 6000 - 22.5 < c[before].min() < 6000 - 15


def test_vibrato_only_on_long_notes_with_fade_in():
    c = curve(overshoot_cents=0, preparation_cents=0, fluctuation_cents=0)
    assert np.allclose(c[TIMES < 0.25], 6000)  # the 1 s note has vibrato after 25 % ...
    assert np.abs(c[(TIMES > 0.4) & (TIMES < 0.9)] - 6000).max() > 10
    short = f0_curve_cents(TIMES, [PitchNote(0, 0.4, 60)], Expression(fluctuation_cents=0),
                           np.random.default_rng(0))  # fmt: skip
    assert np.allclose(short[TIMES < 0.4], 6000)  # ... a 0.4 s note has none
    late = (TIMES > 2.0) & (TIMES < 2.6)
    assert 20 < c[late].max() - 6700 <= 25.01  # full depth once faded in


def test_note_override_sets_vibrato_depth():
    notes = [PitchNote(0, 2, 60, vibrato_depth_cents=50)]
    c = f0_curve_cents(TIMES, notes, Expression(fluctuation_cents=0), np.random.default_rng(0))
    assert 45 < c[(TIMES > 1.0) & (TIMES < 1.6)].max() - 6000 <= 50.01


def test_fluctuation_is_small_and_seeded():
    a = curve(vibrato_depth_cents=0, overshoot_cents=0, preparation_cents=0)
    b = curve(vibrato_depth_cents=0, overshoot_cents=0, preparation_cents=0)
    steady = TIMES < 0.9
    assert np.array_equal(a, b)
    assert np.abs(a[steady] - 6000).max() < 7 * 1.6  # ±7 c at 2.5 σ; a 4 σ excursion is rare


def test_cents_to_hz_anchor():
    assert np.isclose(cents_to_hz(np.array([6900.0]))[0], 440.0)
