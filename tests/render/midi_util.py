"""Small type-1 MIDI files built in the tests, so every expectation is known exactly."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import mido

TPB = 480


@dataclass
class Part:
    """One MIDI track: notes are (start_beat, dur_beats, key, velocity)."""

    name: str | None
    channel: int
    program: int | None = 0
    notes: list[tuple[float, float, int, int]] = field(default_factory=list)
    controls: list[tuple[float, int, int]] = field(default_factory=list)  # (beat, cc, value)


def build_midi(parts: list[Part], *, tempos: list[tuple[float, float]] = ((0, 120),)) -> bytes:
    """A type-1 file: track 0 holds the tempo map ((beat, bpm), ...), then one track per part."""
    mf = mido.MidiFile(type=1, ticks_per_beat=TPB)
    conductor = mido.MidiTrack([mido.MetaMessage("track_name", name="conductor")])
    last = 0
    for beat, bpm in tempos:
        tick = int(round(beat * TPB))
        conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=tick - last))
        last = tick
    mf.tracks.append(conductor)
    for part in parts:
        track = mido.MidiTrack()
        if part.name is not None:
            track.append(mido.MetaMessage("track_name", name=part.name))
        if part.program is not None:
            track.append(mido.Message("program_change", channel=part.channel, program=part.program))
        timed = []
        for beat, control, value in part.controls:
            timed.append(
                (
                    beat,
                    0,
                    mido.Message(
                        "control_change", channel=part.channel, control=control, value=value
                    ),
                )
            )
        for start, dur, key, vel in part.notes:
            timed.append(
                (start, 2, mido.Message("note_on", channel=part.channel, note=key, velocity=vel))
            )
            timed.append(
                (
                    start + dur,
                    1,
                    mido.Message("note_off", channel=part.channel, note=key, velocity=0),
                )
            )
        timed.sort(key=lambda e: (e[0], e[1]))
        last = 0
        for beat, _, msg in timed:
            tick = int(round(beat * TPB))
            track.append(msg.copy(time=tick - last))
            last = tick
        mf.tracks.append(track)
    buf = io.BytesIO()
    mf.save(file=buf)
    return buf.getvalue()
