"""Voices: the built-in ones (``baker``, ``joe``, ``espeak-<lang>``), found by name.

Each voice loads its model on first use and stays loaded for the life of the process, so
the second render does not pay the load again.
"""

from __future__ import annotations

import threading

from ..core.errors import VoiceError
from .base import SyllableTiming, Utterance, Voice, VoiceInfo

_loaded: dict[str, Voice] = {}
_lock = threading.Lock()


def _make(name: str) -> Voice:
    if name == "baker":
        from .baker import BakerVoice

        return BakerVoice()
    if name == "joe":
        from .joe import JoeVoice

        return JoeVoice()
    if name.startswith("espeak-"):
        from .espeak import EspeakVoice

        return EspeakVoice(name.removeprefix("espeak-"))
    raise VoiceError(f"unknown voice '{name}'; run 'yinse voices' to see the voices you can use")


def is_built_in(name: str) -> bool:
    """Built-in voices are models from installed packages; any other name is an enrolled
    person's voice, which only the pipeline's consent gate opens."""
    return name in ("baker", "joe") or name.startswith("espeak-")


def get_voice(name: str) -> Voice:
    """The voice called ``name``, created once per process."""
    with _lock:
        if name not in _loaded:
            _loaded[name] = _make(name)
        return _loaded[name]


def base_voice_infos() -> list[VoiceInfo]:
    """The built-in voices, without loading any model."""
    from .baker import BakerVoice
    from .espeak import EspeakVoice
    from .joe import JoeVoice

    return [BakerVoice.info, JoeVoice.info, EspeakVoice.info_for("zh"), EspeakVoice.info_for("en")]


__all__ = ["SyllableTiming", "Utterance", "Voice", "VoiceInfo", "base_voice_infos", "get_voice", "is_built_in"]
