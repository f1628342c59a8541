"""Drawn pitch curves become notes on the grid, in the key; bad curves are refused."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from yinse.core.errors import InputError
from yinse.formats.curve import read_curve
from yinse.formats.pitchtrack import estimate_bpm, estimate_key, scale_classes, snap_to_scale

BPM = 90.0
BEAT_S = 60.0 / BPM
# (start beat, beats, MIDI pitch): a D major tune with a repeated note and a rest.
MELODY = [(0, 1, 62), (1, 0.5, 64), (1.5, 0.5, 66), (2, 1, 67), (3, 1, 67), (4, 0.5, 69),
          (4.5, 0.5, 71), (5, 1, 69), (7, 1, 66), (8, 0.5, 64), (8.5, 1.5, 62)]  # fmt: skip


def _drawn(
    melody=MELODY, *, start_s=0.4, step_s=0.016, vibrato=0.35, detune=0.2, slide_s=0.05, lift_s=0.06
) -> list:
    """Points as a piano roll would send them: every ``step_s``, vibrato, notes drawn a
    little sharp, slides into notes that follow without a rest, and the pen lifted
    (``null``) before a rest or a repeated pitch."""
    points: list = []
    for k, (beat, beats, pitch) in enumerate(melody):
        t0 = start_s + beat * BEAT_S
        t1 = t0 + beats * BEAT_S
        nxt = melody[k + 1] if k + 1 < len(melody) else None
        lifted = nxt is None or nxt[0] > beat + beats or nxt[2] == pitch
        end = t1 - lift_s if lifted else t1
        prev = melody[k - 1] if k else None
        slide_from = prev[2] if prev and prev[0] + prev[1] == beat and prev[2] != pitch else None
        for t in np.arange(t0, end, step_s):
            p = pitch + detune + vibrato * math.sin(2 * math.pi * 5.5 * (t - t0))
            if slide_from is not None and t - t0 < slide_s:
                p = slide_from + (pitch - slide_from) * (t - t0) / slide_s
            points.append([round(float(t), 4), round(float(p), 3)])
        if lifted:
            points.append([round(end, 4), None])
    return points


def _notes(score):
    return [(n.start_beats, n.dur_beats, n.pitch_midi) for n in score.notes]


def test_curve_with_vibrato_slides_and_gaps_gives_the_notes() -> None:
    score = read_curve(json.dumps(_drawn()), source="tune.json", bpm=BPM, key="D")
    assert _notes(score) == [(float(b), float(d), float(p)) for b, d, p in MELODY]
    assert all(n.lyric == "la" and n.syllabic == "single" for n in score.notes)
    assert score.tempos[0].bpm == BPM
    assert (score.keys[0].fifths, score.keys[0].mode) == (2, "major")
    score.validate()


def test_tempo_and_key_are_estimated_when_not_given() -> None:
    score = read_curve(json.dumps(_drawn()), source="tune.json")
    assert score.tempos[0].bpm == BPM
    assert (score.keys[0].fifths, score.keys[0].mode) == (2, "major")
    assert _notes(score) == [(float(b), float(d), float(p)) for b, d, p in MELODY]


def test_object_form_and_arguments_override_it() -> None:
    doc = {"points": _drawn(), "bpm": 90, "key": "D"}
    score = read_curve(json.dumps(doc).encode(), source="tune.json")
    assert score.tempos[0].bpm == 90 and score.keys[0].fifths == 2
    # Given as arguments, tempo and key win over the curve's own.
    score = read_curve(json.dumps(doc), source="tune.json", bpm=120, key=(-1, "major"))
    assert score.tempos[0].bpm == 120 and score.keys[0].fifths == -1
    # At 120 BPM the eighth grid is finer, so the same seconds take more beats.
    assert score.notes[0].dur_beats == 1.5


def test_pitches_snap_to_the_key() -> None:
    # F (65) is drawn in D major: it lands on the nearer scale tone.
    melody = [(0, 1, 62), (1, 1, 65.4), (2, 1, 64.6), (3, 1, 62)]
    points = _drawn(melody, detune=0.0, vibrato=0.1)
    score = read_curve(json.dumps(points), source="x.json", bpm=BPM, key="D")
    assert [n.pitch_midi for n in score.notes] == [62.0, 66.0, 64.0, 62.0]


def test_no_split_on_wide_vibrato_or_slow_slide_within_half_a_semitone() -> None:
    t = np.arange(0, 2.0, 0.01)
    pitch = 67 + 0.5 * np.sin(2 * np.pi * 6 * t) + 0.4 * t / 2  # vibrato and a drift
    points = [[float(a), float(b)] for a, b in zip(t, pitch)]
    score = read_curve(json.dumps(points), source="x.json", bpm=BPM, key="C")
    assert len(score.notes) == 1 and score.notes[0].pitch_midi == 67.0


def test_time_jump_is_a_rest() -> None:
    t = np.arange(0, 1.0, 0.02)
    points = [[float(a), 60.0] for a in t] + [[float(a) + 1.3, 60.0] for a in t]
    score = read_curve(json.dumps(points), source="x.json", bpm=60, key="C")
    assert len(score.notes) == 2
    assert score.notes[1].start_beats - score.notes[0].end_beats >= 0.5


def test_estimators_directly() -> None:
    onsets = np.array([0, 1, 1.5, 2, 3, 4, 4.5, 5, 7]) * BEAT_S + 0.4
    assert estimate_bpm(onsets) == BPM
    assert estimate_bpm([0.0, 1.0]) is None
    assert scale_classes(-3, "minor") == frozenset({0, 2, 3, 5, 7, 8, 10, 11})
    assert snap_to_scale(61.2, scale_classes(0, "major")) == 62
    assert snap_to_scale(60.8, scale_classes(0, "major")) == 60
    from yinse.formats.pitchtrack import HumNote

    a_minor = [HumNote(i, i + 1, p) for i, p in enumerate([57, 60, 64, 69, 68, 69, 64, 57])]
    assert estimate_key(a_minor) == (0, "minor")


# ------------------------------------------------------------------ bad input
def _refused(data, *keywords: str, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        read_curve(data, source="c.json", **kwargs)
    message = str(info.value)
    assert "c.json" in message and "\n" not in message
    for keyword in keywords:
        assert keyword in message, message
    return message


GOOD = [[0.0, 60.0], [0.5, 60.0]]


@pytest.mark.parametrize(
    ("data", "keywords"),
    [
        ("[[0, 60], [0.5", ("is not JSON", "[time_s, pitch_midi]")),
        (b"\xff\xfe[]", ("not UTF-8",)),
        ('{"bpm": 90}', ('without "points"', "[time_s, pitch_midi]")),
        ('"hello"', ("not a list of points",)),
        ("[[0, 60, 1], [1, 60]]", ("point 1", "expected [time_s, pitch_midi]")),
        ('[[0, "C4"], [1, 60]]', ("point 1", "expected [time_s, pitch_midi]")),
        ("[[0, 60]]", ("1 point", "fewer than 2")),
        ("[]", ("0 points",)),
        ("[[0, 60], [1, 61], [1, 62]]", ("point 3", "must increase")),
        ("[[0, 60], [1, NaN]]", ("point 2", "NaN or infinite", "finite")),
        ("[[0, 60], [Infinity, 61]]", ("point 2", "NaN or infinite")),
        ("[[0, 60], [1, 440]]", ("impossible pitch 440", "not Hz")),
        ("[[0, 60], [1, 12]]", ("impossible pitch 12", "24–108")),
        ("[[0, 60], [901, 60]]", ("15-minute limit", "seconds")),
        (
            "[[0, 60], [0.05, 60], [0.1, null], [0.3, 62], [0.32, 62]]",
            ("no note left", "shorter than 80 ms", "draw each note"),
        ),
        ("[[0, null], [1, null]]", ("no note left",)),
    ],
)
def test_bad_curves_are_refused(data, keywords) -> None:
    _refused(data, *keywords)


def test_bad_tempo_and_key_are_refused() -> None:
    _refused(json.dumps(GOOD), "tempo 5 BPM", "30–300", bpm=5)
    _refused(json.dumps({"points": GOOD, "bpm": "fast"}), "tempo 'fast'", "BPM")
    _refused(json.dumps(GOOD), "key 'H'", "Bb minor", key="H")
    _refused(json.dumps(GOOD), "key (9, 'major')", "fifths from -7 to 7", key=(9, "major"))
