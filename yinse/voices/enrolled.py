"""A person's voice enrolled here: a base voice's speech, played with the person's timbre.

The base voice (``baker`` or ``joe``) says the words, so timing and phones are as reliable
as the built-in voices'; the :class:`~yinse.voices.timbre.TimbreBank` built from the person's
recordings replaces every spectral frame with one of theirs.  Singing goes through the
engine (which calls :meth:`EnrolledVoice.timbre` after its WORLD analysis); speech is
re-synthesised here on the F0 of the person's own units (:meth:`TimbreBank.speech_pitch`).

Only :mod:`yinse.pipeline` creates these, after the consent gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..text import LyricSyllable
from .base import Utterance, Voice, VoiceInfo
from .speaking_pitch import hz_to_midi
from .timbre import (
    FRAME_S,
    SPEECH_BASE_SHARE,
    SPEECH_LEVEL_SHARE,
    TimbreBank,
    code_envelope,
    dio_f0,
)

#: A melody sounds most like the person (resemblyzer, against their held-out speech) with
#: its middle 0–4 semitones above their speaking pitch: cathy, magicdata_f and vctk_p225
#: singing one song at 6–8 keys each lost 0.03–0.17 seven to fourteen semitones higher
#: (docs/BENCHMARKS.md, "Cloned singing and the key").
SING_ABOVE_SPEECH = 2.0
#: An enrolled voice's range: this many semitones each side of its home pitch (the span
#: of the built-in voices' ranges).
RANGE_HALF_SPAN = 18


def home_midi(speaking_hz: float) -> float:
    """Where ``--key auto`` puts a melody's median note for an owner speaking at this pitch."""
    return hz_to_midi(speaking_hz) + SING_ABOVE_SPEECH


class EnrolledVoice(Voice):
    def __init__(self, *, name: str, language: str, owner: str, base: Voice, bank_folder: Path):
        self.base = base
        self.bank = TimbreBank.load(bank_folder)
        if self.bank.base_voice != base.name:
            raise ValueError(f"bank of '{name}' was built on '{self.bank.base_voice}', not '{base.name}'")
        if self.bank.speaking_hz:
            home = home_midi(self.bank.speaking_hz)
            low, high = round(home) - RANGE_HALF_SPAN, round(home) + RANGE_HALF_SPAN
        else:  # a bank from before the speaking pitch was stored: the base voice's range, moved
            home = None
            shift = int(round(self.bank.pitch_shift_semitones))
            low, high = (n + shift for n in base.info.range_midi)
        self.info = VoiceInfo(
            name=name,
            language=language,
            source=f"enrolled from recordings of {owner} (timbre on the base voice '{base.name}')",
            licence="the owner's consent record (yinse voice show)",
            commercial_use=False,
            range_midi=(low, high),
            requires_consent=True,
            home_midi=home,
        )

    def say_syllables(self, syllables: Sequence[LyricSyllable]) -> Utterance:
        return self.base.say_syllables(syllables)

    def timbre(self, f0, sp, ap, sr, *, phones=None, speech_times_s=None):
        return self.bank.convert(f0, sp, sr, phones=phones, speech_times_s=speech_times_s)

    def speech_frames(self, text: str) -> SpeechFrames:
        """The WORLD frames of a clone's speech before synthesis: the base voice says the
        text, the owner's units replace its envelope, and its F0 becomes theirs."""
        import pyworld

        said = self.base.speak_utterance(text)
        x = np.ascontiguousarray(said.audio, dtype=np.float64)
        f0, t = dio_f0(x, said.sr)
        coded = code_envelope(pyworld.cheaptrick(x, f0, t, said.sr), said.sr)
        position, from_units = self.bank.choose(coded, f0 > 0, said.phones, t)
        # The owner's aperiodicity replaces the base voice's, so D4C is not run on it.
        level_share = SPEECH_LEVEL_SHARE.get(self.base.name, 0.0)
        sp, ap = self.bank.play(position, coded, SPEECH_BASE_SHARE, level_share)
        return SpeechFrames(said, coded, self.bank.speech_pitch(f0, position, from_units), sp, ap)

    def speak(self, text: str) -> tuple[np.ndarray, int]:
        import pyworld

        frames = self.speech_frames(text)
        sr = frames.said.sr
        y = pyworld.synthesize(frames.f0, frames.sp, frames.ap, sr, FRAME_S * 1000)
        return y.astype(np.float32), sr


@dataclass
class SpeechFrames:
    """A clone's speech as WORLD frames (5 ms): what the base voice said, its coded envelope,
    and the F0, envelope and aperiodicity the clone speaks."""

    said: Utterance
    base_coded: np.ndarray
    f0: np.ndarray
    sp: np.ndarray
    ap: np.ndarray
