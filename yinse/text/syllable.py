"""The unit that leaves the text front end: one sung (or spoken) syllable."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LyricSyllable:
    """One syllable with what a voice needs to say it.

    Mandarin: ``pinyin`` is the toneless syllable plus tone digit 1–5 (``xing1``; neutral
    tone is 5), ``initial``/``final`` split it (``initial`` is ``""`` for a zero initial)
    and ``erhua`` marks an r-coloured final (花儿 said as one syllable).
    English: ``word`` is the whole word this syllable is part of, ``index_in_word`` and
    ``word_syllables`` say which sung piece of it this is; ``phones`` are its ARPAbet phones
    and ``stress`` the CMUdict stress (0, 1, 2) of its vowel.
    ``word_index`` numbers words within the phrase, so a voice can say word by word.
    """

    text: str
    language: str
    phones: tuple[str, ...]
    word: str
    word_index: int
    index_in_word: int = 0
    word_syllables: int = 1
    pinyin: str | None = None
    initial: str | None = None
    final: str | None = None
    tone: int | None = None
    erhua: bool = False
    stress: int | None = None
