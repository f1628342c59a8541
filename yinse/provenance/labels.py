"""The implicit AIGC label of GB 45438-2025: one metadata field named ``AIGC`` per file,
holding the label JSON (``{"AIGC": {"Label": "1", ...}}``, see ``output.aigc_label``).

Where the label goes, one place per format:

* WAV: a top-level RIFF chunk with id ``AIGC`` holding the UTF-8 JSON.  Not a LIST/INFO
  field: INFO sub-chunks are a fixed vocabulary of ASCII text ids (ICMT, ISFT, ...) that
  editors routinely rewrite, re-encode or drop, and putting the label in ICMT would clash
  with a user's comment.  A chunk of its own is named exactly as the standard asks, holds
  UTF-8 unchanged, and by the RIFF rules every reader that does not know it skips it
  (libsndfile, browsers, DAWs).  Other chunks, a ``C2PA`` chunk included, are kept byte
  for byte.
* MP3: an ID3v2.4 ``TXXX`` frame with description ``AIGC`` (what is seen in practice).
* FLAC, Ogg Vorbis and Ogg Opus: a Vorbis comment ``AIGC``.
* M4A and others: not supported (soundfile cannot write M4A, so Yinse never makes one).

Writing replaces any label already there (one label per file) and reports whether it did.
Every write happens on a copy in the same folder that is renamed over the original, so a
failure leaves the file as it was.  Readers are lenient: a file whose metadata cannot be
parsed reads as "no label" instead of raising, so ``yinse verify`` can still report the
rest of the evidence.

Order in the output stage: label first, then the C2PA signature, which hashes the whole
file; a label written after signing makes the manifest read as Invalid.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

from ..core.atomic import temp_beside
from ..core.errors import ProvenanceError

FIELD = "AIGC"
WAV_CHUNK = b"AIGC"
#: extension -> container kind
SUPPORTED = {
    ".wav": "wav",
    ".wave": "wav",
    ".mp3": "mp3",
    ".flac": "flac",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".opus": "ogg",
}
_NAMES = {"wav": "WAV", "mp3": "MP3", "flac": "FLAC", "ogg": "Ogg"}


# --- public API ---------------------------------------------------------------------------


def write_label(path: str | os.PathLike, label: dict) -> bool:
    """Put ``label`` (JSON-serialisable) into ``path``'s metadata, replacing any label
    already there.  Returns True when a label was replaced.  Raises ProvenanceError for an
    unsupported format or a damaged file; the file is then left untouched."""
    path = Path(path)
    kind = _kind_for_writing(path)
    if not isinstance(label, dict):
        raise ProvenanceError(f"the AIGC label for '{path.name}' must be a JSON object (a dict)")
    try:
        text = json.dumps(label, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise ProvenanceError(f"the AIGC label for '{path.name}' is not JSON: {error}") from error

    try:
        with temp_beside(path) as tmp:
            if kind == "wav":
                replaced = _wav_write(path, tmp, text)
            else:
                _check_complete(kind, path)
                shutil.copyfile(path, tmp)
                replaced = _WRITERS[kind](tmp, text, path.name)
            shutil.copymode(path, tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, path)
    except OSError as error:
        raise ProvenanceError(f"cannot label '{path}': {error}") from error
    return replaced


def read_label_raw(path: str | os.PathLike) -> str | None:
    """The label's text as stored, or None when there is none (or the format cannot hold
    one).  Never raises for damaged metadata: what cannot be parsed reads as None."""
    path = Path(path)
    kind = _sniff(path)
    if kind is None:
        return None
    try:
        return _READERS[kind](path)
    except Exception:  # mutagen's, struct's and our own ways of saying "damaged"
        return None


def read_label(path: str | os.PathLike) -> dict | None:
    """The label as parsed JSON, or None when absent or malformed (use
    :func:`read_label_raw` to tell the two apart)."""
    raw = read_label_raw(path)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# --- format detection ------------------------------------------------------------------------


def _kind_for_writing(path: Path) -> str:
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        raise ProvenanceError(
            f"cannot put an AIGC label in '{path.name}': the format "
            f"'{path.suffix or '(none)'}' is not supported; use WAV, FLAC, Ogg or MP3"
        )
    if not path.is_file():
        raise ProvenanceError(f"cannot put an AIGC label in '{path}': no such file")
    found = _sniff(path)
    if found != kind:
        what = f"a {_NAMES[found]} file" if found else "not a file Yinse can label"
        raise ProvenanceError(
            f"cannot put an AIGC label in '{path.name}': it is named {_NAMES[kind]} but its "
            f"content is {what} (empty, damaged or misnamed)"
        )
    return kind


def _sniff(path: Path) -> str | None:
    """The container by its first bytes (an extension can lie)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
            if head[:3] == b"ID3" and len(head) >= 10:
                # skip an ID3v2 tag: FLAC files sometimes carry one in front
                handle.seek(0)
                header = handle.read(10)
                size = _syncsafe(header[6:10]) + 10 + (10 if header[5] & 0x10 else 0)
                handle.seek(size)
                after = handle.read(4)
                return "flac" if after == b"fLaC" else "mp3"
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        return "mp3"  # an MPEG audio frame sync without a tag
    return None


