"""From a pitch track to notes, and from notes to a score: shared by drawn curves
(:mod:`yinse.formats.curve`) and hummed recordings (:mod:`yinse.formats.hum`).

A pitch track is one MIDI pitch per frame of ``hop_s`` seconds (fractions allowed), NaN
where nothing is sung.  Notes are cut

* at gaps (unvoiced frames, a null point of a curve),
* at ``cuts`` the caller found (a hum's energy dips, where a repeated pitch is sung again),
* where the pitch leaves its level and settles at a new one: the median of ``SETTLE_S``
  of frames at least ``CHANGE_SEMITONES`` from the note so far (the median of its last
  ``LEVEL_WINDOW_S``), every one of those frames on the same side and at least
  ``LEAVE_SEMITONES`` away, the frames steady (within ``STEADY_SEMITONES``), and the
  pitch not back at the old level within ``RETURN_S`` (that is vibrato).  The cut goes
  where a slide crosses half way to the new level.

A first piece shorter than ``SCOOP_S`` is a slide into the note and a last piece shorter
than ``TAIL_S`` the voice leaving it: both join the note.  Other pieces shorter than
``MIN_NOTE_S`` join the neighbour nearest in pitch within their run; a run shorter than
that is dropped.  So vibrato of ±0.5 semitone (wider when it swings back quickly), slow
drifts and scoops do not make notes.

Scores: onsets and ends go to an eighth-note grid at a tempo (given, else the one whose
eighth grid the onsets fit best, else ``DEFAULT_BPM``), pitches to the nearest tone of the
key's scale (given, else the best Krumhansl–Kessler profile of the notes' pitch classes,
weighted by duration).  Every note gets the placeholder lyric ``la``: the caller puts the
words on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.errors import InputError
from ..core.score import KeyChange, Note, Score, TempoChange, TimeSignature
from .notation import parse_key

#: A note must move at least this far (median of the settle window) to start a new note.
CHANGE_SEMITONES = 0.7
#: … with every frame of the settle window at least this far, on the same side …
LEAVE_SEMITONES = 0.4
#: … and the window steady: max − min within this.
STEADY_SEMITONES = 0.7
#: A move that comes back within this (seconds) to within RETURN_SEMITONES of the old
#: level (or past it) is vibrato or an ornament, not a new note.
RETURN_S = 0.12
RETURN_SEMITONES = 0.25
#: Where a slide between two levels is cut: this fraction of the way to the new level.
CUT_FRACTION = 0.5
#: How long a new level must hold before it counts as a note (seconds).
SETTLE_S = 0.06
#: The note's level is the median of at most this much of its latest frames (seconds), so
#: a slow drift is followed instead of cut.
LEVEL_WINDOW_S = 0.3
#: Notes shorter than this are joined to a neighbour or dropped (seconds).
MIN_NOTE_S = 0.08
#: A first piece of a note shorter than this is a slide into the next piece (a scoop).
SCOOP_S = 0.12
#: A last piece of a note shorter than this is the voice leaving the note.
TAIL_S = 0.12
#: Onsets and durations are quantised to this many beats (an eighth note).
GRID_BEATS = 0.5
#: Tempo when none is given and the onsets give none.
DEFAULT_BPM = 90.0
#: Range searched when estimating the tempo: song tempi; a faster pulse is read at half speed (the same notes on a coarser grid).
BPM_RANGE = (56.0, 140.0)
#: The lyric every note gets; the caller replaces it.
PLACEHOLDER_LYRIC = "la"

# Krumhansl–Kessler key profiles (probe-tone ratings), tonic first.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
#: Natural minor and its raised seventh (the leading tone of harmonic minor), which sung
#: minor melodies use as often as the flat one.
_MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10, 11)


@dataclass(frozen=True)
class HumNote:
    """A note found in a pitch track, in seconds of the recording or curve (unquantised)."""

    onset_s: float
    offset_s: float
    pitch_midi: float


# ----------------------------------------------------------------- segmentation
def voiced_runs(pitch_midi: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` frame ranges where the pitch is not NaN."""
    voiced = np.concatenate([[False], ~np.isnan(pitch_midi), [False]])
    edges = np.flatnonzero(np.diff(voiced.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _split_at_changes(p: np.ndarray, *, hop_s: float) -> list[int]:
    """Frame indexes (within ``p``, all voiced) where a new pitch level starts."""
    settle = max(2, round(SETTLE_S / hop_s))
    window = max(settle, round(LEVEL_WINDOW_S / hop_s))
    back = max(1, round(RETURN_S / hop_s))
    cuts: list[int] = []
    start = 0
    i = 1
    n = len(p)
    while i + settle <= n:
        level = float(np.median(p[max(start, i - window) : i]))
        w = p[i : i + settle]
        dev = w - level
        new_level = float(np.median(w))
        if (
            abs(new_level - level) >= CHANGE_SEMITONES
            and (np.all(dev >= LEAVE_SEMITONES) or np.all(dev <= -LEAVE_SEMITONES))
            and float(w.max() - w.min()) <= STEADY_SEMITONES
        ):
            sign = 1.0 if new_level > level else -1.0
            after = p[i + settle : i + settle + back]
            if np.any((after - level) * sign <= RETURN_SEMITONES):
                i += 1  # it comes straight back: vibrato or a trill, not a new note
                continue
            # The cut goes where the move crossed CUT_FRACTION of the way to the new level.
            mark = CUT_FRACTION * abs(new_level - level)
            j = i
            while j - 1 > start and abs(p[j - 1] - level) >= mark:
                j -= 1
            while j < i + settle - 1 and abs(p[j] - level) < mark:
                j += 1
            cuts.append(j)
            start = j
            i = j + settle
            continue
        i += 1
    return cuts


def _median_pitch(p: np.ndarray) -> float:
    """The note's pitch: median of its middle 70 % (scoop and fall-off left out)."""
    n = len(p)
    trim = int(n * 0.15) if n >= 7 else 0
    return float(np.median(p[trim : n - trim]))


def _join_short(pieces: list[tuple[int, int]], p: np.ndarray, min_frames: int) -> list:
    """Join pieces shorter than ``min_frames`` to the neighbour nearest in pitch."""
    pieces = list(pieces)
    while len(pieces) > 1:
        lengths = [b - a for a, b in pieces]
        k = int(np.argmin(lengths))
        if lengths[k] >= min_frames:
            break
        a, b = pieces[k]
        own = float(np.median(p[a:b]))
        if k == 0:
            other = 1
        elif k == len(pieces) - 1:
            other = k - 1
        else:
            before = abs(float(np.median(p[slice(*pieces[k - 1])])) - own)
            after = abs(float(np.median(p[slice(*pieces[k + 1])])) - own)
            other = k - 1 if before <= after else k + 1
        lo, hi = min(k, other), max(k, other)
        pieces[lo : hi + 1] = [(pieces[lo][0], pieces[hi][1])]
    return pieces


def segment_frames(
    pitch_midi: np.ndarray, *, hop_s: float, cuts: Sequence[int] = ()
) -> list[tuple[int, int]]:
    """Notes as ``[start, end)`` frame ranges: voiced runs, cut at ``cuts`` (frame
    indexes) and at settled pitch changes; short pieces joined, short runs dropped."""
    p = np.asarray(pitch_midi, dtype=np.float64)
    min_frames = max(1, round(MIN_NOTE_S / hop_s))
    scoop_frames = round(SCOOP_S / hop_s)
    tail_frames = round(TAIL_S / hop_s)
    cut_list = sorted(set(int(c) for c in cuts))
    notes: list[tuple[int, int]] = []
    for a, b in voiced_runs(p):
        if b - a < min_frames:
            continue
        inner = [c for c in cut_list if a < c < b]
        bounds = [a, *inner, b]
        # Caller's cuts first: a piece too short to be a note is not a cut.
        parts = _join_short(list(zip(bounds, bounds[1:])), p, min_frames)
        pieces: list[tuple[int, int]] = []
        for s, e in parts:
            marks = [s, *(s + c for c in _split_at_changes(p[s:e], hop_s=hop_s)), e]
            if len(marks) > 2 and marks[1] - marks[0] < scoop_frames:
                del marks[1]  # a slide into the note, not a note of its own
            if len(marks) > 2 and marks[-1] - marks[-2] < tail_frames:
                del marks[-2]  # the voice falling off or rising out of the note
            pieces.extend(_join_short(list(zip(marks, marks[1:])), p, min_frames))
        notes.extend(_join_short(pieces, p, min_frames))
    return notes


def frames_to_notes(
    pitch_midi: np.ndarray,
    segments: Sequence[tuple[int, int]],
    *,
    hop_s: float,
    start_s: float = 0.0,
) -> list[HumNote]:
    """HumNotes (seconds, median pitch) for frame ranges of a track starting at ``start_s``."""
    p = np.asarray(pitch_midi, dtype=np.float64)
    return [
        HumNote(start_s + a * hop_s, start_s + b * hop_s, _median_pitch(p[a:b]))
        for a, b in segments
    ]


# ------------------------------------------------------------------------- tempo
def _grid_fit(onsets_s: np.ndarray, step_s: float) -> tuple[float, float]:
    """How well onsets fit a grid of ``step_s`` (squared mean resultant less its chance
    level 1/n) and the grid's phase in seconds."""
    z = np.exp(2j * np.pi * onsets_s / step_s).mean()
    fit = abs(z) ** 2 - 1.0 / len(onsets_s)
    phase_s = (np.angle(z) / (2 * np.pi)) % 1.0 * step_s
    return float(fit), float(phase_s)


def estimate_bpm(onsets_s: Sequence[float]) -> float | None:
    """The whole-number tempo (quarter notes per minute) whose eighth-note grid the
    onsets fit best, or None with fewer than 4 onsets or no fit better than chance."""
    onsets = np.asarray(onsets_s, dtype=np.float64)
    if len(onsets) < 4:
        return None
    best, best_fit = None, 0.0
    for bpm in np.arange(BPM_RANGE[0], BPM_RANGE[1] + 0.01, 0.5):
        fit, _ = _grid_fit(onsets, 60.0 / bpm * GRID_BEATS)
        # A mild preference for moderate tempos breaks ties between multiples.
        fit *= math.exp(-0.5 * (math.log2(bpm / 100.0) / 1.0) ** 2)
        if fit > best_fit:
            best, best_fit = float(bpm), fit
    if best is None or best_fit < 0.1:
        return None
    return float(round(best))


def _beat_origin_s(notes: Sequence[HumNote], bpm: float) -> float:
    """A time that falls on a beat: the eighth grid's phase, on the parity that puts more
    note time on beats."""
    onsets = np.array([n.onset_s for n in notes])
    step = 60.0 / bpm * GRID_BEATS
    _, phase = _grid_fit(onsets, step)
    weights = np.array([n.offset_s - n.onset_s for n in notes])
    index = np.round((onsets - phase) / step).astype(int)
    on_even = float(weights[index % 2 == 0].sum())
    return phase if on_even >= float(weights.sum()) - on_even else phase + step


# --------------------------------------------------------------------------- key
def estimate_key(notes: Sequence[HumNote]) -> tuple[int, str]:
    """(fifths, mode) of the key profile that best matches the notes' pitch classes."""
    hist = np.zeros(12)
    for n in notes:
        hist[int(round(n.pitch_midi)) % 12] += max(n.offset_s - n.onset_s, 1e-3)
    best = (-2.0, 0, "major")
    for tonic in range(12):
        for mode, profile in (("major", _MAJOR_PROFILE), ("minor", _MINOR_PROFILE)):
            rotated = np.roll(profile, tonic)
            if hist.std() == 0:
                r = 0.0
            else:
                r = float(np.corrcoef(hist, rotated)[0, 1])
            if r > best[0] + 1e-12:
                best = (r, tonic, mode)
    _, tonic, mode = best
    major_tonic = tonic if mode == "major" else (tonic + 3) % 12
    fifths = (major_tonic * 7 + 6) % 12 - 6  # -6 (Gb) … 5 (B)
    return fifths, mode


def scale_classes(fifths: int, mode: str) -> frozenset[int]:
    """Pitch classes of the key's scale (minor: natural minor plus the raised seventh)."""
    major_tonic = (fifths * 7) % 12
    if mode == "minor":
        return frozenset((major_tonic + 9 + s) % 12 for s in _MINOR_STEPS)
    return frozenset((major_tonic + s) % 12 for s in _MAJOR_STEPS)


def snap_to_scale(pitch_midi: float, scale: frozenset[int]) -> int:
    """The nearest semitone, moved to the nearer scale tone when it lies outside the scale."""
    nearest = int(round(pitch_midi))
    if nearest % 12 in scale:
        return nearest
    candidates = [c for c in (nearest - 1, nearest + 1) if c % 12 in scale]
    return min(candidates, key=lambda c: (abs(c - pitch_midi), c))


# ----------------------------------------------------------------- arguments
def check_bpm(bpm: object, *, what: str) -> float:
    """A tempo argument as a float, or an InputError saying what is allowed."""
    if isinstance(bpm, bool) or not isinstance(bpm, (int, float)) or not math.isfinite(bpm):
        raise InputError(f"{what} tempo {bpm!r} is not a number; give the tempo in BPM, e.g. 90")
    if not 30 <= bpm <= 300:
        raise InputError(
            f"{what} tempo {bpm:g} BPM is outside 30–300 BPM; give a tempo in that range "
            "(or none, to have it estimated)"
        )
    return float(bpm)


def check_key(key: object, *, what: str) -> tuple[int, str]:
    """A key argument — ``(fifths, mode)`` or a name such as ``D``, ``Bb minor``, ``F#m`` —
    as (fifths, mode), or an InputError saying what is allowed."""
    if isinstance(key, str):
        try:
            return parse_key(key)
        except ValueError:
            pass
    elif (
        isinstance(key, (tuple, list))
        and len(key) == 2
        and isinstance(key[0], int)
        and not isinstance(key[0], bool)
        and -7 <= key[0] <= 7
        and key[1] in ("major", "minor")
    ):
        return int(key[0]), str(key[1])
    raise InputError(
        f"{what} key {key!r} is not a key; give a name such as 'D', 'Bb minor' or 'F#m', "
        "or (fifths, 'major'|'minor') with fifths from -7 to 7 (or none, to have it estimated)"
    )


# ------------------------------------------------------------------------ score
def notes_to_score(
    notes: Sequence[HumNote],
    *,
    bpm: float | None,
    key: tuple[int, str] | None,
    source: str,
) -> Score:
    """A score of ``notes`` on the eighth-note grid, in the key, every note sung on ``la``.

    The tempo and key are the given ones, else estimated (tempo: ``DEFAULT_BPM`` when the
    onsets give none).  The first note starts within the first beat."""
    if not notes:
        raise InputError(
            f"{source} has no notes ≥ {MIN_NOTE_S * 1000:.0f} ms; hold each note a little longer"
        )
    notes = sorted(notes, key=lambda n: n.onset_s)
    if bpm is None:
        bpm = estimate_bpm([n.onset_s for n in notes]) or DEFAULT_BPM
    fifths, mode = key if key is not None else estimate_key(notes)
    scale = scale_classes(fifths, mode)
    origin_s = _beat_origin_s(notes, bpm)
    beat_s = 60.0 / bpm

    def grid(t_s: float) -> int:
        return int(round((t_s - origin_s) / beat_s / GRID_BEATS))

    # (start step, end step, pitch, length in seconds) — a later onset that lands on the
    # same step as an earlier one keeps the longer of the two.
    placed: list[list] = []
    for n in notes:
        start, end = grid(n.onset_s), grid(n.offset_s)
        end = max(end, start + 1)
        item = [start, end, snap_to_scale(n.pitch_midi, scale), n.offset_s - n.onset_s]
        if placed and placed[-1][0] == start:
            if item[3] > placed[-1][3]:
                placed[-1] = item
            continue
        placed.append(item)
    for cur, nxt in zip(placed, placed[1:]):
        cur[1] = min(cur[1], nxt[0])
    shift_steps = (placed[0][0] // int(round(1 / GRID_BEATS))) * int(round(1 / GRID_BEATS))
    out = tuple(
        Note(
            start_beats=(start - shift_steps) * GRID_BEATS,
            dur_beats=(end - start) * GRID_BEATS,
            pitch_midi=float(pitch),
            lyric=PLACEHOLDER_LYRIC,
            syllabic="single",
        )
        for start, end, pitch, _ in placed
    )
    return Score(
        notes=out,
        tempos=(TempoChange(0.0, float(bpm)),),
        keys=(KeyChange(0.0, int(fifths), mode),),
        time_signatures=(TimeSignature(0.0, 4, 4),),
    )
