"""The unit that leaves the text front end: one sung (or spoken) syllable."""

from __future__ import annotations

from dataclasses import dataclass

#: Onset consonants made without voicing: ARPAbet, and Mandarin initials (b, d, g, z, zh, j
#: are unaspirated but voiceless; only m, n, l, r are voiced).
_VOICELESS_EN = {"P", "T", "K", "F", "TH", "S", "SH", "CH", "HH"}
_VOICELESS_ZH = {"b", "p", "f", "d", "t", "g", "k", "h", "j", "q", "x", "zh", "ch", "sh", "z", "c", "s"}


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

    @property
    def voiceless_onset(self) -> bool:
        """True when the syllable starts with consonants only, all voiceless, so any voicing
        before the vowel in speech is the vowel itself.  False when unknown."""
        if self.language == "zh":
            return self.initial in _VOICELESS_ZH
        if self.language == "en" and self.phones:
            onset = []
            for phone in self.phones:
                if phone[-1].isdigit():
                    break
                onset.append(phone)
            return bool(onset) and all(p in _VOICELESS_EN for p in onset)
        return False
