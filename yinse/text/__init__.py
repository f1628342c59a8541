"""Lyrics front ends: Mandarin and English text to sung syllables."""

from __future__ import annotations

from ..core.score import SyllableGroup
from .syllable import LyricSyllable


def lyric_syllables(groups: list[SyllableGroup], language: str) -> list[LyricSyllable]:
    """The sung syllables of a phrase, one per syllable group, in ``language``: Mandarin
    through pinyin, every other language as words for the voice to pronounce."""
    lyrics = [g.lyric for g in groups]
    if language == "zh":
        from . import mandarin

        return mandarin.lyric_syllables(lyrics)
    from . import english

    # English, and any other alphabetic language an espeak voice pronounces by itself.
    return english.lyric_syllables(lyrics, [g.syllabic for g in groups], language=language)


__all__ = ["LyricSyllable", "lyric_syllables"]
