"""Lyrics front ends: Mandarin and English text to sung syllables."""

from __future__ import annotations

from ..core.errors import InputError
from ..core.score import SyllableGroup
from .syllable import LyricSyllable

LANGUAGES = ("zh", "en")


def lyric_syllables(groups: list[SyllableGroup], language: str) -> list[LyricSyllable]:
    """The sung syllables of a phrase, one per syllable group, in ``language``."""
    lyrics = [g.lyric for g in groups]
    if language == "zh":
        from . import mandarin

        return mandarin.lyric_syllables(lyrics)
    if language == "en":
        from . import english

        return english.lyric_syllables(lyrics, [g.syllabic for g in groups])
    raise InputError(f"no lyrics front end for language '{language}'; use one of {LANGUAGES}")


__all__ = ["LANGUAGES", "LyricSyllable", "lyric_syllables"]
