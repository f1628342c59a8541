"""The band: drums, bass, chords, a pad and a lead line, written from a composition.

Every part follows the song's bars: the chord of each bar, and its energy (sections get
louder and busier towards the chorus).  Patterns are per style, on a sixteenth grid of 4/4.
Drums play a fill at the end of a section; the pad enters where the energy is high; the lead
plays the chorus's opening line as the intro and outro tune and short fills in the gaps
between sung lines.  The result is a multi-track MIDI file (and the vocal line as a guide
track) that the renderer turns into stems.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .harmony import Chord
from .song import BEATS_PER_BAR, Bar, Composition

DRUM_CHANNEL = 9
KICK, SIDE_STICK, SNARE, CLAP, FLOOR_TOM, CLOSED_HAT, LOW_TOM, OPEN_HAT = 36, 37, 38, 39, 41, 42, 45, 46
MID_TOM, CRASH, HIGH_TOM, RIDE, CHINA, TAMBOURINE, MARACAS, WOODBLOCK = 47, 49, 50, 51, 52, 54, 70, 76

#: drums style -> instrument -> (sixteenths in quiet bars, sixteenths in loud bars)
DRUM_PATTERNS: dict[str, dict[int, tuple[tuple[int, ...], tuple[int, ...]]]] = {
    "pop": {KICK: ((0, 10), (0, 6, 10)), SNARE: ((4, 12), (4, 12)),
            CLOSED_HAT: ((0, 4, 8, 12), tuple(range(0, 16, 2)))},
    "ballad": {KICK: ((0,), (0, 10)), SIDE_STICK: ((8,), ()), SNARE: ((), (8,)),
               CLOSED_HAT: ((0, 4, 8, 12), (0, 4, 8, 12))},
    "rock": {KICK: ((0, 8), (0, 6, 8, 10)), SNARE: ((4, 12), (4, 12)),
             CLOSED_HAT: (tuple(range(0, 16, 2)), ()), RIDE: ((), tuple(range(0, 16, 2)))},
    "folk": {KICK: ((0, 8), (0, 8, 10)), TAMBOURINE: ((4, 12), (4, 12)),
             MARACAS: (tuple(range(0, 16, 2)), tuple(range(16)))},
    "guofeng": {FLOOR_TOM: ((0,), (0, 10)), MID_TOM: ((), (12, 14)),
                WOODBLOCK: ((4, 12), (4, 8, 12))},
    "electronic": {KICK: ((0, 4, 8, 12), (0, 4, 8, 12)), CLAP: ((4, 12), (4, 12)),
                   OPEN_HAT: ((2, 6, 10, 14), (2, 6, 10, 14)),
                   CLOSED_HAT: ((), tuple(u for u in range(16) if u % 4 != 2))},
}  # fmt: skip
#: bass style -> (sixteenth, length in sixteenths, interval above the root)
BASS_PATTERNS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "eighths": tuple((u, 2, 0) for u in range(0, 16, 2)),
    "whole": ((0, 8, 0), (8, 8, 7)),
    "driving": tuple((u, 2, 0) for u in range(0, 16, 2)),
    "root_fifth": ((0, 6, 0), (8, 6, 7)),
    "offbeat": ((2, 2, 12), (6, 2, 12), (10, 2, 12), (14, 2, 12), (0, 2, 0)),
}
#: comp style -> (sixteenth, length in sixteenths, which chord tones: "all" or an index)
COMP_PATTERNS: dict[str, tuple[tuple[int, int, object], ...]] = {
    "piano_pop": ((0, 6, "all"), (6, 2, "all"), (8, 6, "all"), (14, 2, "all")),
    "piano_arpeggio": tuple((u, 6, k) for k, u in enumerate(range(0, 16, 2))),
    "power": tuple((u, 2, "all") for u in range(0, 16, 2)),
    "strum": ((0, 4, "all"), (4, 2, "all"), (6, 4, "all"), (10, 2, "all"), (12, 2, "all"),
              (14, 2, "all")),
    "zheng": tuple((u, 4, k) for k, u in enumerate(range(0, 16, 2))),
    "pluck": ((0, 1, "all"), (3, 1, "all"), (6, 1, "all"), (10, 1, "all"), (12, 2, "all")),
}  # fmt: skip
COMP_RANGE = {"power": (40, 57), "zheng": (55, 84)}


@dataclass(frozen=True)
class TrackNote:
    start_beats: float
    dur_beats: float
    pitch: int
    velocity: int


@dataclass(frozen=True)
class Track:
    name: str
    program: int
    channel: int
    notes: tuple[TrackNote, ...]

    @property
    def is_drums(self) -> bool:
        return self.channel == DRUM_CHANNEL


@dataclass(frozen=True)
class Arrangement:
    composition: Composition
    tracks: tuple[Track, ...]

    def track(self, name: str) -> Track:
        return next(t for t in self.tracks if t.name == name)

    def to_midi(self, *, with_vocal: bool = True, ticks_per_beat: int = 480) -> bytes:
        """A type-1 MIDI file: a tempo/key/metre track, then one track per part (the
        vocal line as a guide track on a choir-aahs patch when ``with_vocal``)."""
        import mido

        comp = self.composition
        midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat, charset="utf-8")
        meta = mido.MidiTrack()
        meta.append(mido.MetaMessage("track_name", name=comp.vocal.title or "song", time=0))
        meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(comp.bpm), time=0))
        meta.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
        meta.append(mido.MetaMessage("key_signature", key=comp.key.name, time=0))
        midi.tracks.append(meta)
        tracks = list(self.tracks)
        if with_vocal:
            vocal = tuple(TrackNote(n.start_beats, n.dur_beats, int(round(n.pitch_midi)), n.velocity)
                          for n in comp.vocal.notes)  # fmt: skip
            tracks.append(Track("vocal", 52, 15, vocal))
        for track in tracks:
            midi.tracks.append(_midi_track(track, ticks_per_beat))
        buffer = io.BytesIO()
        midi.save(file=buffer)
        return buffer.getvalue()


def _midi_track(track: Track, tpb: int):
    import mido

    events: list[tuple[int, int, object]] = []  # (tick, order, message); offs before ons
    for note in track.notes:
        on = round(note.start_beats * tpb)
        off = max(on + 1, round((note.start_beats + note.dur_beats) * tpb))
        vel = int(np.clip(note.velocity, 1, 127))
        events.append((on, 1, mido.Message("note_on", channel=track.channel, note=note.pitch, velocity=vel)))
        events.append((off, 0, mido.Message("note_off", channel=track.channel, note=note.pitch, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    out = mido.MidiTrack()
    out.append(mido.MetaMessage("track_name", name=track.name, time=0))
    if not track.is_drums:
        out.append(mido.Message("program_change", channel=track.channel, program=track.program, time=0))
    out.append(mido.Message("control_change", channel=track.channel, control=7, value=100, time=0))
    now = 0
    for tick, _, message in events:
        out.append(message.copy(time=tick - now))  # type: ignore[attr-defined]
        now = tick
    return out


def arrange(comp: Composition) -> Arrangement:
    style = comp.style
    chords = [comp.chord(bar) for bar in comp.bars]
    tracks = [
        Track("drums", 0, DRUM_CHANNEL, tuple(_drums(comp, style.drums))),
        Track("bass", style.programs["bass"], 1, tuple(_bass(comp.bars, chords, style.bass))),
        Track("chords", style.programs["chords"], 2, tuple(_comp(comp.bars, chords, style.comp))),
        Track("pad", style.programs["pad"], 3, tuple(_pad(comp.bars, chords, style.name))),
        Track("lead", style.programs["lead"], 4, tuple(_lead(comp, chords))),
    ]
    return Arrangement(comp, tuple(t for t in tracks if t.notes))


def _velocity(bar: Bar, base: float, spread: float = 50.0) -> int:
    return int(np.clip(base + spread * bar.energy, 1, 127))


def _drums(comp: Composition, kind: str) -> list[TrackNote]:
    pattern = DRUM_PATTERNS[kind]
    out: list[TrackNote] = []
    bars = comp.bars
    for b, bar in enumerate(bars):
        if bar.section == "intro" and b < 2 and kind != "electronic":
            continue  # the song opens with the band's harmony; drums come in after two bars
        loud = bar.energy >= 0.7
        vel = _velocity(bar, 45)
        last_bar = b == len(bars) - 1
        fill = bar.last_of_section and not last_bar
        for drum, (quiet_units, loud_units) in pattern.items():
            for u in loud_units if loud else quiet_units:
                if fill and u >= 12:
                    continue
                accent = 1.0 if u % 4 == 0 else 0.8
                out.append(TrackNote(bar.start_beats + u / 4, 0.25, drum, int(vel * accent)))
        if bar.first_of_section and bar.energy >= 0.6 and kind != "guofeng":
            out.append(TrackNote(bar.start_beats, 1.0, CRASH, min(127, vel + 10)))
        if bar.first_of_section and kind == "guofeng" and bar.energy >= 0.6:
            out.append(TrackNote(bar.start_beats, 1.0, CHINA, vel))
        if fill:
            toms = (SNARE, HIGH_TOM, MID_TOM, LOW_TOM) if kind in ("pop", "rock", "ballad") else (
                (MID_TOM, MID_TOM, FLOOR_TOM, FLOOR_TOM) if kind == "guofeng" else (SNARE, SNARE, CLAP, CLAP))
            for k, drum in enumerate(toms):
                out.append(TrackNote(bar.start_beats + 3 + k / 4, 0.25, drum, int(vel * (0.7 + 0.1 * k))))
        if last_bar:
            out = [n for n in out if n.start_beats < bar.start_beats]  # one last hit instead
            out.append(TrackNote(bar.start_beats, 2.0, KICK, vel))
            out.append(TrackNote(bar.start_beats, 2.0, CHINA if kind == "guofeng" else CRASH, vel))
    return out


def _bass_root(ch: Chord) -> int:
    """The chord's root between E1 and D#2 (MIDI 28–39), where a bass sits."""
    return 28 + (ch.root_pc - 4) % 12


