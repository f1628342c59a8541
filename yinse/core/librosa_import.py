"""librosa, imported so that two processes cannot corrupt numba's cache of it.

librosa compiles several ``numba.guvectorize(cache=True)`` functions when its submodules
are first imported, and numba writes each as two cache files (the kernel and its gufunc
wrapper) with no lock between them (numba issue 10128).  Two processes importing librosa
for the first time together (a benchmark beside the tests, two ``yinse`` commands at once
after an install) can leave a pair from different processes; from then on every process
that loads it crashes with a segmentation fault in pYIN (seen here: the test suite crashed
in ``_parabolic_interpolation`` until the cache files were deleted).  So the first import in
each process holds an exclusive file lock while those submodules load: one process
compiles and writes, the others wait and then read a consistent cache.  ``make setup``
warms the cache once, so the lock is normally held for the few seconds a load takes.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

#: librosa's submodules that define cached gufuncs (compiled when they are imported).
GUFUNC_MODULES = (
    "librosa.util.utils",
    "librosa.core.audio",
    "librosa.core.pitch",
    "librosa.beat",
    "librosa.sequence",
)


def import_librosa() -> ModuleType:
    """librosa with its numba-cached submodules loaded under the cache lock."""
    if all(name in sys.modules for name in GUFUNC_MODULES):
        return sys.modules["librosa"]
    import fcntl

    with open(_lock_path(), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            for name in GUFUNC_MODULES:
                importlib.import_module(name)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return sys.modules["librosa"]


def _lock_path() -> Path:
    """Beside librosa's own cache files when its folder is writable (every user of that
    installation then shares the lock), else in the temporary folder per user (numba then
    caches in the user's own folder)."""
    spec = importlib.util.find_spec("librosa")
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent
        if os.access(folder, os.W_OK):
            return folder / ".yinse-numba-cache.lock"
    return Path(tempfile.gettempdir()) / f"yinse-numba-cache-{os.getuid()}.lock"
