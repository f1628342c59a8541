"""Mandarin front end: hanzi to toned pinyin with initial and final, in context.

Polyphones are resolved on the whole line (jieba segments it, pypinyin reads each word
with its phrase dictionary), because 行 in 银行 and 行走 differ only in context.  Digits are
read out in Chinese.  Latin letters (APP, B超, Java) are said as Mandarin speakers say them
(:mod:`.latin_in_mandarin`); a syllable read from them carries its pinyin as its text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..core.errors import InputError
from .latin_in_mandarin import LATIN_TOKEN, latin_reading
from .syllable import LyricSyllable

INITIALS = (
    "zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l",
    "g", "k", "h", "j", "q", "x", "r", "z", "c", "s",
)  # fmt: skip
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PINYIN = re.compile(r"^([a-zü]+?)([1-5])?$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
_DIGITS = "零一二三四五六七八九"
#: 儿 that ends these words is its own syllable, not an r-colouring of the one before.
_NOT_ERHUA = {
    "女儿", "儿女", "婴儿", "幼儿", "孤儿", "男儿", "健儿", "胎儿", "少儿", "宠儿",
    "患儿", "孩儿", "混血儿", "新生儿", "弃儿", "侍儿", "儿", "幸运儿",
}  # fmt: skip
# Zero-initial spellings (y-, w-) and their finals in the standard (ü = v) form.
_ZERO_INITIAL = {
    "yi": "i", "ya": "ia", "yan": "ian", "yang": "iang", "yao": "iao", "ye": "ie",
    "yin": "in", "ying": "ing", "yo": "io", "yong": "iong", "you": "iou", "yu": "v",
    "yuan": "van", "yue": "ve", "yun": "vn", "wu": "u", "wa": "ua", "wai": "uai",
    "wan": "uan", "wang": "uang", "wei": "uei", "wen": "uen", "weng": "ueng", "wo": "uo",
}  # fmt: skip
_VALID_FINALS = {
    "a", "o", "e", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong", "er", "i",
    "ia", "ie", "iao", "iou", "ian", "in", "iang", "ing", "iong", "u", "ua", "uo", "uai",
    "uei", "uan", "uen", "uang", "ueng", "v", "ve", "van", "vn", "io", "n", "ng", "m",
}  # fmt: skip


def split_pinyin(syllable: str) -> tuple[str, str]:
    """``zhuang`` → (``zh``, ``uang``); ``yu`` → (``""``, ``v``); ``jun`` → (``j``, ``vn``).

    Finals come back in their full standard form (``iou``, ``uei``, ``uen``; ü as ``v``)."""
    s = syllable.replace("ü", "v").replace("u:", "v")
    if s in ("n", "ng", "m"):  # the syllabic nasals of 嗯 and 呣
        return "", s
    if s in _ZERO_INITIAL:
        return "", _ZERO_INITIAL[s]
    initial = next((i for i in INITIALS if s.startswith(i) and len(s) > len(i)), "")
    final = s[len(initial) :]
    if initial in ("j", "q", "x") and final.startswith("u"):
        final = "v" + final[1:]  # ju = jü
    final = {"iu": "iou", "ui": "uei", "un": "uen"}.get(final, final)
    if initial in ("j", "q", "x") and final == "vn":
        final = "vn"
    if final not in _VALID_FINALS:
        raise InputError(
            f"'{syllable}' is not a Mandarin pinyin syllable; write the lyric in hanzi "
            "or in pinyin such as 'xing1'"
        )
    return initial, final


def read_number(token: str) -> str:
    """Digits as Chinese words: ``2025`` → 二千零二十五, ``3.14`` → 三点一四, ``50%`` →
    百分之五十.  Numbers with a leading zero or over twelve digits are read digit by digit."""
    percent = token.endswith("%")
    token = token.rstrip("%")
    integer, _, decimal = token.partition(".")
    if (len(integer) > 1 and integer.startswith("0")) or len(integer) > 12:
        words = "".join(_DIGITS[int(d)] for d in integer)
    else:
        words = _read_integer(int(integer))
    if decimal:
        words += "点" + "".join(_DIGITS[int(d)] for d in decimal)
    return ("百分之" + words) if percent else words


def _read_integer(n: int) -> str:
    if n == 0:
        return "零"
    parts = []
    for unit, size in (("亿", 10**8), ("万", 10**4), ("", 1)):
        chunk, n = divmod(n, size)
        if chunk:
            parts.append((_read_below_10000(chunk), unit, chunk))
        elif parts and n:
            parts.append(("零", "", 0))
    text = ""
    for i, (words, unit, chunk) in enumerate(parts):
        if i and 0 < chunk < 1000 and not text.endswith("零"):
            text += "零"
        text += ("两" if words == "二" and unit else words) + unit  # 两万, 两亿
    text = re.sub("零+", "零", text)
    return text[1:] if text.startswith("一十") else text


def _read_below_10000(n: int) -> str:
    out, zero = "", False
    for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        d, n = divmod(n, size)
        if d:
            if zero:
                out += "零"
            out += ("两" if d == 2 and unit in ("千", "百") and not out else _DIGITS[d]) + unit  # 两千
            zero = False
        elif out:
            zero = True
    return out


#: Currency signs before an amount, and the word said after it.
_CURRENCY = {"¥": "元", "￥": "元", "$": "美元", "€": "欧元", "£": "英镑"}


def _digit_by_digit(digits: str) -> str:
    return "".join(_DIGITS[int(d)] for d in digits if d.isdigit())


def _count(digits: str) -> str:
    """A month, day, hour or minute as a number, its leading zero dropped (07 七)."""
    return read_number(str(int(digits)))


def _date(m: re.Match) -> str:
    return f"{_digit_by_digit(m[1])}年{_count(m[2])}月{_count(m[3])}日"


def _clock(m: re.Match) -> str:
    """9:30 九点三十分, 9:05 九点零五分, 10:00 十点."""
    minutes = "" if m[2] == "00" else ("零" if m[2][0] == "0" else "") + _count(m[2]) + "分"
    return _count(m[1]) + "点" + minutes


def normalize(text: str) -> str:
    """Read digits out as speakers do: dates (2025-12-07 二零二五年十二月七日), times (9:30
    九点三十分), years before 年 and mobile numbers digit by digit (2025年 二零二五年),
    amounts after a currency sign (¥299 两百九十九元), fractions (1/3 三分之一), ranges (3-5天
    三到五天, 2025-2026 二零二五到二零二六), digit groups joined by hyphens digit by digit
    (010-12345678), negative numbers (负五), other numbers and percentages in Chinese.
    Latin letters are left for :func:`hanzi_to_pinyin`."""
    text = re.sub(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)", _date, text)
    text = re.sub(r"(?<!\d)([01]?\d|2[0-3])[:：]([0-5]\d)(?!\d)", _clock, text)
    text = re.sub(r"(?<!\d)(\d{4})[-~～](\d{4})(?!\d)", lambda m: _digit_by_digit(m[1]) + "到" + _digit_by_digit(m[2]), text)
    text = re.sub(r"\d{4}(?=年)|(?<!\d)1\d{10}(?!\d)", lambda m: _digit_by_digit(m.group()), text)
    text = re.sub(r"([¥￥$€£])\s?(\d+(?:\.\d+)?)", lambda m: read_number(m[2]) + _CURRENCY[m[1]], text)
    text = re.sub(r"(?<!\d)(\d{1,6})/(\d{1,6})(?!\d)", lambda m: read_number(m[2]) + "分之" + read_number(m[1]), text)
    text = re.sub(r"(?<!\d)(\d{1,3})[-~～](\d{1,3})(?!\d)", lambda m: read_number(m[1]) + "到" + read_number(m[2]), text)
    text = re.sub(r"\d+(?:-\d+)+", lambda m: _digit_by_digit(m.group()), text)  # 010-12345678
    text = re.sub(r"(?<!\d)-(?=\d)", "负", text)
    return _NUMBER.sub(lambda m: read_number(m.group()), text)


@lru_cache(maxsize=1)
def _segmenter():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def hanzi_to_pinyin(text: str) -> list[tuple[str, str, bool]]:
    """Each hanzi of ``text`` as (char, pinyin with tone digit, erhua), read in context, and
    each syllable said for a Latin token (VIP, Java) as (its pinyin, pinyin, False); other
    characters are skipped.  A word-final 儿 that r-colours its syllable is folded into the
    syllable before it, which then has ``erhua=True``."""
    out: list[tuple[str, str, bool]] = []
    at = 0
    for latin in LATIN_TOKEN.finditer(text):
        out += _read_hanzi(text[at : latin.start()])
        out += [(py, py, False) for py in latin_reading(latin.group())]
        at = latin.end()
    return out + _read_hanzi(text[at:])


def _read_hanzi(text: str) -> list[tuple[str, str, bool]]:
    from pypinyin import Style, lazy_pinyin

    out: list[tuple[str, str, bool]] = []
    for word in _segmenter().cut(text):
        chars = [c for c in word if _CJK.match(c)]
        if not chars:
            continue
        readings = lazy_pinyin("".join(chars), style=Style.TONE3, neutral_tone_with_five=True)
        for k, (char, py) in enumerate(zip(chars, readings)):
            erhua_here = (
                char == "儿" and k == len(chars) - 1 and k > 0 and word not in _NOT_ERHUA
            )
            if erhua_here and out:
                prev_char, prev_py, _ = out[-1]
                out[-1] = (prev_char + char, prev_py, True)
            else:
                out.append((char, py, False))
    return out


def make_syllable(text: str, pinyin: str, erhua: bool, word_index: int) -> LyricSyllable:
    match = _PINYIN.match(pinyin.lower())
    if not match:
        raise InputError(f"'{pinyin}' is not a pinyin syllable with a tone digit 1–5")
    base, tone = match.group(1), int(match.group(2) or 5)
    initial, final = split_pinyin(base)
    phones = tuple(p for p in (initial, final) if p) + (("er",) if erhua else ())
    return LyricSyllable(
        text=text, language="zh", phones=phones, word=text, word_index=word_index,
        pinyin=f"{base}{tone}", initial=initial, final=final, tone=tone, erhua=erhua,
    )  # fmt: skip


def lyric_syllables(lyrics: list[str]) -> list[LyricSyllable]:
    """One syllable per sung lyric.  Each lyric is one hanzi (read in the context of the
    whole line) or one pinyin syllable (``la``, ``xing1``; no tone digit sings tone 1)."""
    cleaned = [_clean_lyric(lyric) for lyric in lyrics]
    line = "".join(c for c in cleaned if _CJK.search(c))
    readings = iter(hanzi_to_pinyin(line))
    out: list[LyricSyllable] = []
    for i, (raw, lyric) in enumerate(zip(lyrics, cleaned)):
        if not lyric:
            raise InputError(
                f"syllable {i + 1} ('{raw}') has nothing singable; give it a hanzi or pinyin"
            )
        if _CJK.search(lyric):
            # What this lyric reads: its hanzi, and any Latin token's syllables (OK了).
            units = len(_CJK.findall(lyric)) + sum(len(latin_reading(t)) for t in LATIN_TOKEN.findall(lyric))
            got = []
            while sum(len(_CJK.findall(g[0])) or 1 for g in got) < units:
                got.append(next(readings))
            # One note may carry a character plus its erhua 儿 (花儿); more is too much.
            if len(got) != 1:
                raise InputError(
                    f"syllable {i + 1} ('{raw}') holds {len(got)} syllables; put one "
                    "syllable per note (a following note without lyric continues it)"
                )
            char, py, erhua = got[0]
            out.append(make_syllable(char, py, erhua, i))
        else:
            py = lyric.lower()
            if not re.search(r"[1-5]$", py):
                py += "1"
            out.append(make_syllable(lyric, py, False, i))
    return out


def _clean_lyric(lyric: str) -> str:
    """Strip spaces and punctuation; keep a pinyin lyric as it is, read digits out."""
    lyric = re.sub(r"[^\w]+|_", "", lyric)
    if _PINYIN.match(lyric.lower()):
        return lyric
    return normalize(lyric)


class PinyinMismatch(InputError):
    """A given pinyin reading that does not line up with its text."""


def text_syllables(text: str, *, sandhi: bool = True, pinyin: str | None = None) -> list[list[LyricSyllable]]:
    """Free text as phrases (split at punctuation) of syllables, for speaking; their tones
    as spoken (:func:`spoken_tones`) unless ``sandhi`` is off (lexical tones, as the
    reading script's coverage counts them).  ``pinyin``: the text's reading, one syllable
    with its tone digit per character (a transcript's third column), which then replaces
    ours (:func:`given_reading`)."""
    text = normalize(text)
    if not _CJK.search(text):
        what = " (only Latin letters)" if LATIN_TOKEN.search(text) else ""
        raise InputError(
            f"'{text[:40]}' has no Chinese characters to say{what}; a Mandarin voice says "
            "Chinese text: choose an English voice (such as joe) or write the text in hanzi"
        )
    phrases = [p for p in re.split(r"[，。！？；：、,.!?;:\n]+", text) if _CJK.search(p) or LATIN_TOKEN.search(p)]
    readings = [hanzi_to_pinyin(phrase) for phrase in phrases]
    if pinyin is not None:
        readings = given_reading(readings, _latin_as_ours(pinyin, LATIN_TOKEN.findall(text)))
    out = []
    for phrase in readings:
        if sandhi:
            phrase = spoken_tones(phrase)
        out.append([make_syllable(c, py, e, i) for i, (c, py, e) in enumerate(phrase)])
    return out


_GIVEN = re.compile(r"^([a-zü]+)([1-6])$")
_ARPABET = re.compile(r"^[A-Z]{1,2}[0-2]?$|^\.$")


def _latin_as_ours(pinyin: str, tokens: list[str]) -> str:
    """A transcript's pinyin with each English stretch replaced by our reading of the Latin
    token it stands for.  magicdata writes what is said for a Latin token in ARPAbet between
    slashes (``VIP`` is ``/ V EY1 . AY1 . P IY1 /``, ``P to P`` is ``/ P IY1 / T UW1 / P
    IY1 /``), one stretch per token; where stretches and tokens do not pair up, the pinyin is
    left as it is (and :func:`given_reading` finds it does not line up)."""
    out: list[str | None] = []  # None: one English stretch
    for item in pinyin.split():
        if _ARPABET.match(item):
            if not out or out[-1] is not None:
                out.append(None)
        elif item == "/":
            out.append("/")  # ends a stretch: the next one is another token's
        else:
            out.append(item)
    if out.count(None) != len(tokens) or not tokens:
        return pinyin
    ours = iter(" ".join(latin_reading(token)) for token in tokens)
    return " ".join(next(ours) if x is None else x for x in out if x != "/")


def given_reading(phrases: list[list[tuple[str, str, bool]]], pinyin: str) -> list[list[tuple[str, str, bool]]]:
    """Our readings of a text's phrases with each syllable's pinyin replaced by the given
    one, in order: a transcript's reading knows the speaker's colloquial forms (这 zhei4) and
    polyphones (我行 wo3 hang2) better than a dictionary.  Tone 6 is read as a third tone (it
    marks one said as a second, magicdata's convention; :func:`spoken_tones` makes that
    change); ``-r`` before the tone is erhua (块儿 kuair4).  :class:`PinyinMismatch` when a
    token is not a pinyin syllable or the syllables do not line up one per character."""
    given = []
    for token in pinyin.lower().replace("u:", "ü").split():
        match = _GIVEN.match(token)
        base, tone = (match[1], match[2]) if match else ("", "")
        erhua = base.endswith("r") and base != "er"
        syllable = base[:-1] if erhua else base
        try:
            split_pinyin(syllable)
        except InputError:
            syllable = ""
        if not syllable:
            raise PinyinMismatch(f"'{token}' in the pinyin is not a syllable with a tone digit")
        given.append((syllable + ("3" if tone == "6" else tone), erhua))
    out, k = [], 0
    for phrase in phrases:
        read, i = [], 0
        while i < len(phrase) and k < len(given):
            char, (syllable, erhua) = phrase[i][0], given[k]
            if erhua and i + 1 < len(phrase) and phrase[i + 1][0] == "儿" and not char.endswith("儿"):
                char, i = char + "儿", i + 1  # 块儿 read as one syllable, kuair4
            read.append((char, syllable, erhua))
            i, k = i + 1, k + 1
        if i < len(phrase):
            break
        out.append(read)
    if len(out) < len(phrases) or k < len(given):
        count = sum(len(phrase) for phrase in phrases)
        raise PinyinMismatch(f"the pinyin has {len(given)} syllables where the text reads {count}")
    return out


#: Characters around which 一 is a numeral read yī (十一, 一百 is read yì by the rule).
_NUMERALS = set("零一二三四五六七八九十两幺第")


def spoken_tones(readings: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
    """Tone sandhi of one phrase as Mandarin speakers apply it: in a run of third tones every
    one but the last is said as a second (你好 ni2 hao3; 我也很好 wo2 ye2 hen2 hao3, across
    word boundaries); 一 and 不 before a fourth tone are said yí, bú, and 一 before the other
    tones yì, except among numerals.  The baker voice was trained on labels with these changes made (宝马: bao2
    ma3); against magicdata_f's annotated readings, tones agree on 92.8 % of syllables
    without sandhi and 98.1 % with it (docs/BENCHMARKS.md)."""
    chars = [char for char, _, _ in readings]
    lexical = [pinyin for _, pinyin, _ in readings]
    said = list(lexical)
    for k in range(len(readings) - 1):
        char, pinyin, after = chars[k], lexical[k], lexical[k + 1][-1]
        if pinyin.endswith("3") and after == "3":
            said[k] = pinyin[:-1] + "2"
        elif char == "不" and pinyin == "bu4" and after == "4":
            said[k] = "bu2"
        elif char == "一" and pinyin == "yi1" and after in "1234":
            if chars[k + 1] not in _NUMERALS and not (k and chars[k - 1] in _NUMERALS):
                said[k] = "yi2" if after == "4" else "yi4"
    return [(char, pinyin, erhua) for (char, _, erhua), pinyin in zip(readings, said)]
