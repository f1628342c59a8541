"""Shared fixtures: real voices (loaded once per session), the shared recordings folder,
and an isolated YINSE_HOME for every test."""

from __future__ import annotations

from pathlib import Path

import pytest

# One implementation of the independent pitch measure, shared with the benchmarks.
from benchmarks.measure import note_centre_errors_cents, pyin_f0  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def yinse_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("yinse_home")
    monkeypatch.setenv("YINSE_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return SHARED_DATA

