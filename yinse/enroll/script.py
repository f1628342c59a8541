"""Guided recording scripts for voice enrollment, and how well a text covers a voice.

A clone is built by mapping a base voice's spectra onto the speaker's, unit by unit, so a
few minutes of reading must contain every unit the mapping needs: for Mandarin every initial,
final and tone and as many tone pairs as fit; for English every CMUdict phone and the
common consonant clusters.  ``coverage`` measures that with the same front ends that later
read lyrics, so the script and the singing agree on what a unit is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

from ..core.errors import InputError

LANGUAGES = ("zh", "en")

#: Mandarin initials; ``zero`` is the zero initial (安, 一, 五, 鱼).
ZH_INITIALS = (
    "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h",
    "j", "q", "x", "zh", "ch", "sh", "r", "z", "c", "s", "zero",
)  # fmt: skip
#: Mandarin finals as the front end spells them (ü as ``v``; ``iou``, ``uei``, ``uen``), with
#: the two apical vowels told apart from ``i``: ``ii`` after z/c/s (资), ``iii`` after
#: zh/ch/sh/r (知), since they sound nothing alike.  Interjection-only finals (ê, yo, the
#: syllabic nasals of 嗯 and 呣) are left out: a reading script has no natural place for them.
ZH_FINALS = (
    "a", "o", "e", "er", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong",
    "i", "ii", "iii", "ia", "ie", "iao", "iou", "ian", "in", "iang", "ing", "iong",
    "u", "ua", "uo", "uai", "uei", "uan", "uen", "uang", "ueng",
    "v", "ve", "van", "vn",
)  # fmt: skip
#: Lexical tones 1–4 and the neutral tone 5 (tone sandhi is not applied: 你好 counts as 3-3).
ZH_TONES = ("1", "2", "3", "4", "5")
ZH_TONE_PAIRS = tuple(f"{a}-{b}" for a in ZH_TONES for b in ZH_TONES)

#: The 39 CMUdict phones, stress removed.
EN_PHONES = (
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G",
    "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T",
    "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
)  # fmt: skip
#: Common consonant clusters (onsets, then codas; "S T" serves as both) and r-coloured vowels,
#: counted inside words: the transitions a frame-by-frame mapping gets wrong when it has only
#: seen the phones apart.
EN_CLUSTERS = (
    "P L", "P R", "B L", "B R", "T R", "D R", "K L", "K R", "K W", "G L", "G R", "F L",
    "F R", "TH R", "S L", "S M", "S N", "S P", "S T", "S K", "S W", "T W",
    "S T R", "S P R", "S K R", "S P L",
    "N T", "N D", "N Z", "M P", "NG K", "L D", "K S", "K T", "P T", "R T", "R D",
    "T S", "D Z", "N CH", "N JH",
    "AA R", "AO R", "IH R", "EH R",
)  # fmt: skip

#: Reading pace for the time estimate: Mandarin syllables and English words per second, and
#: the pause between lines.
ZH_SYLLABLES_PER_SECOND = 4.5
EN_WORDS_PER_SECOND = 2.75
PAUSE_SECONDS = 1.0

_HEADERS = {
    "zh": (
        "音色 声音录制稿（普通话）",
        "请在安静的房间里录音，嘴离话筒二十到三十厘米，用平常说话的速度自然朗读，不必刻意表演。",
        "每行单独录成一个文件，以行号命名，例如 zh-001.wav；也可以按顺序一口气录成一个长文件，"
        "行与行之间停顿约一秒。",
        "读错了就停一下，把这一行从头再读一遍；没读的行可以跳过。",
    ),
    "en": (
        "Yinse voice recording script (English)",
        "Record in a quiet room, 20 to 30 cm from the microphone, reading at your natural "
        "pace; no need to perform.",
        "Save one file per line, named by its id, for example en-001.wav, or read the lines in "
        "order in one long recording, pausing about a second between lines.",
        "If you slip, pause and read the whole line again; a line you leave out is simply "
        "skipped.",
    ),
}


@dataclass(frozen=True)
class ScriptLine:
    """One line to read: ``id`` names the recording (``zh-001`` → ``zh-001.wav``)."""

    id: str
    text: str


@dataclass
class Coverage:
    """Which units of a language a text contains.

    ``categories`` maps a category (``initials``, ``finals``, ``tones``, ``tone pairs``;
    ``phones``, ``clusters``) to (covered, total); ``missing`` lists the uncovered units of
    each; ``counts`` says how often each covered unit occurs.  ``skipped`` counts texts the
    front end refused (Latin letters in Mandarin, hanzi in English); ``unknown`` lists English
    words without a dictionary pronunciation; ``spoken`` is the number of Mandarin syllables
    or English words read.
    """

    language: str
    categories: dict[str, tuple[int, int]]
    missing: dict[str, list[str]]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: int = 0
    unknown: list[str] = field(default_factory=list)
    spoken: int = 0

    @property
    def fraction(self) -> float:
        """Covered units over all units, every unit of every category weighing the same."""
        total = sum(t for _, t in self.categories.values())
        return sum(c for c, _ in self.categories.values()) / total if total else 0.0

    def summary(self) -> str:
        """One line of counts, and a second naming what is missing (if anything)."""
        unit = "syllables" if self.language == "zh" else "words"
        parts = ", ".join(f"{name} {c}/{t}" for name, (c, t) in self.categories.items())
        line = f"{self.language} coverage {self.fraction:.0%} over {self.spoken} {unit}: {parts}"
        if self.skipped:
            line += f" ({self.skipped} text(s) skipped)"
        gaps = [f"{name}: {_shorten(units)}" for name, units in self.missing.items() if units]
        if gaps:
            line += "\nmissing " + "; ".join(gaps)
        return line


def _shorten(units: list[str], most: int = 12) -> str:
    more = f" (+{len(units) - most} more)" if len(units) > most else ""
    return ", ".join(units[:most]) + more


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise InputError(
            f"there is no recording script for language '{language}'; choose one of "
            f"{', '.join(LANGUAGES)}"
        )


def script_lines(language: str) -> list[ScriptLine]:
    """The enrollment script of ``language`` ("zh" or "en"), one line per recording."""
    _check_language(language)
    path = resources.files("yinse.enroll").joinpath("scripts", f"{language}.txt")
    texts = [t.strip() for t in path.read_text(encoding="utf-8").splitlines()]
    return [ScriptLine(f"{language}-{i:03d}", t) for i, t in enumerate(filter(None, texts), 1)]


def format_script(language: str) -> str:
    """The script as a person reads it: a commented header with how to record, then
    ``id<TAB>text`` per line (what ``yinse voice script`` writes)."""
    lines = script_lines(language)
    header = [f"# {h}" for h in _HEADERS[language]]
    body = [f"{line.id}\t{line.text}" for line in lines]
    return "\n".join(header + [""] + body) + "\n"


def reading_seconds(texts: Sequence[str], language: str) -> float:
    """Estimated time to read ``texts`` aloud at a natural pace, with a pause between lines."""
    if isinstance(texts, str):
        texts = [texts]
    spoken = coverage(texts, language).spoken
    rate = ZH_SYLLABLES_PER_SECOND if language == "zh" else EN_WORDS_PER_SECOND
    return spoken / rate + PAUSE_SECONDS * max(0, len(texts) - 1)


def coverage(texts: Sequence[str], language: str) -> Coverage:
    """Which units of ``language`` the ``texts`` contain, read by Yinse's own front ends."""
    _check_language(language)
    if isinstance(texts, str):
        texts = [texts]
    if language == "zh":
        return _zh_coverage(texts)
    return _en_coverage(texts)


