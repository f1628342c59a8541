"""Syllable timings from timed IPA phones, for voices that phonemize with espeak-ng.

A word's phones are grouped around vowel nuclei (consecutive vowel symbols and length
marks form one nucleus, so diphthongs stay whole); consonants between two nuclei go to
the next syllable except the first of a cluster, which closes the previous one.  The
dictionary syllables are then fitted onto the pieces the score sings the word in.
"""

from __future__ import annotations

from typing import Sequence

from .base import SyllableTiming

IPA_VOWELS = set("aeiouyɐɑɒæɛɜɝɞɔəɘɵɤɨʉɪʊʌʏøœɯɶɚᵻ")
#: Marks that lengthen or colour the symbol before them and belong to its nucleus.
_ATTACHED = set("ːˑ˞̩̃")
_STRESS = set("ˈˌ")

Phone = tuple[str, float, float]  # symbol, start_s, end_s


def is_vowel(symbol: str) -> bool:
    return any(c in IPA_VOWELS for c in symbol)


def _nuclei(phones: Sequence[Phone]) -> list[tuple[int, int]]:
    """Index ranges [a, b) of each vowel nucleus."""
    spans: list[tuple[int, int]] = []
    for i, (sym, _, _) in enumerate(phones):
        vowelish = is_vowel(sym) or (sym in _ATTACHED and spans and spans[-1][1] == i)
        if not vowelish:
            continue
        if spans and spans[-1][1] == i:
            spans[-1] = (spans[-1][0], i + 1)
        else:
            spans.append((i, i + 1))
    return spans


def word_timings(phones: Sequence[Phone], pieces: int) -> list[SyllableTiming]:
    """Timings for a word sung in ``pieces`` syllables, from its timed phones."""
    if pieces < 1:
        return []
    start, end = phones[0][1], phones[-1][2]
    nuclei = _nuclei(phones)
    if not nuclei:  # no vowel at all: the voiced middle half is the nucleus
        quarter = (end - start) / 4
        nuclei_t = [(start + quarter, end - quarter)]
        bounds = [start, end]
    else:
        nuclei_t = [(phones[a][1], phones[b - 1][2]) for a, b in nuclei]
        bounds = [start]
        for (_, b), (a2, _) in zip(nuclei, nuclei[1:]):
            cluster = [i for i in range(b, a2) if phones[i][0] not in _STRESS]
            cut = cluster[1] if len(cluster) >= 2 else (cluster[0] if cluster else a2)
            bounds.append(phones[cut][1])
        bounds.append(end)
    spans = [
        (bounds[k], nuclei_t[k][0], nuclei_t[k][1], bounds[k + 1]) for k in range(len(nuclei_t))
    ]
    return [SyllableTiming(*span) for span in _fit(spans, pieces)]


def _fit(spans: list[tuple[float, ...]], pieces: int) -> list[tuple[float, ...]]:
    """Merge neighbouring syllables (keeping the longest nucleus) or split the longest
    nucleus until there are ``pieces`` syllables."""
    spans = list(spans)
    while len(spans) > pieces:
        # merge the pair whose join is shortest in nucleus length
        k = min(range(len(spans) - 1), key=lambda i: (spans[i][2] - spans[i][1]) + (spans[i + 1][2] - spans[i + 1][1]))
        a, b = spans[k], spans[k + 1]
        keep = a if a[2] - a[1] >= b[2] - b[1] else b
        spans[k : k + 2] = [(a[0], keep[1], keep[2], b[3])]
    while len(spans) < pieces:
        k = max(range(len(spans)), key=lambda i: spans[i][2] - spans[i][1])
        s0, n0, n1, s1 = spans[k]
        mid = (n0 + n1) / 2
        spans[k : k + 1] = [(s0, n0, mid, mid), (mid, mid, n1, s1)]
    return spans
