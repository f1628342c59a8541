import sqlite3
from datetime import UTC

import pytest
from sqlalchemy.exc import IntegrityError

from yinse.core.errors import ProvenanceError
from yinse.registry import MIGRATIONS, Registry


def record(reg: Registry, render_id: str = "ab" * 32, sha: str = "cd" * 32, name: str = "out.wav"):
    reg.record_output(
        render_id=render_id, payload_hex=render_id[:16], kind="sing", voice="baker",
        consent_id=None, snapshot_hash=render_id, engine_version="0.1.0",
        settings={"key_shift": 2}, file_name=name, file_format="wav", sha256=sha,
    )  # fmt: skip


def test_default_registry_lives_in_yinse_home(yinse_home):
    reg = Registry()
    assert (yinse_home / "registry.sqlite3").exists()
    assert reg.version() == len(MIGRATIONS)


def test_record_and_find_by_payload_id_and_hash():
    reg = Registry()
    record(reg)
    record(reg, sha="ef" * 32, name="out.mp3")  # same render, a second file
    found = reg.find_by_payload(("ab" * 32)[:16].upper())
    assert found and found.voice == "baker" and found.settings == {"key_shift": 2}
    assert [o["file_name"] for o in found.outputs] == ["out.wav", "out.mp3"]
    assert found.created_at.tzinfo == UTC
    assert reg.find_by_file_hash("ef" * 32).render_id == "ab" * 32
    assert reg.find_by_payload("0" * 16) is None


def test_reopening_keeps_rows_and_does_not_migrate_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    record(Registry(url))
    again = Registry(url)
    assert again.find_by_render_id("ab" * 32) is not None
    assert again.version() == len(MIGRATIONS)


def test_a_failed_output_write_leaves_no_half_row(tmp_path):
    reg = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    with pytest.raises(IntegrityError, match="NOT NULL"):
        reg.record_output(
            render_id="x" * 64, payload_hex="x" * 16, kind="sing", voice=None, consent_id=None,
            snapshot_hash="x" * 64, engine_version="0", settings={}, file_name=None,
            file_format="wav", sha256="0" * 64,
        )  # fmt: skip  (file_name NULL violates NOT NULL after the render row was inserted)
    assert reg.find_by_render_id("x" * 64) is None  # the render row was rolled back too


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "r.db"
    Registry(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(ProvenanceError, match="upgrade Yinse"):
        Registry(f"sqlite:///{path}")


def test_unreachable_database_is_a_clear_error(tmp_path):
    with pytest.raises(ProvenanceError, match="cannot open the registry"):
        Registry(f"sqlite:///{tmp_path / 'missing' / 'deeper' / 'r.db'}")


def test_the_same_registry_runs_on_postgresql(postgres_url):
    reg = Registry(postgres_url)
    assert reg.version() == len(MIGRATIONS)
    record(reg, render_id="12" * 32)
    found = reg.find_by_payload("12" * 8)
    assert found and found.outputs[0]["sha256"] == "cd" * 32
    assert found.created_at.tzinfo is not None
    assert Registry(postgres_url).find_by_render_id("12" * 32) is not None  # reopened: no re-migration


def test_a_failing_commit_hook_rolls_the_rows_back():
    reg = Registry()

    def fail():
        raise OSError("disk full")

    with pytest.raises(OSError):
        reg.record_output(
            render_id="f" * 64, payload_hex="f" * 16, kind="sing", voice=None, consent_id=None,
            snapshot_hash="f" * 64, engine_version="0", settings={}, file_name="o.wav",
            file_format="wav", sha256="0" * 64, before_commit=fail,
        )  # fmt: skip
    assert reg.find_by_render_id("f" * 64) is None
