"""A passage cut into the sentence-length lines a reader pauses between.

A long recording transcribed as one passage is matched piece by piece to its sentences
(:mod:`yinse.enroll.script_match`), as a one-take reading of the guided script is matched to
its lines.  The matcher joins up to three pieces into one line and cuts one piece into two
lines, so the lines here should be about what a reader says between two pauses: a sentence,
a long sentence in clauses, a very short one together with the next.
"""

from __future__ import annotations

import re

#: Titles and abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st mt ft ave rd jr sr vs no fig vol ch pp approx dept est gen col capt lt sgt rev".split()
)
#: An English sentence ends at . ! ? ; (with closing quotes or brackets) before a space
#: and a capital, a digit or an opening quote; a Mandarin one at 。！？； and their ASCII
#: forms, with any closing quotes, whatever follows.
_EN_END = re.compile(r"([.!?;]+[\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_ZH_END = re.compile(r"([。！？；!?;…]+[”’」』）)]*)")
#: Clause marks a long sentence may be cut at.
_EN_CLAUSE = re.compile(r"(?<=[,:—–])\s+")
_ZH_CLAUSE = re.compile(r"(?<=[，、：,:])")
#: Lengths in words (English) or characters (Mandarin): a sentence longer than LONG is cut
#: at clause marks into as few parts as keep each within LONG; a line shorter than SHORT
#: joins the next.  A line of LONG lasts about 8 s read aloud.
SIZES = {"en": (4, 24), "zh": (6, 36)}


def _length(text: str, language: str) -> int:
    if language == "zh":
        return len(re.findall(r"[\u3400-\u9fff]|[A-Za-z0-9]+", text))
    return len(text.split())


def _english_ends(text: str) -> list[str]:
    out, start = [], 0
    for m in _EN_END.finditer(text):
        before = text[start : m.start()].split()
        word = before[-1].rstrip(".").lower() if before else ""
        if m.group(1).startswith(".") and (word in _ABBREVIATIONS or len(word) == 1):
            continue  # "Dr. Lee", "J. K. Rowling"
        out.append(text[start : m.end(1)])
        start = m.end()
    return out + [text[start:]]


def _joined(parts: list[str], language: str, short: int) -> list[str]:
    """Parts shorter than ``short`` joined to the next one (the last to the one before)."""
    glue = "" if language == "zh" else " "
    out: list[str] = []
    for part in parts:
        if out and _length(out[-1], language) < short:
            out[-1] = out[-1] + glue + part
        else:
            out.append(part)
    if len(out) > 1 and _length(out[-1], language) < short:
        out[-2:] = [out[-2] + glue + out[-1]]
    return out


def _packed(clauses: list[str], language: str, long: int) -> list[str]:
    """Clauses in order, gathered into as few lines as keep each within ``long``."""
    glue = "" if language == "zh" else " "
    out: list[str] = []
    for clause in clauses:
        if out and _length(out[-1], language) + _length(clause, language) <= long:
            out[-1] = out[-1] + glue + clause
        else:
            out.append(clause)
    return out


def passage_sentences(text: str, language: str) -> list[str]:
    """The lines of a passage in reading order (``language`` ``zh`` or ``en``): its
    sentences, long ones cut at clause marks, short ones joined to the next (the last to
    the one before)."""
    short, long = SIZES["zh" if language == "zh" else "en"]
    flat = " ".join(text.split())
    if language == "zh":
        # re.split with a group returns the marks apart: put each back on its sentence.
        parts = _ZH_END.split(flat)
        sentences = ["".join(parts[k : k + 2]) for k in range(0, len(parts), 2)]
    else:
        sentences = _english_ends(flat)
    clause = _ZH_CLAUSE if language == "zh" else _EN_CLAUSE
    lines: list[str] = []
    for sentence in (s.strip() for s in sentences):
        if not sentence:
            continue
        if _length(sentence, language) > long:
            lines.extend(_packed([c.strip() for c in clause.split(sentence) if c.strip()], language, long))
        else:
            lines.append(sentence)
    return [line for line in _joined(lines, language, short) if _length(line, language)]