def _bass(bars: Sequence[Bar], chords: Sequence[Chord], kind: str) -> list[TrackNote]:
    out = []
    for b, (bar, ch) in enumerate(zip(bars, chords)):
        if bar.section == "intro" and b < 2:
            continue
        root = _bass_root(ch)
        pattern = BASS_PATTERNS[kind] if bar.energy >= 0.5 else BASS_PATTERNS["whole"]
        if b == len(bars) - 1:
            pattern = ((0, 16, 0),)
        for unit, length, interval in pattern:
            vel = _velocity(bar, 55, 45) - (8 if unit % 4 else 0)
            out.append(TrackNote(bar.start_beats + unit / 4, length / 4 * 0.95, root + interval, vel))
    return out


def voicing(ch: Chord, low: int, high: int, previous: Sequence[int] | None) -> list[int]:
    """The chord's tones (three or four) within [low, high], as close as possible to the
    previous voicing (smooth voice leading) or to the middle of the range."""
    candidates = []
    for base in range(low, high - 6):
        pcs = sorted({(p - base) % 12 for p in ch.pcs})
        notes = [base + pc for pc in pcs]
        if notes[0] % 12 not in ch.pcs or notes[-1] > high:
            continue
        candidates.append(notes)
    if not candidates:
        return sorted(low + (p - low) % 12 for p in ch.pcs)
    if previous:
        ref = np.mean(previous)
        return min(candidates, key=lambda c: abs(np.mean(c) - ref))
    middle = (low + high) / 2
    return min(candidates, key=lambda c: abs(np.mean(c) - middle))


