"""Latin letters in Mandarin text, said as Mandarin speakers say them, in pinyin syllables.

Half of magicdata_f's customer-service sentences hold Latin letters: abbreviations (APP,
VIP, 4G, B超), which are spelled by the Chinese names of their letters, and English words
(Java, plus, iPhone), which Mandarin speakers say with Mandarin syllables, much as
loanwords are written (Script 斯克里普特 si ke li pu te).  Our Mandarin voices can only say
pinyin syllables, so an English word is mapped from its CMUdict phones (or, for a word
CMUdict lacks, from its spelling) to the nearest syllables: each English syllable's vowel
with its last onset consonant and a nasal coda makes one syllable, every other consonant
its own light syllable (t te, s si, l er), and combinations Mandarin lacks are moved to
the nearest one it has (fi fei, si xi).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..core.errors import InputError

#: A token of Latin letters, with an inner apostrophe (don't).
LATIN_TOKEN = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)*")
#: Letter names as Mandarin speakers say them (VIP: wei2 ai4 pi1); their tones are those of
#: the hanzi loanword spellings (诶 比 西 迪 ... 艾弗 艾尺) the front end used before.
LETTER_NAMES = {
    "A": "ei2", "B": "bi3", "C": "xi1", "D": "di2", "E": "yi1", "F": "ai4 fu2", "G": "ji2",
    "H": "ai4 chi3", "I": "ai4", "J": "jie2", "K": "kai1", "L": "ai4 ou1", "M": "ai4 mu3",
    "N": "en1", "O": "ou1", "P": "pi1", "Q": "qiu1", "R": "a1 er3", "S": "ai4 si1",
    "T": "ti1", "U": "you1", "V": "wei2", "W": "da2 bu4 liu1", "X": "ai4 ke4 si1",
    "Y": "wai1", "Z": "zei2",
}  # fmt: skip
#: A consonant with no vowel of its own, said as a light syllable.
_ALONE = {
    "B": "bu", "P": "pu", "M": "mu", "F": "fu", "V": "fu", "D": "de", "T": "te", "N": "en",
    "L": "er", "R": "er", "G": "ge", "K": "ke", "HH": "he", "JH": "ji", "CH": "qi", "SH": "shi",
    "ZH": "ri", "S": "si", "Z": "zi", "TH": "si", "DH": "de", "NG": "en", "W": "wu", "Y": "yi",
}  # fmt: skip
#: Onset consonants as pinyin initials; the second form goes before an i-like vowel,
#: where Mandarin has no g, k, h, z, c, s, zh, ch, sh (king jin, sea xi, she xi).
_INITIAL = {
    "B": "b", "P": "p", "M": "m", "F": "f", "V": "w", "D": "d", "T": "t", "N": "n", "L": "l",
    "R": "l", "G": ("g", "j"), "K": ("k", "q"), "HH": ("h", "x"), "JH": ("zh", "j"),
    "CH": ("ch", "q"), "SH": ("sh", "x"), "ZH": ("r", "j"), "S": ("s", "x"), "Z": ("z", "j"),
    "TH": ("s", "x"), "DH": "d", "NG": "n", "W": "w", "Y": "y",
}  # fmt: skip
#: English vowels as pinyin finals: alone, before N, before NG.  A diphthong before a nasal
#: keeps its glide and says the nasal as its own syllable (rain lei en).
_FINAL = {
    "AA": ("a", "an", "ang"), "AE": ("ai", "an", "ang"), "AH": ("a", "an", "ang"),
    "AO": ("ao", "ang", "ong"), "AW": ("ao", None, None), "AY": ("ai", None, None),
    "EH": ("ai", "en", "eng"), "ER": ("e", "en", "eng"), "EY": ("ei", None, None),
    "IH": ("i", "in", "ing"), "IY": ("i", "in", "ing"), "OW": ("ou", "ong", "ong"),
    "OY": ("ao", None, None), "UH": ("u", "un", "ong"), "UW": ("u", "un", "ong"),
}  # fmt: skip
#: Nearer finals to try when an initial does not combine with the first choice.
_NEAR = {
    "ou": ("o", "u"), "o": ("ou", "u"), "ei": ("ai", "i"), "ai": ("ei", "a"), "e": ("ei", "a"),
    "i": ("ei", "u"), "u": ("ou", "e"), "ao": ("ou", "a"), "a": ("ai", "e"),
    "in": ("en", "an"), "ing": ("eng", "ang"), "en": ("an", "un"), "eng": ("ang", "ong"),
    "ong": ("eng", "ang"), "un": ("en", "an"), "an": ("en", "un"), "ang": ("eng", "ong"),
}  # fmt: skip
#: Spelling to phones, for words CMUdict lacks (Oppo, Ofo): the longest match first.
_SPELLING = [
    ("tch", "CH"), ("sch", "SH"), ("ph", "F"), ("ch", "CH"), ("sh", "SH"), ("th", "TH"),
    ("ck", "K"), ("ng", "NG"), ("qu", "K W"), ("ee", "IY1"), ("ea", "IY1"), ("oo", "UW1"),
    ("ao", "AW1"), ("ou", "AW1"), ("ow", "OW1"), ("ai", "EY1"), ("ay", "EY1"), ("ei", "EY1"), ("oi", "OY1"),
    ("oy", "OY1"), ("au", "AO1"), ("aw", "AO1"), ("a", "AA1"), ("e", "EH1"), ("i", "IY1"),
    ("o", "OW1"), ("u", "UW1"), ("y", "IY1"), ("b", "B"), ("c", "K"), ("d", "D"), ("f", "F"),
    ("g", "G"), ("h", "HH"), ("j", "JH"), ("k", "K"), ("l", "L"), ("m", "M"), ("n", "N"),
    ("p", "P"), ("q", "K"), ("r", "R"), ("s", "S"), ("t", "T"), ("v", "V"), ("w", "W"),
    ("x", "K S"), ("z", "Z"),
]  # fmt: skip


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin's dictionary reads some character as."""
    from pypinyin import Style
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style import convert

    return frozenset(
        convert(reading, Style.NORMAL, strict=True).replace("ü", "v")
        for readings in pinyin_dict.values()
        for reading in readings.split(",")
    )


