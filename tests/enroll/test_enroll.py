"""Enrolling a person's voice, end to end, as its owner relies on it.

The person is played by the base voice ``joe`` (it can read any text, so its recordings of
the guided script need no transcript).  One enrollment and one recorded consent are made per
module (``enrolled``); every test gets its own copy of that data folder (``voice_home``,
``consented_home``), so what one test does (revoke, delete) never reaches another, and
nothing reaches the user's real data folder.  Bad input is fed to fresh enrollments: each
must be refused with one clear line and leave no voice row, no bank and no temporary folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from yinse.cli import app
from yinse.core.paths import data_home
from yinse.enroll import build
from yinse.enroll.build import enroll
from yinse.enroll.consent import statement_with
from yinse.enroll.manage import describe
from yinse.enroll.script import script_lines
from yinse.provenance.verify import verify_file
from yinse.registry import Registry
from yinse.registry.speaker import EMBEDDING_VERSION, SAME_SPEAKER_THRESHOLD, THRESHOLDS, centroid
from yinse.voices import get_voice

NAME = "joe-clone"
OWNER = "Joe Person"
#: Both renders last over 5 s: the watermark detector needs 5 s (docs/WATERMARK.md).
SONG = "tempo: 100\nG3:1:Sing A3:1:a B3:1:song- A3:1:- G3:2:now R:1 A3:1:sing B3:1:it C4:2:loud G3:2:now\n"
TEXT = "Hello, this is my voice. I read a few sentences once, and now it says what I type."
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def registry_url(home: Path) -> str:
    return f"sqlite:///{home / 'registry.sqlite3'}"


def install(template: Path, home: Path) -> None:
    """Copy a prepared data folder into this test's YINSE_HOME; the registry row's bank
    path is moved along, so the copy is self-contained (a deleted bank is this test's)."""
    shutil.copytree(template, home, dirs_exist_ok=True)
    with sqlite3.connect(home / "registry.sqlite3") as db:
        db.execute(
            "UPDATE voices SET bank_path = replace(bank_path, ?, ?)", (str(template), str(home))
        )
    db.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def voice_folder_entries() -> list[str]:
    folder = data_home() / "voices"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def assert_nothing_left(name: str, keep: tuple[str, ...] = ()) -> None:
    """A refused enrollment leaves no voice row (not even a deleted one), no bank folder and
    no temporary folder under $YINSE_HOME/voices (``keep``: banks of earlier voices)."""
    registry = Registry()
    assert registry.get_voice(name, include_deleted=True) is None, (
        "a refused voice must have no row"
    )
    left = [e for e in voice_folder_entries() if e not in keep]
    assert left == [], f"a refused enrollment must leave no bank or .tmp-* folder: {left}"


def refused(args: list, words: str, name: str, keep: tuple[str, ...] = ()) -> str:
    """Exit code 2, one line on stderr naming the problem, and nothing stored."""
    result = run("voice", "enroll", name, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    # One line, no traceback.
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert words.lower() in lines[0].lower(), lines[0]  # it says what is wrong
    assert_nothing_left(name, keep)
    return lines[0]


@pytest.fixture(autouse=True)
def local_registry(monkeypatch):
    """The registry of this test's YINSE_HOME, never a database named in the environment."""
    monkeypatch.delenv("YINSE_DATABASE_URL", raising=False)


# ---------------------------------------------------------------- the person's recordings
@pytest.fixture(scope="module")
def joe_recordings(tmp_path_factory) -> Path:
    """12 lines of the English script read by `joe`, named by line id (about 37 s)."""
    folder = tmp_path_factory.mktemp("joe_recordings")
    joe = get_voice("joe")
    for line in script_lines("en")[:12]:
        audio, sr = joe.speak(line.text)
        sf.write(folder / f"{line.id}.wav", audio, sr)
    return folder


@dataclass
class Enrolled:
    home: Path  # data folder with the voice enrolled and no consent
    consented: Path  # a copy of it in which the owner recorded a consent
    result: build.EnrollResult
    stale: Path  # a .tmp-* folder "left by a killed process" before the enrollment
    orphan_left: bool  # whether a bank folder without a row survived the enrollment
    challenge: object
    consent: object


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory, joe_recordings) -> Enrolled:
    home = tmp_path_factory.mktemp("enrolled_home")
    stale = home / "voices" / f".tmp-{'0' * 32}"
    stale.mkdir(parents=True)
    (stale / "bank.npz").write_bytes(b"half a bank")
    # What a process killed between moving its bank into place and committing its row
    # leaves (checked by hand with SIGKILL): a named bank folder that no row refers to.
    orphan = home / "voices" / "killed-0badc0de"
    orphan.mkdir()
    for part in ("bank.npz", "bank.json", "manifest.json"):
        (orphan / part).write_bytes(b"the person's voice data")
    # Left by an earlier run: older than the moment a running enrollment holds its folder
    # before its row commits (build.ORPHAN_AGE_S).
    hour_ago = time.time() - 3600
    os.utime(orphan, (hour_ago, hour_ago))
    with pytest.MonkeyPatch.context() as mp:  # enroll() stores the bank under $YINSE_HOME
        mp.setenv("YINSE_HOME", str(home))
        mp.delenv("YINSE_DATABASE_URL", raising=False)
        result = enroll(NAME, language="en", inputs=[joe_recordings], owner=OWNER)
    orphan_left = orphan.exists()
    shutil.rmtree(orphan, ignore_errors=True)  # the copies each test gets start clean

    # The owner records their consent as a user does: ask for a statement, read it aloud,
    # hand the recording in.
    consented = tmp_path_factory.mktemp("consented_home")
    install(home, consented)
    wav = tmp_path_factory.mktemp("consent_recording") / "consent.wav"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("YINSE_HOME", str(consented))
        mp.delenv("YINSE_DATABASE_URL", raising=False)
        asked = run("voice", "consent", NAME)
        assert asked.exit_code == 0, asked.output
        challenge_id = next(
            x for x in asked.stdout.splitlines() if x.startswith("challenge ")
        ).split()[1]
        registry = Registry()
        challenge = registry.get_challenge(challenge_id)
        printed = [x.strip() for x in asked.stdout.splitlines() if x.startswith("    I am aware")]
        # The owner is shown exactly the statement with this challenge's phrase, and reads it.
        assert printed == [challenge.statement] == [statement_with("en", challenge.phrase)]
        audio, sr = get_voice("joe").speak(statement_with("en", challenge.phrase))
        sf.write(wav, audio, sr)
        given = run("voice", "consent", NAME, "--audio", wav, "--challenge", challenge_id)
        assert given.exit_code == 0, given.output
        consent_id = given.stdout.split()[1]
        consent = registry.get_consent(consent_id)
        registry.engine.dispose()
    return Enrolled(home, consented, result, stale, orphan_left, challenge, consent)


@pytest.fixture
def voice_home(enrolled, yinse_home) -> Path:
    install(enrolled.home, yinse_home)
    return yinse_home


@pytest.fixture
def consented_home(enrolled, yinse_home) -> Path:
    install(enrolled.consented, yinse_home)
    return yinse_home


def speak(out: Path, text: str = TEXT):
    return run("speak", text, "--voice", NAME, "-o", out)


def sing(tmp_path: Path, out: Path):
    score = tmp_path / "song.notes"
    score.write_text(SONG)
    return run("sing", score, "--voice", NAME, "-o", out)


def verify(path: Path) -> dict:
    result = run("verify", path, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_refused(result, words: str) -> str:
    assert result.exit_code == 2, result.output  # a user error, not a crash
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert words.lower() in lines[0].lower(), lines[0]  # names the reason
    return lines[0]


# ---------------------------------------------------------------- happy path
def test_enrollment_stores_bank_manifest_and_owner(enrolled, voice_home, joe_recordings):
    registry = Registry()
    record = registry.get_voice(NAME)
    # The registry knows the voice, whose it is, and what it is built on.
    assert record is not None and record.status == "active"
    assert record.owner_name == OWNER
    assert (record.language, record.base_voice) == ("en", "joe")
    assert len(record.embedding) == 256  # the centroid the consent check and guard compare with
    bank = Path(record.bank_path)
    # The bank lies in this data folder, named by the voice, with its manifest and report.
    assert bank.parent == voice_home / "voices" and bank.name.startswith(f"{NAME}-")
    assert {p.name for p in bank.iterdir()} == {
        "bank.npz",
        "bank.json",
        "manifest.json",
        "quality.png",
    }
    # The row's hash fingerprints exactly the stored bank.
    assert record.bank_sha256 == build.bank_digest(bank)
    manifest = json.loads((bank / "manifest.json").read_text())
    assert manifest == record.manifest  # the registry and the folder tell the same story
    assert (manifest["name"], manifest["owner"], manifest["language"]) == (NAME, OWNER, "en")
    # Every recording used is traceable to its source file by hash, with the text it says.
    lines = {line.id: line.text for line in script_lines("en")}
    sources = manifest["sources"]
    assert [s["file"] for s in sources] == [f"en-{i:03d}.wav" for i in range(1, 13)]
    for s in sources:
        assert s["sha256"] == sha256(joe_recordings / s["file"])
        assert s["text"] == lines[Path(s["file"]).stem]  # matched to the script by file name
    assert manifest["dropped"] == {}  # the person read every line as written
    assert manifest["speech_s"] >= 30
    assert enrolled.result.used == [s["file"] for s in sources]
    # Its centroid's embedding version, so that later checks embed clips the same way.
    assert record.embedding_version == manifest["settings"]["speaker_embedding"] == EMBEDDING_VERSION


def test_enrollment_removes_stale_temporaries(enrolled):
    # A .tmp-* folder left by a killed enrollment is removed by the next one, and the
    # enrollment leaves none of its own.
    assert not enrolled.stale.exists()
    assert not list((enrolled.home / "voices").glob(".tmp-*"))


def test_enrollment_removes_banks_a_killed_enrollment_left_without_a_row(enrolled):
    # The person's voice data must not outlive a failed enrollment, even a killed one.
    assert not enrolled.orphan_left


def test_enrolled_voice_is_listed_without_consent(voice_home):
    listed = run("voice", "list")
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.stdout.splitlines() if x.startswith(NAME))
    assert OWNER in line and "no valid consent" in line  # enrolled is not yet usable
    voices = run("voices")
    assert voices.exit_code == 0 and NAME in voices.stdout and OWNER in voices.stdout


def test_without_consent_nothing_renders(voice_home, tmp_path):
    out = tmp_path / "out.wav"
    # Enrollment alone is no permission: the gate refuses before any audio is made.
    assert_refused(speak(out), "consent")
    assert_refused(sing(tmp_path, out), "consent")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["song.notes"]
    assert Registry().audit_for(NAME) == []  # nothing rendered, nothing audited


def test_recorded_consent_is_stored_with_its_evidence(enrolled, consented_home):
    registry = Registry()
    consent = registry.get_consent(enrolled.consent.id)
    # The owner's recording passed both checks and its evidence is kept.
    assert consent.kind == "recorded" and consent.scopes == ("sing", "speak", "convert")
    assert consent.challenge_id == enrolled.challenge.id
    assert (
        consent.statement
        == enrolled.challenge.statement
        == statement_with("en", enrolled.challenge.phrase)
    )
    assert consent.speaker_score >= SAME_SPEAKER_THRESHOLD == consent.speaker_threshold
    assert consent.text_score >= consent.text_threshold
    assert consent.recording_sha256 and consent.state() == "active"
    # The challenge is spent: it cannot back a second consent.
    assert registry.get_challenge(enrolled.challenge.id).used_at is not None
    # The owner and the operator can see it, and what it allows.
    shown = run("voice", "show", NAME)
    assert f"consent {consent.id}: active, recorded" in shown.stdout
    assert f"speaker embedding version {EMBEDDING_VERSION} (same speaker at ≥ {THRESHOLDS[2][0]:.2f})" in shown.stdout
    listed = run("voice", "list")
    assert "sing (recorded), speak (recorded), convert (recorded)" in listed.stdout


def test_after_consent_speak_and_sing_work_and_are_provable(enrolled, consented_home, tmp_path):
    spoken, sung = tmp_path / "spoken.wav", tmp_path / "sung.flac"
    result = speak(spoken)
    assert result.exit_code == 0, result.output
    result = sing(tmp_path, sung)
    assert result.exit_code == 0, result.output
    audio, sr = sf.read(spoken)
    assert sr == 44100 and len(audio) / sr > 5 and np.abs(audio).max() > 0.5  # real, audible speech
    audit = Registry().audit_for(NAME)
    # One audit row per render, naming the consent it was made under.
    assert [(a.scope, a.output, a.consent_id) for a in audit] == [
        ("speak", "spoken.wav", enrolled.consent.id),
        ("sing", "sung.flac", enrolled.consent.id),
    ]
    for path, row, kind in ((spoken, audit[0], "speak"), (sung, audit[1], "sing")):
        report = verify(path)
        # The file proves itself: its render record names the voice and the consent.
        assert report["record"]["kind"] == kind and report["record"]["voice"] == NAME
        assert report["record"]["consent_id"] == enrolled.consent.id
        assert report["record"]["render_id"] == row.render_id  # the audit names this render
        assert report["consent"]["state"] == "active" and report["consent"]["kind"] == "recorded"
        assert report["file_matches_record"] is True
        assert report["c2pa"]["state"] == "Trusted"  # signed by this install
        # The signature covers the consent.
        assert report["c2pa"]["render"]["consent_id"] == enrolled.consent.id
    # The sung file also carries the watermark (it survives lost metadata).
    mark = verify(sung)["watermark"]
    assert mark["found"] is True and mark["payload"] == verify(sung)["record"]["payload"]


def test_the_voice_sings_key_auto_near_where_its_owner_speaks(consented_home, joe_recordings, tmp_path):
    """The bank keeps the owner's speaking pitch (Harvest); pyin on the recordings, an
    independent tracker, finds about the same typical pitch: they differ by 1–2 semitones
    on joe's low speech, where DIO's frames would be an octave high (52 against 41–43).
    ``--key auto`` sings the song's middle just above it."""
    from tests.conftest import note_centre_errors_cents, pyin_f0
    from yinse.formats import load_score
    from yinse.synth.engine import LEAD_IN_S
    from yinse.voices.enrolled import SING_ABOVE_SPEECH
    from yinse.voices.speaking_pitch import hz_to_midi, typical_pitch_hz

    bank = enrolled_bank()
    clips = [sf.read(p, dtype="float32") for p in sorted(joe_recordings.glob("*.wav"))[:4]]
    _, f0 = pyin_f0(np.concatenate([a for a, _ in clips]), clips[0][1], low_midi=36, high_midi=72)
    owner_midi = hz_to_midi(typical_pitch_hz(np.nan_to_num(f0)))
    speaking_midi = hz_to_midi(bank.speaking_hz)
    assert abs(speaking_midi - owner_midi) < 3.0, (speaking_midi, owner_midi)

    score = tmp_path / "song.notes"
    score.write_text(SONG)  # median note A3 = 57; joe speaks near 92 Hz (F#2 = 42)
    out = tmp_path / "auto.wav"
    result = run("sing", score, "--voice", NAME, "-o", out, "--key", "auto")
    assert result.exit_code == 0, result.output
    settings = verify(out)["record"]["settings"]
    assert settings["key_requested"] == "auto"
    assert settings["key_shift"] == round(speaking_midi + SING_ABOVE_SPEECH - 57), (settings, speaking_midi)
    # What was sung, note by note (pyin over each note's middle half), against the home: the
    # median *note* is A (the 5th of 9), sung at round(home), so it lies within 0.5 of the
    # home plus the engine's pitch error (under 0.5 semitone).  A median over *frames* was
    # not stable: the song holds G about as long as A, so it fell anywhere between the two
    # (43.6 against a home of 45.2 in one run of the suite).
    audio, sr = sf.read(out, dtype="float32")
    sung_score = load_score(score).transposed(settings["key_shift"])
    errors = note_centre_errors_cents(sung_score, audio, sr, offset_s=LEAD_IN_S)
    sung_midi = float(np.nanmedian([n.pitch_midi for n in sung_score.notes] + errors / 100))
    assert abs(sung_midi - (speaking_midi + SING_ABOVE_SPEECH)) < 1.0, (sung_midi, speaking_midi, errors)
    # The owner can see where their voice speaks and sings.
    shown = run("voice", "show", NAME)
    assert f"speaks at {bank.speaking_hz:.0f} Hz" in shown.stdout
    assert f"middle note at MIDI {speaking_midi + SING_ABOVE_SPEECH:.0f}" in shown.stdout


def enrolled_bank():
    from yinse.voices.timbre import TimbreBank

    return TimbreBank.load(Path(Registry().get_voice(NAME).bank_path))


@dataclass
class BaseFrames:
    """The base voice saying a text, analysed as a clone's speech analyses it."""

    said: object  # the Utterance (phones, audio, rate)
    f0: np.ndarray
    t: np.ndarray
    sp: np.ndarray
    coded: np.ndarray


def joe_says(text: str) -> BaseFrames:
    import pyworld

    from yinse.voices.timbre import code_envelope, dio_f0

    said = get_voice("joe").speak_utterance(text)
    x = said.audio.astype(np.float64)
    f0, t = dio_f0(x, said.sr)
    sp = pyworld.cheaptrick(x, f0, t, said.sr)
    return BaseFrames(said, f0, t, sp, code_envelope(sp, said.sr))


def test_speech_mixes_a_share_of_the_base_voice_moved_to_the_owner(consented_home):
    """A clone's speech mixes SPEECH_BASE_SHARE of the base voice's own envelope (its broad
    shape, cepstra 1..SPEECH_BASE_DIMS), moved to the owner's cepstral statistics, into the
    owner's units (for words): on voiced frames the share moves those cepstra that far
    towards the moved base envelope, and leaves the finer ones the units'."""
    from yinse.voices.timbre import (
        SPEECH_BASE_DIMS,
        SPEECH_BASE_SHARE,
        code_envelope,
        normalised_cepstra,
    )

    bank = enrolled_bank()
    base = joe_says("A quiet river runs past the old mill every morning.")
    said, f0, t, sp, coded = base.said, base.f0, base.t, base.sp, base.coded
    mean, std = bank.target_stats
    moved = normalised_cepstra(coded, bank.base_mean, bank.base_std) * std + mean
    voiced = f0 > 0

    broad, fine = slice(0, SPEECH_BASE_DIMS), slice(SPEECH_BASE_DIMS, None)

    def distances(share: float) -> tuple[float, float]:
        """Mean distance to the moved base envelope on voiced frames: broad and finer cepstra."""
        out, _ = bank.convert(f0, sp, said.sr, phones=said.phones, speech_times_s=t, base_share=share)
        gap = np.abs(code_envelope(out, said.sr)[voiced, 1 : 1 + moved.shape[1]] - moved[voiced])
        return float(np.mean(gap[:, broad])), float(np.mean(gap[:, fine]))

    (units, units_fine), (mixed, _), (base, base_fine) = (distances(s) for s in (0.0, SPEECH_BASE_SHARE, 1.0))
    assert base < 0.3 * units, (base, units)
    assert (1 - SPEECH_BASE_SHARE) * units * 0.9 < mixed < (1 - SPEECH_BASE_SHARE) * units * 1.1, (mixed, units)
    # The finer cepstra stay the units' whatever the share.
    assert base_fine == pytest.approx(units_fine, rel=0.02)


def test_units_are_chosen_to_join_smoothly(consented_home, monkeypatch):
    """Units are chosen together, so that neighbouring phones come from one stretch of a
    recording where they can and join smoothly where they cannot.  Against choosing each
    phone alone (the join costs set to 0), a sentence the owner never read has more phone
    boundaries where the next unit follows on in its recording, and smaller steps in the
    envelope across its boundaries."""
    from yinse.voices import timbre
    from yinse.voices.timbre import MATCH_DIMS

    bank = enrolled_bank()
    base = joe_says(TEXT)
    said, f0, t, coded = base.said, base.f0, base.t, base.coded

    def joins() -> tuple[float, float]:
        """Share of phone boundaries where the next unit follows on in the recording, and
        the mean envelope step across the boundaries."""
        position = bank.play_units(coded, f0 > 0, said.phones, t)
        follows, steps = [], []
        for (_, _, end), (_, start, _) in zip(said.phones[:-1], said.phones[1:]):
            a, b = int(position[t < end][-1]), int(position[t >= start][0])
            if a >= 0 and b >= 0:
                follows.append(0 <= b - a <= 3)
                steps.append(np.linalg.norm(bank.target_sp[a, 1 : MATCH_DIMS + 1] - bank.target_sp[b, 1 : MATCH_DIMS + 1]))
        assert len(follows) > 20
        return float(np.mean(follows)), float(np.mean(steps))

    together = joins()
    monkeypatch.setattr(timbre, "JOIN_WEIGHT", 0.0)
    monkeypatch.setattr(timbre, "JOIN_JUMP_COST", 0.0)
    alone = joins()
    assert together[0] > alone[0] + 0.2, (together, alone)  # measured 0.50 against 0.17
    assert together[1] < 0.92 * alone[1], (together, alone)  # measured 1.85 against 2.14


def test_an_english_clone_speaks_with_the_base_voices_stress(consented_home):
    """A clone of the English base voice takes SPEECH_LEVEL_SHARE of its level contour (c0)
    from the base voice, moved to the owner's level: the units' levels come from other
    sentences, the base voice's marks the stressed syllables.  Against units alone, the
    clone's level follows the base voice's more closely and stays at the owner's loudness."""
    from yinse.voices.timbre import (
        SPEECH_BASE_SHARE,
        SPEECH_LEVEL_SHARE,
        code_envelope,
        level_stats,
    )

    bank = enrolled_bank()
    base = joe_says(TEXT)
    position, _ = bank.choose(base.coded, base.f0 > 0, base.said.phones, base.t)
    loud = base.coded[:, 0] > np.percentile(base.coded[:, 0], 20)

    def level(share: float) -> np.ndarray:
        sp, _ = bank.play(position, base.coded, SPEECH_BASE_SHARE, share)
        return code_envelope(sp, base.said.sr)[:, 0]

    share = SPEECH_LEVEL_SHARE["joe"]
    assert 0 < share < 1 and "baker" not in SPEECH_LEVEL_SHARE
    alone, mixed = level(0.0), level(share)
    follows = [float(np.corrcoef(c[loud], base.coded[loud, 0])[0, 1]) for c in (alone, mixed)]
    assert follows[1] > follows[0] + 0.1, follows  # measured 0.84 against 0.61
    owner_mean, owner_std = bank.target_level  # measured −10.92 ± 1.86; the mix −10.89 ± 1.90
    assert abs(level_stats(mixed)[0] - owner_mean) < 0.25 * owner_std, (level_stats(mixed), bank.target_level)


def test_a_clone_speaks_on_its_units_own_pitch(consented_home):
    """Where a voiced phone unit plays a voiced frame, the clone speaks on that unit's own
    F0 (smoothed over joins), so the owner's pitch habits come with their timbre; other
    voiced frames keep the base voice's contour, moved to the units' pitch, and unvoiced
    frames stay unvoiced."""
    from yinse.voices.speaking_pitch import typical_pitch_hz
    from yinse.voices.timbre import OWN_PITCH_SPAN

    bank = enrolled_bank()
    base = joe_says(TEXT)
    f0 = base.f0
    position, from_units = bank.choose(base.coded, f0 > 0, base.said.phones, base.t)
    pitch = bank.speech_pitch(f0, position, from_units)

    own = bank.target_f0[np.round(position).astype(int)]
    use = (f0 > 0) & from_units & (own > 0)
    assert use.sum() > 0.4 * (f0 > 0).sum(), (use.sum(), (f0 > 0).sum())  # 225 of 490
    # Near the unit's F0 (up to whole octaves), and within the span around the typical
    # pitch of the owner's frames (DIO's octave errors folded in).
    semitones = 12 * np.log2(pitch[use] / own[use])
    off = np.abs(semitones - 12 * np.round(semitones / 12))
    assert np.median(off) < 0.5, np.median(off)  # the median over joins moves some frames
    typical = 12 * np.log2(pitch[use] / typical_pitch_hz(bank.target_f0))
    low, high = OWN_PITCH_SPAN
    # (The median over joins can take a neighbour's value from the moved base F0: a little
    # outside, never an octave.)
    assert low - 3 < typical.min() and typical.max() < high + 3, (typical.min(), typical.max())
    # The other voiced frames keep the base voice's contour, moved as one to the units'
    # pitch: by the median difference on the frames the units play.
    moved = (f0 > 0) & ~use
    ratio = np.log(pitch[moved] / (f0[moved] * 2 ** (bank.pitch_shift_semitones / 12)))
    unit_ratio = np.log(pitch[use] / (f0[use] * 2 ** (bank.pitch_shift_semitones / 12)))
    assert moved.sum() > 10 and np.ptp(ratio) < 1e-9
    assert abs(ratio[0] - np.median(unit_ratio)) < np.log(2 ** (1 / 12)), (ratio[0], np.median(unit_ratio))
    assert (pitch[f0 == 0] == 0).all()


def test_spoken_renders_carry_the_watermark(consented_home, tmp_path):
    texts = [
        TEXT,
        "The quick brown fox jumps over the lazy dog, and then it runs back home again, happily.",
        TEXT + " It can read anything for me, even this long sentence.",
    ]
    for k, text in enumerate(texts):
        spoken = tmp_path / f"spoken{k}.wav"
        assert speak(spoken, text).exit_code == 0
        assert sf.info(spoken).duration > 5  # long enough for the detector
        # Stripped of its metadata, a spoken clone must still be recognisable as ours.
        assert verify(spoken)["watermark"]["found"] is True, f"no watermark in {text!r}"


def test_consent_for_singing_only_refuses_speech(voice_home, tmp_path):
    granted = run("voice", "consent", NAME, "--attested-by", "Studio operator", "--scopes", "sing")
    assert granted.exit_code == 0, granted.output
    assert "attested" in granted.stdout  # the lower trust is said
    out = tmp_path / "speech.wav"
    line = assert_refused(speak(out), "does not grant 'speak'")
    assert "sing" in line  # and says what it does grant
    assert not out.exists()
    assert sing(tmp_path, tmp_path / "song.wav").exit_code == 0  # what it grants works
    assert [a.scope for a in Registry().audit_for(NAME)] == ["sing"]


def test_songs_in_an_enrolled_voice_go_through_the_consent_gate(voice_home, tmp_path):
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_text("[chorus]\nSail away, sail away\nBring my heart back to me\n", "utf-8")
    out = tmp_path / "song"
    assert_refused(run("song", lyrics, "--voice", NAME, "-o", out), "no consent")
    assert not out.exists() and not list(tmp_path.glob(".tmp-song-*"))
    run("voice", "consent", NAME, "--attested-by", "Studio operator", "--scopes", "sing")
    made = run("song", lyrics, "--voice", NAME, "--style", "folk", "-o", out)
    assert made.exit_code == 0, made.output
    report = verify_file(out / "song.mp3")
    assert report["record"]["kind"] == "song" and report["record"]["voice"] == NAME
    assert report["consent"]["kind"] == "attested"
    assert [a.scope for a in Registry().audit_for(NAME)] == ["sing"]


def test_conversion_into_an_enrolled_voice_needs_the_convert_scope(voice_home, shared_data, tmp_path):
    singing = shared_data / "singing" / "multi" / "gtsinger" / "EN-Tenor-1-Vibrato-Control.flac"
    out = tmp_path / "converted.wav"
    assert_refused(run("convert", singing, "--to", NAME, "-o", out), "no consent")
    run("voice", "consent", NAME, "--attested-by", "Studio operator", "--scopes", "sing")
    refused = run("convert", singing, "--to", NAME, "-o", out)
    assert_refused(refused, "does not grant 'convert'")
    assert not out.exists()
    granted = run("voice", "consent", NAME, "--attested-by", "Studio operator", "--scopes", "convert")
    assert granted.exit_code == 0, granted.output
    done = run("convert", singing, "--to", NAME, "-o", out, "--key", "auto")
    assert done.exit_code == 0, done.output
    report = verify_file(out)
    assert report["record"]["kind"] == "convert" and report["record"]["voice"] == NAME
    assert report["consent"]["kind"] == "attested"
    assert [a.scope for a in Registry().audit_for(NAME)] == ["convert"]
    # nothing of the source voice is kept: no copy of the input in the data folder
    kept = [p for p in voice_home.rglob("*") if p.is_file() and p.suffix in (".flac", ".wav")]
    assert not kept, kept


def test_revoke_stops_renders_at_once(enrolled, consented_home, tmp_path):
    before = tmp_path / "before.wav"
    assert speak(before).exit_code == 0
    revoked = run("voice", "revoke", NAME, "--reason", "I changed my mind")
    assert revoked.exit_code == 0, revoked.output
    assert "revoked 1 consent" in revoked.stdout
    after = tmp_path / "after.wav"
    line = assert_refused(speak(after), "revoked")
    assert "I changed my mind" in line  # the reason travels with the refusal
    assert_refused(sing(tmp_path, after), "revoked")
    assert not after.exists()
    assert len(Registry().audit_for(NAME)) == 1  # only the render made before revoking
    listed = run("voice", "list")
    assert "no valid consent" in next(x for x in listed.stdout.splitlines() if x.startswith(NAME))
    # A file made before still names its consent, with the consent's state now.
    assert verify(before)["consent"]["state"] == "revoked"


def test_expired_consent_is_refused_with_the_reason(voice_home, tmp_path):
    registry = Registry()
    then = datetime.now(UTC) - timedelta(days=30)
    expiry = then + timedelta(days=1)
    consent = registry.add_consent(
        voice_name=NAME, kind="attested", statement="Licensed for a month.", scopes="sing,speak",
        commercial_use=False, attested_by="Studio operator", expires_at=expiry, now=then,
    )  # fmt: skip
    # It did allow speaking while it lasted ...
    assert (
        registry.active_consent(voice_name=NAME, scope="speak", at=then + timedelta(hours=1)).id
        == consent.id
    )
    out = tmp_path / "out.wav"
    # ... and now it is refused, saying why and when.
    line = assert_refused(speak(out), "expired")
    assert f"{expiry:%Y-%m-%d}" in line
    assert not out.exists() and Registry().audit_for(NAME) == []


def test_delete_removes_the_bank_and_the_voice(consented_home, tmp_path):
    registry = Registry()
    bank = Path(registry.get_voice(NAME).bank_path)
    assert bank.is_dir()
    deleted = run("voice", "delete", NAME, "--yes")
    assert deleted.exit_code == 0, deleted.output
    # The person's voice data does not outlive the voice.
    assert not bank.exists()
    assert voice_folder_entries() == []
    assert NAME not in run("voice", "list").stdout
    assert NAME not in run("voices").stdout
    # Its consents are revoked and it renders nothing.
    record = registry.get_voice(NAME, include_deleted=True)
    assert record.status == "deleted"
    assert all(c.state() == "revoked" for c in registry.consents_for(NAME))
    assert_refused(speak(tmp_path / "out.wav"), NAME)
    assert not (tmp_path / "out.wav").exists()


def test_export_writes_bank_manifest_and_consents(enrolled, consented_home, tmp_path):
    assert speak(tmp_path / "one.wav").exit_code == 0
    out = tmp_path / "export" / f"{NAME}.tar.gz"
    out.parent.mkdir()
    result = run("voice", "export", NAME, "-o", out)
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left
    bank = Path(Registry().get_voice(NAME).bank_path)
    with tarfile.open(out, "r:gz") as tar:
        names = set(tar.getnames())
        # What the owner takes with them: the bank, its manifest, consents and audit.
        assert names == {f"{NAME}/{n}" for n in
                         ("bank.npz", "bank.json", "manifest.json", "quality.png", "voice.json", "audit.json")}  # fmt: skip
        assert tar.extractfile(f"{NAME}/bank.npz").read() == (bank / "bank.npz").read_bytes()
        manifest = json.loads(tar.extractfile(f"{NAME}/manifest.json").read())
        info = json.loads(tar.extractfile(f"{NAME}/voice.json").read())
        audit = json.loads(tar.extractfile(f"{NAME}/audit.json").read())
    assert manifest["owner"] == OWNER and len(manifest["sources"]) == 12
    assert [c["id"] for c in info["consents"]] == [enrolled.consent.id]
    assert info["consents"][0]["kind"] == "recorded" and info["consents"][0]["state"] == "active"
    assert [a["consent_id"] for a in audit] == [enrolled.consent.id]
    # A wrong archive name is a clear error, not a stray file.
    assert_refused(run("voice", "export", NAME, "-o", tmp_path / "x.zip"), ".tar.gz")
    assert not (tmp_path / "x.zip").exists()


# ---------------------------------------------------------------- bad recordings
def music(seconds: float, sr: int, seed: int) -> np.ndarray:
    """Chords (I–V–vi–IV, with harmonics) over kick and snare, 100 bpm."""
    rng = np.random.default_rng(seed)
    n, beat = int(seconds * sr), 0.6
    out = np.zeros(n)
    chords = [[60, 64, 67], [55, 59, 62], [57, 60, 64], [53, 57, 60]]
    for k in range(int(seconds / beat) + 1):
        start = int(k * beat * sr)
        if start >= n:
            break
        t = np.arange(min(n, start + int(1.2 * beat * sr)) - start) / sr
        for m in chords[(k // 4) % 4]:
            f = 440 * 2 ** ((m - 69) / 12)
            out[start : start + len(t)] += (
                0.1 * np.exp(-2 * t) * sum(np.sin(2 * np.pi * f * h * t) / h for h in range(1, 6))
            )
        d = np.arange(min(n - start, int(0.15 * sr))) / sr
        drum = (0.6 * np.sin(2 * np.pi * (50 + 100 * np.exp(-30 * d)) * d) * np.exp(-20 * d) if k % 2 == 0
                else 0.3 * rng.standard_normal(len(d)) * np.exp(-25 * d))  # fmt: skip
        out[start : start + len(d)] += drum
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def _silence(audio, sr, i, rng):
    return (1e-4 * rng.standard_normal(3 * sr)).astype(np.float32)


def _music(audio, sr, i, rng):
    return music(4.0, sr, i)


def _clipped(audio, sr, i, rng):
    return np.clip(audio * 6, -1, 1)  # the gain far too high


def _noisy(audio, sr, i, rng):
    pad = np.zeros(sr // 2, np.float32)
    x = np.concatenate([pad, audio, pad])
    rms = np.sqrt(np.mean(audio**2))
    return (x + rms / 10 ** (8 / 20) * rng.standard_normal(len(x))).astype(np.float32)  # 8 dB SNR


def _too_little(audio, sr, i, rng):
    return audio if i < 3 else None  # three sentences, about 9 s


@pytest.mark.parametrize(
    "make, words",
    [(_silence, "no speech"), (_music, "music"), (_clipped, "clipped"), (_noisy, "too noisy"),
     (_too_little, "too little speech")],
    ids=["silence", "music", "clipped", "noisy", "too-little-speech"],
)  # fmt: skip
def test_bad_recordings_are_refused(joe_recordings, tmp_path, make, words):
    rng = np.random.default_rng(0)
    folder = tmp_path / "recordings"
    folder.mkdir()
    for i, path in enumerate(sorted(joe_recordings.glob("*.wav"))):
        audio, sr = sf.read(path, dtype="float32")
        made = make(audio, sr, i, rng)
        if made is not None:
            sf.write(folder / path.name, made, sr)  # named by line id: no transcript needed
    line = refused(["--lang", "en", "--audio", folder, "--owner", OWNER], words, "bad-voice")
    assert "cannot make a voice" in line


@pytest.fixture(scope="module")
def cathy(shared_data) -> tuple[Path, list[tuple[str, str]]]:
    folder = shared_data / "speech" / "en" / "cathy"
    rows = [
        line.split("\t")[:2]
        for line in (folder / "transcripts.tsv").read_text().splitlines()
        if line.strip()
    ]
    return folder, rows


def cathy_set(cathy, rows: slice, dest: Path, *, shift: bool = False) -> tuple[Path, Path]:
    """Copies of some cathy recordings and a transcripts TSV for them; with ``shift`` each
    file gets the next file's text (every transcript wrong)."""
    folder, all_rows = cathy
    chosen = all_rows[rows]
    texts = [t for _, t in chosen]
    if shift:
        texts = texts[1:] + texts[:1]
    dest.mkdir()
    for name, _ in chosen:
        shutil.copy(folder / name, dest / name)
    tsv = dest.parent / f"{dest.name}.tsv"
    tsv.write_text(
        "".join(f"{name}\t{text}\n" for (name, _), text in zip(chosen, texts)), encoding="utf-8"
    )
    return dest, tsv


def test_transcripts_that_do_not_match_the_audio_are_refused(cathy, tmp_path):
    folder, tsv = cathy_set(cathy, slice(20, 26), tmp_path / "shuffled", shift=True)
    refused(["--lang", "en", "--audio", folder, "--owner", "Cathy", "--transcripts", tsv, "--min-speech", "8"],
            "do not say their text", "cathy")  # fmt: skip


def test_retakes_of_one_sentence_are_kept_and_a_wrong_text_still_caught(cathy):
    """Two takes of the same sentence fit each other's base sentence as well as their own;
    as decoys they dropped each other, so a retake was never enrolled."""
    from yinse.core.audio import resample
    from yinse.voices.timbre import world_features

    folder, rows = cathy
    joe = get_voice("joe")
    (take, text), others = rows[30], rows[31:35]
    audio, sr = sf.read(folder / take, dtype="float32")
    rng = np.random.default_rng(0)
    retake = np.concatenate([np.zeros(sr // 5, np.float32), audio]) + 0.002 * rng.standard_normal(len(audio) + sr // 5)
    clips = [(audio, sr), (retake.astype(np.float32), sr)] + [sf.read(folder / f, dtype="float32") for f, _ in others]
    texts = [text, text] + [t for _, t in others]
    # The last recording claims the first text but says another sentence.
    clips.append(sf.read(folder / rows[40][0], dtype="float32"))
    texts.append(text)
    base = [world_features(joe.speak(t)[0], joe.sr, aperiodicity=False) for t in texts]
    target = [world_features(resample(a, r, joe.sr).astype(np.float32), joe.sr) for a, r in clips]
    kept, _, mismatched = build._align_and_check(base, target, texts)
    assert mismatched == [len(texts) - 1] and kept == list(range(len(texts) - 1))


def test_a_transcripts_pinyin_is_what_the_mandarin_base_voice_says():
    baker, unread = get_voice("baker"), {}
    rec = SimpleNamespace(name="a.wav", text="这个我行。", pinyin="zhei4 ge5 wo3 hang2")
    said = build._say(baker, rec, unread)
    labels = [p for p, _, _ in said.phones]
    assert labels[1:3] == ["zh", "ei"] and "h" in labels and "ang" in labels and not unread
    rec.pinyin = "/ V EY1 / wo3"  # magicdata writes English words so: read the text as written
    labels = [p for p, _, _ in build._say(baker, rec, unread).phones]
    assert labels[1:3] == ["zh", "e"] and "x" in labels and "ing" in labels
    assert "not a syllable" in unread["a.wav"]


def test_mandarin_recordings_with_pinyin_abbreviations_and_retakes_enroll(shared_data, yinse_home, tmp_path):
    """magicdata_f's own transcripts, as a user brings them: a pinyin column with English
    stretches in ARPAbet (followed, our reading standing in for each stretch), abbreviations
    (VIP, spelled out), two takes of one sentence (both kept) and English words (Java
    Script, said in Mandarin syllables)."""
    folder = shared_data / "speech" / "zh" / "magicdata_f"
    names = ["100001", "100003", "100002", "100012", "100016", "100020", "100021", "100022", "100023", "100024"]
    rows = {r.split("\t")[0]: r for r in (folder / "transcripts.tsv").read_text(encoding="utf-8").splitlines()}
    tsv = tmp_path / "t.tsv"
    tsv.write_text("".join(rows[f"{n}.flac"] + "\n" for n in names), encoding="utf-8")
    args = ["--lang", "zh", "--owner", "Li Mei", "--transcripts", tsv, "--min-speech", "20"]
    for n in names:
        args += ["--audio", folder / f"{n}.flac"]
    result = run("voice", "enroll", "mei", *args)
    assert result.exit_code == 0, result.output
    assert "cannot say" not in result.stdout and "pinyin not followed" not in result.stdout
    manifest = json.loads((Path(Registry().get_voice("mei").bank_path) / "manifest.json").read_text(encoding="utf-8"))
    used = [s["name"] for s in manifest["sources"]]
    assert "100001.flac" in used and "100003.flac" in used  # the retakes, with VIP in them
    assert "100002.flac" in used  # ... Java Script ...
    assert manifest["unread_pinyin"] == {}


def test_a_one_take_reading_of_the_script_is_matched_to_its_lines(yinse_home, tmp_path):
    """espeak (a voice unlike the base voice) reads 14 script lines in one recording, as a
    person does: a pause inside line 3, a false start of line 6 before the whole line, a
    cough before line 9, line 8 skipped, lines 11 and 12 said without a pause between them.
    Counting pieces against lines would refuse it."""
    espeak, lines = get_voice("espeak-en"), script_lines("en")[:14]
    rng = np.random.default_rng(0)
    parts, sr = [], 0

    def pause(seconds: float) -> np.ndarray:
        return rng.normal(0, 3e-4, int(seconds * sr)).astype(np.float32)

    for k, line in enumerate(lines):
        audio, sr = espeak.speak(line.text)
        audio = audio.astype(np.float32)
        if k == 8:
            continue
        if k == 3:  # a pause at the quietest point of the line's middle third
            level = np.convolve(audio**2, np.ones(200), "same")
            cut = len(audio) // 3 + int(np.argmin(level[len(audio) // 3 : 2 * len(audio) // 3]))
            parts += [audio[:cut], pause(0.7), audio[cut:]]
        elif k == 6:
            parts += [audio[: int(0.4 * len(audio))], pause(1.0), audio]
        elif k == 9:
            cough = int(0.35 * sr)
            parts += [(rng.normal(0, 0.2, cough) * np.hanning(cough)).astype(np.float32), pause(0.8), audio]
        else:
            parts.append(audio)
        parts.append(pause(0.15 if k == 11 else 1.0))
    sf.write(tmp_path / "take.wav", np.concatenate([pause(0.5), *parts]), sr)
    result = run("voice", "enroll", "take", "--lang", "en", "--audio", tmp_path / "take.wav",
                 "--owner", OWNER, "--min-speech", "10")  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((Path(Registry().get_voice("take").bank_path) / "manifest.json").read_text(encoding="utf-8"))
    texts = {s["name"]: s["text"] for s in manifest["sources"]}
    assert list(texts.values()) == [line.text for k, line in enumerate(lines) if k != 8]
    assert texts["take.wav#4+5"] == lines[3].text  # the line with a pause inside, joined
    assert (texts["take.wav#13.1"], texts["take.wav#13.2"]) == (lines[11].text, lines[12].text)  # cut
    assert manifest["dropped"] == {"take.wav#8": "it matches no line of the script"}  # the false start


def test_english_recordings_enrolled_as_mandarin_without_transcripts(joe_recordings):
    # 12 English files cannot be the 52 lines of the Mandarin script.
    refused(
        ["--lang", "zh", "--audio", joe_recordings, "--owner", OWNER], "zh script", "wrong-lang"
    )


def test_english_recordings_with_mandarin_transcripts_are_refused(joe_recordings, tmp_path):
    files = sorted(joe_recordings.glob("*.wav"))[:6]
    tsv = tmp_path / "zh.tsv"
    tsv.write_text(
        "".join(f"{f.name}\t{line.text}\n" for f, line in zip(files, script_lines("zh"))),
        encoding="utf-8",
    )
    args = ["--lang", "zh", "--owner", OWNER, "--transcripts", tsv, "--min-speech", "8"]
    for f in files:
        args += ["--audio", f]
    refused(args, "not in Mandarin", "wrong-lang")


# ---------------------------------------------------------------- bad names and owners
def add_voice_row(name: str, owner: str = "Someone Else") -> None:
    registry = Registry()
    person = registry.add_owner(owner)
    registry.add_voice(name=name, owner_id=person.id, language="en", base_voice="joe",
                       bank_path=str(data_home() / "elsewhere"), bank_sha256="ab" * 32,
                       embedding=[0.1] * 256, manifest={})  # fmt: skip


def test_duplicate_name_is_refused(joe_recordings):
    add_voice_row(NAME)
    result = run(
        "voice", "enroll", NAME, "--lang", "en", "--audio", joe_recordings, "--owner", OWNER
    )
    assert_refused(result, "already exists")
    registry = Registry()
    assert [v.name for v in registry.list_voices()] == [NAME]
    assert registry.get_voice(NAME).owner_name == "Someone Else"  # the existing voice is untouched
    assert voice_folder_entries() == []


@pytest.mark.parametrize("name, words", [
    ("joe", "built-in"), ("baker", "built-in"), ("espeak-de", "built-in"),
    ("Joe Clone", "not allowed"), ("x", "not allowed"), ("../evil", "not allowed"), ("a" * 33, "not allowed"),
])  # fmt: skip
def test_reserved_and_invalid_names_are_refused(joe_recordings, name, words):
    refused(["--lang", "en", "--audio", joe_recordings, "--owner", OWNER], words, name)


def test_empty_owner_is_refused(joe_recordings):
    refused(["--lang", "en", "--audio", joe_recordings, "--owner", "   "], "owner", "no-owner")


def test_unsupported_language_is_refused(joe_recordings):
    refused(["--lang", "fr", "--audio", joe_recordings, "--owner", OWNER], "zh or en", "french")


# ---------------------------------------------------------------- protected-voice guard
def test_recordings_of_another_owners_voice_are_refused(cathy, tmp_path):
    first, first_tsv = cathy_set(cathy, slice(0, 5), tmp_path / "first")
    second, second_tsv = cathy_set(cathy, slice(10, 15), tmp_path / "second")  # disjoint sentences
    original = enroll("cathy", language="en", inputs=[first], owner="Cathy Evans", transcripts=first_tsv,
                      min_speech_s=8)  # fmt: skip
    bank = original.bank_folder.name
    # Someone else enrolling her voice (other recordings, other sentences) is stopped.
    line = refused(["--lang", "en", "--audio", second, "--owner", "Mallory", "--transcripts", second_tsv,
                    "--min-speech", "8"], "sound like the registered voice 'cathy'", "not-cathy", keep=(bank,))  # fmt: skip
    assert "another owner" in line
    assert Registry().find_owner_by_name("Mallory") is None  # nor is the stranger registered
    # She herself may enroll a second voice from those recordings.
    again = enroll("cathy-two", language="en", inputs=[second], owner="Cathy Evans", transcripts=second_tsv,
                   min_speech_s=8)  # fmt: skip
    registry = Registry()
    assert registry.get_voice("cathy-two").owner_id == registry.get_voice("cathy").owner_id
    assert again.bank_folder.is_dir()


def test_a_voice_enrolled_with_the_older_embedding_is_still_protected(cathy, tmp_path):
    """A voice registered before the level rule holds a version-1 centroid (its manifest
    names no embedding version): a new enrollment is compared with it through a version-1
    centroid of its own recordings, at version 1's threshold."""
    folder, rows = cathy
    legacy = centroid([sf.read(folder / name, dtype="float32") for name, _ in rows[:5]], version=1)
    registry = Registry()
    owner = registry.add_owner("Cathy Evans")
    registry.add_voice(name="cathy-2025", owner_id=owner.id, language="en", base_voice="joe",
                       bank_path=str(tmp_path / "bank"), bank_sha256="0" * 64, embedding=legacy.tolist(),
                       manifest={"settings": {"min_speech_s": 8.0, "sr": 22050}})  # fmt: skip
    assert registry.get_voice("cathy-2025").embedding_version == 1
    assert describe("cathy-2025")["speaker_check"] == {"embedding_version": 1, "consent_threshold": THRESHOLDS[1][0],
                                                      "current": False}  # fmt: skip
    assert "older embedding" in run("voice", "show", "cathy-2025").stdout
    second, second_tsv = cathy_set(cathy, slice(10, 15), tmp_path / "second")
    line = refused(["--lang", "en", "--audio", second, "--owner", "Mallory", "--transcripts", second_tsv,
                    "--min-speech", "8"], "sound like the registered voice 'cathy-2025'", "not-cathy")  # fmt: skip
    assert f"≥ {THRESHOLDS[1][1]:.2f}" in line


# ---------------------------------------------------------------- interrupted enrollment
class Interrupted(BaseException):
    """The process stopped mid-way (like KeyboardInterrupt: not an ordinary error)."""


def test_interruption_inside_the_storing_transaction_leaves_nothing(joe_recordings, monkeypatch):
    seen = {}
    add_voice = Registry.add_voice

    def dying_add_voice(self, **kw):
        move = kw["before_commit"]

        def move_then_die():
            move()  # the bank is moved into its final place ...
            seen["moved"] = [p.name for p in (data_home() / "voices").iterdir()]
            raise Interrupted  # ... and the process stops before the row is committed

        return add_voice(self, **{**kw, "before_commit": move_then_die})

    monkeypatch.setattr(Registry, "add_voice", dying_add_voice)
    files = sorted(joe_recordings.glob("*.wav"))[:4]
    with pytest.raises(Interrupted):
        enroll("half-done", language="en", inputs=files, owner=OWNER, min_speech_s=5)
    assert len(seen["moved"]) == 1 and seen["moved"][0].startswith("half-done-")  # it got that far
    assert_nothing_left("half-done")  # the row rolled back, the moved bank removed


def passage_take(cathy, rows: slice, path: Path, *, quick: tuple[int, ...] = (), inner: int | None = None) -> list[str]:
    """cathy's recordings of ``rows`` read as one passage into ``path`` (0.8 s between
    sentences; 0.02 s after those in ``quick``, and a 0.7 s pause inside sentence ``inner``);
    returns their texts."""
    folder, all_rows = cathy
    rng = np.random.default_rng(1)
    parts, texts = [], []
    for k, (name, text) in enumerate(all_rows[rows]):
        audio, sr = sf.read(folder / name, dtype="float32")
        if k == inner:
            level = np.convolve(audio**2, np.ones(480), "same")
            cut = len(audio) // 3 + int(np.argmin(level[len(audio) // 3 : 2 * len(audio) // 3]))
            audio = np.concatenate([audio[:cut], rng.normal(0, 1e-4, int(0.7 * sr)).astype(np.float32), audio[cut:]])
        parts += [audio, rng.normal(0, 1e-4, int((0.02 if k in quick else 0.8) * sr)).astype(np.float32)]
        texts.append(text)
    sf.write(path, np.concatenate(parts), sr)
    return texts


def test_a_long_recording_transcribed_as_one_passage_is_matched_to_its_sentences(cathy, yinse_home, tmp_path):
    """A 50 s reading with its whole text on one transcript line: cut at pauses, each piece
    matched to the sentence it reads, a sentence with a pause inside joined, three sentences
    said without pauses between them cut apart."""
    texts = passage_take(cathy, slice(0, 14), tmp_path / "reading.flac", quick=(5, 6), inner=2)
    tsv = tmp_path / "t.tsv"
    tsv.write_text(f"reading.flac\t{' '.join(texts)}\n", encoding="utf-8")
    result = run("voice", "enroll", "reader", "--lang", "en", "--audio", tmp_path / "reading.flac",
                 "--transcripts", tsv, "--owner", OWNER, "--min-speech", "10")  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((Path(Registry().get_voice("reader").bank_path) / "manifest.json").read_text(encoding="utf-8"))
    read = [(s["name"], s["text"]) for s in manifest["sources"]]
    assert [text for _, text in read] == texts, (read, manifest["dropped"])
    assert read[2] == ("reading.flac#4+5", texts[2])  # the pause inside, joined (#1+2: cathy pauses in line 0)
    assert [name for name, _ in read[5:8]] == ["reading.flac#8.1", "reading.flac#8.2", "reading.flac#8.3"]


def test_a_passage_that_is_not_what_the_file_reads(cathy, yinse_home, tmp_path):
    """Alone, a file whose transcript is another passage is refused; beside a good file it is
    set aside with why, and the voice is built from the rest."""
    passage_take(cathy, slice(0, 14), tmp_path / "reading.flac")
    others = " ".join(text for _, text in cathy[1][60:74])
    tsv = tmp_path / "t.tsv"
    tsv.write_text(f"reading.flac\t{others}\n", encoding="utf-8")
    args = ["--lang", "en", "--transcripts", tsv, "--owner", OWNER, "--min-speech", "10"]
    line = refused([*args, "--audio", tmp_path / "reading.flac"], "reading.flac does not read its transcript", "wrong")
    assert "check that its transcript line is the text read in this file" in line
    texts = passage_take(cathy, slice(20, 34), tmp_path / "good.flac")
    tsv.write_text(f"reading.flac\t{others}\ngood.flac\t{' '.join(texts)}\n", encoding="utf-8")
    result = run("voice", "enroll", "mixed", *args, "--audio", tmp_path / "reading.flac", "--audio", tmp_path / "good.flac")
    assert result.exit_code == 0, result.output
    manifest = json.loads((Path(Registry().get_voice("mixed").bank_path) / "manifest.json").read_text(encoding="utf-8"))
    assert {s["file"] for s in manifest["sources"]} == {"good.flac"}
    dropped = [k for k, why in manifest["dropped"].items() if why.startswith("the file does not read its transcript")]
    assert dropped and all(k.startswith("reading.flac#") for k in dropped)


def test_a_mandarin_passage_is_matched_to_its_sentences_not_its_files(shared_data, yinse_home, tmp_path):
    """magicdata_f's 12 recordings after the first ten read as one passage: its sentences
    (cut at 。？！) are not her files (some hold two), and each piece still gets the one it
    reads, in order."""
    from yinse.text.sentences import passage_sentences

    folder = shared_data / "speech" / "zh" / "magicdata_f"
    rows = [r.split("\t") for r in (folder / "transcripts.tsv").read_text(encoding="utf-8").splitlines()][10:22]
    rng = np.random.default_rng(2)
    parts = []
    for name, *_ in rows:
        audio, sr = sf.read(folder / name, dtype="float32")
        parts += [audio, rng.normal(0, 1e-4, int(0.8 * sr)).astype(np.float32)]
    sf.write(tmp_path / "reading.flac", np.concatenate(parts), sr)
    passage = "".join(text for _, text, *_ in rows)
    (tmp_path / "t.tsv").write_text(f"reading.flac\t{passage}\n", encoding="utf-8")
    result = run("voice", "enroll", "mei", "--lang", "zh", "--audio", tmp_path / "reading.flac", "--transcripts",
                 tmp_path / "t.tsv", "--owner", "Li Mei", "--min-speech", "20")  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((Path(Registry().get_voice("mei").bank_path) / "manifest.json").read_text(encoding="utf-8"))
    sentences = passage_sentences(passage, "zh")
    assert len(sentences) > len(rows)
    read = [sentences.index(s["text"]) for s in manifest["sources"]]
    # All 14 sentences of the 12 files in the run that set this; baker's renderings vary a little.
    assert read == sorted(read) and len(read) >= len(sentences) - 1, (read, manifest["dropped"])