def _syncsafe(data: bytes) -> int:
    return (
        (data[0] & 0x7F) << 21 | (data[1] & 0x7F) << 14 | (data[2] & 0x7F) << 7 | (data[3] & 0x7F)
    )


# --- WAV: our own minimal RIFF chunk handling --------------------------------------------------


def _wav_chunks(f, name: str) -> list[tuple[bytes, int, int]]:
    """``(id, start of payload, payload size)`` for each top-level chunk of the open file
    ``f``; strict.  Reads the chunk headers only: a long render's samples stay on disk."""
    size_of_file = os.fstat(f.fileno()).st_size
    f.seek(0)
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ProvenanceError(f"'{name}' is not a RIFF/WAVE file")
    riff_end = 8 + struct.unpack_from("<I", head, 4)[0]
    if riff_end > size_of_file:
        raise ProvenanceError(
            f"'{name}' is truncated: its RIFF header promises {riff_end} bytes but the file "
            f"has {size_of_file}; it cannot be labelled safely"
        )
    if riff_end < size_of_file:
        raise ProvenanceError(
            f"'{name}' has {size_of_file - riff_end} unexpected bytes after its RIFF data; "
            "it cannot be labelled safely"
        )
    chunks, pos = [], 12
    while pos < riff_end:
        if pos + 8 > riff_end:
            raise ProvenanceError(f"'{name}' is damaged: a chunk header is cut off at byte {pos}")
        f.seek(pos)
        header = f.read(8)
        cid, size = header[:4], struct.unpack_from("<I", header, 4)[0]
        start = pos + 8
        if start + size > riff_end:
            raise ProvenanceError(
                f"'{name}' is truncated or damaged: the '{cid.decode('latin-1')}' chunk at byte "
                f"{pos} runs past the end of the file"
            )
        chunks.append((cid, start, size))
        pos = start + size + (size & 1)
    # pos may be riff_end + 1 when the last chunk is odd and its pad byte is missing: tolerated
    if not any(cid == b"fmt " for cid, _, _ in chunks) or not any(
        cid == b"data" for cid, _, _ in chunks
    ):
        raise ProvenanceError(f"'{name}' is damaged: it lacks a 'fmt ' or 'data' chunk")
    return chunks