def latin_reading(token: str) -> list[str]:
    """The pinyin syllables (tone digit last) a Mandarin speaker says for ``token``: an
    abbreviation in capitals or a single letter spelled letter by letter, a word in small or
    mixed letters as an English word (iPhone, Java)."""
    if len(token) == 1 or token.replace("'", "").isupper():
        return [s for letter in token.upper() if letter in LETTER_NAMES for s in LETTER_NAMES[letter].split()]
    return english_word_in_pinyin(token)


def english_word_in_pinyin(word: str) -> list[str]:
    """An English word as Mandarin syllables: from its CMUdict phones, from its parts for a
    compound (JavaScript), as pinyin when it is pinyin, else from its spelling."""
    from .english import syllabify, word_phones

    phones = word_phones(word.replace("\u2019", "'"))
    if not phones:
        # A compound CMUdict knows in parts (JavaScript, WeChat), else the spelling.
        parts = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", word)
        if len(parts) > 1:
            return [s for part in parts for s in latin_reading(part)]
        as_pinyin = pinyin_spelling(word)
        if as_pinyin:
            return as_pinyin
        phones = spelling_phones(word)
    out: list[str] = []
    for piece in syllabify(phones):
        out += _mandarin_syllables(piece)
    if not out:
        raise InputError(f"'{word}' has no sound to say in Mandarin; write it in hanzi as it is said")
    return out


def pinyin_spelling(word: str) -> list[str]:
    """A word CMUdict lacks that is toneless pinyin (Taobao, Huawei, Xiaomi) as its
    syllables in the first tone, or ``[]``: the longest syllable first at each point."""
    valid, w, out = _syllables(), word.lower(), []
    while w:
        size = next((n for n in range(min(6, len(w)), 0, -1) if w[:n] in valid), 0)
        if not size:
            return []
        out.append(w[:size] + "1")
        w = w[size:]
    return out


def spelling_phones(word: str) -> tuple[str, ...]:
    """Rough phones from the spelling of a word CMUdict lacks: letter groups to phones, a
    doubled consonant once, a silent final e dropped."""
    w = re.sub(r"([^aeiou])\1", r"\1", word.lower().replace("'", ""))
    if len(w) > 2 and w.endswith("e") and w[-2] not in "aeiou":
        w = w[:-1]
    phones, i = [], 0
    while i < len(w):
        for letters, said in _SPELLING:
            if w.startswith(letters, i):
                phones += said.split()
                i += len(letters)
                break
        else:
            i += 1
    return tuple(phones)


def _mandarin_syllables(piece: tuple[str, ...]) -> list[str]:
    """One English syllable (onset, vowel, coda) as Mandarin syllables."""
    from .english import is_vowel

    at = next((i for i, p in enumerate(piece) if is_vowel(p)), None)
    if at is None:
        return [_ALONE[p] + "5" for p in piece if p in _ALONE]
    onset, vowel, coda = list(piece[:at]), piece[at][:-1], list(piece[at + 1 :])
    tone = "1" if piece[at][-1] in "12" else "5"
    medial = ""
    if len(onset) >= 2 and onset[-1] in ("W", "Y"):  # quick, cute: a glide after a consonant
        medial = "u" if onset.pop() == "W" else "i"
    initial = onset.pop() if onset else ""
    before = [_ALONE[p] + "5" for p in onset]
    nasal = coda.pop(0) if coda and coda[0] in ("N", "NG") else ""
    alone, with_n, with_ng = _FINAL[vowel]
    final = {"": alone, "N": with_n, "NG": with_ng}[nasal]
    if final is None:  # a diphthong before a nasal: rain lei en
        final = alone
        coda.insert(0, nasal)
    if medial and final[0] not in "iu":
        final = medial + final
    if vowel == "ER" and not initial:
        final = "er"
    after = [_ALONE[p] + "5" for p in coda if p != "R"]
    if vowel == "OY":
        after.insert(0, "yi5")
    return before + [_combine(initial, final) + tone] + after


def _combine(consonant: str, final: str) -> str:
    """An English onset consonant and a pinyin final as the nearest syllable Mandarin has."""
    valid = _syllables()
    forms = _INITIAL.get(consonant, "")
    plain, front = (forms, forms) if isinstance(forms, str) else forms
    chain = (final, *_NEAR.get(final, ()))
    for initial in (plain, ""):
        for candidate in chain:
            first = front if initial and candidate[0] == "i" else initial
            syllable = _spell(first, candidate)
            if syllable in valid:
                return syllable
    return "a"


def _spell(initial: str, final: str) -> str:
    """Pinyin spelling of initial + final; y- and w- glides and the zero initial as pinyin
    writes them (wi wei, yu you, ing ying, ong weng)."""
    if initial == "w":
        final = {"i": "ei", "in": "en", "ing": "eng"}.get(final, final)
        final = final if final.startswith("u") else "u" + final
        initial = ""
    elif initial == "y":
        final = "iou" if final == "u" else final if final.startswith("i") else "i" + final
        initial = ""
    if initial:
        return initial + final
    if final == "e" or final == "er":
        return final
    if final.startswith("i"):
        return "y" + (final if final in ("i", "in", "ing") else final[1:])
    if final.startswith("u"):
        return "w" + (final if final == "u" else final[1:])
    return {"ong": "weng"}.get(final, final)
