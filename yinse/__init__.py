"""Yinse (音色): a local-first AI singing studio.

The Python API is three calls::

    score = yinse.load_score("song.musicxml")
    audio, sr = yinse.sing(score, voice="baker")
    audio, sr = yinse.speak("你好，世界", voice="baker")

Heavy libraries (TensorFlow, onnxruntime) load only when a voice is first used.
"""

from __future__ import annotations

import warnings

__version__ = "0.1.0"

# pyworld and jieba import setuptools' deprecated pkg_resources; the warning says nothing a
# user of Yinse can act on, and it was printed on every render that used them.
for _module in ("pyworld", "jieba"):
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", module=_module)


def load_score(path, *, lyrics_path=None, verse: int = 1):
    """Read a score (MusicXML, MXL, MIDI, UST or ``.notes``); see :mod:`yinse.formats`."""
    from .formats import load_score as _load

    return _load(path, lyrics_path=lyrics_path, verse=verse)


def sing(score, *, voice: str, key_shift: float | str = 0.0, tempo_bpm: float | None = None, seed: int = 0):
    """Sing ``score`` in ``voice`` (``key_shift`` in semitones, or "auto": where the voice
    sounds most like itself); returns ``(audio, sample_rate)``, mono float32."""
    from .pipeline import SingRequest
    from .pipeline import sing as _sing

    render = _sing(SingRequest(score, voice, key_shift=key_shift, tempo_bpm=tempo_bpm, seed=seed))
    return render.audio, render.sr


def speak(text: str, *, voice: str):
    """Say ``text`` in ``voice``; returns ``(audio, sample_rate)``, mono float32."""
    from .pipeline import SpeakRequest
    from .pipeline import speak as _speak

    return _speak(SpeakRequest(text, voice))


__all__ = ["__version__", "load_score", "sing", "speak"]
