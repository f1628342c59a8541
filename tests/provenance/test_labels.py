"""The implicit AIGC label: one ``AIGC`` field per file, in each format's own metadata."""

import json
import os
import struct

import numpy as np
import pytest
import soundfile as sf

from yinse.core.errors import ProvenanceError
from yinse.provenance import labels

SR = 44100
FORMATS = {
    ".wav": ("WAV", "PCM_24"),
    ".flac": ("FLAC", "PCM_24"),
    ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
}
LABEL = {
    "AIGC": {
        "Label": "1",
        "ContentProducer": "Yinse",
        "ProduceID": "render-0001",
        "ReservedCode1": "0123456789abcdef",
        "ContentPropagator": "Yinse",
        "PropagateID": "render-0001",
        "ReservedCode2": "人工智能生成",
    }
}


def tone(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def make(tmp_path, ext: str, name: str = "out"):
    path = tmp_path / f"{name}{ext}"
    fmt, subtype = FORMATS[ext]
    sf.write(path, tone(), SR, format=fmt, subtype=subtype)
    return path


def riff_chunks(path) -> list[tuple[bytes, bytes]]:
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack_from("<I", data, 4)[0] + 8 == len(data)
    chunks, pos = [], 12
    while pos < len(data):
        cid, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        chunks.append((cid, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    assert pos == len(data)
    return chunks


def count_labels(path) -> int:
    ext = path.suffix
    if ext == ".wav":
        return sum(cid == b"AIGC" for cid, _ in riff_chunks(path))
    if ext == ".mp3":
        from mutagen.id3 import ID3

        return sum(f.desc.upper() == "AIGC" for f in ID3(path).getall("TXXX"))
    from mutagen import File

    return sum(key.upper() == "AIGC" for key, _ in File(path).tags)


@pytest.mark.parametrize("ext", list(FORMATS))
def test_round_trip_and_replace_keeps_one_label(tmp_path, ext):
    path = make(tmp_path, ext)
    assert labels.read_label(path) is None and labels.read_label_raw(path) is None

    assert labels.write_label(path, LABEL) is False
    assert labels.read_label(path) == LABEL
    assert count_labels(path) == 1

    second = {"AIGC": {**LABEL["AIGC"], "ProduceID": "render-0002"}}
    assert labels.write_label(path, second) is True  # replaced, not added
    assert labels.read_label(path) == second
    assert json.loads(labels.read_label_raw(path)) == second
    assert count_labels(path) == 1

    audio, sr = sf.read(path)  # still a playable file
    assert sr == SR and len(audio) > 0.9 * SR
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_mp3_label_is_a_txxx_aigc_frame(tmp_path):
    from mutagen.id3 import ID3

    path = make(tmp_path, ".mp3")
    labels.write_label(path, LABEL)
    assert json.loads(str(ID3(path)["TXXX:AIGC"].text[0])) == LABEL


@pytest.mark.parametrize("ext", [".flac", ".ogg"])
def test_vorbis_label_is_an_aigc_comment(tmp_path, ext):
    from mutagen import File

    path = make(tmp_path, ext)
    labels.write_label(path, LABEL)
    assert json.loads(File(path).tags["AIGC"][0]) == LABEL


def test_wav_chunk_keeps_samples_and_other_chunks(tmp_path):
    path = make(tmp_path, ".wav")
    before, _ = sf.read(path, dtype="int32")
    # add a foreign chunk with an odd size (so it carries a pad byte) and a fake C2PA chunk
    data = bytearray(path.read_bytes())
    extra = b"odd1" + struct.pack("<I", 5) + b"hello\0" + b"C2PA" + struct.pack("<I", 4) + b"jumb"
    data += extra
    struct.pack_into("<I", data, 4, len(data) - 8)
    path.write_bytes(bytes(data))

    labels.write_label(path, LABEL)
    chunks = riff_chunks(path)
    assert [cid for cid, _ in chunks][-3:] == [b"odd1", b"C2PA", b"AIGC"]
    assert dict(chunks)[b"odd1"] == b"hello" and dict(chunks)[b"C2PA"] == b"jumb"
    assert json.loads(dict(chunks)[b"AIGC"].decode("utf-8")) == LABEL
    after, sr = sf.read(path, dtype="int32")
    assert sr == SR and np.array_equal(before, after)

    labels.write_label(path, {"AIGC": {"Label": "1"}})  # replace: still one, others intact
    chunks = riff_chunks(path)
    assert [cid for cid, _ in chunks].count(b"AIGC") == 1
    assert dict(chunks)[b"odd1"] == b"hello" and dict(chunks)[b"C2PA"] == b"jumb"
    assert np.array_equal(before, sf.read(path, dtype="int32")[0])


def test_malformed_label_reads_as_none_with_raw_text(tmp_path):
    path = make(tmp_path, ".wav")
    data = bytearray(path.read_bytes())
    data += b"AIGC" + struct.pack("<I", 9) + b"{not json" + b"\0"
    struct.pack_into("<I", data, 4, len(data) - 8)
    path.write_bytes(bytes(data))
    assert labels.read_label(path) is None
    assert labels.read_label_raw(path) == "{not json"

    mp3 = make(tmp_path, ".mp3")
    from mutagen.id3 import ID3, TXXX

    tags = ID3()
    tags.add(TXXX(encoding=3, desc="AIGC", text=["[1, 2"]))
    tags.save(mp3)
    assert labels.read_label(mp3) is None and labels.read_label_raw(mp3) == "[1, 2"


def test_unsupported_format_is_refused_and_untouched(tmp_path):
    aiff = tmp_path / "out.aiff"
    sf.write(aiff, tone(), SR, format="AIFF", subtype="PCM_16")
    before = aiff.read_bytes()
    with pytest.raises(ProvenanceError, match=r"'\.aiff' is not supported"):
        labels.write_label(aiff, LABEL)
    assert aiff.read_bytes() == before
    assert labels.read_label(aiff) is None  # reading an unknown format is not an error

    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    with pytest.raises(ProvenanceError, match="not supported"):
        labels.write_label(txt, LABEL)
    assert txt.read_text() == "hello"


def test_misnamed_file_is_refused(tmp_path):
    wav = make(tmp_path, ".wav")
    fake = tmp_path / "fake.mp3"
    fake.write_bytes(wav.read_bytes())
    with pytest.raises(ProvenanceError, match="content is a WAV file"):
        labels.write_label(fake, LABEL)
    assert fake.read_bytes() == wav.read_bytes()


@pytest.mark.parametrize("ext", [".wav", ".flac", ".mp3", ".ogg"])
@pytest.mark.parametrize("keep", ["header", "half", "all but one byte"])
def test_truncated_file_gives_clear_error_and_is_untouched(tmp_path, ext, keep):
    path = make(tmp_path, ext)
    whole = path.read_bytes()
    cut = {"header": 40, "half": len(whole) // 2, "all but one byte": len(whole) - 1}[keep]
    damaged = whole[:cut]
    path.write_bytes(damaged)
    with pytest.raises(ProvenanceError) as info:
        labels.write_label(path, LABEL)
    message = str(info.value)
    assert path.name in message
    assert any(word in message for word in ("truncated", "damaged", "not a readable"))
    assert path.read_bytes() == damaged
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize("ext", list(FORMATS))
def test_empty_file_is_refused(tmp_path, ext):
    path = tmp_path / f"empty{ext}"
    path.write_bytes(b"")
    with pytest.raises(ProvenanceError, match="empty, damaged or misnamed"):
        labels.write_label(path, LABEL)
    assert path.read_bytes() == b""


def test_tiny_constant_flac_is_not_mistaken_for_truncated(tmp_path):
    # libFLAC cannot seek in some tiny valid files; the check must not call them damaged
    path = tmp_path / "still.flac"
    sf.write(path, np.full(SR, 0.1, np.float32), SR, format="FLAC", subtype="PCM_24")
    assert labels.write_label(path, LABEL) is False and labels.read_label(path) == LABEL


def test_truncated_wav_still_reads_leniently(tmp_path):
    path = make(tmp_path, ".wav")
    labels.write_label(path, LABEL)
    data = path.read_bytes()
    path.write_bytes(data[:-1])  # the label chunk itself is cut: no label, no exception
    assert labels.read_label_raw(path) is None


def test_file_mode_is_kept(tmp_path):
    path = make(tmp_path, ".flac")
    os.chmod(path, 0o640)
    labels.write_label(path, LABEL)
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_label_must_be_a_json_object(tmp_path):
    path = make(tmp_path, ".wav")
    before = path.read_bytes()
    with pytest.raises(ProvenanceError, match="JSON object"):
        labels.write_label(path, ["not", "a", "dict"])
    with pytest.raises(ProvenanceError, match="not JSON"):
        labels.write_label(path, {"AIGC": object()})
    assert path.read_bytes() == before
