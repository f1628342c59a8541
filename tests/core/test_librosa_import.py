"""librosa's first import in a process waits for the numba cache lock (numba issue 10128:
two processes writing the cache together leave files that crash every later pYIN)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from yinse.core.librosa_import import GUFUNC_MODULES, _lock_path, import_librosa

CHILD = (
    "import sys; from yinse.core.librosa_import import GUFUNC_MODULES, import_librosa; "
    "import_librosa(); print(all(m in sys.modules for m in GUFUNC_MODULES))"
)


def _blocked_on(lock: Path) -> bool:
    """Whether /proc/locks shows a process waiting ('->') for a lock on this file."""
    inode = os.stat(lock).st_ino
    lines = Path("/proc/locks").read_text().splitlines()
    return any("->" in line and f":{inode} " in line for line in lines)


def test_the_first_import_waits_for_the_cache_lock():
    lock = _lock_path()
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True,
                                 cwd=Path(__file__).resolve().parents[2])  # fmt: skip
        try:
            deadline = time.monotonic() + 120  # the child's own imports (numpy, scipy) come first
            while not _blocked_on(lock) and child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert child.poll() is None, "the child loaded librosa while another process held the lock"
            assert _blocked_on(lock), "the child never waited for the lock"
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
        out, _ = child.communicate(timeout=300)
    assert child.returncode == 0 and out.strip() == "True", out


def test_import_librosa_loads_every_cached_module():
    librosa = import_librosa()
    assert all(name in sys.modules for name in GUFUNC_MODULES)
    assert librosa is sys.modules["librosa"] and callable(librosa.pyin)