def _comp(bars: Sequence[Bar], chords: Sequence[Chord], kind: str) -> list[TrackNote]:
    low, high = COMP_RANGE.get(kind, (52, 74))
    out = []
    previous: list[int] | None = None
    for b, (bar, ch) in enumerate(zip(bars, chords)):
        notes = voicing(ch, low, high, previous)
        previous = notes
        if kind == "power":
            notes = [notes[0], notes[0] + 7, notes[0] + 12] if ch.root_pc == notes[0] % 12 else notes
        if kind in ("piano_arpeggio", "zheng"):
            spread = notes + [n + 12 for n in notes if n + 12 <= high + 12]
        pattern = COMP_PATTERNS[kind]
        if b == len(bars) - 1:
            pattern = ((0, 16, "all"),)
        elif bar.energy < 0.5 and kind in ("piano_pop", "power", "strum", "pluck"):
            pattern = ((0, 8, "all"), (8, 8, "all"))
        for unit, length, which in pattern:
            vel = _velocity(bar, 40, 45) - (6 if unit % 4 else 0)
            start = bar.start_beats + unit / 4
            if which == "all":
                for k, pitch in enumerate(notes):
                    strum = 0.015 * k if kind == "strum" else 0.0
                    out.append(TrackNote(start + strum, length / 4 * 0.95, pitch, vel))
            else:
                k = int(which)  # type: ignore[arg-type]
                up_down = spread + spread[-2:0:-1]
                out.append(TrackNote(start, length / 4, up_down[k % len(up_down)], vel))
    return out


