"""Where Yinse keeps its data: ``$YINSE_HOME`` if set, else ``$XDG_DATA_HOME/yinse``."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """The one directory for settings, caches, keys and the registry (created on demand)."""
    env = os.environ.get("YINSE_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
        home = Path(xdg) / "yinse"
    home.mkdir(parents=True, exist_ok=True)
    return home