def _wav_write(path: Path, tmp: Path, text: str) -> bool:
    """Every chunk but an old label copied into ``tmp`` a megabyte at a time, then the
    label chunk."""
    payload = text.encode("utf-8")
    label = WAV_CHUNK + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)
    with open(path, "rb") as src:
        chunks = _wav_chunks(src, path.name)
        kept = [c for c in chunks if c[0] != WAV_CHUNK]
        body_size = 4 + sum(8 + size + (size & 1) for _, _, size in kept) + len(label)
        if body_size > 0xFFFFFFFF:
            raise ProvenanceError(f"'{path.name}' is too large for a RIFF file once labelled")
        with open(tmp, "wb") as dst:
            dst.write(b"RIFF" + struct.pack("<I", body_size) + b"WAVE")
            for cid, start, size in kept:
                dst.write(cid + struct.pack("<I", size))
                src.seek(start)
                left = size
                while left:
                    block = src.read(min(left, 1 << 20))
                    if not block:  # the file shrank while it was being labelled
                        raise ProvenanceError(f"'{path.name}' changed while it was labelled")
                    dst.write(block)
                    left -= len(block)
                dst.write(b"\0" * (size & 1))
            dst.write(label)
    return len(kept) < len(chunks)


def _wav_read(path: Path) -> str | None:
    # lenient walk: stop at the first damage, keep what was found before it
    with open(path, "rb") as f:
        end = os.fstat(f.fileno()).st_size
        pos = 12
        while pos + 8 <= end:
            f.seek(pos)
            header = f.read(8)
            cid, size = header[:4], struct.unpack_from("<I", header, 4)[0]
            start = pos + 8
            if cid == WAV_CHUNK:
                if start + size > end:
                    return None
                return f.read(size).decode("utf-8", errors="replace").rstrip("\0")
            pos = start + size + (size & 1)
    return None


# --- MP3, FLAC, Ogg: mutagen (plus an integrity check of the audio) ---------------------------


def _check_complete(kind: str, path: Path) -> None:
    """Catch a file cut short inside its audio, which metadata parsing alone misses:
    FLAC by decoding its last frames (libFLAC seeks there), MP3 by the byte count of its
    Xing/LAME header when it has one.  Ogg by walking its pages."""
    if kind == "flac":
        try:
            _flac_check(path)
        except Exception as error:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else "damaged"
            raise ProvenanceError(
                f"'{path.name}' is truncated or damaged ({detail}); it was not labelled"
            ) from error
    elif kind == "ogg":
        problem = _ogg_problem(path)
        if problem:
            raise ProvenanceError(
                f"'{path.name}' is truncated or damaged ({problem}); it was not labelled"
            )
    elif kind == "mp3":
        expected, actual = _mp3_stream_sizes(path)
        if expected is not None and expected > actual:
            raise ProvenanceError(
                f"'{path.name}' is truncated: its MP3 header promises {expected} bytes of audio "
                f"but {actual} are there; it was not labelled"
            )


def _ogg_problem(path: Path) -> str | None:
    """Walk every Ogg page (each states its own length): a cut shows as a short page or a
    stream that never reaches its end-of-stream page."""
    from mutagen.ogg import OggPage

    open_streams: set[int] = set()
    with open(path, "rb") as handle:
        while True:
            try:
                page = OggPage(handle)
            except EOFError:
                break
            except Exception as error:
                return str(error) or "a damaged page"
            if page.first:
                open_streams.add(page.serial)
            if page.last:
                open_streams.discard(page.serial)
    return "the stream ends without its last page" if open_streams else None


def _flac_check(path: Path) -> None:
    import soundfile as sf

    with sf.SoundFile(path) as audio:
        total = audio.frames
        if total <= 0:
            return
        try:  # fast: let libFLAC seek to the end and decode the last block
            audio.seek(max(0, total - 4096))
            if len(audio.read(4096, dtype="int32")) == min(4096, total):
                return
        except sf.LibsndfileError:
            pass  # libFLAC's seek also fails on some valid files: decode it all instead
    with sf.SoundFile(path) as audio:
        got = sum(len(block) for block in audio.blocks(blocksize=1 << 16, dtype="int32"))
    if got < total:
        raise ValueError(f"{got} of {total} samples decode")


