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
#: Abbreviations whose period also ends a sentence, read only where a name follows or comes
#: before: St. is Saint before a name (St. Louis) and Street after one (Main St.).
_STREET_ABBREVIATIONS = {"St.": ("Saint", "Street"), "Mt.": ("Mount", "Mount"), "Ft.": ("Fort", "Fort"),
                         "Ave.": ("Avenue", "Avenue"), "Rd.": ("Road", "Road")}  # fmt: skip
_SYMBOLS = {"&": " and ", "@": " at ", "+": " plus ", "=": " equals "}
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
#: A month's name in full or shortened (Jan., Sept.).
_MONTH = "(?:" + "|".join(_MONTHS) + r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
#: Words before a four-digit number that make it a year (in 1984, since 2001, May 2025).
_YEAR_CUES = (
    r"(?:in|In|since|Since|by|from|From|until|till|to|of|during|year|around|circa|c\.|before|"
    rf"after|early|late|mid|spring|summer|autumn|fall|winter|{_MONTH}(?:\s\d{{1,2}}(?:st|nd|rd|th)?,?)?)"
)
#: Words after a four-digit number that make it a count (1500 people), not a year.
_COUNTED = (
    "people persons users customers students members employees words pages items times days "
    "hours minutes seconds weeks months years miles meters metres kilometers feet km kg grams "
    "pounds dollars euros yuan points votes copies units calories steps rows files cars homes "
    "tons liters litres songs books"
).split()
_ROMAN = re.compile(r"\b(?=[IVXL]{2,}\b)(XL|L?X{0,3})(IX|IV|V?I{0,3})\b")
#: Nouns a roman numeral counts after (Chapter IV, World War II), said as a cardinal; after
#: another capitalised word (Henry VIII) it is a regnal number, "the eighth".
_NUMBERED = {"Chapter", "Part", "Volume", "Vol.", "Book", "Act", "Scene", "Phase", "Level", "Stage",
             "War", "Type", "Class", "Section", "Article", "Episode", "Season", "Round", "Grade", "Title"}  # fmt: skip
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
_DOMAIN = r"(?:[A-Za-z0-9-]+\.)+(?:com|org|net|edu|gov|io|ai|cn|uk|de|fr|jp|info|co|me|app|dev)\b"
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
    "twenty twenty five", ``1900`` → "nineteen hundred", ``1905`` → "nineteen oh five";
    a year before 1000 as a cardinal (44 BC)."""
    if n < 1000 or 2000 <= n <= 2009:
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
    """A number left after the special forms: a bare four-digit number from 1100 to 2099 is
    a year (how people say 1984, and 1500 as "fifteen hundred") unless a counted noun follows."""
    text = match.group()
    if re.fullmatch(r"\d{4}", text) and 1100 <= int(text) <= 2099:
        after = re.match(r"\s*([A-Za-z]+)", match.string[match.end() :])
        if not (after and after.group(1).lower() in _COUNTED):
            return f" {year(int(text))} "
    return f" {_number(text)} "


def _decade(match: re.Match) -> str:
    """1990s "nineteen nineties", 2000s "two thousands", '80s "eighties"."""
    words = (year(int(match.group("y"))) if match.group("y") else cardinal(int(match.group("yy")))).split()
    last = words[-1]
    words[-1] = last[:-1] + "ies" if last.endswith("y") else last + ("es" if last.endswith("x") else "s")
    return " " + " ".join(words) + " "


def _date(y: str, m: str, d: str) -> str:
    """A numeric date: "December seventh, twenty twenty five"; not a date (month 13) is
    left to the number rules."""
    if not (1 <= int(m) <= 12 and 1 <= int(d) <= 31):
        return f" {y} {m} {d} "
    return f" {_MONTHS[int(m) - 1]} {ordinal(int(d))}, {year(int(y))} "


def _month_day(match: re.Match) -> str:
    """May 5 / Dec. 7th: the month in full and the day as an ordinal."""
    month = next(name for name in _MONTHS if name.startswith(match.group(1).rstrip(".")[:3]))
    return f"{month} {ordinal(int(match.group(2)))}"


def _fraction(match: re.Match) -> str:
    """A proper fraction with a small denominator: 1/2 "one half", 2/3 "two thirds", 3/4
    "three quarters"; other slashes are left (24/7)."""
    top, bottom = int(match.group(1)), int(match.group(2))
    if not 0 < top < bottom <= 10:
        return match.group()
    name = {2: "half", 4: "quarter"}.get(bottom) or ordinal(bottom)
    if top > 1:
        name = "halves" if bottom == 2 else name + "s"
    return f" {cardinal(top)} {name} "


