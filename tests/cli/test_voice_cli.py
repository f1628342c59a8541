"""``yinse voice …`` and ``yinse voices``: the commands around enrolled voices that do not
need an enrollment to run (script, consent statement and its option checks, listing).

Voices are registered straight in the registry here (with a made-up centroid): these
commands read the row only.  The full enrollment is in ``tests/enroll/test_enroll.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from yinse.cli import app
from yinse.enroll.consent import STATEMENTS
from yinse.enroll.script import format_script, script_lines
from yinse.registry import Registry

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(autouse=True)
def local_registry(monkeypatch):
    """The registry of this test's YINSE_HOME, never a database named in the environment."""
    monkeypatch.delenv("YINSE_DATABASE_URL", raising=False)


def register(name: str = "mei", owner: str = "Li Mei", language: str = "zh") -> None:
    registry = Registry()
    person = registry.add_owner(owner)
    registry.add_voice(name=name, owner_id=person.id, language=language,
                       base_voice="baker" if language == "zh" else "joe",
                       bank_path=f"/nowhere/{name}", bank_sha256="ab" * 32,
                       embedding=[0.1] * 256, manifest={})  # fmt: skip


def bad(tmp_path: Path, args: list, words: str) -> str:
    """A user error: exit code 2, one line on stderr saying what, nothing written."""
    before = set(tmp_path.rglob("*"))
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert words.lower() in lines[0].lower(), lines[0]
    assert set(tmp_path.rglob("*")) == before  # no file, no temporary file left
    return lines[0]


# ---------------------------------------------------------------- voice script
def test_script_is_written_whole_with_a_summary(tmp_path):
    out = tmp_path / "script.txt"
    out.write_text("an older script")
    result = run("voice", "script", "--lang", "zh", "-o", out)
    assert result.exit_code == 0, result.output
    # The file holds exactly the script (the old content replaced, not appended to).
    assert out.read_text(encoding="utf-8") == format_script("zh")
    assert [p.name for p in tmp_path.iterdir()] == ["script.txt"]  # no temporary file left
    # The user is told how much there is to read.
    assert f"{len(script_lines('zh'))} lines" in result.stdout and "min to read" in result.stdout


def test_script_without_output_prints_it():
    result = run("voice", "script", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip("\n") == format_script("en").rstrip("\n")


def test_script_in_an_unknown_language_is_refused(tmp_path):
    bad(tmp_path, ["voice", "script", "--lang", "fr", "-o", tmp_path / "script.txt"], "'fr'")


def test_script_into_a_missing_folder_is_one_clear_line(tmp_path):
    bad(
        tmp_path,
        ["voice", "script", "--lang", "zh", "-o", tmp_path / "missing" / "script.txt"],
        "missing",
    )


# ---------------------------------------------------------------- voice consent
def test_consent_prints_the_statement_and_a_challenge():
    register()
    result = run("voice", "consent", "mei")
    assert result.exit_code == 0, result.output
    challenge_line = next(x for x in result.stdout.splitlines() if x.startswith("challenge "))
    challenge_id = challenge_line.split()[1]
    issued = Registry().get_challenge(challenge_id)
    # The printed id is a real, unused challenge for this voice ...
    assert issued is not None and issued.voice_name == "mei" and issued.used_at is None
    # ... and the owner is shown exactly the statement it asks for, with its fresh phrase.
    assert issued.statement.startswith(STATEMENTS["zh"]) and issued.phrase in issued.statement
    assert issued.statement in result.stdout
    # And how to hand in the recording, made where the enrollment was recorded.
    assert f"--challenge {challenge_id}" in result.stdout
    assert "microphone of the enrollment recordings" in result.stdout


def test_consent_for_an_unknown_voice_is_refused(tmp_path):
    bad(tmp_path, ["voice", "consent", "nobody"], "no enrolled voice called 'nobody'")


def test_attestation_does_not_go_with_a_recording(tmp_path):
    register()
    recording = tmp_path / "consent.wav"
    recording.write_bytes(b"RIFF")
    bad(tmp_path, ["voice", "consent", "mei", "--attested-by", "Operator", "--audio", recording],
        "--attested-by does not go with")  # fmt: skip
    assert Registry().consents_for("mei") == []  # no consent of either kind


@pytest.mark.parametrize(
    "expires, words", [("2020-01-01", "in the past"), ("31/12/2030", "not a date")]
)
def test_an_expiry_in_the_past_or_not_a_date_is_refused(tmp_path, expires, words):
    register()
    bad(tmp_path, ["voice", "consent", "mei", "--attested-by", "Operator", "--scopes", "sing",
                   "--expires", expires], words)  # fmt: skip
    assert Registry().consents_for("mei") == []


def test_attested_consent_with_a_document_is_stored_as_attested(tmp_path):
    register()
    licence = tmp_path / "licence.pdf"
    licence.write_bytes(b"%PDF-1.4 signed licence")
    result = run("voice", "consent", "mei", "--attested-by", "Operator", "--scopes", "sing",
                 "--expires", "2099-12-31", "--document", licence)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "not verified by recording" in result.stdout  # its lower trust is said
    (consent,) = Registry().consents_for("mei")
    assert (consent.kind, consent.attested_by, consent.scopes) == (
        "attested",
        "Operator",
        ("sing",),
    )
    assert consent.document_name == "licence.pdf" and len(consent.document_sha256) == 64
    assert f"{consent.expires_at:%Y-%m-%d}" == "2099-12-31"  # valid through the day given


def test_a_recording_needs_its_challenge(tmp_path):
    register()
    recording = tmp_path / "consent.wav"
    recording.write_bytes(b"RIFF")
    bad(tmp_path, ["voice", "consent", "mei", "--audio", recording], "--challenge")


# ---------------------------------------------------------------- listing
def test_voices_lists_an_enrolled_voice_with_its_owner():
    register("mei", "Li Mei", "zh")
    result = run("voices")
    assert result.exit_code == 0, result.output
    row = next(
        x
        for x in result.stdout.splitlines()
        if x.split("│")[1:2] and x.split("│")[1].strip() == "mei"
    )
    assert "enrolled: Li Mei" in row  # whose voice it is
    assert "baker" in result.stdout and "joe" in result.stdout  # the built-in ones still listed


def test_voice_list_and_show_say_it_cannot_render_without_consent():
    register("mei", "Li Mei", "zh")
    listed = run("voice", "list")
    assert listed.exit_code == 0 and "mei" in listed.stdout and "no valid consent" in listed.stdout
    shown = run("voice", "show", "mei")
    assert shown.exit_code == 0, shown.output
    assert "owner Li Mei" in shown.stdout and "consents: none (it cannot render)" in shown.stdout


def test_commands_on_an_unknown_voice_are_refused(tmp_path):
    for command in (["show", "ghost"], ["revoke", "ghost"], ["delete", "ghost", "--yes"],
                    ["export", "ghost", "-o", tmp_path / "ghost.tar.gz"]):  # fmt: skip
        bad(tmp_path, ["voice", *command], "ghost")
