"""The consent recording: only the enrolled person, reading this statement with this
challenge, once, makes a consent; anything else is refused and stores nothing.

The person is the base voice ``joe``; the voice is registered with joe's speaker centroid
(what enrollment stores and the consent check compares with), without building a bank:
the check needs only the voice's language and centroid.  Each test has its own registry
(the autouse ``yinse_home``).  A successful recording is covered end to end in
``test_enroll.py``; here every recording must fail.

The analysis of a recording takes 10-20 s, and the refusals of a used challenge or another
voice's challenge do not depend on it (they come after it, from the registry); those tests
let the recording pass both checks (``recording_passes``) to show that even a perfect
recording is refused with such a challenge.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from yinse.core.errors import ConsentError
from yinse.enroll import consent as consent_module
from yinse.enroll.consent import (
    ConsentCheck,
    phrase_words,
    record_consent,
    start_consent,
    statement_with,
)
from yinse.enroll.script import script_lines
from yinse.registry import Registry
from yinse.registry.speaker import embed, mean_embedding
from yinse.voices import get_voice

NAME = "joe-clone"


@pytest.fixture(autouse=True)
def local_registry(monkeypatch):
    """The registry of this test's YINSE_HOME, never a database named in the environment."""
    monkeypatch.delenv("YINSE_DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def joe_centroid() -> np.ndarray:
    """joe's speaker centroid over four script lines, as enrollment computes it."""
    joe = get_voice("joe")
    clips = [joe.speak(line.text) for line in script_lines("en")[:4]]
    return mean_embedding([embed(audio, sr=sr) for audio, sr in clips])


def register(name: str, centroid: np.ndarray, owner: str = "Joe Person") -> None:
    registry = Registry()
    person = registry.find_owner_by_name(owner) or registry.add_owner(owner)
    registry.add_voice(name=name, owner_id=person.id, language="en", base_voice="joe",
                       bank_path=f"/nowhere/{name}", bank_sha256="ab" * 32,
                       embedding=centroid.tolist(), manifest={})  # fmt: skip


@pytest.fixture
def voice(joe_centroid) -> str:
    register(NAME, joe_centroid)
    return NAME


def reading(tmp_path: Path, voice_name: str, text: str) -> Path:
    audio, sr = get_voice(voice_name).speak(text)
    path = tmp_path / f"{voice_name}.wav"
    sf.write(path, audio, sr)
    return path


@pytest.fixture
def recording_passes(monkeypatch, tmp_path) -> Path:
    """A recording that passes the speaker and text checks, whatever it holds."""
    passed = ConsentCheck(speaker_score=0.95, speaker_threshold=0.8, statement_score=8.0,
                          phrase_score=8.0, text_threshold=2.0)  # fmt: skip
    monkeypatch.setattr(consent_module, "check_consent_recording", lambda *a, **kw: passed)
    path = tmp_path / "consent.wav"
    sf.write(path, np.zeros(16000, np.float32), 16000)
    return path


def assert_no_consent(name: str = NAME) -> None:
    assert Registry().consents_for(name) == []  # a refused recording stores nothing


def test_someone_else_reading_the_statement_is_refused_for_the_speaker(voice, tmp_path):
    challenge = start_consent(voice)
    # The right words, said by another voice: a stranger cannot consent for the owner.
    impostor = reading(tmp_path, "espeak-en", challenge.statement)
    with pytest.raises(ConsentError, match="not spoken by the enrolled person") as refused:
        record_consent(voice, audio_path=impostor, challenge_id=challenge.id)
    assert "speaker similarity" in str(refused.value)  # the measured score is shown
    assert "room" in str(refused.value) and "--attested-by" in str(refused.value)  # and what to do
    assert_no_consent()
    assert Registry().get_challenge(challenge.id).used_at is None  # still usable by the owner


def test_an_old_consent_recording_is_refused_for_the_text(voice, tmp_path):
    old = start_consent(voice)
    # The owner's own voice reading an earlier challenge: an old consent recording played
    # again for the next challenge.  Its phrase is among the decoys, so it cannot pass.
    replay = reading(tmp_path, "joe", old.statement)
    challenge = start_consent(voice)
    with pytest.raises(ConsentError, match="does not say this challenge phrase") as refused:
        record_consent(voice, audio_path=replay, challenge_id=challenge.id)
    assert challenge.phrase in str(refused.value)  # it says what to read instead
    assert_no_consent()


def test_a_new_challenge_shares_no_word_with_the_recent_ones(voice):
    issued = [start_consent(voice) for _ in range(consent_module.CHALLENGES_PER_DAY)]
    words = [set(phrase_words(c.phrase)) for c in issued]
    assert all(len(w) == consent_module.CHALLENGE_WORDS for w in words)
    for i, later in enumerate(words):
        for earlier in words[:i]:
            assert not later & earlier  # nothing an old recording says is asked again


def test_a_voice_gets_a_limited_number_of_challenges_a_day(voice):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    yesterday = now - timedelta(hours=25)
    for _ in range(consent_module.CHALLENGES_PER_DAY):
        start_consent(voice, now=yesterday)  # yesterday's do not count today
    for _ in range(consent_module.CHALLENGES_PER_DAY):
        start_consent(voice, now=now)
    # One more today would be one more try for an old recording: refused with a time.
    with pytest.raises(ConsentError, match=r"10 consent challenges .* last 24 hours.*try again after"):
        start_consent(voice, now=now + timedelta(minutes=5))
    assert len(Registry().challenges_for(voice)) == 2 * consent_module.CHALLENGES_PER_DAY
    start_consent(voice, now=now + timedelta(days=1, minutes=1))  # a day later it works


def test_a_used_challenge_cannot_be_used_again(voice, recording_passes):
    registry = Registry()
    challenge = start_consent(voice)
    first = record_consent(
        voice, audio_path=recording_passes, challenge_id=challenge.id, scopes="sing"
    )
    assert registry.get_challenge(challenge.id).used_at is not None  # spent by the consent
    # The same recording and challenge, sent again, make no second consent.
    with pytest.raises(ConsentError, match="already used"):
        record_consent(
            voice, audio_path=recording_passes, challenge_id=challenge.id, scopes="sing,speak"
        )
    assert [c.id for c in registry.consents_for(voice)] == [first.id]
    assert registry.active_consent(voice_name=voice, scope="sing").id == first.id
    with pytest.raises(ConsentError):  # the replay did not widen what the owner granted
        registry.active_consent(voice_name=voice, scope="speak")


def test_an_unknown_challenge_is_refused(voice, tmp_path):
    recording = tmp_path / "any.wav"
    sf.write(recording, np.zeros(16000, np.float32), 16000)
    with pytest.raises(ConsentError, match="no consent challenge 'made-up-id'"):
        record_consent(voice, audio_path=recording, challenge_id="made-up-id")
    assert_no_consent()


def test_a_challenge_of_another_voice_is_refused(voice, joe_centroid, recording_passes):
    register("joe-second", joe_centroid)  # the same person's second voice
    other = start_consent("joe-second")
    # A challenge answers for the voice it was issued for, and no other.
    with pytest.raises(ConsentError, match="issued for the voice 'joe-second'"):
        record_consent(voice, audio_path=recording_passes, challenge_id=other.id)
    assert_no_consent()
    assert_no_consent("joe-second")
    assert Registry().get_challenge(other.id).used_at is None  # still good for joe-second


def test_an_expired_challenge_is_refused(voice, recording_passes):
    from datetime import UTC, datetime, timedelta

    registry = Registry()
    statement = statement_with("en", "apple, river, garden, window.")
    stale = registry.issue_challenge(voice_name=voice, statement=statement, phrase="apple, river, garden, window.",
                                     now=datetime.now(UTC) - timedelta(hours=2))  # fmt: skip
    # A challenge is answered within its hour, not recorded in advance and kept.
    with pytest.raises(ConsentError, match="expired"):
        record_consent(voice, audio_path=recording_passes, challenge_id=stale.id)
    assert_no_consent()


def test_consent_for_a_voice_that_is_not_enrolled_is_refused(tmp_path):
    recording = tmp_path / "any.wav"
    sf.write(recording, np.zeros(16000, np.float32), 16000)
    with pytest.raises(ConsentError, match="no enrolled voice called 'nobody'"):
        record_consent("nobody", audio_path=recording, challenge_id="x")
    with pytest.raises(ConsentError, match="no enrolled voice called 'nobody'"):
        start_consent("nobody")


def test_each_challenge_is_fresh_and_holds_the_statement(voice):
    first, second = start_consent(voice), start_consent(voice)
    # A new phrase each time, so no recording can be made before the challenge exists.
    assert first.id != second.id and first.phrase != second.phrase
    for challenge in (first, second):
        assert challenge.statement == statement_with("en", challenge.phrase)
        assert challenge.statement.startswith("I am aware that recordings of my voice")
        assert challenge.used_at is None and challenge.expires_at > challenge.created_at
