"""Mandarin front end: hanzi to toned pinyin with initial and final, in context.

Polyphones are resolved on the whole line (jieba segments it, pypinyin reads each word
with its phrase dictionary), because 行 in 银行 and 行走 differ only in context.  Digits are
read out in Chinese; Latin letters are refused with a clear message, since our Mandarin
voices cannot say them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..core.errors import InputError
from .syllable import LyricSyllable

INITIALS = (
    "zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l",
    "g", "k", "h", "j", "q", "x", "r", "z", "c", "s",
)  # fmt: skip
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PINYIN = re.compile(r"^([a-zü]+?)([1-5])?$")
_LATIN = re.compile(r"[A-Za-z]+")
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
        text += words + unit
    text = re.sub("零+", "零", text)
    return text[1:] if text.startswith("一十") else text


def _read_below_10000(n: int) -> str:
    out, zero = "", False
    for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        d, n = divmod(n, size)
        if d:
            if zero:
                out += "零"
            out += _DIGITS[d] + unit
            zero = False
        elif out:
            zero = True
    return out


def normalize(text: str) -> str:
    """Read digits out; refuse Latin letters (our Mandarin voices cannot say them)."""
    text = _NUMBER.sub(lambda m: read_number(m.group()), text)
    latin = _LATIN.search(text)
    if latin:
        raise InputError(
            f"the Mandarin text has Latin letters '{latin.group()}', which a Mandarin voice "
            "cannot say; write them in hanzi (or choose an English voice for English text)"
        )
    return text


@lru_cache(maxsize=1)
def _segmenter():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def hanzi_to_pinyin(text: str) -> list[tuple[str, str, bool]]:
    """Each hanzi of ``text`` (other characters skipped) as (char, pinyin with tone digit,
    erhua), read in context.  A word-final 儿 that r-colours its syllable is folded into
    the syllable before it, which then has ``erhua=True``."""
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
            n_chars, got = len(_CJK.findall(lyric)), []
            while sum(len(g[0]) for g in got) < n_chars:
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


def text_syllables(text: str) -> list[list[LyricSyllable]]:
    """Free text as phrases (split at punctuation) of syllables, for speaking."""
    text = normalize(text)
    phrases = [p for p in re.split(r"[，。！？；：、,.!?;:\n]+", text) if _CJK.search(p)]
    if not phrases:
        raise InputError(f"'{text[:40]}' has no Chinese characters to say")
    out = []
    for phrase in phrases:
        readings = hanzi_to_pinyin(phrase)
        out.append([make_syllable(c, py, e, i) for i, (c, py, e) in enumerate(readings)])
    return out
