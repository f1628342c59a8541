"""Put a lyric text onto a melody, one syllable per note.

Many melodies arrive without usable lyrics (a MIDI file, or a score whose lyrics are in
another language), so every importer accepts a separate lyrics text:

* Mandarin (and any CJK ideographs): one character per note; punctuation and whitespace
  are ignored.
* English and other alphabetic text: whitespace separates words and hyphens split a word
  into its sung syllables (``Twin-kle`` is two notes, syllabic ``begin`` then ``end``).
* A token that is just ``-``, ``_`` or ``+`` is a melisma note: it continues the syllable
  before it (``lyric=None``).

The same trailing-hyphen rule (``Twin-`` then ``kle``) is how MIDI lyric events and our
``.notes`` notation mark words that go on, so :func:`syllabic_from_hyphens` is shared.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import replace

from ..core.errors import InputError
from ..core.score import Score
from ._io import decode_utf8, read_bytes

#: Tokens that mean "this note continues the syllable before it".
MELISMA_TOKENS = frozenset({"-", "_", "+"})
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_KEEP_IN_WORD = frozenset("'’-")

#: (lyric or None for a melisma note, syllabic)
Syllable = tuple[str | None, str]


def is_melisma_mark(text: str | None) -> bool:
    """True for an empty lyric or one of the marks that continue the previous syllable."""
    return text is None or text.strip() == "" or text.strip() in MELISMA_TOKENS


def syllabic_from_hyphens(raw: Iterable[str | None]) -> list[Syllable]:
    """Turn lyrics where a trailing ``-`` means "the word goes on" into (lyric, syllabic).

    Melisma marks (``None``, ``""``, ``-``, ``_``, ``+``) become ``(None, "single")`` and do
    not break a word, so ``Twin-``, ``-``, ``kle`` is begin, melisma, end.
    """
    out: list[Syllable] = []
    word_open = False
    for text in raw:
        if is_melisma_mark(text):
            out.append((None, "single"))
            continue
        assert text is not None
        stripped = text.strip()
        continues = stripped.endswith("-")
        lyric = stripped.rstrip("-").strip()
        if not lyric:  # e.g. "--": nothing to sing, treat as a melisma mark
            out.append((None, "single"))
            continue
        if word_open:
            syllabic = "middle" if continues else "end"
        else:
            syllabic = "begin" if continues else "single"
        out.append((lyric, syllabic))
        word_open = continues
    return out


def _clean(token: str) -> str:
    """Drop punctuation and symbols, keeping letters, marks, digits, apostrophes, hyphens."""
    return "".join(
        ch for ch in token if ch in _KEEP_IN_WORD or unicodedata.category(ch)[0] in "LMN"
    )


def _sayable(piece: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in piece)


def _pieces(token: str) -> list[str]:
    """Split a cleaned token into sung pieces; a piece ending in ``-`` continues its word."""
    pieces: list[str] = []
    buf = ""
    for ch in token:
        if _CJK.match(ch):
            if _sayable(buf):
                pieces.append(buf)
            buf = ""
            pieces.append(ch)
        elif ch == "-":
            if _sayable(buf):
                pieces.append(buf + "-")
            elif pieces and not pieces[-1].endswith("-") and not _CJK.match(pieces[-1]):
                pieces[-1] += "-"  # "Twin -kle": the hyphen still joins the word
            buf = ""
        else:
            buf += ch
    if _sayable(buf):
        pieces.append(buf)
    return pieces


def split_lyrics(text: str) -> list[Syllable]:
    """One (lyric, syllabic) per note for a lyrics text (rules in the module docstring)."""
    raw: list[str | None] = []
    for token in text.split():
        if token in MELISMA_TOKENS:
            raw.append(None)
            continue
        cleaned = _clean(token)
        last = raw[-1] if raw else None
        if cleaned.startswith("-") and last is not None and not last.endswith("-"):
            raw[-1] = last + "-"  # "Twin -kle": the hyphen joins across the space
        raw.extend(_pieces(cleaned))
    return syllabic_from_hyphens(raw)


def read_lyrics_file(path: str | os.PathLike[str]) -> str:
    """The text of a UTF-8 lyrics file (a BOM is fine)."""
    data = read_bytes(path, what="lyrics")
    return decode_utf8(data, source=str(path), what="lyrics")


def apply_lyrics(score: Score, text: str, *, source: str = "the lyrics") -> Score:
    """``score`` with its lyrics replaced by ``text``, one syllable (or ``-``) per note."""
    syllables = split_lyrics(text)
    n_notes = len(score.notes)
    if len(syllables) != n_notes:
        marks = sum(1 for lyric, _ in syllables if lyric is None)
        counted = f" (counting {marks} melisma mark{'s' if marks != 1 else ''})" if marks else ""
        raise InputError(
            f"{source}: lyrics have {len(syllables)} syllables{counted} but the melody has "
            f"{n_notes} notes; give one syllable per note and mark melisma notes "
            "(a syllable held over several notes) with '-' in the lyrics"
        )
    notes = tuple(
        replace(note, lyric=lyric, syllabic=syllabic)
        for note, (lyric, syllabic) in zip(score.notes, syllables)
    )
    return replace(score, notes=notes)

