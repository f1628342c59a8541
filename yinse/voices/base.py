"""What the singing engine needs from a voice: say a line and tell where each syllable is.

A voice receives the phrase as :class:`~yinse.text.LyricSyllable` objects (one per sung
syllable, already through the text front end) and returns the audio with, for each
syllable, where it starts, where its vowel nucleus starts and ends, and where it ends.
The engine cuts and stretches speech at exactly those points, so they are the whole
contract between a voice and the engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..text import LyricSyllable


@dataclass(frozen=True)
class SyllableTiming:
    """Where one syllable lies in a voice's speech (seconds from the utterance start).

    ``start_s <= nucleus_start_s < nucleus_end_s <= end_s``: the onset consonants lie
    before the nucleus, the coda consonants after it.
    """

    start_s: float
    nucleus_start_s: float
    nucleus_end_s: float
    end_s: float


@dataclass
class Utterance:
    """Mono float32 speech at ``sr`` with one timing per syllable asked for, and, where the
    voice knows them, its phones as (label, start_s, end_s) in the voice's own inventory
    (an enrolled voice plays its owner's frames of the same phone there)."""

    audio: np.ndarray
    sr: int
    syllables: list[SyllableTiming]
    phones: list[tuple[str, float, float]] = field(default_factory=list)


def join_utterances(pieces: Sequence[Utterance], *, pause_s: float) -> Utterance:
    """Utterances one after another with a pause between them (free text, phrase by
    phrase); phone times move with their audio."""
    sr = pieces[0].sr
    pause = np.zeros(int(pause_s * sr), np.float32)
    audio, phones, offset = [], [], 0.0
    for k, piece in enumerate(pieces):
        if k:
            audio.append(pause)
            offset += len(pause) / sr
        audio.append(piece.audio)
        phones += [(label, a + offset, b + offset) for label, a, b in piece.phones]
        offset += len(piece.audio) / sr
    return Utterance(np.concatenate(audio), sr, [], phones)


@dataclass(frozen=True)
class VoiceInfo:
    """What ``yinse voices`` lists about a voice."""

    name: str
    language: str
    source: str
    licence: str
    commercial_use: bool
    #: The range the voice can sing, as MIDI note numbers (low, high); the engine refuses
    #: notes outside it (WORLD would render them, but far from the speaking pitch the
    #: voice's spectral envelope no longer sounds like a person).
    range_midi: tuple[int, int]
    #: True for a person's voice enrolled here: every render needs their recorded consent.
    requires_consent: bool = False
    #: Where the middle of a melody sounds most like this voice (MIDI), when measured: an
    #: enrolled voice's speaking pitch plus :data:`~yinse.voices.enrolled.SING_ABOVE_SPEECH`.
    #: Otherwise the middle of :func:`comfortable_range`.
    home_midi: float | None = None

    def home(self) -> float:
        """Where ``--key auto`` puts a melody's median note (MIDI)."""
        if self.home_midi is not None:
            return self.home_midi
        return sum(comfortable_range(self.range_midi)) / 2

    def auto_key(self, pitches_midi: Sequence[float]) -> float:
        """Whole semitones that move a melody (its notes' median pitch) to :meth:`home`:
        what ``--key auto`` sings it in."""
        if not len(pitches_midi):
            return 0.0
        return float(round(self.home() - float(np.median(pitches_midi))))


def comfortable_range(range_midi: tuple[int, int]) -> tuple[int, int]:
    """The middle of a voice's range, where it sings a whole song without strain."""
    low, high = range_midi
    span = high - low
    return round(low + 0.3 * span), round(low + 0.72 * span)


class Voice(ABC):
    """A voice that can say a phrase with syllable timings and speak free text."""

    info: VoiceInfo

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def language(self) -> str:
        return self.info.language

    @abstractmethod
    def say_syllables(self, syllables: Sequence[LyricSyllable]) -> Utterance:
        """Say the syllables as one natural phrase and report one timing per syllable."""

    @abstractmethod
    def speak(self, text: str) -> tuple[np.ndarray, int]:
        """Say free text (several sentences allowed); returns mono float32 audio and rate."""

    def speak_utterance(self, text: str) -> Utterance:
        """Free text with its phones where the voice knows them (no syllable timings)."""
        audio, sr = self.speak(text)
        return Utterance(audio, sr, [])

    def timbre(
        self,
        f0: np.ndarray,
        sp: np.ndarray,
        ap: np.ndarray,
        sr: int,
        *,
        phones: list[tuple[str, float, float]] | None = None,
        speech_times_s: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The spectral envelope and aperiodicity the engine synthesises for WORLD frames of
        this voice's own speech (``phones``: the utterance's phones; ``speech_times_s``: the
        moment of the speech each frame shows).  A base voice keeps its own; an enrolled voice puts its owner's timbre there
        (:mod:`yinse.voices.enrolled`)."""
        return sp, ap
