"""Rhyme classes for a lyrics checker and a composer: Mandarin 十三辙 and English rhyme keys.

Mandarin rhymes by 辙 (the thirteen rhyme classes of Northern song and 曲艺), keyed by the
pinyin final; tone does not matter.  A finer key, the final less its medial (``uang`` and
``iang`` are both ``ang``), tells the closer rhymes within one 辙 apart: 人辰 holds ``en``,
``in`` and ``ün``, 中东 holds ``eng``, ``ing`` and ``ong``.

Class rules, the debatable ones spelled out:

- ``o``, ``uo`` and ``e`` (波 过 歌) are all 梭波; ``ie`` / ``üe`` (and ``ê``) are 乜斜.
- The apical vowels of zi ci si zhi chi shi ri are 一七, as are ``i`` and ``ü``.
- ``er`` (儿 二 耳) is 一七: the common 十三辙 tables list it there (with i, ü and the
  apical -i), not under 梭波 with the e it is spelled with; one class for 儿 also keeps
  the checker from flagging 儿/日/衣 line ends that singers treat as rhymes.
- ``eng`` / ``ing`` / ``ueng`` are 中东 with ``ong`` / ``iong``, never 人辰: every ``-ng``
  final except the ``ang`` family is 中东, every ``-n`` final except the ``an`` family is
  人辰.  That is the classical table, and it keeps the -n / -ng contrast audible at line
  ends; a composer wanting the looser match can treat 人辰 and 中东 as neighbours.
- Syllabic nasals (嗯 n, 呣 m, 哼 hng) sit with the nasal they end in: n, m → 人辰,
  ng → 中东.
- Erhua (儿化) follows the two "small" classes of the tradition: a final whose r-colouring
  turns its vowel into [ar] (发花, 怀来, 言前: 花儿 玩儿 小孩儿) is 小言前儿, one that turns
  into [ər] (一七, 灰堆, 人辰: 小鸡儿 一会儿 门儿) is 小人辰儿.  Every other final keeps its
  own 辙 when r-coloured (猴儿 is still 油求), since its vowel survives.  So
  :func:`zh_rhyme_class` can answer one of 15 names; :data:`ZH_CLASSES` lists the 13 and
  :data:`ZH_ERHUA_CLASSES` the two small ones.

English rhymes by the phones from the last stressed vowel (primary or secondary) to the end
of the word, CMUdict's first pronunciation, stress digits dropped ("night" → ``AY T``).
``english.py`` has no grapheme-to-phoneme model, so a word CMUdict lacks is guessed by
analogy of spelling: the CMUdict words that share its longest ending vote on the rhyme
("blorpight" ends like "light" → ``AY T``).  The slant key is looser: the rhyme vowel plus
the class (stop, fricative, nasal, liquid) of the word's last consonant.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from ..core.errors import InputError
from .english import _cmudict, clean_word, is_vowel, word_phones
from .mandarin import split_pinyin
from .syllable import LyricSyllable

#: The thirteen 辙, in the traditional order.
ZH_CLASSES = (
    "发花", "梭波", "乜斜", "一七", "姑苏", "怀来", "灰堆",
    "遥条", "油求", "言前", "人辰", "江阳", "中东",
)  # fmt: skip
#: The two small erhua classes (小辙儿).
ZH_ERHUA_CLASSES = ("小言前儿", "小人辰儿")

# Final (standard form, ü as v) → (辙, rhyme key: the final less its medial).
_FINALS = {
    "a": ("发花", "a"), "ia": ("发花", "a"), "ua": ("发花", "a"),
    "o": ("梭波", "o"), "uo": ("梭波", "o"), "io": ("梭波", "o"), "e": ("梭波", "e"),
    "ie": ("乜斜", "ê"), "ve": ("乜斜", "ê"), "ê": ("乜斜", "ê"),
    "i": ("一七", "i"), "v": ("一七", "ü"), "er": ("一七", "er"),
    "u": ("姑苏", "u"),
    "ai": ("怀来", "ai"), "uai": ("怀来", "ai"),
    "ei": ("灰堆", "ei"), "uei": ("灰堆", "ei"),
    "ao": ("遥条", "ao"), "iao": ("遥条", "ao"),
    "ou": ("油求", "ou"), "iou": ("油求", "ou"),
    "an": ("言前", "an"), "ian": ("言前", "an"), "uan": ("言前", "an"), "van": ("言前", "an"),
    "en": ("人辰", "en"), "uen": ("人辰", "en"), "in": ("人辰", "in"), "vn": ("人辰", "ün"),
    "n": ("人辰", "n"), "m": ("人辰", "m"),
    "ang": ("江阳", "ang"), "iang": ("江阳", "ang"), "uang": ("江阳", "ang"),
    "eng": ("中东", "eng"), "ueng": ("中东", "eng"), "ing": ("中东", "ing"),
    "ong": ("中东", "ong"), "iong": ("中东", "ong"), "ng": ("中东", "ng"),
}  # fmt: skip
_APICAL_INITIALS = {"z", "c", "s", "zh", "ch", "sh", "r"}
# Erhua: which 辙 merge into which small class, and the key of the merged rhyme.
_ERHUA_MERGE = {
    "发花": ("小言前儿", "a+r"), "怀来": ("小言前儿", "a+r"), "言前": ("小言前儿", "a+r"),
    "一七": ("小人辰儿", "ə+r"), "灰堆": ("小人辰儿", "ə+r"), "人辰": ("小人辰儿", "ə+r"),
}  # fmt: skip
_TONE_MARKS = {"\u0300", "\u0301", "\u0304", "\u030c"}  # grave, acute, macron, caron
_I_FINALS = {"ia", "ie", "iao", "iou", "ian", "in", "iang", "ing", "iong", "io"}
_U_FINALS = {"ua", "uo", "uai", "uei", "uan", "uen", "uang", "ueng"}
_V_FINALS = {"v", "ve", "van", "vn"}


def _not_pinyin(text: str, why: str) -> InputError:
    return InputError(
        f"'{text}' is not a Mandarin pinyin syllable ({why}); give one syllable such as "
        "'guang1', 'guāng' or 'lü4' (erhua as 'huar')"
    )


def parse_pinyin(pinyin: str) -> tuple[str, str, bool]:
    """One pinyin syllable → (initial, final in standard form, erhua).

    Accepts tone digits (``guang1``) or tone marks (``guāng``), ü written ``ü``, ``v`` or
    ``u:``, ``lue``/``nue`` for lüe/nüe (unambiguous, and how people type them), and a
    trailing ``r`` for erhua (``huar``).  Refuses spellings no syllable uses (``ja``,
    ``gi``, ``ber``, bare ``uan`` for wan), since a rhyme checker should not guess."""
    if not isinstance(pinyin, str) or not pinyin.strip():
        raise InputError("the pinyin syllable is empty; give one syllable such as 'guang1'")
    raw = pinyin.strip()
    text = unicodedata.normalize("NFD", raw.lower())
    text = unicodedata.normalize("NFC", "".join(c for c in text if c not in _TONE_MARKS))
    text = re.sub(r"[0-5]$", "", text).replace("u:", "v").replace("ü", "v")
    if re.search(r"[\u3400-\u9fff]", text):
        raise _not_pinyin(
            raw, "it is hanzi; read hanzi with mandarin.text_syllables and use rhyme_class"
        )
    if not re.fullmatch(r"[a-zê]+", text):
        raise _not_pinyin(raw, "only letters and one tone digit 1–5 belong in it")
    erhua = False
    if text.endswith("r") and text != "er" and len(text) > 1:
        text, erhua = text[:-1], True
    if text in ("ê", "ng"):
        return "", text, erhua
    if re.fullmatch(r"[nl]ue", text):
        text = text[0] + "ve"
    try:
        initial, final = split_pinyin(text)
    except InputError:
        raise _not_pinyin(raw, "no initial and final of Mandarin spell it") from None
    _check_combination(raw, text, initial, final)
    return initial, final, erhua


def _check_combination(raw: str, spelled: str, initial: str, final: str) -> None:
    """Initial + final pairs that Mandarin never puts together (split_pinyin allows them)."""
    bad = ""
    if initial == "" and final[0] in "iuv" and not spelled.startswith(("y", "w")):
        bad = "a syllable without initial is spelled with y- or w- (yan, wan, yu)"
    elif final in _V_FINALS and initial not in ("", "n", "l", "j", "q", "x"):
        bad = f"ü does not follow '{initial}'"
    elif final in ("van", "vn") and initial in ("n", "l"):
        bad = f"'{final.replace('v', 'ü')}' does not follow '{initial}'"
    elif initial in ("j", "q", "x") and not final.startswith(("i", "v")):
        bad = f"'{initial}' is followed only by i or ü finals"
    elif initial in {"g", "k", "h", "f"} | _APICAL_INITIALS and final in _I_FINALS:
        bad = f"'{final}' does not follow '{initial}'"
    elif initial in ("g", "k", "h", "f") and final == "i":
        bad = f"'i' does not follow '{initial}'"
    elif initial in ("b", "p", "m", "f") and final in _U_FINALS:
        bad = f"'{final}' does not follow '{initial}'"
    elif final == "ueng" and initial:
        bad = "ueng is only spelled weng"
    elif final == "er" and initial:
        bad = "er takes no initial"
    elif (
        final in ("m", "n", "ng") and initial and (initial, final) not in (("h", "m"), ("h", "ng"))
    ):
        bad = f"a syllabic '{final}' takes no initial (only hm and hng have one)"
    elif final == "e" and initial in ("b", "p", "f"):
        bad = f"'e' does not follow '{initial}' (write o)"
    elif final == "o" and initial not in ("", "b", "p", "m", "f", "l"):
        bad = f"'o' does not follow '{initial}' (write uo)"
    if bad:
        raise _not_pinyin(raw, bad)


def _zh_entry(initial: str, final: str, erhua: bool) -> tuple[str, str]:
    cls, key = _FINALS[final]
    if final == "i" and initial in _APICAL_INITIALS:
        key = "-i"  # 资 知: the apical vowel, still 一七 but not a perfect rhyme with 西
    if erhua and final != "er":
        return _ERHUA_MERGE.get(cls, (cls, key + "+r"))
    return cls, key


def zh_rhyme_class(pinyin: str, *, erhua: bool = False) -> str:
    """The 辙 of a pinyin syllable, e.g. ``zh_rhyme_class("guang1") == "江阳"``.

    ``erhua=True`` (or a trailing r, ``huar``) r-colours the final; see the module notes
    for which finals then fall into 小言前儿 / 小人辰儿.  Raises InputError for anything
    that is not one pinyin syllable."""
    initial, final, spelled_erhua = parse_pinyin(pinyin)
    return _zh_entry(initial, final, erhua or spelled_erhua)[0]


def zh_rhyme_key(pinyin: str, *, erhua: bool = False) -> str:
    """The finer rhyme: the final less its medial (``xiang`` → ``ang``, ``yue`` → ``ê``),
    ``-i`` for the apical vowel of zi/zhi, ``ü`` for ü; erhua keys end in ``+r``.  Two
    syllables with one key always share a 辙."""
    initial, final, spelled_erhua = parse_pinyin(pinyin)
    return _zh_entry(initial, final, erhua or spelled_erhua)[1]


# --- English -------------------------------------------------------------------------

_CONSONANT_CLASS = {
    **dict.fromkeys(("P", "B", "T", "D", "K", "G"), "stop"),
    **dict.fromkeys(("F", "V", "TH", "DH", "S", "Z", "SH", "ZH", "CH", "JH", "HH"), "fricative"),
    **dict.fromkeys(("M", "N", "NG"), "nasal"),
    **dict.fromkeys(("L", "R"), "liquid"),
}


def _strip(phone: str) -> str:
    return phone.rstrip("012")


def _from_stress(phones: tuple[str, ...] | list[str], start: int | None = None) -> tuple[str, ...]:
    """Phones from the last stressed (1 or 2) vowel, at or after ``start`` if given.  With
    no stressed vowel: from the last vowel (an unstressed "the" still rhymes on its vowel),
    or from the first vowel after ``start`` (a guessed ending keeps all its syllables)."""
    vowels = [i for i in range(start or 0, len(phones)) if is_vowel(phones[i])]
    if not vowels:
        return ()
    stressed = [i for i in vowels if phones[i][-1] in "12"]
    at = stressed[-1] if stressed else (vowels[-1] if start is None else vowels[0])
    return tuple(_strip(p) for p in phones[at:])


@lru_cache(maxsize=1)
def _reversed_words() -> list[str]:
    """CMUdict spellings reversed and sorted, so words sharing an ending are adjacent."""
    return sorted(w[::-1] for w in _cmudict() if re.fullmatch(r"[a-z]+", w))


_VOWEL_GROUP = re.compile(r"[aeiouy]+")


def _spelled_syllables(letters: str) -> int:
    """Syllables of a spelling: vowel groups, less a silent final e (but "-ble" counts)."""
    if len(letters) > 1 and letters[0] == "y" and letters[1] in "aeiou":
        letters = letters[1:]  # y- before a vowel is a consonant
    groups = _VOWEL_GROUP.findall(letters)
    n = len(groups)
    if n > 1 and groups[-1] == "e" and letters.endswith("e"):
        if not re.search(r"[^aeiouy]le$", letters):
            n -= 1
    return max(1, n)


def _last_syllable_start(letters: str) -> int | None:
    spans = [m.span() for m in _VOWEL_GROUP.finditer(letters)]
    if not spans:
        return None
    if (
        len(spans) > 1
        and spans[-1] == (len(letters) - 1, len(letters))
        and letters.endswith("e")
        and not re.search(r"[^aeiouy]le$", letters)
    ):
        return spans[-2][0]  # silent e: "skrate" rhymes from the a
    return spans[-1][0]


@lru_cache(maxsize=4096)
def _guess_rhyme(letters: str) -> tuple[str, ...] | None:
    """Rhyme phones of a word CMUdict lacks, by analogy: the CMUdict words sharing its
    longest ending (at least its last spelled syllable) vote on the rhyme of that ending."""
    start = _last_syllable_start(letters)
    if start is None:
        return None
    index, rev = _reversed_words(), letters[::-1]
    for length in range(len(letters), len(letters) - start - 1, -1):
        lo = bisect.bisect_left(index, rev[:length])
        hi = bisect.bisect_left(index, rev[:length] + "{")  # "{" sorts after "z"
        if hi > lo:
            break
    else:
        return None
    k = _spelled_syllables(letters[-length:])
    step = max(1, (hi - lo) // 2000)  # a common ending has thousands of words; sample
    votes: Counter[tuple[str, ...]] = Counter()
    cmu = _cmudict()
    for word in index[lo:hi:step]:
        phones = cmu[word[::-1]][0]
        vowels = [i for i, p in enumerate(phones) if is_vowel(p)]
        if vowels:
            region = vowels[-k] if len(vowels) >= k else vowels[0]
            votes[_from_stress(phones, region)] += 1
    if not votes:
        return None
    return min(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _letters(word: str) -> str:
    if not isinstance(word, str) or not word.strip():
        raise InputError("the word is empty; give an English word such as 'night'")
    if re.search(r"[\u3400-\u9fff]", word):
        raise InputError(
            f"'{word}' is Chinese; use zh_rhyme_class for Mandarin, en_rhyme_key reads English"
        )
    cleaned = clean_word(word)
    folded = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode()
    letters = re.sub(r"[^a-z]", "", folded.lower())
    if not letters:
        raise InputError(
            f"'{word}' has no Latin letters to rhyme; give an English word such as 'night'"
        )
    return letters


def en_rhyme_phones(word: str) -> tuple[tuple[str, ...], bool] | None:
    """(rhyme phones without stress digits, whether CMUdict knew the word), or None when
    the word has no vowel to rhyme on ("hmm").  Unknown words are guessed from spelling."""
    letters = _letters(word)
    phones = word_phones(clean_word(word)) or word_phones(letters)
    if phones:
        tail = _from_stress(phones)
        return (tail, True) if tail else None
    guess = _guess_rhyme(letters)
    return (guess, False) if guess else None


def en_rhyme_key(word: str) -> str | None:
    """Strict rhyme key: phones from the last stressed vowel on, e.g. "night" → ``AY T``.
    Guessed from spelling when CMUdict lacks the word (see :func:`en_rhyme_phones`)."""
    found = en_rhyme_phones(word)
    return " ".join(found[0]) if found else None


def en_slant_key(word: str) -> str | None:
    """Loose rhyme key: the rhyme vowel plus the class of the word's last consonant
    ("time"/"line" → ``AY+nasal``; "high" → ``AY``), so near rhymes match too."""
    found = en_rhyme_phones(word)
    if not found:
        return None
    phones = found[0]
    last = _CONSONANT_CLASS.get(phones[-1])
    return f"{phones[0]}+{last}" if last else phones[0]


# --- Both languages ------------------------------------------------------------------


def _zh_syllable_entry(s: LyricSyllable) -> tuple[str, str]:
    if s.final in _FINALS and s.initial is not None:
        return _zh_entry(s.initial, s.final, s.erhua)
    initial, final, erhua = parse_pinyin(s.pinyin or s.text)
    return _zh_entry(initial, final, erhua or s.erhua)


def rhyme_class(s: LyricSyllable) -> str | None:
    """The rhyme a line ending on ``s`` makes: the 辙 for Mandarin, the strict rhyme key of
    the whole word for English; None for other languages (no rhyme data) or no vowel."""
    if s.language == "zh":
        return _zh_syllable_entry(s)[0]
    if s.language == "en":
        return en_rhyme_key(s.word or s.text)
    return None


_MODES: dict[str, Callable[[LyricSyllable], str | None]] = {
    "class": rhyme_class,
    "fine": lambda s: _zh_syllable_entry(s)[1] if s.language == "zh" else rhyme_class(s),
    "slant": lambda s: en_slant_key(s.word or s.text) if s.language == "en" else rhyme_class(s),
}


def line_rhymes(last_syllables: list[LyricSyllable], *, mode: str = "class") -> list[str]:
    """A rhyme-scheme letter per line from each line's last syllable: ``["A", "A", "B",
    "A"]``.  ``mode`` is ``class`` (辙 / strict English key), ``fine`` (Mandarin final less
    medial) or ``slant`` (English slant key).  A line with no rhyme to judge gets ``-``."""
    if mode not in _MODES:
        raise InputError(f"rhyme mode '{mode}' is unknown; use one of {', '.join(_MODES)}")
    letters: dict[str, str] = {}
    out = []
    for s in last_syllables:
        key = _MODES[mode](s)
        if key is None:
            out.append("-")
            continue
        if key not in letters:
            letters[key] = _scheme_letter(len(letters))
        out.append(letters[key])
    return out


def _scheme_letter(n: int) -> str:
    """A…Z, then AA, AB… for very long songs."""
    name = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        name = chr(ord("A") + r) + name
    return name