def _mp3_stream_sizes(path: Path) -> tuple[int | None, int]:
    """(bytes promised by a Xing/Info header or None, bytes of MPEG stream present)."""
    from mutagen.mp3 import XingHeader, XingHeaderError

    size = path.stat().st_size
    with open(path, "rb") as handle:
        start = 0
        header = handle.read(10)
        if header[:3] == b"ID3" and len(header) == 10:
            start = _syncsafe(header[6:10]) + 10 + (10 if header[5] & 0x10 else 0)
        handle.seek(max(0, size - 128))
        end = size - 128 if handle.read(3) == b"TAG" else size
        handle.seek(start)
        frame = handle.read(64)
        for marker in (b"Xing", b"Info"):
            at = frame.find(marker)
            if at >= 4:
                handle.seek(start + at)
                try:
                    xing = XingHeader(handle)
                except XingHeaderError:
                    return None, end - start
                return (xing.bytes if xing.bytes > 0 else None), end - start
    return None, end - start


def _mp3_write(tmp: Path, text: str, name: str) -> bool:
    from mutagen import MutagenError
    from mutagen.id3 import ID3, TXXX, ID3NoHeaderError
    from mutagen.mp3 import MP3

    try:
        MP3(tmp)  # refuses a file without MPEG audio frames
    except MutagenError as error:
        raise ProvenanceError(
            f"'{name}' is not a readable MP3 file ({error}); it was not labelled"
        ) from error
    try:
        tags = ID3(tmp)
    except ID3NoHeaderError:
        tags = ID3()
    except MutagenError as error:
        raise ProvenanceError(
            f"'{name}' has a damaged ID3 tag ({error}); it was not labelled"
        ) from error
    replaced = False
    for key in list(tags.keys()):
        frame = tags[key]
        if frame.FrameID == "TXXX" and frame.desc.upper() == FIELD:
            del tags[key]
            replaced = True
    tags.add(TXXX(encoding=3, desc=FIELD, text=[text]))
    tags.save(tmp, v2_version=4)
    return replaced


def _mp3_read(path: Path) -> str | None:
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        return None
    for frame in tags.getall("TXXX"):
        if frame.desc.upper() == FIELD:
            return str(frame.text[0]) if frame.text else ""
    return None


def _open_vorbis(path: Path, name: str, *, strict: bool):
    from mutagen import MutagenError
    from mutagen.flac import FLAC
    from mutagen.oggflac import OggFLAC
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis

    kind = "flac" if _sniff(path) == "flac" else "ogg"
    classes = [FLAC] if kind == "flac" else [OggVorbis, OggOpus, OggFLAC]
    errors = []
    for cls in classes:
        try:
            return cls(path)
        except MutagenError as error:
            errors.append(str(error))
    if strict:
        raise ProvenanceError(
            f"'{name}' is not a readable {_NAMES[kind]} file ({errors[0]}); it was not labelled"
        )
    return None


def _vorbis_write(tmp: Path, text: str, name: str) -> bool:
    from mutagen import MutagenError

    audio = _open_vorbis(tmp, name, strict=True)
    if audio.tags is None:
        audio.add_tags()
    replaced = any(key.upper() == FIELD for key in audio.tags.keys())
    for key in [k for k in audio.tags.keys() if k.upper() == FIELD]:
        del audio.tags[key]
    audio.tags[FIELD] = [text]
    try:
        audio.save()
    except MutagenError as error:
        raise ProvenanceError(f"cannot write the AIGC label into '{name}': {error}") from error
    return replaced


def _vorbis_read(path: Path) -> str | None:
    audio = _open_vorbis(path, path.name, strict=False)
    if audio is None or audio.tags is None:
        return None
    for key, value in audio.tags:  # a Vorbis comment block is a list of (key, value)
        if key.upper() == FIELD:
            return str(value)
    return None


_WRITERS = {"mp3": _mp3_write, "flac": _vorbis_write, "ogg": _vorbis_write}
_READERS = {"wav": _wav_read, "mp3": _mp3_read, "flac": _vorbis_read, "ogg": _vorbis_read}
