"""Syllable timings from timed IPA phones, for the voices that phonemize with espeak-ng.

Piper (``joe``) reports one IPA symbol per phone (a diphthong is two symbols, a length mark
its own), espeak-ng one name per phoneme (``ˈaɪ``, ``ɑːɹ``).  Both work here: consecutive
vowel symbols and attached marks form one nucleus; consonants between two nuclei go to the
next syllable, except the first of a cluster, which closes the previous one.  The
dictionary's syllables are then fitted onto the pieces the score sings the word in.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import SyllableTiming

IPA_VOWELS = set("aeiouyɐɑɒæɛɜɝɞɔəɘɵɤɨʉɪʊʌʏøœɯɶɚᵻɷ")
#: Combining marks that make a consonant syllabic (``n̩``).
_SYLLABIC = ("\u0329", "\u030d")
#: Marks that lengthen or colour the symbol before them and belong to its nucleus.
_ATTACHED = set("ːˑ˞\u0303") | set(_SYLLABIC)
_STRESS = "ˈˌ"

Phone = tuple[str, float, float]  # symbol, start_s, end_s
Span = tuple[float, float, float, float]  # start, nucleus start, nucleus end, end


def is_vowel(symbol: str) -> bool:
    """A syllable nucleus: a vowel, diphthong or coloured vowel (``ˈaɪ``, ``əl``, ``ˈɑːɹ``),
    a syllabic consonant (``n̩``) or espeak's Mandarin syllabic nasal (``ŋ-``)."""
    s = symbol.strip(_STRESS)
    if not s:
        return False
    return any(c in IPA_VOWELS for c in s) or any(m in s for m in _SYLLABIC) or s in ("ŋ-", "n-", "m-")


def _nuclei(phones: Sequence[Phone]) -> list[tuple[int, int]]:
    """Index ranges [a, b) of each vowel nucleus."""
    spans: list[tuple[int, int]] = []
    for i, (sym, _, _) in enumerate(phones):
        attached = sym in _ATTACHED and spans and spans[-1][1] == i
        if not (is_vowel(sym) or attached):
            continue
        if spans and spans[-1][1] == i:
            spans[-1] = (spans[-1][0], i + 1)
        else:
            spans.append((i, i + 1))
    return spans


def word_spans(phones: Sequence[Phone]) -> list[Span]:
    """A word's timed phones split into syllable spans."""
    start, end = phones[0][1], phones[-1][2]
    nuclei = _nuclei(phones)
    if not nuclei:  # no vowel at all: the middle half is the nucleus
        quarter = (end - start) / 4
        return [(start, start + quarter, end - quarter, end)]
    bounds = [start]
    for (_, b), (a2, _) in zip(nuclei, nuclei[1:]):
        cluster = [i for i in range(b, a2) if phones[i][0].strip(_STRESS)]
        cut = cluster[1] if len(cluster) >= 2 else (cluster[0] if cluster else a2)
        bounds.append(phones[cut][1])
    bounds.append(end)
    return [
        (bounds[k], phones[a][1], phones[b - 1][2], bounds[k + 1]) for k, (a, b) in enumerate(nuclei)
    ]


def fit_spans(spans: Sequence[Span], pieces: int, *, keep_first: bool = False) -> list[Span]:
    """Make ``pieces`` syllables: merge the neighbouring pair with the least nucleus
    (keeping the longer nucleus, or the first with ``keep_first``; the other vowel becomes
    onset or coda), or split the longest nucleus in two, until the count is right."""

    def nucleus(s: Span) -> float:
        return s[2] - s[1]

    spans = list(spans)
    while len(spans) > pieces:
        k = min(range(len(spans) - 1), key=lambda i: nucleus(spans[i]) + nucleus(spans[i + 1]))
        a, b = spans[k], spans[k + 1]
        keep = a if keep_first or nucleus(a) >= nucleus(b) else b
        spans[k : k + 2] = [(a[0], keep[1], keep[2], b[3])]
    while len(spans) < pieces:
        k = max(range(len(spans)), key=lambda i: nucleus(spans[i]))
        s0, n0, n1, s1 = spans[k]
        mid = (n0 + n1) / 2
        spans[k : k + 1] = [(s0, n0, mid, mid), (mid, mid, n1, s1)]
    return spans


def word_timings(phones: Sequence[Phone], pieces: int, *, keep_first: bool = False) -> list[SyllableTiming]:
    """Timings for a word sung in ``pieces`` syllables, from its timed phones."""
    if pieces < 1:
        return []
    return [SyllableTiming(*span) for span in fit_spans(word_spans(phones), pieces, keep_first=keep_first)]
