"""C2PA manifests: signed offline with the local identity, read as Trusted, Valid,
Invalid or absent."""

import os
import struct

import numpy as np
import pytest
import soundfile as sf

from yinse import __version__
from yinse.core.errors import ProvenanceError
from yinse.provenance import c2pa_sign, keys, labels

SR = 44100
FORMATS = {
    ".wav": ("WAV", "PCM_24"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".flac": ("FLAC", "PCM_24"),
}
RENDER = {
    "render_id": "4f1c2a9be07d3c55aa",
    "kind": "sing",
    "voice": "joe",
    "consent_id": "consent-42",
    "snapshot_hash": "4f1c2a9be07d3c55aa",
    "engine": {"yinse": __version__, "watermark": "org.yinse.watermark.v1"},
    "watermark_payload": "4f1c2a9be07d3c55",
}


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return keys.init_keys(tmp_path_factory.mktemp("ours"), owner="Yinse test")


@pytest.fixture(scope="module")
def theirs(tmp_path_factory):
    return keys.init_keys(tmp_path_factory.mktemp("theirs"), owner="Someone else")


def make(tmp_path, ext: str, seconds: float = 2.0):
    rng = np.random.default_rng(1)
    path = tmp_path / f"song{ext}"
    fmt, subtype = FORMATS[ext]
    audio = (0.2 * rng.standard_normal(int(seconds * SR))).astype(np.float32)
    sf.write(path, audio, SR, format=fmt, subtype=subtype)
    return path


def flip_audio_byte(signed, unsigned_bytes: bytes) -> None:
    """Flip one byte of the audio itself: a stretch from the middle of the unsigned file,
    found again in the signed one (so never inside the manifest)."""
    middle = len(unsigned_bytes) // 2
    snippet = unsigned_bytes[middle : middle + 64]
    data = bytearray(signed.read_bytes())
    at = data.find(snippet)
    assert at > 0
    data[at + 32] ^= 0x01
    signed.write_bytes(bytes(data))


@pytest.mark.parametrize("ext", list(FORMATS))
def test_signed_file_reads_trusted_with_our_assertions(tmp_path, ours, ext):
    path = make(tmp_path, ext)
    os.chmod(path, 0o644)
    c2pa_sign.sign_file(path, keys=ours, assertions=RENDER, title="song" + ext)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left
    assert os.stat(path).st_mode & 0o777 == 0o644

    report = c2pa_sign.read_manifest(path, trust_anchor_pem=ours.root_pem())
    assert report.state == "Trusted", report.messages
    assert report.failures == []
    assert report.signer == "Yinse test"
    assert report.claim_generator == f"Yinse/{__version__}"
    assert report.title == "song" + ext
    assert report.ai_generated
    created = [a for a in report.actions if a["action"] == "c2pa.created"]
    assert created[0]["digitalSourceType"] == c2pa_sign.DIGITAL_SOURCE_TYPE
    assert report.render == RENDER
    assert report.soft_binding["alg"] == "org.yinse.watermark.v1"
    assert report.watermark_payload == RENDER["watermark_payload"]
    assert report.to_json()["state"] == "Trusted"

    audio, sr = sf.read(path)  # still plays
    assert sr == SR and len(audio) > SR


@pytest.mark.parametrize("ext", list(FORMATS))
def test_without_our_anchor_it_is_valid_not_trusted(tmp_path, ours, theirs, ext):
    path = make(tmp_path, ext)
    c2pa_sign.sign_file(path, keys=ours, assertions=RENDER)
    for anchor in (None, theirs.root_pem()):
        report = c2pa_sign.read_manifest(path, trust_anchor_pem=anchor)
        assert report.state == "Valid"
        assert "signingCredential.untrusted" in report.failures
        assert report.render == RENDER  # the content is still readable


@pytest.mark.parametrize("ext", list(FORMATS))
def test_changed_audio_reads_invalid(tmp_path, ours, ext):
    path = make(tmp_path, ext)
    unsigned = path.read_bytes()
    c2pa_sign.sign_file(path, keys=ours, assertions=RENDER)
    flip_audio_byte(path, unsigned)
    report = c2pa_sign.read_manifest(path, trust_anchor_pem=ours.root_pem())
    assert report.state == "Invalid"
    assert any("mismatch" in code for code in report.failures), report.messages


def test_damaged_manifest_reads_invalid_without_raising(tmp_path, ours):
    path = make(tmp_path, ".wav")
    c2pa_sign.sign_file(path, keys=ours, assertions=RENDER)
    data = bytearray(path.read_bytes())
    for at in (data.find(b"jumb") + 8, data.find(b"c2pa.signature") + 200):
        broken = bytearray(data)
        broken[at] ^= 0xFF
        path.write_bytes(bytes(broken))
        report = c2pa_sign.read_manifest(path, trust_anchor_pem=ours.root_pem())
        assert report.state == "Invalid" and report.messages


@pytest.mark.parametrize("ext", list(FORMATS))
def test_unsigned_file_is_absent(tmp_path, ours, ext):
    path = make(tmp_path, ext)
    report = c2pa_sign.read_manifest(path, trust_anchor_pem=ours.root_pem())
    assert report.state == "absent" and report.render is None


def test_other_signer_is_valid_and_named(tmp_path, ours, theirs):
    path = make(tmp_path, ".wav")
    c2pa_sign.sign_file(path, keys=theirs, assertions={"render_id": "forged"})
    report = c2pa_sign.read_manifest(path, trust_anchor_pem=ours.root_pem())
    assert report.state == "Valid"
    assert report.signer == "Someone else"
    assert report.render == {"render_id": "forged"} and report.soft_binding is None


def test_signing_again_replaces_the_manifest(tmp_path, ours, theirs):
    path = make(tmp_path, ".flac")
    c2pa_sign.sign_file(path, keys=theirs, assertions={"render_id": "first"})
    c2pa_sign.sign_file(path, keys=ours, assertions=RENDER)
    report = c2pa_sign.read_manifest(path, trust_anchor_pem=ours.root_pem())
    assert report.state == "Trusted" and report.render == RENDER


def test_ogg_cannot_carry_a_manifest(tmp_path, ours):
    path = tmp_path / "song.ogg"
    sf.write(path, np.zeros(SR, np.float32), SR, format="OGG", subtype="VORBIS")
    before = path.read_bytes()
    assert not c2pa_sign.can_sign(path)
    with pytest.raises(ProvenanceError, match="WAV, MP3, FLAC or M4A"):
        c2pa_sign.sign_file(path, keys=ours, assertions=RENDER)
    assert path.read_bytes() == before
    assert c2pa_sign.read_manifest(path, trust_anchor_pem=ours.root_pem()).state == "absent"


def test_bad_assertions_leave_the_file_untouched(tmp_path, ours):
    path = make(tmp_path, ".wav")
    before = path.read_bytes()
    with pytest.raises(ProvenanceError, match="not hex"):
        c2pa_sign.sign_file(path, keys=ours, assertions={"watermark_payload": "xyz"})
    with pytest.raises(ProvenanceError, match="JSON"):
        c2pa_sign.sign_file(path, keys=ours, assertions={"when": object()})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_broken_audio_is_refused_untouched(tmp_path, ours):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunk")
    before = path.read_bytes()
    with pytest.raises(ProvenanceError, match="cannot sign 'broken.wav'"):
        c2pa_sign.sign_file(path, keys=ours, assertions=RENDER)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


# --- the AIGC label and the manifest in one file -------------------------------------------


def wav_chunk_ids(path) -> list[bytes]:
    data, ids, pos = path.read_bytes(), [], 12
    while pos < len(data):
        size = struct.unpack_from("<I", data, pos + 4)[0]
        ids.append(data[pos : pos + 4])
        pos += 8 + size + (size & 1)
    return ids


LABEL = {"AIGC": {"Label": "1", "ContentProducer": "Yinse", "ProduceID": "r"}}


@pytest.mark.parametrize("ext", list(FORMATS))
def test_label_then_sign_keeps_both(tmp_path, ours, ext):
    """The output stage's order: label, then sign last."""
    path = make(tmp_path, ext)
    labels.write_label(path, LABEL)
    c2pa_sign.sign_file(path, keys=ours, assertions=RENDER)
    assert labels.read_label(path) == LABEL
    assert c2pa_sign.read_manifest(path, trust_anchor_pem=ours.root_pem()).state == "Trusted"
    if ext == ".wav":
        ids = wav_chunk_ids(path)
        assert ids.count(b"AIGC") == 1 and ids.count(b"C2PA") == 1


@pytest.mark.parametrize("ext", list(FORMATS))
def test_sign_then_label_keeps_both_but_breaks_the_hash(tmp_path, ours, ext):
    """The other order keeps both pieces readable, but the manifest no longer matches the
    bytes: that is why signing must come last."""
    path = make(tmp_path, ext)
    c2pa_sign.sign_file(path, keys=ours, assertions=RENDER)
    labels.write_label(path, LABEL)
    assert labels.read_label(path) == LABEL
    report = c2pa_sign.read_manifest(path, trust_anchor_pem=ours.root_pem())
    assert report.state == "Invalid" and report.render == RENDER
    if ext == ".wav":
        assert wav_chunk_ids(path)[-2:] == [b"C2PA", b"AIGC"]

    c2pa_sign.sign_file(path, keys=ours, assertions=RENDER)  # signing again repairs it
    assert c2pa_sign.read_manifest(path, trust_anchor_pem=ours.root_pem()).state == "Trusted"
    assert labels.read_label(path) == LABEL
