"""The one way audio leaves Yinse: checked path, atomic write, AI-generated label.

Every command writes its audio through :func:`write_audio`, so marking (watermark, C2PA,
registry record) can be added here once and reaches every output.  Today it writes the
file atomically and puts an implicit AIGC label (GB 45438-2025 JSON) into the file's
comment tag; the watermark, the AIGC-named metadata field and signing are still to come.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import InputError

FORMATS = {".wav": ("WAV", "PCM_24"), ".flac": ("FLAC", "PCM_24"), ".ogg": ("OGG", "VORBIS")}
PRODUCER = "Yinse"


@dataclass(frozen=True)
class OutputRecord:
    path: Path
    render_id: str
    sr: int
    duration_s: float


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
        raise InputError(f"cannot write '{out}': the folder '{parent}' does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write '{out}': the folder '{parent}' is not writable")
    return out


def aigc_label(render_id: str) -> dict:
    """The implicit label of GB 45438-2025 (Label 1 = AI-generated)."""
    return {
        "AIGC": {
            "Label": "1",
            "ContentProducer": PRODUCER,
            "ProduceID": render_id,
            "ReservedCode1": "",
            "ContentPropagator": PRODUCER,
            "PropagateID": render_id,
            "ReservedCode2": "",
        }
    }


def write_audio(audio: np.ndarray, sr: int, path: str | os.PathLike, *, render_id: str) -> OutputRecord:
    """Write mono float audio atomically (temp file in the same folder, then rename)."""
    import soundfile as sf

    out = check_output_path(path)
    if audio.ndim != 1 or not len(audio):
        raise InputError("nothing to write: the rendered audio is empty")
    fmt, subtype = FORMATS[out.suffix.lower()]
    clipped = np.clip(audio, -1.0, 1.0)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=out.suffix, dir=out.parent or ".")
    os.close(fd)
    try:
        with sf.SoundFile(tmp, "w", samplerate=sr, channels=1, format=fmt, subtype=subtype) as f:
            # FLAC takes tags only before the first samples.
            f.comment = json.dumps(aigc_label(render_id), ensure_ascii=False)
            f.software = PRODUCER
            f.write(clipped)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return OutputRecord(path=out, render_id=render_id, sr=sr, duration_s=len(audio) / sr)
