"""English text as it is read aloud: numbers, money, times, ordinals, years and the common
abbreviations spelled out in words before a voice says them.

The English front end keeps letters only, so "at 3:30 the ticket was $5.50" lost its numbers
without a word of warning.  Reading them is what a person typing a message for their cloned
voice to say expects.  The rules are American English and deliberately few; what they do not
cover is read digit by digit rather than dropped.
"""

from __future__ import annotations

import re

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip
#: Currency sign: (one unit, several units, one hundredth, several hundredths).
_MONEY = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
#: Abbreviations with their periods, as written (case matters: "No." only before a number).
_ABBREVIATIONS = {
    "Dr.": "Doctor", "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz", "Prof.": "Professor",
    "Jr.": "Junior", "Sr.": "Senior", "vs.": "versus", "etc.": "et cetera",
    "e.g.": "for example", "i.e.": "that is", "a.m.": "A M", "p.m.": "P M",
}  # fmt: skip
_SYMBOLS = {"&": " and ", "@": " at ", "+": " plus ", "=": " equals "}
#: A written number: thousands grouped by commas or not, an optional decimal part.
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"


def cardinal(n: int) -> str:
    """``1234`` → "one thousand two hundred thirty four" (words joined by spaces)."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + (" " + _ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return _ONES[n // 100] + " hundred" + (" " + cardinal(n % 100) if n % 100 else "")
    for size, name in _SCALES:
        if n >= size:
            high, rest = divmod(n, size)
            return cardinal(high) + " " + name + (" " + cardinal(rest) if rest else "")
    raise AssertionError("unreachable")


def ordinal(n: int) -> str:
    """``21`` → "twenty first"."""
    words = cardinal(n).split()
    last = words[-1]
    if last in _ORDINAL:
        words[-1] = _ORDINAL[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def year(n: int) -> str:
    """``1999`` → "nineteen ninety nine", ``2005`` → "two thousand five", ``2025`` →
    "twenty twenty five", ``1900`` → "nineteen hundred", ``1905`` → "nineteen oh five"."""
    if 2000 <= n <= 2009:
        return cardinal(n)
    high, low = divmod(n, 100)
    if low == 0:
        return cardinal(high) + " hundred"
    return cardinal(high) + (" oh " if low < 10 else " ") + cardinal(low)


def digits(text: str) -> str:
    """Each digit by name: "007" → "zero zero seven"."""
    return " ".join(_ONES[int(d)] for d in text if d.isdigit())


def _number(text: str) -> str:
    """A written number: thousands commas allowed, decimals read digit by digit after
    "point"; a leading zero (or more than 15 digits) reads every digit."""
    whole, _, decimal = text.replace(",", "").partition(".")
    if (len(whole) > 1 and whole.startswith("0")) or len(whole) > 15:
        words = digits(whole)
    else:
        words = cardinal(int(whole or "0"))
    return words + (" point " + digits(decimal) if decimal else "")


def _money(match: re.Match) -> str:
    one, many, cent, cents = _MONEY[match.group("sign")]
    amount, scale = match.group("amount").replace(",", ""), match.group("scale")
    whole, _, fraction = amount.partition(".")
    if scale:  # $5 million, $2.5 billion
        return f" {_number(amount)} {scale} {many} "
    units, hundredths = int(whole or "0"), int(fraction.ljust(2, "0")[:2])
    words = f"{cardinal(units)} {one if units == 1 else many}"
    if hundredths:
        words += f" {cardinal(hundredths)} {cent if hundredths == 1 else cents}"
    return f" {words} "


def _half_day(letter: str) -> str:
    """a.m. / pm / A.M. said as its two letters: "A M", "P M"."""
    return f"{letter.upper()} M"


def _time(match: re.Match) -> str:
    hour, minute, half = int(match.group("h")), int(match.group("m")), match.group("half")
    words = cardinal(hour)
    if minute == 0:
        words += "" if half else " o'clock"
    else:
        words += (" oh " if minute < 10 else " ") + cardinal(minute)
    if half:
        words += " " + _half_day(half[0])
    return f" {words} "


def _plain_number(match: re.Match) -> str:
    text = match.group()
    if re.fullmatch(r"\d{4}", text) and 1100 <= int(text) <= 2099:
        return f" {year(int(text))} "
    return f" {_number(text)} "


def read_out(text: str) -> str:
    """``text`` with its numbers, money, times, ordinals, percentages, years, symbols and
    common abbreviations written as the words a reader says."""
    for short, words in _ABBREVIATIONS.items():
        text = re.sub(rf"(?<![\w.]){re.escape(short)}(?=\s|$|[,;:!?])", words, text)
    text = re.sub(r"\bNo\.\s?(?=\d)", "number ", text)
    text = re.sub(r"#(?=\d)", "number ", text)
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    text = re.sub(
        rf"(?P<sign>[$£€])\s?(?P<amount>{_NUMBER})(?:\s(?P<scale>thousand|million|billion|trillion)\b)?",
        _money, text,
    )  # fmt: skip
    text = re.sub(r"\b(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)\b(?:\s?(?P<half>[AaPp]\.?[Mm]\.?))?", _time, text)
    text = re.sub(r"\b(1[0-2]|0?[1-9])\s?([AaPp])\.?[Mm]\.?(?=\W|$)",
                  lambda m: f" {cardinal(int(m.group(1)))} {_half_day(m.group(2))} ", text)  # 9am
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: f" {ordinal(int(m.group(1)))} ", text)
    text = re.sub(rf"({_NUMBER})\s?%", lambda m: f" {_number(m.group(1))} percent ", text)
    # Digit groups joined by hyphens (phone numbers, codes) are read digit by digit; a
    # range of two plain numbers ("5-10") is read "five to ten".
    text = re.sub(r"\b\d+(?:-\d+){2,}\b|\b\d{3}-\d{4}\b", lambda m: " " + ", ".join(digits(g) for g in m.group().split("-")) + " ", text)
    text = re.sub(r"\b(\d{1,3})-(\d{1,3})\b", lambda m: f" {cardinal(int(m.group(1)))} to {cardinal(int(m.group(2)))} ", text)
    text = re.sub(r"(?<![\d.])-(?=\d)", " minus ", text)
    text = re.sub(_NUMBER, _plain_number, text)
    return re.sub(r"[ \t]+", " ", text).strip()
