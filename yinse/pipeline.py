"""The one pipeline every front end (CLI, Python API, later HTTP) runs a request through.

A request is an immutable snapshot (score, voice, settings); its content hash is the
render id.  The pipeline checks the output path first, then the voice's permission for
the scope (the single consent gate), renders, and hands the audio to
:mod:`yinse.provenance`, the only way audio leaves Yinse.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .core.errors import ConsentError
from .core.score import Score
from .provenance.output import OutputRecord, check_output_path, write_audio
from .synth.engine import Progress, Render, SingingEngine, finalize_audio
from .synth.pitch import Expression
from .voices import Voice, get_voice

SCOPES = ("sing", "speak", "convert")


@dataclass(frozen=True)
class SingRequest:
    score: Score
    voice: str
    key_shift: float = 0.0
    tempo_bpm: float | None = None
    expression: Expression = field(default_factory=Expression)
    seed: int = 0

    def prepared_score(self) -> Score:
        score = self.score.transposed(self.key_shift)
        return score.with_tempo(self.tempo_bpm) if self.tempo_bpm else score

    def render_id(self) -> str:
        """Content hash of the snapshot: same request, same id."""
        blob = {
            "kind": "sing",
            "score": self.score.to_dict(),
            "voice": self.voice,
            "key_shift": self.key_shift,
            "tempo_bpm": self.tempo_bpm,
            "expression": asdict(self.expression),
            "seed": self.seed,
            "engine": __version__,
        }
        return _hash(blob)


@dataclass(frozen=True)
class SpeakRequest:
    text: str
    voice: str

    def render_id(self) -> str:
        return _hash({"kind": "speak", "text": self.text, "voice": self.voice, "engine": __version__})


def _hash(blob: dict) -> str:
    return hashlib.sha256(json.dumps(blob, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def authorize(voice: Voice, scope: str) -> None:
    """The consent gate.  Built-in voices are licensed models, not people enrolled here, so
    they need no consent record; a voice that declares ``requires_consent`` is refused
    until the consent registry can vouch for it."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    if getattr(voice.info, "requires_consent", False):
        raise ConsentError(
            f"the voice '{voice.name}' belongs to a person and no consent record allows "
            f"'{scope}'; record the owner's consent first"
        )


def sing(request: SingRequest, *, progress: Progress | None = None) -> Render:
    voice = get_voice(request.voice)
    authorize(voice, "sing")
    engine = SingingEngine(voice, expression=request.expression, seed=request.seed)
    return engine.render(request.prepared_score(), progress=progress)


def sing_to_file(
    request: SingRequest,
    out_path: str | os.PathLike,
    *,
    plot_path: str | os.PathLike | None = None,
    progress: Progress | None = None,
) -> OutputRecord:
    check_output_path(out_path)
    if plot_path is not None:
        _check_plot_path(plot_path)
    render = sing(request, progress=progress)
    record = write_audio(render.audio, render.sr, out_path, render_id=request.render_id())
    if plot_path is not None:
        from .synth.plot import plot_render

        plot_render(render, plot_path, title=f"{Path(out_path).name} ({request.voice}): pitch over spectrogram")
    return record


def speak(request: SpeakRequest) -> tuple[np.ndarray, int]:
    voice = get_voice(request.voice)
    authorize(voice, "speak")
    audio, sr = voice.speak(request.text)
    return finalize_audio(audio, sr)


def speak_to_file(request: SpeakRequest, out_path: str | os.PathLike) -> OutputRecord:
    check_output_path(out_path)
    audio, sr = speak(request)
    return write_audio(audio, sr, out_path, render_id=request.render_id())


def _check_plot_path(path: str | os.PathLike) -> None:
    from .core.errors import InputError

    p = Path(path)
    if p.suffix.lower() != ".png":
        raise InputError(f"--plot writes a PNG; give a file name ending in .png, not '{p.name}'")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(f"cannot write the plot '{p}': the folder '{parent}' is missing or not writable")
