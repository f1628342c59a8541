"""Enrolled voices, their owners and the owners' consent: schema version 2 of the registry.

A voice made from a person's recordings may be rendered only while a consent of that person
covers what is asked (``sing``, ``speak`` or ``convert``).  The registry keeps the evidence
(the statement read against a one-time challenge, or an attestation and its document), every
revocation, and one audit row per render, so ``active_consent`` can answer the gate's
question and say exactly why not.

Voices are keyed by an id, not their name: a deleted voice keeps its rows (consents,
revocations, audit) and its name may be enrolled again, and the new voice never inherits the
old one's consents.  At most one *active* voice holds a name (a partial unique index).

Rules ``active_consent`` follows:

* a revocation is effective at once and for good (``at`` moves only the expiry clock);
* a consent is expired from its ``expires_at`` on;
* of several valid consents covering the scope, a recorded one wins over an attested one
  (the person's own voice reading the statement is the stronger evidence), then the newest.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError

from ..core.errors import ConsentError, InputError

#: What a consent can grant, in the order messages list them.
SCOPES = ("sing", "speak", "convert")
#: ``recorded``: the owner read the statement aloud against a challenge, verified by speaker
#: and text scores; ``attested``: someone (the owner, an estate, an agency) attested in writing.
KINDS = ("recorded", "attested")
#: Starts with a letter or digit, so a name never reads as a command-line option.
VOICE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{1,31}")
CHALLENGE_TTL_S = 3600

metadata = MetaData()

owners = Table(
    "owners",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("display_name", String(200), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

voices = Table(
    "voices",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(32), nullable=False, index=True),
    Column("owner_id", String(32), ForeignKey("owners.id"), nullable=False, index=True),
    Column("language", String(32), nullable=False),
    Column("base_voice", String(128), nullable=False),
    Column("bank_path", Text, nullable=False),
    Column("bank_sha256", String(64), nullable=False),
    #: JSON list of floats: the speaker centroid the protected-voice guard compares against.
    Column("embedding", Text, nullable=False),
    Column("manifest_json", Text, nullable=False),
    Column("status", String(16), nullable=False),  # active, deleted
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    # One active voice per name; deleted ones keep theirs for the audit trail.
    Index(
        "ux_voices_active_name", "name", unique=True,
        sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'"),
    ),  # fmt: skip
)

consent_challenges = Table(
    "consent_challenges",
    metadata,
    Column("id", String(32), primary_key=True),  # secrets.token_urlsafe(8): 11 characters
    Column("voice_id", String(32), ForeignKey("voices.id"), nullable=False, index=True),
    Column("statement", Text, nullable=False),  # the whole text to be read aloud
    Column("challenge_phrase", Text, nullable=False),  # the fresh part of it
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

consents = Table(
    "consents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("voice_id", String(32), ForeignKey("voices.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("statement", Text, nullable=False),
    Column("challenge_id", String(32), ForeignKey("consent_challenges.id"), unique=True),
    Column("recording_sha256", String(64)),
    Column("speaker_score", Float),
    Column("speaker_threshold", Float),
    Column("text_score", Float),
    Column("text_threshold", Float),
    Column("attested_by", String(200)),
    Column("document_name", Text),
    Column("document_sha256", String(64)),
    Column("scopes", String(64), nullable=False),  # comma-separated, in SCOPES order
    Column("commercial_use", Boolean, nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

revocations = Table(
    "revocations",
    metadata,
    Column("id", String(32), primary_key=True),
    #: One row per revoked consent; revoking a voice writes one for each of its consents.
    Column("consent_id", String(32), ForeignKey("consents.id"), nullable=False, unique=True),
    Column("voice_id", String(32), ForeignKey("voices.id"), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

render_audit = Table(
    "render_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("voice_id", String(32), ForeignKey("voices.id"), nullable=False),
    Column("voice_name", String(32), nullable=False, index=True),
    Column("consent_id", String(32), ForeignKey("consents.id"), nullable=False, index=True),
    Column("scope", String(16), nullable=False),
    # No foreign key to renders: the audit row may be written before the output stage is.
    Column("render_id", String(64), nullable=False, index=True),
    Column("output", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def _v2(conn: Connection) -> None:
    """Owners, voices, consent challenges, consents, revocations and the render audit."""
    for table in (owners, voices, consent_challenges, consents, revocations, render_audit):
        table.create(conn)  # with its indexes


# ---------------------------------------------------------------- time
def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything we store is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _opt_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def _clock(moment: datetime | None, what: str = "now") -> datetime:
    """Now, or the caller's moment; a naive one is refused, since its zone is unknowable."""
    if moment is None:
        return datetime.now(UTC)
    if moment.tzinfo is None:
        raise InputError(f"{what} {moment.isoformat()} has no time zone; pass an aware datetime")
    return moment.astimezone(UTC)


