"""Expressive F0: the note steps of a score turned into a sung pitch curve.

Defaults come from the field (see the guide): OpenUtau's portamento (±40 ms around a note
start, sine in-out) and vibrato preset (175 ms period, 25 cents, fade-in and fade-out 10 %,
only on long notes), and a WORLD speech-to-singing study's overshoot (42 cents decaying
over 200 ms after a leap), preparation (a 22-cent dip before a rising interval) and fine
fluctuation (±7 cents, smoothed).  Everything is in cents relative to MIDI 0 so that
effects add; Hz only at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Expression:
    """Global expression settings; a note's own ``vibrato_depth_cents`` overrides depth."""

    portamento_s: float = 0.08
    vibrato_depth_cents: float = 25.0
    vibrato_rate_hz: float = 1 / 0.175
    vibrato_min_note_s: float = 0.45
    vibrato_start_fraction: float = 0.25
    vibrato_fade_fraction: float = 0.10
    overshoot_cents: float = 42.0
    overshoot_decay_s: float = 0.2
    overshoot_min_interval: float = 2.0
    preparation_cents: float = 22.0
    preparation_s: float = 0.1
    fluctuation_cents: float = 7.0
    #: Singer's formant: a boost near 2.8 kHz that makes a sung voice carry.
    singer_formant_db: float = 3.2
    singer_formant_hz: float = 2800.0
    breaths: bool = True


@dataclass(frozen=True)
class PitchNote:
    """A note on the song's time axis, as the pitch model sees it."""

    start_s: float
    end_s: float
    pitch_midi: float
    vibrato_depth_cents: float | None = None


def _smoothstep(x: np.ndarray) -> np.ndarray:
    """Sine in-out from 0 to 1 on x in [0, 1]."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def f0_curve_cents(
    times_s: np.ndarray,
    notes: Sequence[PitchNote],
    expression: Expression,
    rng: np.random.Generator,
) -> np.ndarray:
    """Target pitch in cents (MIDI × 100) at ``times_s``.  Frames outside every note take
    the nearest note's pitch, so the curve is defined everywhere (voicing is decided
    elsewhere)."""
    e = expression
    if not notes:
        return np.zeros_like(times_s)
    starts = np.array([n.start_s for n in notes])
    cents_of = np.array([n.pitch_midi * 100.0 for n in notes])
    idx = np.clip(np.searchsorted(starts, times_s, side="right") - 1, 0, len(notes) - 1)
    curve = cents_of[idx].astype(float)
    half = e.portamento_s / 2
    for k in range(1, len(notes)):
        prev, cur = notes[k - 1], notes[k]
        interval = cur.pitch_midi - prev.pitch_midi
        joined = cur.start_s - prev.end_s < 0.05
        if joined and interval:
            # Portamento: a sine glide from the previous pitch, centred on the note start.
            window = (times_s >= cur.start_s - half) & (times_s < cur.start_s + half)
            x = (times_s[window] - (cur.start_s - half)) / e.portamento_s
            curve[window] = cents_of[k - 1] + (cents_of[k] - cents_of[k - 1]) * _smoothstep(x)
            if interval > 0 and e.preparation_cents:
                # Preparation: a small dip before rising, as singers gather for the leap;
                # on a short note it is shorter and shallower, so its middle stays in tune.
                prev_len = prev.end_s - prev.start_s
                t0 = cur.start_s - half - min(e.preparation_s, 0.2 * prev_len)
                prep = (times_s >= t0) & (times_s < cur.start_s - half)
                x = (times_s[prep] - t0) / max(1e-6, cur.start_s - half - t0)
                depth = e.preparation_cents * _length_factor(prev_len)
                curve[prep] -= depth * np.sin(np.pi * x)
        if joined and abs(interval) >= e.overshoot_min_interval and e.overshoot_cents:
            # Overshoot: pass the target in the direction of the leap, then settle; on a
            # short note it is smaller and quicker (the settle fits in its first third).
            length = cur.end_s - cur.start_s
            decay = min(e.overshoot_decay_s, 0.3 * length)
            t0 = cur.start_s + half
            after = (times_s >= t0) & (times_s < cur.end_s)
            dt = times_s[after] - t0
            # Rises over the first 30 % of the decay, then an exponential settle.
            shape = np.sin(np.pi / 2 * np.clip(dt / (0.3 * decay), 0, 1)) * np.exp(
                -np.maximum(0.0, dt - 0.3 * decay) / (0.25 * decay)
            )
            curve[after] += np.sign(interval) * e.overshoot_cents * _length_factor(length) * shape
    for note in notes:
        depth = e.vibrato_depth_cents if note.vibrato_depth_cents is None else note.vibrato_depth_cents
        length = note.end_s - note.start_s
        if depth <= 0 or length < e.vibrato_min_note_s:
            continue
        v0 = note.start_s + e.vibrato_start_fraction * length
        inside = (times_s >= v0) & (times_s < note.end_s)
        t = times_s[inside] - v0
        span = note.end_s - v0
        fade = e.vibrato_fade_fraction * span
        envelope = np.minimum(1.0, np.minimum(t / fade, (span - t) / fade))
        curve[inside] += depth * np.clip(envelope, 0, 1) * np.sin(2 * np.pi * e.vibrato_rate_hz * t)
    if e.fluctuation_cents and len(times_s) > 8:
        noise = rng.standard_normal(len(times_s))
        frame_s = float(np.median(np.diff(times_s)))
        width = max(1, int(round(0.05 / frame_s)))  # ~50 ms smoothing: slow drift, no buzz
        kernel = np.hanning(2 * width + 1)
        smooth = np.convolve(noise, kernel / kernel.sum(), mode="same")
        smooth *= e.fluctuation_cents / (np.std(smooth) * 2.5 + 1e-9)  # ±7 c ≈ 2.5 σ
        curve += smooth
    return curve


def _length_factor(length_s: float) -> float:
    """Full-size ornaments from half a second up, proportionally smaller below."""
    return float(np.clip(length_s / 0.5, 0.0, 1.0))


def cents_to_hz(cents: np.ndarray) -> np.ndarray:
    """MIDI cents to Hz (MIDI 69 = A4 = 440 Hz)."""
    return 440.0 * 2.0 ** ((cents / 100.0 - 69.0) / 12.0)
