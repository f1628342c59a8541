"""Owners, enrolled voices, consents, challenges, revocations and the render audit (schema
v2), each test on SQLite and on the throw-away PostgreSQL server (a fresh database per test)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.exc import IntegrityError

from yinse.core.errors import ConsentError, InputError
from yinse.registry import MIGRATIONS, Registry
from yinse.registry import db as registry_db
from yinse.registry.voices import consents, voices

STATEMENT = "I, Li Wei, allow Yinse to make my voice sing. Today's words: amber harbour seven."
PHRASE = "amber harbour seven"
SHA = "ab" * 32


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield server.replace("@/yinse?", f"@/{name}?")
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def reg(db_url):
    registry = Registry(db_url)
    yield registry
    registry.engine.dispose()


def enroll(reg: Registry, name: str = "li-wei", **changes):
    owner = reg.add_owner("Li Wei")
    values = dict(
        name=name, owner_id=owner.id, language="zh", base_voice="baker",
        bank_path=f"/banks/{name}", bank_sha256=SHA, embedding=[0.1, -0.2, 0.3],
        manifest={"clips": 12},
    )  # fmt: skip
    values.update(changes)
    return reg.add_voice(**values)


def recorded(reg: Registry, name: str = "li-wei", scopes="sing,speak", now=None, **changes):
    challenge = reg.issue_challenge(voice_name=name, statement=STATEMENT, phrase=PHRASE, now=now)
    values = dict(
        voice_name=name, kind="recorded", statement=STATEMENT, scopes=scopes,
        commercial_use=False, challenge_id=challenge.id, recording_sha256="cd" * 32,
        speaker_score=0.82, speaker_threshold=0.7, text_score=0.95, text_threshold=0.8, now=now,
    )  # fmt: skip
    values.update(changes)
    return reg.add_consent(**values)


def attested(reg: Registry, name: str = "li-wei", scopes="sing", **changes):
    values = dict(
        voice_name=name, kind="attested", statement="Signed release form.", scopes=scopes,
        commercial_use=True, attested_by="Li Wei", document_name="release.pdf",
        document_sha256="ef" * 32,
    )  # fmt: skip
    values.update(changes)
    return reg.add_consent(**values)


# ---------------------------------------------------------------- schema
def test_a_v1_database_is_migrated_to_v2_and_keeps_its_rows(db_url):
    now = datetime.now(UTC)
    engine = create_engine(db_url)
    with engine.begin() as conn:  # what a Yinse that knew only the first migration left
        registry_db.schema_version.create(conn)
        registry_db._v1(conn)
        conn.execute(insert(registry_db.schema_version).values(version=1))
        conn.execute(insert(registry_db.renders).values(
            render_id="ab" * 32, payload_hex="ab" * 8, kind="sing", voice="baker",
            snapshot_hash="00" * 32, engine_version="0.1.0", settings_json="{}", created_at=now,
        ))  # fmt: skip
        conn.execute(insert(registry_db.outputs).values(
            render_id="ab" * 32, file_name="o.wav", format="wav", sha256="11" * 32, created_at=now,
        ))  # fmt: skip
    engine.dispose()

    reg = Registry(db_url)
    assert reg.version() == len(MIGRATIONS) == 2
    assert reg.find_by_render_id("ab" * 32).outputs[0]["file_name"] == "o.wav"
    assert enroll(reg).name == "li-wei"  # the new tables work
    reg.engine.dispose()


# ---------------------------------------------------------------- owners and voices
def test_owner_and_voice_round_trip(reg):
    voice = enroll(reg)
    assert reg.find_owner_by_name(" Li Wei ").id == voice.owner_id
    assert reg.get_owner(voice.owner_id).display_name == "Li Wei"
    assert reg.find_owner_by_name("Nobody") is None
    found = reg.get_voice("li-wei")
    assert found == voice
    assert found.embedding == (0.1, -0.2, 0.3) and found.manifest == {"clips": 12}
    assert found.owner_name == "Li Wei" and found.status == "active"
    assert found.created_at.tzinfo == UTC and found.deleted_at is None
    assert [v.name for v in reg.list_voices()] == ["li-wei"]
    assert reg.get_voice("nobody") is None


def test_duplicate_name_is_refused(reg):
    voice = enroll(reg)
    with pytest.raises(InputError, match="a voice called 'li-wei' already exists; pick another"):
        enroll(reg)
    assert [v.id for v in reg.list_voices()] == [voice.id]
    row = {c.name: getattr(voice, c.name, None) for c in voices.columns}
    row.update(id="0" * 32, embedding="[1.0]", manifest_json="{}")
    with pytest.raises(IntegrityError), reg.engine.begin() as conn:  # the database agrees
        conn.execute(insert(voices).values(**row))


def test_foreign_keys_are_enforced(reg):
    with pytest.raises(IntegrityError), reg.engine.begin() as conn:  # SQLite too
        conn.execute(insert(consents).values(
            id="1" * 32, voice_id="missing", kind="attested", statement="s", scopes="sing",
            commercial_use=False, created_at=datetime.now(UTC),
        ))  # fmt: skip


@pytest.mark.parametrize("name", ["a", "Li-Wei", "li wei", "x" * 33, "李伟", "li.wei", ""])
def test_invalid_names_are_refused(reg, name):
    with pytest.raises(InputError, match="2-32 lowercase letters, digits"):
        enroll(reg, name=name)
    assert reg.list_voices() == []


def test_bad_owner_hash_and_embedding_are_refused(reg):
    with pytest.raises(InputError, match="no owner with id 'nope'"):
        enroll(reg, owner_id="nope")
    with pytest.raises(InputError, match="not a SHA-256"):
        enroll(reg, bank_sha256="xyz")
    with pytest.raises(InputError, match="embedding is empty or not finite"):
        enroll(reg, embedding=[float("nan")])


def test_a_failing_commit_hook_leaves_no_voice_row(reg):
    def fail():
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        enroll(reg, before_commit=fail)
    assert reg.get_voice("li-wei", include_deleted=True) is None
    calls = []
    enroll(reg, before_commit=lambda: calls.append(1))  # the name is still free
    assert calls == [1]


def test_delete_voice_revokes_its_consents_keeps_audit_and_frees_the_name(reg):
    enroll(reg)
    consent = recorded(reg)
    reg.audit_render(voice_name="li-wei", consent_id=consent.id, scope="sing", render_id="r1")
    deleted = reg.delete_voice("li-wei", reason="owner asked")
    assert deleted.status == "deleted" and deleted.deleted_at is not None
    assert reg.get_voice("li-wei") is None and reg.list_voices() == []
    [gone] = reg.consents_for("li-wei")
    assert gone.state() == "revoked" and gone.revoked_reason == "voice deleted: owner asked"
    with pytest.raises(ConsentError, match="the voice 'li-wei' was deleted at .* UTC"):
        reg.active_consent(voice_name="li-wei", scope="sing")
    with pytest.raises(InputError, match="no enrolled voice called 'li-wei' to delete"):
        reg.delete_voice("li-wei")

    again = enroll(reg)  # a new voice of the same name starts without consent
    assert again.id != deleted.id
    with pytest.raises(ConsentError, match="no consent is recorded for the voice 'li-wei'"):
        reg.active_consent(voice_name="li-wei", scope="sing")
    assert [a.voice_id for a in reg.audit_for("li-wei")] == [deleted.id]


# ---------------------------------------------------------------- challenges
def test_a_challenge_reads_once(reg):
    enroll(reg)
    challenge = reg.issue_challenge(voice_name="li-wei", statement=STATEMENT, phrase=PHRASE)
    assert 10 <= len(challenge.id) <= 12 and challenge.used_at is None
    assert challenge.expires_at - challenge.created_at == timedelta(hours=1)
    assert reg.get_challenge(challenge.id) == challenge
    used = reg.use_challenge(challenge.id, voice_name="li-wei")
    assert used.used_at is not None and reg.get_challenge(challenge.id).used_at is not None
    with pytest.raises(ConsentError, match=f"challenge '{challenge.id}' was already used"):
        reg.use_challenge(challenge.id)
    with pytest.raises(ConsentError, match="no consent challenge 'nope' was issued"):
        reg.use_challenge("nope")
    assert reg.get_challenge("nope") is None


def test_a_challenge_expires_after_an_hour(reg):
    enroll(reg)
    then = datetime.now(UTC) - timedelta(hours=2)
    challenge = reg.issue_challenge(voice_name="li-wei", statement=STATEMENT, phrase=PHRASE,
                                    now=then)  # fmt: skip
    reg_now = then + timedelta(minutes=59)
    with pytest.raises(ConsentError, match=f"challenge '{challenge.id}' expired at"):
        reg.use_challenge(challenge.id)
    assert reg.use_challenge(challenge.id, now=reg_now).used_at == reg_now


def test_a_challenge_is_for_one_voice(reg):
    enroll(reg)
    enroll(reg, name="zhang-san")
    challenge = reg.issue_challenge(voice_name="li-wei", statement=STATEMENT, phrase=PHRASE)
    with pytest.raises(ConsentError, match="issued for the voice 'li-wei', not 'zhang-san'"):
        reg.use_challenge(challenge.id, voice_name="zhang-san")
    with pytest.raises(ConsentError, match="issued for the voice 'li-wei', not 'zhang-san'"):
        recorded(reg, name="zhang-san", challenge_id=challenge.id)
    assert reg.get_challenge(challenge.id).used_at is None  # the refusal used nothing


def test_challenge_input_is_checked(reg):
    enroll(reg)
    with pytest.raises(InputError, match="not part of the statement"):
        reg.issue_challenge(voice_name="li-wei", statement=STATEMENT, phrase="violet river")
    with pytest.raises(InputError, match="no enrolled voice called 'ghost'"):
        reg.issue_challenge(voice_name="ghost", statement=STATEMENT, phrase=PHRASE)
    with pytest.raises(InputError, match="has no time zone"):
        reg.issue_challenge(voice_name="li-wei", statement=STATEMENT, phrase=PHRASE,
                            now=datetime(2030, 1, 1))  # fmt: skip


# ---------------------------------------------------------------- consents
def test_a_recorded_consent_uses_its_challenge_and_keeps_its_evidence(reg):
    enroll(reg)
    consent = recorded(reg)
    assert consent.kind == "recorded" and consent.scopes == ("sing", "speak")
    assert consent.speaker_score == pytest.approx(0.82) and consent.recording_sha256 == "cd" * 32
    assert consent.created_at.tzinfo == UTC and consent.state() == "active"
    assert reg.get_challenge(consent.challenge_id).used_at is not None
    with pytest.raises(ConsentError, match="was already used"):
        reg.add_consent(
            voice_name="li-wei", kind="recorded", statement=STATEMENT, scopes="sing",
            commercial_use=False, challenge_id=consent.challenge_id, recording_sha256=SHA,
            speaker_score=0.9, speaker_threshold=0.7, text_score=0.9, text_threshold=0.8,
        )  # fmt: skip
    assert [c.id for c in reg.consents_for("li-wei")] == [consent.id]
    assert reg.get_consent(consent.id) == consent


def test_recorded_consent_evidence_must_be_there_and_pass(reg):
    enroll(reg)
    with pytest.raises(InputError, match="a recorded consent needs recording_sha256"):
        recorded(reg, recording_sha256=None)
    with pytest.raises(ConsentError, match="speaker score 0.500 is below the threshold 0.700"):
        recorded(reg, speaker_score=0.5)
    with pytest.raises(ConsentError, match="text score 0.100 is below the threshold 0.800"):
        recorded(reg, text_score=0.1)
    with pytest.raises(ConsentError, match="statement differs from what challenge"):
        recorded(reg, statement="I allow anything.")
    assert reg.consents_for("li-wei") == []


def test_consent_input_is_checked(reg):
    enroll(reg)
    with pytest.raises(InputError, match="unknown consent scope 'dance'"):
        attested(reg, scopes="sing,dance")
    with pytest.raises(InputError, match="at least one scope"):
        attested(reg, scopes=[])
    with pytest.raises(InputError, match="unknown consent kind 'verbal'"):
        attested(reg, kind="verbal")
    with pytest.raises(InputError, match="attested_by"):
        attested(reg, attested_by=None)
    with pytest.raises(InputError, match="name and its SHA-256 together"):
        attested(reg, document_sha256=None)
    with pytest.raises(InputError, match="already past"):
        attested(reg, expires_at=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(InputError, match="no enrolled voice called 'ghost'"):
        attested(reg, name="ghost")


def test_scopes_are_normalised(reg):
    enroll(reg)
    consent = attested(reg, scopes=["convert", " sing", "sing"])
    assert consent.scopes == ("sing", "convert") and consent.commercial_use is True


# ---------------------------------------------------------------- the gate
def test_the_gate_names_the_consent_that_allows_the_scope(reg):
    enroll(reg)
    consent = recorded(reg, scopes="sing")
    assert reg.active_consent(voice_name="li-wei", scope="sing").id == consent.id
    with pytest.raises(ConsentError, match=r"does not grant 'speak' \(it grants sing\)"):
        reg.active_consent(voice_name="li-wei", scope="speak")
    with pytest.raises(InputError, match="unknown consent scope 'dance'"):
        reg.active_consent(voice_name="li-wei", scope="dance")


def test_the_gate_refuses_unknown_voices_and_voices_without_consent(reg):
    with pytest.raises(ConsentError, match="no voice called 'ghost' is enrolled"):
        reg.active_consent(voice_name="ghost", scope="sing")
    enroll(reg)
    with pytest.raises(ConsentError, match="no consent is recorded for the voice 'li-wei'"):
        reg.active_consent(voice_name="li-wei", scope="sing")


def test_an_expired_consent_no_longer_allows(reg):
    enroll(reg)
    ends = datetime.now(UTC) + timedelta(days=30)
    consent = attested(reg, expires_at=ends)
    assert reg.active_consent(voice_name="li-wei", scope="sing", at=ends - timedelta(seconds=1))
    stamp = f"{ends:%Y-%m-%d %H:%M:%S} UTC"
    with pytest.raises(ConsentError, match=f"expired at {stamp}; ask its owner to renew it"):
        reg.active_consent(voice_name="li-wei", scope="sing", at=ends)
    assert reg.get_consent(consent.id).state(ends) == "expired"
    assert reg.get_consent(consent.id).expires_at == ends


def test_revocation_is_immediate_and_says_when_and_why(reg):
    enroll(reg)
    recorded(reg)
    attested(reg, scopes="sing,convert")
    assert reg.revoke(voice_name="li-wei", reason="changed my mind") == 2
    assert reg.revoke(voice_name="li-wei") == 0  # nothing left to revoke
    with pytest.raises(ConsentError, match=r"revoked at .* UTC \(changed my mind\); ask its"):
        reg.active_consent(voice_name="li-wei", scope="sing")
    assert {c.state() for c in reg.consents_for("li-wei")} == {"revoked"}
    fresh = attested(reg)  # a new consent after the revocation allows again
    assert reg.active_consent(voice_name="li-wei", scope="sing").id == fresh.id
    with pytest.raises(InputError, match="no voice called 'ghost' to revoke"):
        reg.revoke(voice_name="ghost")


def test_recorded_wins_over_attested_then_the_newest(reg):
    enroll(reg)
    first = recorded(reg, scopes="sing")
    attested(reg, scopes="sing,speak")  # newer, but attested
    assert reg.active_consent(voice_name="li-wei", scope="sing").id == first.id
    speak = reg.active_consent(voice_name="li-wei", scope="speak")
    assert speak.kind == "attested"  # the only one that covers speak
    later = recorded(reg, scopes="sing", now=datetime.now(UTC) + timedelta(seconds=5))
    at = datetime.now(UTC) + timedelta(seconds=10)
    assert reg.active_consent(voice_name="li-wei", scope="sing", at=at).id == later.id


def test_an_expired_consent_does_not_hide_a_valid_one(reg):
    enroll(reg)
    soon = datetime.now(UTC) + timedelta(hours=1)
    attested(reg, expires_at=soon)
    lasting = attested(reg)
    later = soon + timedelta(days=1)
    assert reg.active_consent(voice_name="li-wei", scope="sing", at=later).id == lasting.id
    states = [c.state(later) for c in reg.consents_for("li-wei")]
    assert states == ["expired", "active"]


# ---------------------------------------------------------------- audit
def test_every_render_is_audited_with_its_consent(reg):
    enroll(reg)
    consent = recorded(reg)
    row = reg.audit_render(voice_name="li-wei", consent_id=consent.id, scope="sing",
                           render_id="r" * 64, output="song.wav")  # fmt: skip
    reg.audit_render(voice_name="li-wei", consent_id=consent.id, scope="speak", render_id="s1")
    rows = reg.audit_for("li-wei")
    assert rows[0] == row and [r.scope for r in rows] == ["sing", "speak"]
    assert rows[0].output == "song.wav" and rows[1].output is None
    assert rows[0].created_at.tzinfo == UTC
    assert reg.audit_for("ghost") == []
    enroll(reg, name="zhang-san")
    with pytest.raises(ConsentError, match="belongs to the voice 'li-wei', not 'zhang-san'"):
        reg.audit_render(voice_name="zhang-san", consent_id=consent.id, scope="sing",
                         render_id="x")  # fmt: skip
    with pytest.raises(ConsentError, match="no consent 'nope' is recorded"):
        reg.audit_render(voice_name="li-wei", consent_id="nope", scope="sing", render_id="x")
