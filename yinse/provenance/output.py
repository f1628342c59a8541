"""The one way audio leaves Yinse: every output is watermarked, labelled, signed and recorded.

:func:`publish` is called by every command (sing, speak, mark, later song and convert) and
by the service.  In order, all on a temporary file in the destination folder:

1. the explicit label (rhythm prompt, plus a spoken prompt if given), when asked for;
2. the watermark: a 64-bit payload, the first 16 hex digits of the render id, so a found
   mark leads to the registry record;
3. the audio is encoded (WAV/FLAC 24-bit, Ogg Vorbis, MP3);
4. the implicit AIGC label (GB 45438-2025) goes into the format's metadata;
5. a C2PA manifest is signed with the local identity (made on first use);
6. the file's hash is recorded in the registry and the file renamed into place inside the
   same transaction.  A failure at any step leaves neither a file nor a row.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.atomic import temp_beside
from ..core.errors import InputError
from ..core.hashing import file_sha256
from ..core.paths import data_home

#: extension -> (soundfile format, subtype)
FORMATS = {
    ".wav": ("WAV", "PCM_24"),
    ".flac": ("FLAC", "PCM_24"),
    ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
}
PRODUCER = "Yinse"
#: The watermark key is public on purpose: anyone with Yinse can detect the mark.  Its job
#: is to say "made by Yinse, render X"; authenticity comes from the signed manifest.
WATERMARK_KEY_ENV = "YINSE_WATERMARK_KEY"
DEFAULT_WATERMARK_KEY = b"yinse/aigc-watermark/v1"


def watermark_key() -> bytes:
    return os.environ.get(WATERMARK_KEY_ENV, "").encode() or DEFAULT_WATERMARK_KEY


@dataclass(frozen=True)
class Provenance:
    """What an output says about itself."""

    render_id: str
    kind: str  # sing | speak | mark | song | convert
    voice: str | None = None
    consent_id: str | None = None
    settings: dict = field(default_factory=dict)
    #: 16 hex digits; by default the start of the render id.
    payload_hex: str | None = None

    @property
    def payload(self) -> str:
        return (self.payload_hex or self.render_id[:16]).lower()


@dataclass(frozen=True)
class OutputRecord:
    path: Path
    render_id: str
    payload_hex: str
    sr: int
    duration_s: float
    sha256: str
    c2pa_signed: bool
    label_replaced: bool = False
    already_marked: bool = False
    #: Advice for the user about this render (printed as notes by the CLI).
    notes: tuple[str, ...] = ()


def check_output_path(path: str | os.PathLike) -> Path:
    """Refuse an output path before any work is done: unknown format, missing or
    unwritable folder, or a folder where a file should be."""
    out = Path(path)
    if out.is_dir():
        raise InputError(f"'{out}' is a folder; give a file name such as '{out / 'out.wav'}'")
    if out.suffix.lower() not in FORMATS:
        raise InputError(
            f"cannot write '{out.name}': the format '{out.suffix or '(none)'}' is not supported; "
            f"use one of {', '.join(FORMATS)}"
        )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(
            f"cannot write '{out}': the folder '{parent}' does not exist; create it first"
        )
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write '{out}': the folder '{parent}' is not writable")
    return out


def aigc_label(provenance: Provenance) -> dict:
    """The implicit label of GB 45438-2025 (Label 1 = AI-generated)."""
    return {
        "AIGC": {
            "Label": "1",
            "ContentProducer": PRODUCER,
            "ProduceID": provenance.render_id,
            "ReservedCode1": provenance.payload,
            "ContentPropagator": PRODUCER,
            "PropagateID": provenance.render_id,
            "ReservedCode2": "",
        }
    }


def publish(
    audio: np.ndarray,
    sr: int,
    path: str | os.PathLike,
    provenance: Provenance,
    *,
    explicit_label: bool = False,
    spoken_prompt: np.ndarray | None = None,
    watermark: bool = True,
) -> OutputRecord:
    """Mark, label, sign, record and write ``audio`` (mono, or stereo as (n, 2)) to
    ``path``.  ``watermark=False`` only for audio that already carries our mark
    (``yinse mark``)."""
    check_output_path(path)
    marked = mark_audio(audio, sr, provenance, explicit_label=explicit_label,
                        spoken_prompt=spoken_prompt, watermark=watermark)  # fmt: skip
    return write_outputs([(marked, path)], sr, provenance, watermarked=watermark)[0]


class Marker:
    """:func:`mark_audio` in worker processes, so a caller goes on while audio is marked
    (a song's band is marked while its vocal is sung).  Embedding is CPU-bound numpy that
    threads do not speed up; the workers are spawned (the caller may hold TensorFlow)."""

    def __init__(self, sr: int, provenance: Provenance, *, workers: int | None = None) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.sr, self.provenance = sr, provenance
        count = workers or max(1, min(2, os.cpu_count() or 1))
        self._pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, audio: np.ndarray):
        """A future of the marked audio."""
        return self._pool.submit(mark_audio, audio, self.sr, self.provenance)

    def __enter__(self) -> Marker:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def mark_audio(
    audio: np.ndarray,
    sr: int,
    provenance: Provenance,
    *,
    explicit_label: bool = False,
    spoken_prompt: np.ndarray | None = None,
    watermark: bool = True,
) -> np.ndarray:
    """The explicit label (when asked) and the watermark, clipped to full scale.  Stereo
    audio gets the same mark in both channels, computed on their mean, so the mark is in
    each channel and in any mono fold-down."""
    from . import watermark as wm
    from .explicit import with_explicit_label

    audio = np.asarray(audio, dtype=np.float32)
    stereo = audio.ndim == 2 and audio.shape[1] == 2
    if not (audio.ndim == 1 or stereo) or not len(audio) or not np.isfinite(audio).all():
        raise InputError("nothing to write: the audio is empty, not mono or stereo, or not finite")
    if explicit_label:
        audio = with_explicit_label(audio, sr, spoken_prompt)
    if watermark:
        mono = audio.mean(axis=1) if stereo else audio
        mark = wm.mark_signal(mono, sr, bytes.fromhex(provenance.payload), key=watermark_key())
        mark = mark.astype(np.float32, copy=False)
        if stereo:
            audio = audio + mark[:, None]
        else:  # added in place: a long render is large
            mark += audio
            audio = mark
    else:
        audio = audio.copy()
    return np.clip(audio, -1.0, 1.0, out=audio)


def write_outputs(outputs: list[tuple[np.ndarray, str | os.PathLike]], sr: int,
                  provenance: Provenance, *, watermarked: bool = True) -> list[OutputRecord]:  # fmt: skip
    """Marked audio encoded, labelled and signed for each path side by side (libsndfile and
    the C2PA signer release the GIL, and MP3 encoding is slow), then recorded and moved into
    place file by file."""
    from concurrent.futures import ThreadPoolExecutor
    from contextlib import ExitStack

    from .keys import ensure_keys

    outs = [(audio, check_output_path(p)) for audio, p in outputs]
    keys = ensure_keys(data_home())
    with ExitStack() as stack:
        tmps = [stack.enter_context(temp_beside(out)) for _, out in outs]

        def prepare(tmp: Path, item: tuple[np.ndarray, Path]) -> tuple[bool, bool, str]:
            audio, out = item
            return _encode_label_sign(tmp, out, audio, sr, provenance, keys)

        with ThreadPoolExecutor(max(1, min(4, len(outs)))) as pool:
            done = list(pool.map(prepare, tmps, outs))
        return [_record(tmp, out, audio, sr, provenance, *result, watermarked=watermarked)
                for tmp, (audio, out), result in zip(tmps, outs, done)]  # fmt: skip


def _encode_label_sign(tmp: Path, out: Path, audio: np.ndarray, sr: int, provenance: Provenance,
                       keys) -> tuple[bool, bool, str]:  # fmt: skip
    """Encode into the temporary file, add the AIGC label and the signed C2PA manifest;
    (label replaced, signed, sha256)."""
    import soundfile as sf

    from . import c2pa_sign, labels

    fmt, subtype = FORMATS[out.suffix.lower()]
    sf.write(tmp, audio, sr, format=fmt, subtype=subtype)
    replaced = bool(labels.write_label(tmp, aigc_label(provenance)))
    signed = c2pa_sign.can_sign(tmp)  # Ogg cannot carry a C2PA manifest (c2pa 0.38)
    if signed:
        c2pa_sign.sign_file(
            tmp,
            keys=keys,
            title=out.name,
            assertions={
                "render_id": provenance.render_id,
                "kind": provenance.kind,
                "voice": provenance.voice,
                "consent_id": provenance.consent_id,
                "snapshot_hash": provenance.render_id,
                "engine": _versions(),
                "watermark_payload": provenance.payload,
            },
        )
    return replaced, signed, file_sha256(tmp)


def _record(tmp: Path, out: Path, audio: np.ndarray, sr: int, provenance: Provenance,
            replaced: bool, signed: bool, digest: str, *, watermarked: bool) -> OutputRecord:  # fmt: skip
    """Record the file and move it into place inside the registry transaction."""
    from ..registry import Registry

    Registry().record_output(
        render_id=provenance.render_id, payload_hex=provenance.payload, kind=provenance.kind,
        voice=provenance.voice, consent_id=provenance.consent_id,
        snapshot_hash=provenance.render_id, engine_version=_versions()["yinse"],
        settings=provenance.settings, file_name=out.name, file_format=out.suffix.lower()[1:],
        sha256=digest, before_commit=lambda: os.replace(tmp, out),
    )  # fmt: skip
    return OutputRecord(
        path=out, render_id=provenance.render_id, payload_hex=provenance.payload, sr=sr,
        duration_s=len(audio) / sr, sha256=digest, c2pa_signed=signed, label_replaced=replaced,
        already_marked=not watermarked,
    )  # fmt: skip


def _versions() -> dict:
    from .. import __version__

    return {"yinse": __version__, "watermark": "org.yinse.watermark.v1"}