def _when(moment: datetime) -> str:
    return f"{as_utc(moment):%Y-%m-%d %H:%M:%S} UTC"


# ---------------------------------------------------------------- records
@dataclass(frozen=True)
class Owner:
    id: str
    display_name: str
    created_at: datetime


@dataclass(frozen=True)
class VoiceRecord:
    id: str
    name: str
    owner_id: str
    owner_name: str
    language: str
    base_voice: str
    bank_path: str
    bank_sha256: str
    embedding: tuple[float, ...]
    manifest: dict
    status: str  # active, deleted
    created_at: datetime
    deleted_at: datetime | None

    @property
    def embedding_version(self) -> int:
        """How ``embedding`` was made (:data:`yinse.registry.speaker.EMBEDDING_VERSION`); voices
        enrolled before the version was recorded in their manifest are 1."""
        return int(self.manifest.get("settings", {}).get("speaker_embedding", 1))

    def to_json(self) -> dict:
        """Everything but the embedding (a long list of floats nobody reads)."""
        return {
            "id": self.id, "name": self.name, "owner_id": self.owner_id,
            "owner": self.owner_name, "language": self.language, "base_voice": self.base_voice,
            "bank_path": self.bank_path, "bank_sha256": self.bank_sha256,
            "manifest": self.manifest, "status": self.status,
            "created_at": self.created_at.isoformat(),
            "deleted_at": self.deleted_at.isoformat() if self.deleted_at else None,
        }  # fmt: skip