def _roman(match: re.Match) -> str:
    numeral = match.group()
    values = [_ROMAN_VALUES[c] for c in numeral]
    n = sum(-v if k + 1 < len(values) and v < values[k + 1] else v for k, v in enumerate(values))
    before = re.search(r"(\S+)\s+$", match.string[: match.start()])
    word = before.group(1) if before else ""
    if word in _NUMBERED:
        return cardinal(n)
    if word[:1].isupper() and word.isalpha():
        return "the " + ordinal(n)
    return numeral


def _web_address(match: re.Match) -> str:
    """www.example.com/help "w w w dot example dot com slash help"; an e-mail address's @ is
    "at" (the symbols' rule)."""
    text = re.sub(r"^https?://", "", match.group())
    text = re.sub(r"\bwww\.", "w w w.", text)
    return " " + re.sub(r"\s+", " ", text.replace(".", " dot ").replace("/", " slash ")).strip() + " "


def read_out(text: str) -> str:
    """``text`` with its numbers, money, times, ordinals, percentages, years, symbols and
    common abbreviations written as the words a reader says."""
    text = re.sub(rf"(?:https?://)?(?:[\w.+-]+@)?{_DOMAIN}(?:/[\w/.-]*\w)?", _web_address, text)
    for short, words in _ABBREVIATIONS.items():
        text = re.sub(rf"(?<![\w.]){re.escape(short)}(?=\s|$|[,;:!?])", words, text)
    for short, (before_name, after_name) in _STREET_ABBREVIATIONS.items():
        # After a name inside a sentence (on Main St.), or not before a name: Street; its
        # period may also end the sentence.  Before a name (St. Louis): Saint.
        short = re.escape(short)
        def street(m: re.Match, name: str = after_name) -> str:
            return f"{m[1]} {name}{'.' if m[2] is not None else ''} "

        for after in (rf"(?<=[a-z0-9,] )([A-Z][a-z]+)\s{short}", rf"\b([A-Z][a-z]+)\s{short}(?!\s+[A-Z])"):
            text = re.sub(after + r"(\s+(?=[A-Z])|$)?", street, text)
        text = re.sub(rf"(?<![\w.]){short}(?=\s+[A-Z])", before_name, text)
    text = _ROMAN.sub(_roman, text)
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
    text = re.sub(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", lambda m: _date(m[1], m[2], m[3]), text)  # 2025-12-07
    text = re.sub(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", lambda m: _date(m[3], m[1], m[2]), text)  # 12/7/2025
    text = re.sub(r"\b(1[0-9]\d\d|20\d\d)\s?[-\u2013]\s?(1[0-9]\d\d|20\d\d)\b",
                  lambda m: f" {year(int(m.group(1)))} to {year(int(m.group(2)))} ", text)  # fmt: skip
    text = re.sub(rf"\b({_YEAR_CUES})\s(\d{{4}})\b", lambda m: f"{m[1]} {year(int(m[2]))}", text)
    text = re.sub(rf"\b({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)", _month_day, text)
    text = re.sub(r"\b(?P<y>1[1-9]\d0|20[0-9]0)'?s\b|(?<![\w])'(?P<yy>[1-9]0)s\b", _decade, text)
    text = re.sub(r"\b(\d{1,4})\s?(AD|BC|BCE|CE)\b", lambda m: f" {year(int(m.group(1)))} {' '.join(m.group(2))} ", text)
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: f" {ordinal(int(m.group(1)))} ", text)
    text = re.sub(r"(?<![\d/])\b(\d)/(\d{1,2})\b(?!/)", _fraction, text)
    text = re.sub(rf"({_NUMBER})\s?%", lambda m: f" {_number(m.group(1))} percent ", text)
    # Digit groups joined by hyphens (phone numbers, codes) are read digit by digit; a
    # range of two plain numbers ("5-10") is read "five to ten".
    text = re.sub(r"\b\d+(?:-\d+){2,}\b|\b\d{3}-\d{4}\b", lambda m: " " + ", ".join(digits(g) for g in m.group().split("-")) + " ", text)
    text = re.sub(r"\b(\d{1,3})-(\d{1,3})\b", lambda m: f" {cardinal(int(m.group(1)))} to {cardinal(int(m.group(2)))} ", text)
    text = re.sub(r"(?<![\d.])-(?=\d)", " minus ", text)
    text = re.sub(_NUMBER, _plain_number, text)
    return re.sub(r"[ \t]+", " ", text).strip()
