"""Silence what native libraries print on the process's stderr.

TensorFlow Lite's C++ runtime writes INFO and WARNING lines ("Created TensorFlow Lite XNNPACK
delegate for CPU") straight to file descriptor 2 when a model loads and first runs; Python's
logging and ``TF_CPP_MIN_LOG_LEVEL`` do not reach them, and a user of the command line cannot
act on them.  Errors still surface as Python exceptions.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

_lock = threading.Lock()


@contextlib.contextmanager
def native_stderr_silenced():
    """Point file descriptor 2 at the null device for the duration of the block."""
    with _lock:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
