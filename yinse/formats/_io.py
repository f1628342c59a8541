"""File helpers shared by the importers and exporters.

Reading goes through one function so every format refuses missing, unreadable and
oversized files with the same kind of message; writing goes through a temporary file in
the target folder and ``os.replace`` so a failed export never leaves half a file behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core.atomic import temp_beside
from ..core.errors import InputError

#: Scores are small; anything bigger is not a score (or is a decompression bomb).
MAX_FILE_BYTES = 50 * 1024 * 1024


def read_bytes(path: str | os.PathLike[str], *, what: str = "score") -> bytes:
    """The file's bytes, or an InputError saying why it cannot be read."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{what} file {p} does not exist; check the path") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} file {p}: {exc.strerror or exc}") from None
    if p.is_dir():
        raise InputError(f"{what} path {p} is a folder; give a file")
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{what} file {p} is {size / 1e6:.0f} MB, larger than the "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB limit; this is not a score Yinse can read"
        )
    try:
        with p.open("rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {what} file {p}: {exc.strerror or exc}") from None


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` all at once: a temp file beside it, then ``os.replace``."""
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write {p}: folder {folder} does not exist; create it first")
    try:
        with temp_beside(p) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, p)
    except OSError as exc:
        raise InputError(f"cannot write {p}: {exc.strerror or exc}") from None


def decode_utf8(data: bytes, *, source: str, what: str) -> str:
    """UTF-8 text with an optional BOM, or an InputError naming the file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what} file {source} is not UTF-8 text (bad byte at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
