"""Scores in and out: MusicXML (.musicxml/.xml/.mxl), MIDI (.mid/.midi), UTAU (.ust) and
Yinse's plain-text notation (.notes).

:func:`load_score` is the one way in: it picks the reader by extension, can replace the
lyrics with a text file (one syllable per note, see :mod:`yinse.formats.lyrics`), and
validates the result so every format refuses unsingable input the same way.
:func:`save_score` writes MIDI, MusicXML, .mxl or .notes atomically.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..core.errors import InputError
from ..core.score import Score
from ._io import atomic_write_bytes, read_bytes
from .lyrics import apply_lyrics, read_lyrics_file, split_lyrics, syllabic_from_hyphens
from .midi import read_midi, write_midi
from .musicxml import read_musicxml, read_mxl, write_musicxml, write_mxl
from .notation import read_notes, write_notes
from .ust import read_ust

__all__ = [
    "LOAD_EXTENSIONS",
    "SAVE_EXTENSIONS",
    "apply_lyrics",
    "load_score",
    "read_lyrics_file",
    "read_midi",
    "read_musicxml",
    "read_mxl",
    "read_notes",
    "read_ust",
    "save_score",
    "split_lyrics",
    "syllabic_from_hyphens",
    "write_midi",
    "write_musicxml",
    "write_mxl",
    "write_notes",
]

_LOADERS: dict[str, Callable[..., Score]] = {
    ".musicxml": read_musicxml,
    ".xml": read_musicxml,
    ".mxl": read_mxl,
    ".mid": read_midi,
    ".midi": read_midi,
    ".ust": read_ust,
    ".notes": read_notes,
}
_SAVERS: dict[str, Callable[[Score], bytes]] = {
    ".mid": write_midi,
    ".midi": write_midi,
    ".musicxml": write_musicxml,
    ".xml": write_musicxml,
    ".mxl": write_mxl,
    ".notes": write_notes,
}
LOAD_EXTENSIONS = tuple(_LOADERS)
SAVE_EXTENSIONS = tuple(_SAVERS)


def load_score(
    path: str | os.PathLike[str],
    *,
    lyrics_path: str | os.PathLike[str] | None = None,
    verse: int = 1,
) -> Score:
    """Read a score file, optionally put the lyrics of ``lyrics_path`` on its notes, and
    validate it.  ``verse`` picks a MusicXML lyric line (ignored by the other formats)."""
    p = Path(path)
    ext = p.suffix.lower()
    reader = _LOADERS.get(ext)
    if reader is None:
        raise InputError(
            f"cannot read {p}: unknown score format {ext or '(no extension)'!r}; "
            f"give one of {', '.join(LOAD_EXTENSIONS)}"
        )
    if isinstance(verse, bool) or not isinstance(verse, int) or verse < 1:
        raise InputError(f"verse {verse!r} is not a verse number; verses count from 1")
    # Read the lyrics first: a missing lyrics file should not wait for a big score to parse.
    lyrics_text = read_lyrics_file(lyrics_path) if lyrics_path is not None else None
    data = read_bytes(p, what="score")
    source = str(p)
    if reader in (read_musicxml, read_mxl):
        # With a lyrics file the score's own verses do not matter.
        score = reader(data, source=source, verse=1 if lyrics_text is not None else verse)
    else:
        score = reader(data, source=source)
    if lyrics_text is not None:
        score = apply_lyrics(score, lyrics_text, source=str(lyrics_path))
    try:
        return score.validate()
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None


def save_score(score: Score, path: str | os.PathLike[str]) -> None:
    """Write ``score`` in the format its extension names; all or nothing (atomic)."""
    p = Path(path)
    ext = p.suffix.lower()
    writer = _SAVERS.get(ext)
    if writer is None:
        raise InputError(
            f"cannot write {p}: unknown score format {ext or '(no extension)'!r}; "
            f"give one of {', '.join(SAVE_EXTENSIONS)}"
        )
    atomic_write_bytes(p, writer(score))