@dataclass(frozen=True)
class Challenge:
    id: str
    voice_name: str
    statement: str
    phrase: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class ConsentRecord:
    id: str
    voice_name: str
    kind: str
    statement: str
    scopes: tuple[str, ...]
    commercial_use: bool
    created_at: datetime
    expires_at: datetime | None = None
    challenge_id: str | None = None
    recording_sha256: str | None = None
    speaker_score: float | None = None
    speaker_threshold: float | None = None
    text_score: float | None = None
    text_threshold: float | None = None
    attested_by: str | None = None
    document_name: str | None = None
    document_sha256: str | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    def state(self, at: datetime | None = None) -> str:
        """``revoked`` (for good), ``expired`` (from ``expires_at`` on) or ``active``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= _clock(at, "at"):
            return "expired"
        return "active"

    def to_json(self, at: datetime | None = None) -> dict:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "id": self.id, "voice": self.voice_name, "kind": self.kind,
            "state": self.state(at), "scopes": list(self.scopes),
            "commercial_use": self.commercial_use, "statement": self.statement,
            "created_at": iso(self.created_at), "expires_at": iso(self.expires_at),
            "challenge_id": self.challenge_id, "recording_sha256": self.recording_sha256,
            "speaker_score": self.speaker_score, "speaker_threshold": self.speaker_threshold,
            "text_score": self.text_score, "text_threshold": self.text_threshold,
            "attested_by": self.attested_by, "document_name": self.document_name,
            "document_sha256": self.document_sha256, "revoked_at": iso(self.revoked_at),
            "revoked_reason": self.revoked_reason,
        }  # fmt: skip


@dataclass(frozen=True)
class AuditRow:
    id: int
    voice_name: str
    voice_id: str
    consent_id: str
    scope: str
    render_id: str
    output: str | None
    created_at: datetime


# ---------------------------------------------------------------- checks
def check_voice_name(name: str) -> str:
    if not isinstance(name, str) or not VOICE_NAME.fullmatch(name):
        raise InputError(
            f"the voice name {name!r} is not allowed; use 2-32 lowercase letters, digits, "
            "'-' or '_', starting with a letter or digit (for example 'li-wei')"
        )
    return name


def _scope(scope: str) -> str:
    if scope not in SCOPES:
        raise InputError(f"unknown consent scope {scope!r}; use one of {', '.join(SCOPES)}")
    return scope


def _scopes(scopes: Iterable[str] | str) -> tuple[str, ...]:
    """A comma-separated string or a list, checked and put in SCOPES order."""
    given = scopes.split(",") if isinstance(scopes, str) else list(scopes)
    wanted = {_scope(s.strip()) for s in given if s.strip()}
    if not wanted:
        raise InputError(f"a consent must grant at least one scope of {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in wanted)


def _sha256(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value.lower()):
        raise InputError(f"{what} {value!r} is not a SHA-256 (64 hex digits)")
    return value.lower()


def _text(value: str | None, what: str, limit: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what} is empty; give one")
    value = value.strip()
    if limit is not None and len(value) > limit:
        raise InputError(f"{what} is {len(value)} characters long; keep it to {limit}")
    return value


def _embedding(values: Iterable[float]) -> str:
    try:
        floats = [float(v) for v in values]
    except (TypeError, ValueError) as error:
        raise InputError(f"the speaker embedding must be a list of numbers ({error})") from None
    if not floats or not all(math.isfinite(v) for v in floats):
        raise InputError("the speaker embedding is empty or not finite; compute it again")
    return json.dumps(floats)


# ---------------------------------------------------------------- the API
class VoicesMixin:
    """The voice and consent half of ``Registry`` (which supplies ``engine``)."""

    engine: Engine

    # ------------------------------------------------------------ owners
    def add_owner(self, display_name: str) -> Owner:
        owner = Owner(
            id=uuid.uuid4().hex, display_name=_text(display_name, "the owner's name", 200),
            created_at=datetime.now(UTC),
        )  # fmt: skip
        with self.engine.begin() as conn:
            conn.execute(insert(owners).values(**owner.__dict__))
        return owner

    def get_owner(self, owner_id: str) -> Owner | None:
        return self._owner(owners.c.id == owner_id)

    def find_owner_by_name(self, display_name: str) -> Owner | None:
        """Names need not be unique; the first owner enrolled under this one."""
        return self._owner(owners.c.display_name == display_name.strip())

    def _owner(self, condition) -> Owner | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(owners).where(condition).order_by(owners.c.created_at, owners.c.id)
            ).mappings().first()  # fmt: skip
        if row is None:
            return None
        return Owner(row["id"], row["display_name"], as_utc(row["created_at"]))

    # ------------------------------------------------------------ voices
    def add_voice(
        self,
        *,
        name: str,
        owner_id: str,
        language: str,
        base_voice: str,
        bank_path: str,
        bank_sha256: str,
        embedding: Iterable[float],
        manifest: dict,
        before_commit: Callable[[], None] | None = None,
    ) -> VoiceRecord:
        """Enroll a voice.  ``before_commit`` runs inside the transaction (the caller moves
        the voice bank into place there), so the row exists exactly when the bank does."""
        check_voice_name(name)
        if not isinstance(manifest, dict):
            raise InputError(f"the voice manifest must be a dict, not {type(manifest).__name__}")
        values = dict(
            id=uuid.uuid4().hex, name=name, owner_id=owner_id,
            language=_text(language, "the voice's language", 32),
            base_voice=_text(base_voice, "the base voice", 128),
            bank_path=_text(str(bank_path), "the voice bank path"),
            bank_sha256=_sha256(bank_sha256, "the voice bank hash"),
            embedding=_embedding(embedding),
            manifest_json=json.dumps(manifest, sort_keys=True, ensure_ascii=False),
            status="active", created_at=datetime.now(UTC), deleted_at=None,
        )  # fmt: skip
        taken = InputError(
            f"a voice called '{name}' already exists; pick another name or delete it first"
        )
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(owners.c.id).where(owners.c.id == owner_id)).first() is None:
                    raise InputError(f"no owner with id '{owner_id}'; add the owner first")
                if self._voice_row(conn, name) is not None:
                    raise taken
                conn.execute(insert(voices).values(**values))
                if before_commit is not None:
                    before_commit()
        except IntegrityError as error:  # a concurrent enrollment took the name first
            raise taken from error
        found = self.get_voice(name)
        assert found is not None
        return found

    def get_voice(self, name: str, *, include_deleted: bool = False) -> VoiceRecord | None:
        """The active voice of that name; with ``include_deleted``, else the last deleted one."""
        with self.engine.connect() as conn:
            row = self._voice_row(conn, name, include_deleted=include_deleted)
        return _voice(row) if row is not None else None

    def list_voices(self) -> list[VoiceRecord]:
        """The active voices, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                _voice_select().where(voices.c.status == "active").order_by(voices.c.name)
            ).mappings().all()  # fmt: skip
        return [_voice(row) for row in rows]

    def delete_voice(self, name: str, *, reason: str = "") -> VoiceRecord:
        """Mark the voice deleted and revoke all its consents; its rows and audit stay, and
        its name is free to enroll again (the new voice starts without consent)."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            row = self._voice_row(conn, name)
            if row is None:
                raise InputError(f"no enrolled voice called '{name}' to delete; see `yinse voices`")
            conn.execute(
                update(voices).where(voices.c.id == row["id"])
                .values(status="deleted", deleted_at=now)
            )  # fmt: skip
            why = f"voice deleted: {reason}" if reason.strip() else "voice deleted"
            self._revoke_all(conn, row["id"], why, now)
        found = self.get_voice(name, include_deleted=True)
        assert found is not None
        return found

    def _voice_row(
        self, conn: Connection, name: str, *, include_deleted: bool = False
    ) -> RowMapping | None:
        query = _voice_select().where(voices.c.name == name)
        if not include_deleted:
            query = query.where(voices.c.status == "active")
        # Active first, then the most recently deleted.
        query = query.order_by((voices.c.status == "active").desc(), voices.c.deleted_at.desc())
        return conn.execute(query).mappings().first()

    # ------------------------------------------------------------ challenges
    def issue_challenge(
        self,
        *,
        voice_name: str,
        statement: str,
        phrase: str,
        ttl_s: float = CHALLENGE_TTL_S,
        now: datetime | None = None,
    ) -> Challenge:
        """A one-time text for the owner to read aloud: ``statement`` (the whole consent
        text, which must contain the fresh ``phrase``), usable once within ``ttl_s``."""
        statement = _text(statement, "the consent statement")
        phrase = _text(phrase, "the challenge phrase")
        if phrase not in statement:
            raise InputError(
                f"the challenge phrase {phrase!r} is not part of the statement; put it in the "
                "text the owner reads"
            )
        if not ttl_s > 0:
            raise InputError(f"the challenge lifetime {ttl_s} s must be positive")
        moment = _clock(now)
        with self.engine.begin() as conn:
            voice = self._voice_row(conn, voice_name)
            if voice is None:
                raise InputError(
                    f"no enrolled voice called '{voice_name}'; enroll it before asking consent"
                )
            values = dict(
                id=secrets.token_urlsafe(8), voice_id=voice["id"], statement=statement,
                challenge_phrase=phrase, created_at=moment,
                expires_at=moment + timedelta(seconds=ttl_s), used_at=None,
            )  # fmt: skip
            conn.execute(insert(consent_challenges).values(**values))
        return Challenge(
            id=values["id"], voice_name=voice_name, statement=statement, phrase=phrase,
            created_at=moment, expires_at=values["expires_at"], used_at=None,
        )  # fmt: skip

    def get_challenge(self, challenge_id: str) -> Challenge | None:
        with self.engine.connect() as conn:
            row = self._challenge_row(conn, challenge_id)
        return _challenge(row) if row is not None else None

    def challenges_for(self, voice_name: str) -> list[Challenge]:
        """Every challenge issued for the voice (the active one), newest first: the consent
        check reads old phrases as decoys, and new challenges avoid their words."""
        with self.engine.connect() as conn:
            voice = self._voice_row(conn, voice_name)
            if voice is None:
                return []
            rows = conn.execute(
                select(consent_challenges, voices.c.name.label("voice_name"))
                .join(voices, voices.c.id == consent_challenges.c.voice_id)
                .where(consent_challenges.c.voice_id == voice["id"])
                .order_by(consent_challenges.c.created_at.desc())
            ).mappings().all()  # fmt: skip
        return [_challenge(row) for row in rows]

    def use_challenge(
        self, challenge_id: str, *, voice_name: str | None = None, now: datetime | None = None
    ) -> Challenge:
        """Mark the challenge used.  Refused (ConsentError) when unknown, already used,
        expired, for a deleted voice, or (given ``voice_name``) issued for another voice."""
        with self.engine.begin() as conn:
            return self._use_challenge(conn, challenge_id, voice_name, _clock(now))

    def _challenge_row(self, conn: Connection, challenge_id: str) -> RowMapping | None:
        return conn.execute(
            select(consent_challenges, voices.c.name.label("voice_name"),
                   voices.c.status.label("voice_status"))
            .join(voices, voices.c.id == consent_challenges.c.voice_id)
            .where(consent_challenges.c.id == challenge_id)
        ).mappings().first()  # fmt: skip

    def _use_challenge(
        self, conn: Connection, challenge_id: str, voice_name: str | None, now: datetime
    ) -> Challenge:
        row = self._challenge_row(conn, challenge_id)
        if row is None:
            raise ConsentError(f"no consent challenge '{challenge_id}' was issued; issue a new one")
        name = row["voice_name"]
        if voice_name is not None and name != voice_name:
            raise ConsentError(
                f"the consent challenge '{challenge_id}' was issued for the voice '{name}', not "
                f"'{voice_name}'; issue one for '{voice_name}'"
            )
        if row["voice_status"] != "active":
            raise ConsentError(
                f"the consent challenge '{challenge_id}' belongs to the deleted voice '{name}'; "
                "enroll the voice again and issue a new challenge"
            )
        if row["used_at"] is not None:
            raise ConsentError(
                f"the consent challenge '{challenge_id}' was already used at "
                f"{_when(row['used_at'])}; a challenge reads once, issue a new one"
            )
        if as_utc(row["expires_at"]) <= now:
            raise ConsentError(
                f"the consent challenge '{challenge_id}' expired at {_when(row['expires_at'])}; "
                "issue a new one and record the statement within its lifetime"
            )
        done = conn.execute(
            update(consent_challenges)
            .where(consent_challenges.c.id == challenge_id, consent_challenges.c.used_at.is_(None))
            .values(used_at=now)
        )  # fmt: skip
        if done.rowcount != 1:  # another process used it between our read and write
            raise ConsentError(
                f"the consent challenge '{challenge_id}' was just used; issue a new one"
            )
        return _challenge({**row, "used_at": now})

    # ------------------------------------------------------------ consents
    def add_consent(
        self,
        *,
        voice_name: str,
        kind: str,
        statement: str,
        scopes: Iterable[str] | str,
        commercial_use: bool,
        expires_at: datetime | None = None,
        challenge_id: str | None = None,
        recording_sha256: str | None = None,
        speaker_score: float | None = None,
        speaker_threshold: float | None = None,
        text_score: float | None = None,
        text_threshold: float | None = None,
        attested_by: str | None = None,
        document_name: str | None = None,
        document_sha256: str | None = None,
        now: datetime | None = None,
    ) -> ConsentRecord:
        """Record a consent.  A recorded one needs its challenge (used here, in the same
        transaction), the recording's hash and passing speaker and text scores; an attested
        one needs who attests, and optionally the document (name and hash together)."""
        if kind not in KINDS:
            raise InputError(f"unknown consent kind {kind!r}; use {' or '.join(KINDS)}")
        statement = _text(statement, "the consent statement")
        granted = _scopes(scopes)
        moment = _clock(now)
        if expires_at is not None:
            expires_at = _clock(expires_at, "expires_at")
            if expires_at <= moment:
                raise InputError(
                    f"the consent would expire at {_when(expires_at)}, which is already past; "
                    "give a later expiry or none"
                )
        recording_sha256 = _sha256(recording_sha256, "the recording hash")
        document_sha256 = _sha256(document_sha256, "the document hash")
        if kind == "recorded":
            _check_recorded(
                challenge_id, recording_sha256, speaker_score, speaker_threshold, text_score,
                text_threshold,
            )  # fmt: skip
        else:
            attested_by = _text(attested_by, "who attests the consent (attested_by)", 200)
            if challenge_id is not None or recording_sha256 is not None:
                raise InputError(
                    "an attested consent has no challenge or recording; record it as 'recorded'"
                )
            if (document_name is None) != (document_sha256 is None):
                raise InputError("give the attestation document's name and its SHA-256 together")
        values = dict(
            id=uuid.uuid4().hex, kind=kind, statement=statement, challenge_id=challenge_id,
            recording_sha256=recording_sha256, speaker_score=speaker_score,
            speaker_threshold=speaker_threshold, text_score=text_score,
            text_threshold=text_threshold, attested_by=attested_by,
            document_name=document_name, document_sha256=document_sha256,
            scopes=",".join(granted), commercial_use=bool(commercial_use),
            expires_at=expires_at, created_at=moment,
        )  # fmt: skip
        with self.engine.begin() as conn:
            voice = self._voice_row(conn, voice_name)
            if voice is None:
                raise InputError(
                    f"no enrolled voice called '{voice_name}'; enroll it before recording consent"
                )
            if kind == "recorded":
                challenge = self._use_challenge(conn, challenge_id, voice_name, moment)
                if challenge.statement != statement:
                    raise ConsentError(
                        f"the consent statement differs from what challenge '{challenge_id}' "
                        "asked to be read; record the challenge's statement"
                    )
            conn.execute(insert(consents).values(voice_id=voice["id"], **values))
        return self._consent(values["id"])

    def get_consent(self, consent_id: str) -> ConsentRecord | None:
        with self.engine.connect() as conn:
            found = _consent_records(conn, consents.c.id == consent_id)
        return found[0] if found else None

    def _consent(self, consent_id: str) -> ConsentRecord:
        found = self.get_consent(consent_id)
        assert found is not None
        return found

    def consents_for(self, voice_name: str) -> list[ConsentRecord]:
        """Every consent of the voice (the active one, else the last deleted), oldest first,
        each with its revocation; ``ConsentRecord.state()`` says revoked/expired/active."""
        with self.engine.connect() as conn:
            voice = self._voice_row(conn, voice_name, include_deleted=True)
            if voice is None:
                raise InputError(f"no voice called '{voice_name}'; see `yinse voices`")
            return _consent_records(conn, consents.c.voice_id == voice["id"])

    def revoke(self, *, voice_name: str, reason: str = "") -> int:
        """Revoke every consent of the voice not yet revoked, effective at once; returns how
        many.  Later renders are refused until a new consent is recorded."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            voice = self._voice_row(conn, voice_name, include_deleted=True)
            if voice is None:
                raise InputError(f"no voice called '{voice_name}' to revoke; see `yinse voices`")
            return self._revoke_all(conn, voice["id"], reason.strip(), now)

    def _revoke_all(self, conn: Connection, voice_id: str, reason: str, now: datetime) -> int:
        revoked = select(revocations.c.consent_id)
        open_ids = conn.execute(
            select(consents.c.id)
            .where(consents.c.voice_id == voice_id, consents.c.id.not_in(revoked))
        ).scalars().all()  # fmt: skip
        for consent_id in open_ids:
            conn.execute(
                insert(revocations).values(
                    id=uuid.uuid4().hex, consent_id=consent_id, voice_id=voice_id,
                    reason=reason, created_at=now,
                )
            )  # fmt: skip
        return len(open_ids)

    def active_consent(
        self, *, voice_name: str, scope: str, at: datetime | None = None
    ) -> ConsentRecord:
        """The gate's question: which consent lets this voice be used for ``scope`` now (or
        at ``at``, which moves only the expiry clock)?  ConsentError says exactly why none."""
        _scope(scope)
        moment = _clock(at, "at")
        with self.engine.connect() as conn:
            voice = self._voice_row(conn, voice_name, include_deleted=True)
            if voice is None:
                raise ConsentError(
                    f"no voice called '{voice_name}' is enrolled; enroll it and record its "
                    "owner's consent first"
                )
            if voice["status"] != "active":
                raise ConsentError(
                    f"the voice '{voice_name}' was deleted at {_when(voice['deleted_at'])} and "
                    "its consents revoked; enroll it again with a new consent to use it"
                )
            records = _consent_records(conn, consents.c.voice_id == voice["id"])
        return choose_consent(voice_name, scope, records, moment)

    # ------------------------------------------------------------ audit
    def audit_render(
        self,
        *,
        voice_name: str,
        consent_id: str,
        scope: str,
        render_id: str,
        output: str | None = None,
    ) -> AuditRow:
        """One row per render of an enrolled voice, naming the consent that allowed it.
        Written even if the voice was deleted meanwhile: the render happened."""
        _scope(scope)
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            row = conn.execute(
                select(consents.c.voice_id, voices.c.name)
                .join(voices, voices.c.id == consents.c.voice_id)
                .where(consents.c.id == consent_id)
            ).first()  # fmt: skip
            if row is None:
                raise ConsentError(f"no consent '{consent_id}' is recorded; pass the gate's one")
            if row.name != voice_name:
                raise ConsentError(
                    f"the consent '{consent_id}' belongs to the voice '{row.name}', not "
                    f"'{voice_name}'; pass the consent the gate returned for '{voice_name}'"
                )
            values = dict(
                voice_id=row.voice_id, voice_name=voice_name, consent_id=consent_id,
                scope=scope, render_id=render_id, output=output, created_at=now,
            )  # fmt: skip
            new_id = conn.execute(insert(render_audit).values(**values)).inserted_primary_key[0]
        return AuditRow(id=int(new_id), **values)

    def audit_for(self, voice_name: str) -> list[AuditRow]:
        """Every audited render under this name (earlier, deleted voices of the name
        included; ``voice_id`` tells them apart), oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(render_audit).where(render_audit.c.voice_name == voice_name)
                .order_by(render_audit.c.id)
            ).mappings().all()  # fmt: skip
        return [AuditRow(**{**row, "created_at": as_utc(row["created_at"])}) for row in rows]


# ---------------------------------------------------------------- helpers
def choose_consent(
    voice_name: str, scope: str, records: list[ConsentRecord], at: datetime
) -> ConsentRecord:
    """The consent that allows ``scope`` at ``at`` (recorded before attested, then newest),
    or a ConsentError naming the reason none does."""
    valid = [c for c in records if c.state(at) == "active"]
    covering = [c for c in valid if scope in c.scopes]
    if covering:
        return max(covering, key=lambda c: (c.kind == "recorded", c.created_at, c.id))
    if not records:
        raise ConsentError(
            f"no consent is recorded for the voice '{voice_name}'; record its owner's consent "
            "before rendering with it"
        )
    if valid:
        granted = [s for s in SCOPES if any(s in c.scopes for c in valid)]
        raise ConsentError(
            f"the consent for the voice '{voice_name}' does not grant '{scope}' (it grants "
            f"{', '.join(granted)}); ask its owner for a consent that includes '{scope}'"
        )
    pool = [c for c in records if scope in c.scopes] or records
    last = max(pool, key=lambda c: (c.created_at, c.id))
    if last.revoked_at is not None:
        why = f" ({last.revoked_reason})" if last.revoked_reason else ""
        raise ConsentError(
            f"the consent for the voice '{voice_name}' was revoked at {_when(last.revoked_at)}"
            f"{why}; ask its owner for a new consent"
        )
    assert last.expires_at is not None
    raise ConsentError(
        f"the consent for the voice '{voice_name}' expired at {_when(last.expires_at)}; ask its "
        "owner to renew it"
    )


def _check_recorded(
    challenge_id: str | None,
    recording_sha256: str | None,
    speaker_score: float | None,
    speaker_threshold: float | None,
    text_score: float | None,
    text_threshold: float | None,
) -> None:
    """A recorded consent must carry its evidence, and the evidence must pass."""
    missing = [
        what for what, value in (
            ("challenge_id", challenge_id), ("recording_sha256", recording_sha256),
            ("speaker_score", speaker_score), ("speaker_threshold", speaker_threshold),
            ("text_score", text_score), ("text_threshold", text_threshold),
        ) if value is None
    ]  # fmt: skip
    if missing:
        raise InputError(f"a recorded consent needs {', '.join(missing)}; give them")
    assert speaker_score is not None and speaker_threshold is not None
    assert text_score is not None and text_threshold is not None
    if speaker_score < speaker_threshold:
        raise ConsentError(
            f"the consent recording's speaker score {speaker_score:.3f} is below the threshold "
            f"{speaker_threshold:.3f}: it may not be the voice's owner; record it again"
        )
    if text_score < text_threshold:
        raise ConsentError(
            f"the consent recording's text score {text_score:.3f} is below the threshold "
            f"{text_threshold:.3f}: the statement was not read as written; record it again"
        )


def _voice_select():
    return select(voices, owners.c.display_name.label("owner_name")).join(
        owners, owners.c.id == voices.c.owner_id
    )


def _voice(row: RowMapping) -> VoiceRecord:
    return VoiceRecord(
        id=row["id"], name=row["name"], owner_id=row["owner_id"], owner_name=row["owner_name"],
        language=row["language"], base_voice=row["base_voice"], bank_path=row["bank_path"],
        bank_sha256=row["bank_sha256"], embedding=tuple(json.loads(row["embedding"])),
        manifest=json.loads(row["manifest_json"]), status=row["status"],
        created_at=as_utc(row["created_at"]), deleted_at=_opt_utc(row["deleted_at"]),
    )  # fmt: skip


def _challenge(row) -> Challenge:
    return Challenge(
        id=row["id"], voice_name=row["voice_name"], statement=row["statement"],
        phrase=row["challenge_phrase"], created_at=as_utc(row["created_at"]),
        expires_at=as_utc(row["expires_at"]), used_at=_opt_utc(row["used_at"]),
    )  # fmt: skip


def _consent_records(conn: Connection, condition) -> list[ConsentRecord]:
    rows = conn.execute(
        select(consents, voices.c.name.label("voice_name"),
               revocations.c.created_at.label("revoked_at"),
               revocations.c.reason.label("revoked_reason"))
        .join(voices, voices.c.id == consents.c.voice_id)
        .outerjoin(revocations, revocations.c.consent_id == consents.c.id)
        .where(condition)
        .order_by(consents.c.created_at, consents.c.id)
    ).mappings().all()  # fmt: skip
    return [
        ConsentRecord(
            id=row["id"], voice_name=row["voice_name"], kind=row["kind"],
            statement=row["statement"], scopes=tuple(row["scopes"].split(",")),
            commercial_use=bool(row["commercial_use"]), created_at=as_utc(row["created_at"]),
            expires_at=_opt_utc(row["expires_at"]), challenge_id=row["challenge_id"],
            recording_sha256=row["recording_sha256"], speaker_score=row["speaker_score"],
            speaker_threshold=row["speaker_threshold"], text_score=row["text_score"],
            text_threshold=row["text_threshold"], attested_by=row["attested_by"],
            document_name=row["document_name"], document_sha256=row["document_sha256"],
            revoked_at=_opt_utc(row["revoked_at"]), revoked_reason=row["revoked_reason"],
        )  # fmt: skip
        for row in rows
    ]
