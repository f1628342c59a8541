"""All-or-nothing file writes: work on a temporary file beside the target, then rename.

A temporary file in the same folder can be renamed over the target atomically
(``os.replace``), so a reader never sees half a file and a failure leaves the target as
it was.  One helper for every writer (score exports, labels, signing, the output stage).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)


def default_mode(path: Path) -> int:
    """The target's current permissions, or what a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_UMASK


@contextmanager
def temp_beside(path: str | os.PathLike) -> Iterator[Path]:
    """A fresh temporary file in ``path``'s folder, with the permissions ``path`` has (or
    would get).  The caller fills it and ``os.replace``\\ s it over ``path``; if the block
    raises, the temporary file is removed.  ``OSError`` from creating it propagates."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, default_mode(target))
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
