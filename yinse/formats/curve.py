"""A drawn pitch curve as a melody.

A browser piano roll sends the curve as JSON: a list of ``[time_s, pitch_midi]`` points
(pitch with fractions; ``null`` where the pen is lifted), or an object
``{"points": [...], "bpm": 90, "key": "D"}``.  Between two points less than
``MAX_GAP_S`` apart the pitch is drawn as a straight line; a ``null`` pitch or a longer
jump in time is a rest.  The curve is sampled every 10 ms and cut into notes where the
pitch settles at a new level, then put on the tempo grid and in the key
(:mod:`yinse.formats.pitchtrack`, shared with hummed recordings).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from ..core.errors import InputError
from ..core.score import Score
from .pitchtrack import (
    MIN_NOTE_S,
    check_bpm,
    check_key,
    frames_to_notes,
    notes_to_score,
    segment_frames,
)

__all__ = ["read_curve"]

#: Points further apart than this (seconds) are not joined: the gap is a rest.
MAX_GAP_S = 0.15
#: The curve is sampled at this step (seconds) before it is cut into notes.
HOP_S = 0.01
#: Pitches a voice can sing (C1–C8); anything else is a drawing error.
LOWEST_MIDI = 24.0
HIGHEST_MIDI = 108.0
MAX_LENGTH_S = 15 * 60.0
_SHAPE_HELP = (
    'send a JSON list of [time_s, pitch_midi] points, or {"points": [...], "bpm": 90, "key": "D"}'
)


def _parse(data: bytes | str, *, source: str) -> tuple[list, Any, Any]:
    """(points, bpm, key) from the JSON text; NaN and Infinity literals come back as NaN."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"pitch curve {source} is not UTF-8 text (bad byte at offset {exc.start}); "
                f"{_SHAPE_HELP}"
            ) from None
    try:
        doc = json.loads(data, parse_constant=lambda _: math.nan)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"pitch curve {source} is not JSON ({exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}); {_SHAPE_HELP}"
        ) from None
    bpm = key = None
    if isinstance(doc, dict):
        if "points" not in doc:
            raise InputError(
                f'pitch curve {source} is a JSON object without "points" (keys: '
                f"{', '.join(sorted(map(str, doc))) or 'none'}); {_SHAPE_HELP}"
            )
        bpm, key, doc = doc.get("bpm"), doc.get("key"), doc["points"]
    if not isinstance(doc, list):
        raise InputError(
            f"pitch curve {source} holds a JSON {type(doc).__name__}, not a list of points; "
            f"{_SHAPE_HELP}"
        )
    return doc, bpm, key


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _points(raw: list, *, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Times and pitches (NaN for ``null``), checked."""
    if len(raw) < 2:
        raise InputError(
            f"pitch curve {source} has {len(raw)} point{'s' if len(raw) != 1 else ''}, "
            "fewer than 2; draw the melody as a line of points"
        )
    times = np.empty(len(raw))
    pitches = np.empty(len(raw))
    for i, point in enumerate(raw):
        if (
            not isinstance(point, list)
            or len(point) != 2
            or not _is_number(point[0])
            or not (point[1] is None or _is_number(point[1]))
        ):
            raise InputError(
                f"pitch curve {source}: point {i + 1} is {json.dumps(point)[:60]}, expected "
                "[time_s, pitch_midi] with numbers (pitch may be null for a rest); "
                "fix the points"
            )
        t, p = float(point[0]), point[1]
        if not math.isfinite(t) or (p is not None and not math.isfinite(p)):
            raise InputError(
                f"pitch curve {source}: point {i + 1} has a NaN or infinite value "
                f"([{t:g}, {p if p is None else float(p):g}]); send finite numbers (null "
                "for no pitch)"
            )
        if p is not None and not LOWEST_MIDI <= p <= HIGHEST_MIDI:
            raise InputError(
                f"pitch curve {source}: point {i + 1} at {t:g} s has impossible pitch {p:g} "
                f"(expected MIDI {LOWEST_MIDI:g}–{HIGHEST_MIDI:g}, C1–C8); check that the "
                "pitch is a MIDI note number, not Hz"
            )
        times[i] = t
        pitches[i] = math.nan if p is None else float(p)
    steps = np.diff(times)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0)) + 1
        raise InputError(
            f"pitch curve {source}: point {i + 1} is at {times[i]:g} s, not after point {i} "
            f"({times[i - 1]:g} s); times must increase from point to point"
        )
    length_s = float(times[-1] - times[0])
    if length_s > MAX_LENGTH_S:
        raise InputError(
            f"pitch curve {source} is {length_s / 60:.1f} minutes long, over the "
            f"{MAX_LENGTH_S / 60:g}-minute limit; check that times are in seconds, or split it"
        )
    return times, pitches


def _sample(times: np.ndarray, pitches: np.ndarray) -> np.ndarray:
    """The curve every ``HOP_S`` from its first point: straight lines between joined points
    (both pitched, under ``MAX_GAP_S`` apart), NaN elsewhere."""
    n = int(math.floor((times[-1] - times[0]) / HOP_S + 1e-9)) + 1
    t = times[0] + np.arange(n) * HOP_S
    i = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    t_a, t_b = times[i], times[i + 1]
    p_a, p_b = pitches[i], pitches[i + 1]
    joined = (t_b - t_a <= MAX_GAP_S) & ~np.isnan(p_a) & ~np.isnan(p_b)
    frac = np.clip((t - t_a) / (t_b - t_a), 0.0, 1.0)
    return np.where(joined, p_a + frac * (np.nan_to_num(p_b) - np.nan_to_num(p_a)), np.nan)


def read_curve(
    data: bytes | str,
    *,
    source: str,
    bpm: float | None = None,
    key: tuple[int, str] | str | None = None,
) -> Score:
    """A score (eighth-note grid, in the key, every note on ``la``) from a drawn pitch
    curve.  ``bpm`` and ``key`` (``(fifths, mode)`` or ``"D"``/``"Bb minor"``) override the
    curve's own; without either, they are estimated from the notes (tempo: 90 if the
    onsets do not show one)."""
    what = f"pitch curve {source}"
    raw, doc_bpm, doc_key = _parse(data, source=source)
    bpm = bpm if bpm is not None else doc_bpm
    key = key if key is not None else doc_key
    bpm = check_bpm(bpm, what=what) if bpm is not None else None
    key = check_key(key, what=what) if key is not None else None
    times, pitches = _points(raw, source=source)
    track = _sample(times, pitches)
    segments = segment_frames(track, hop_s=HOP_S)
    notes = frames_to_notes(track, segments, hop_s=HOP_S, start_s=float(times[0]))
    if not notes:
        raise InputError(
            f"{what} has no note left: every pitched stretch is shorter than "
            f"{MIN_NOTE_S * 1000:.0f} ms or broken by gaps (null pitch or more than "
            f"{MAX_GAP_S * 1000:.0f} ms between points); draw each note as a connected line "
            "at least that long"
        )
    return notes_to_score(notes, bpm=bpm, key=key, source=what)
