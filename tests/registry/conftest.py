"""A real PostgreSQL server for the registry tests: a throw-away cluster in a temporary
folder, reached over a Unix socket only (no TCP), started once per session and stopped
after.  Skipped where the PostgreSQL server binaries are not installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

BIN_DIRS = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14")]


def _tool(name: str) -> str | None:
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    return shutil.which(name)


@pytest.fixture(scope="session")
def postgres_url():
    initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    # Not under pytest's tmp folder: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="yinse-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    subprocess.run([*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "yinse"],
                   check=True, capture_output=True)  # fmt: skip
    options = f"-c listen_addresses='' -k {sock} -p 54329"
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-o", options, "-w", "start", "-l", str(root / "log")],
                   check=True, capture_output=True)  # fmt: skip
    try:
        subprocess.run([*as_user, _tool("createdb") or "createdb", "-h", str(sock), "-p", "54329", "-U", "yinse", "yinse"],
                       check=True, capture_output=True)  # fmt: skip
        yield f"postgresql+psycopg://yinse@/yinse?host={sock}&port=54329"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