def _zh_coverage(texts: Sequence[str]) -> Coverage:
    from ..text import mandarin

    found: dict[str, Counter[str]] = {k: Counter() for k in _ZH_UNITS}
    skipped = spoken = 0
    for text in texts:
        try:
            phrases = mandarin.text_syllables(text, sandhi=False)
        except InputError:
            skipped += 1
            continue
        for phrase in phrases:
            spoken += len(phrase)
            for s in phrase:
                found["initials"][s.initial or "zero"] += 1
                found["finals"][_zh_final(s.initial or "", s.final or "")] += 1
                found["tones"][str(s.tone)] += 1
            for a, b in zip(phrase, phrase[1:]):
                found["tone pairs"][f"{a.tone}-{b.tone}"] += 1
    return _tally("zh", _ZH_UNITS, found, skipped=skipped, spoken=spoken)


def _zh_final(initial: str, final: str) -> str:
    if final == "i" and initial in ("z", "c", "s"):
        return "ii"
    if final == "i" and initial in ("zh", "ch", "sh", "r"):
        return "iii"
    return final


def _en_coverage(texts: Sequence[str]) -> Coverage:
    from ..text import english

    found: dict[str, Counter[str]] = {k: Counter() for k in _EN_UNITS}
    skipped = spoken = 0
    unknown: list[str] = []
    for text in texts:
        try:
            phrases = english.text_words(text)
        except InputError:
            skipped += 1
            continue
        for word in (w for phrase in phrases for w in phrase):
            spoken += 1
            phones = [re.sub(r"\d", "", p) for p in english.word_phones(word)]
            if not phones:
                unknown.append(word)
                continue
            found["phones"].update(phones)
            for size in (2, 3):
                for k in range(len(phones) - size + 1):
                    gram = " ".join(phones[k : k + size])
                    if gram in _EN_CLUSTER_SET:
                        found["clusters"][gram] += 1
    return _tally("en", _EN_UNITS, found, skipped=skipped, spoken=spoken, unknown=unknown)


def _tally(
    language: str,
    units: dict[str, tuple[str, ...]],
    found: dict[str, Counter[str]],
    **extra,
) -> Coverage:
    categories, missing, counts = {}, {}, {}
    for name, inventory in units.items():
        seen = found[name]
        categories[name] = (sum(1 for u in inventory if seen[u]), len(inventory))
        missing[name] = [u for u in inventory if not seen[u]]
        counts[name] = {u: seen[u] for u in inventory if seen[u]}
    return Coverage(language, categories, missing, counts, **extra)


_ZH_UNITS = {
    "initials": ZH_INITIALS,
    "finals": ZH_FINALS,
    "tones": ZH_TONES,
    "tone pairs": ZH_TONE_PAIRS,
}
_EN_UNITS = {"phones": EN_PHONES, "clusters": EN_CLUSTERS}
_EN_CLUSTER_SET = frozenset(EN_CLUSTERS)