def _pad(bars: Sequence[Bar], chords: Sequence[Chord], style: str) -> list[TrackNote]:
    """Sustained chords where the song swells (and throughout in slow styles)."""
    always = style in ("ballad", "guofeng", "electronic")
    out = []
    previous: list[int] | None = None
    for bar, ch in zip(bars, chords):
        if not always and bar.energy < 0.65:
            previous = None
            continue
        notes = voicing(ch, 55, 76, previous)
        previous = notes
        for pitch in notes:
            out.append(TrackNote(bar.start_beats, BEATS_PER_BAR, pitch, _velocity(bar, 30, 40)))
    return out


def _lead(comp: Composition, chords: Sequence[Chord]) -> list[TrackNote]:
    """The chorus's first line as the instrumental tune of the intro, interludes and outro,
    an octave up where it fits; short descending fills where the singer breathes."""
    out: list[TrackNote] = []
    tune = _tune(comp)
    bars = comp.bars
    b = 0
    while b < len(bars):
        bar = bars[b]
        if not bar.sung and bar.first_of_section and bar.section in ("intro", "interlude", "outro"):
            length = sum(1 for x in bars[b:] if x.section == bar.section and not x.sung)
            offset = bar.start_beats + (BEATS_PER_BAR if length >= 4 else 0)
            room = bar.start_beats + length * BEATS_PER_BAR - 1.0
            for start, dur, pitch in tune:
                if offset + start + dur <= room + 0.01:
                    out.append(TrackNote(offset + start, dur, pitch, _velocity(bar, 45)))
            b += length
            continue
        b += 1
    out.extend(_fills(comp, chords))
    return out


def _tune(comp: Composition) -> list[tuple[float, float, int]]:
    """(start in beats from the tune's start, length, pitch) of the chorus's first line."""
    line = next((x for x in comp.lines if x.section == "chorus"), comp.lines[0] if comp.lines else None)
    if line is None:
        return []
    notes = [comp.vocal.notes[i] for i in line.note_indexes]
    shift = 12 if max(n.pitch_midi for n in notes) < 72 else 0
    return [(n.start_beats - line.start_beats, n.dur_beats, int(n.pitch_midi) + shift) for n in notes]


def _fills(comp: Composition, chords: Sequence[Chord]) -> list[TrackNote]:
    """Three descending chord tones in each rest of the vocal of two beats or more."""
    out = []
    notes = comp.vocal.notes
    for a, b in zip(notes, notes[1:]):
        gap = b.start_beats - a.end_beats
        if gap < 2.0:
            continue
        bar_index = int(a.end_beats // BEATS_PER_BAR)
        if bar_index >= len(comp.bars) or comp.bars[bar_index].energy < 0.5:
            continue
        ch = chords[bar_index]
        tones = sorted(voicing(ch, 67, 84, None), reverse=True)
        start = np.ceil(a.end_beats * 2) / 2 + 0.5
        for k, pitch in enumerate(tones[:3]):
            t = start + 0.5 * k
            if t + 0.5 <= b.start_beats - 0.25:
                out.append(TrackNote(t, 0.5, pitch, _velocity(comp.bars[bar_index], 35, 35)))
    return out
