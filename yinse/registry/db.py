"""The registry: every render Yinse wrote, so a found watermark leads to its record, and
(schema v2, ``voices.py``) the enrolled voices, their owners' consents and the render audit.

SQLite under ``$YINSE_HOME`` by default; any SQLAlchemy URL (PostgreSQL) through
``YINSE_DATABASE_URL``.  The schema is built by numbered migrations recorded in
``schema_version``, each applied in its own transaction, so an old database is brought up
to date on open and a failed migration leaves it as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.engine import Connection, Engine

from ..core.errors import ProvenanceError
from ..core.paths import data_home
from .voices import VoicesMixin, _v2
from .voices import as_utc as _utc

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

renders = Table(
    "renders",
    metadata,
    Column("render_id", String(64), primary_key=True),
    #: The 64-bit watermark payload (16 hex digits) that points back to this row.
    Column("payload_hex", String(16), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # sing, speak, mark
    Column("voice", String(128)),
    Column("consent_id", String(64)),
    Column("snapshot_hash", String(64), nullable=False),
    Column("engine_version", String(32), nullable=False),
    Column("settings_json", Text, nullable=False, default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

outputs = Table(
    "outputs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("render_id", String(64), ForeignKey("renders.render_id"), nullable=False, index=True),
    Column("file_name", Text, nullable=False),
    Column("format", String(8), nullable=False),
    #: SHA-256 of the file as written (after labels and signing).
    Column("sha256", String(64), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def _v1(conn: Connection) -> None:
    renders.create(conn)
    outputs.create(conn)


#: Ordered migrations; never edit a released one, append a new one.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2]


def default_url() -> str:
    return os.environ.get("YINSE_DATABASE_URL") or f"sqlite:///{data_home() / 'registry.sqlite3'}"


@dataclass(frozen=True)
class RenderRecord:
    render_id: str
    payload_hex: str
    kind: str
    voice: str | None
    consent_id: str | None
    snapshot_hash: str
    engine_version: str
    settings: dict
    created_at: datetime
    outputs: tuple[dict, ...] = ()

    def to_json(self) -> dict:
        return {
            "render_id": self.render_id,
            "payload": self.payload_hex,
            "kind": self.kind,
            "voice": self.voice,
            "consent_id": self.consent_id,
            "snapshot_hash": self.snapshot_hash,
            "engine_version": self.engine_version,
            "settings": self.settings,
            "created_at": self.created_at.isoformat(),
            "outputs": list(self.outputs),
        }


class Registry(VoicesMixin):
    """Renders and outputs here; owners, voices, consents and the audit in ``VoicesMixin``."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        try:
            self.engine: Engine = create_engine(self.url, future=True)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_foreign_keys)
            self.migrate()
        except ProvenanceError:
            raise
        except Exception as error:  # a driver or connection error: say which database
            raise ProvenanceError(
                f"cannot open the registry at {self._safe_url()}: {error.__class__.__name__}: "
                f"{str(error).splitlines()[0]}; check YINSE_DATABASE_URL or YINSE_HOME"
            ) from error

    def _safe_url(self) -> str:
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "(unparsable URL)"

    # ------------------------------------------------------------ schema
    def version(self) -> int:
        with self.engine.connect() as conn:
            if not self.engine.dialect.has_table(conn, "schema_version"):
                return 0
            return int(conn.execute(select(schema_version.c.version)).scalar() or 0)

    def migrate(self) -> int:
        current = self.version()
        if current > len(MIGRATIONS):
            raise ProvenanceError(
                f"the registry at {self._safe_url()} has schema version {current}, newer than this "
                f"Yinse knows ({len(MIGRATIONS)}); upgrade Yinse"
            )
        for number in range(current + 1, len(MIGRATIONS) + 1):
            with self.engine.begin() as conn:  # one transaction per migration
                if number == 1:
                    schema_version.create(conn, checkfirst=True)
                MIGRATIONS[number - 1](conn)
                conn.execute(schema_version.delete())
                conn.execute(insert(schema_version).values(version=number))
        return len(MIGRATIONS)

    # ------------------------------------------------------------ renders
    def record_output(
        self,
        *,
        render_id: str,
        payload_hex: str,
        kind: str,
        voice: str | None,
        consent_id: str | None,
        snapshot_hash: str,
        engine_version: str,
        settings: dict,
        file_name: str,
        file_format: str,
        sha256: str,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        """One transaction: the render (once) and this output file.  ``before_commit`` runs
        inside it (the output stage moves the file into place there), so the rows exist
        exactly when the file does: if it raises, nothing is recorded."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(renders.c.render_id).where(renders.c.render_id == render_id)
            ).first()
            if not exists:
                conn.execute(
                    insert(renders).values(
                        render_id=render_id, payload_hex=payload_hex, kind=kind, voice=voice,
                        consent_id=consent_id, snapshot_hash=snapshot_hash,
                        engine_version=engine_version,
                        settings_json=json.dumps(settings, sort_keys=True, ensure_ascii=False),
                        created_at=now,
                    )
                )  # fmt: skip
            conn.execute(
                insert(outputs).values(
                    render_id=render_id, file_name=file_name, format=file_format,
                    sha256=sha256, created_at=now,
                )
            )  # fmt: skip
            if before_commit is not None:
                before_commit()

    def find_by_payload(self, payload_hex: str) -> RenderRecord | None:
        return self._find(renders.c.payload_hex == payload_hex.lower())

    def find_by_render_id(self, render_id: str) -> RenderRecord | None:
        return self._find(renders.c.render_id == render_id)

    def find_by_file_hash(self, sha256: str) -> RenderRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(outputs.c.render_id).where(outputs.c.sha256 == sha256)).first()
        return self.find_by_render_id(row[0]) if row else None

    def _find(self, condition) -> RenderRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(renders).where(condition)).mappings().first()
            if row is None:
                return None
            files = conn.execute(
                select(outputs.c.file_name, outputs.c.format, outputs.c.sha256, outputs.c.created_at)
                .where(outputs.c.render_id == row["render_id"])
                .order_by(outputs.c.id)
            ).mappings()
            listed = tuple(
                {**dict(f), "created_at": _utc(f["created_at"]).isoformat()} for f in files
            )
        return RenderRecord(
            render_id=row["render_id"], payload_hex=row["payload_hex"], kind=row["kind"],
            voice=row["voice"], consent_id=row["consent_id"], snapshot_hash=row["snapshot_hash"],
            engine_version=row["engine_version"], settings=json.loads(row["settings_json"]),
            created_at=_utc(row["created_at"]), outputs=listed,
        )  # fmt: skip


def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    """SQLite checks foreign keys only when asked, per connection; PostgreSQL always does."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()
