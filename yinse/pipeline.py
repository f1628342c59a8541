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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from . import __version__
from .core.audio import resample
from .core.errors import InputError, VoiceError
from .core.hashing import file_sha256
from .core.score import Score
from .provenance.output import OutputRecord, Provenance, check_output_path, publish
from .synth.engine import Progress, Render, SingingEngine, finalize_audio
from .synth.pitch import Expression
from .voices import Voice, get_voice, is_built_in

SCOPES = ("sing", "speak", "convert")


@dataclass(frozen=True)
class SingRequest:
    score: Score
    voice: str
    #: Semitones, or "auto": where the voice sings most like itself (:meth:`VoiceInfo.auto_key`).
    key_shift: float | str = 0.0
    tempo_bpm: float | None = None
    expression: Expression = field(default_factory=Expression)
    seed: int = 0
    explicit_label: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_shift", checked_key_shift(self.key_shift))

    def key_for(self, voice: Voice) -> float:
        """The semitones the score is sung moved by, in this voice."""
        if self.key_shift == "auto":
            return voice.info.auto_key([n.pitch_midi for n in self.score.notes])
        return float(self.key_shift)

    def prepared_score(self, voice: Voice) -> Score:
        score = self.score.transposed(self.key_for(voice))
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
            "explicit_label": self.explicit_label,
            "engine": __version__,
        }
        return _hash(blob)

    def settings(self, voice: Voice) -> dict:
        return {"key_shift": self.key_for(voice), "key_requested": self.key_shift, "tempo_bpm": self.tempo_bpm,
                "seed": self.seed, "expression": asdict(self.expression), "title": self.score.title}  # fmt: skip


#: A melody sung this many semitones or more away from where the voice sounds most like
#: itself gets a note suggesting ``--key auto``: cloned voices lost 0.03–0.17 of similarity
#: 7–14 semitones above it (docs/BENCHMARKS.md, "Cloned singing and the key").
KEY_ADVICE_SEMITONES = 5


def key_advice(request: SingRequest, voice: Voice) -> str | None:
    """A note when the melody, as it will be sung, sits far from the voice's home pitch."""
    if request.key_shift == "auto" or not request.score.notes:
        return None
    shift = request.key_for(voice)
    away = -voice.info.auto_key([n.pitch_midi + shift for n in request.score.notes])
    if abs(away) < KEY_ADVICE_SEMITONES:
        return None
    return (f"the melody's middle sits {abs(away):.0f} semitones {'above' if away > 0 else 'below'} where "
            f"'{voice.name}' sounds most like itself; --key auto sings it there")  # fmt: skip


def checked_key_shift(key_shift: float | str) -> float | str:
    """``--key`` as a request holds it: "auto", or semitones within two octaves (given as a
    number or as text such as "+3")."""
    if isinstance(key_shift, str) and key_shift.strip().lower() == "auto":
        return "auto"
    try:
        value = float(key_shift)
    except (TypeError, ValueError):
        raise InputError(f"--key '{key_shift}' is not a number of semitones or 'auto'") from None
    if not -24 <= value <= 24:
        raise InputError(f"--key {key_shift} is outside -24..+24 semitones (or use 'auto')")
    return value


def checked_clarity(clarity: float) -> float:
    """``--clarity`` as a request holds it: a share from 0 to CLARITY_MAX."""
    from .convert.convert import CLARITY_MAX

    try:
        value = float(clarity)
    except (TypeError, ValueError):
        raise InputError(f"--clarity '{clarity}' is not a number (0 to {CLARITY_MAX})") from None
    if not 0 <= value <= CLARITY_MAX:
        raise InputError(f"--clarity {clarity} is outside 0..{CLARITY_MAX}: 0 keeps the target's frames as they are; "
                         "more gave no clearer words and less of the target's voice")  # fmt: skip
    return value


@dataclass(frozen=True)
class SpeakRequest:
    text: str
    voice: str
    explicit_label: bool = False

    def render_id(self) -> str:
        return _hash({"kind": "speak", "text": self.text, "voice": self.voice,
                      "explicit_label": self.explicit_label, "engine": __version__})  # fmt: skip


def _hash(blob: dict) -> str:
    return hashlib.sha256(json.dumps(blob, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Permit:
    """A voice opened for one scope: the consent it renders under (None for built-in voices,
    which are licensed models, not people enrolled here)."""

    voice: Voice
    scope: str
    consent_id: str | None = None
    #: Registry id of an enrolled voice: part of the render id, so a name reused after a
    #: deletion never shares render ids with the deleted voice.
    voice_id: str | None = None

    def render_id(self, request_id: str) -> str:
        return request_id if self.voice_id is None else _hash({"request": request_id, "voice_id": self.voice_id})

    def audit(self, render_id: str, output: str | None) -> None:
        if self.voice_id is None:
            return
        from .registry import Registry

        Registry().audit_render(voice_name=self.voice.name, consent_id=self.consent_id,
                                scope=self.scope, render_id=render_id, output=output)  # fmt: skip


_enrolled: dict[str, Voice] = {}


def open_voice(name: str, scope: str) -> Permit:
    """The consent gate: every render of every front end opens its voice here, before any
    audio is made.  A built-in voice opens at once; an enrolled voice only while its
    owner's consent is recorded, unrevoked, unexpired and covers the scope (otherwise a
    ConsentError says which of these failed)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    if is_built_in(name):
        return Permit(get_voice(name), scope)
    from .registry import Registry

    registry = Registry()
    record = registry.get_voice(name)
    if record is None:
        if registry.get_voice(name, include_deleted=True) is not None:
            registry.active_consent(voice_name=name, scope=scope)  # says when it was deleted
        raise VoiceError(f"unknown voice '{name}'; run 'yinse voices' to see the voices you can use")
    consent = registry.active_consent(voice_name=name, scope=scope)
    key = f"{record.id}:{record.bank_sha256}"
    if key not in _enrolled:
        from .enroll.build import bank_digest
        from .voices.enrolled import EnrolledVoice

        bank = Path(record.bank_path)
        if not bank.is_dir() or bank_digest(bank) != record.bank_sha256:
            raise VoiceError(
                f"the bank of the voice '{name}' at {bank} is missing or was changed since it was "
                "enrolled; it will not be used — enroll the voice again"
            )

        _enrolled[key] = EnrolledVoice(
            name=name, language=record.language, owner=record.owner_name or "",
            base=get_voice(record.base_voice), bank_folder=Path(record.bank_path),
        )  # fmt: skip
    return Permit(_enrolled[key], scope, consent.id, record.id)


def sing(request: SingRequest, *, progress: Progress | None = None) -> Render:
    return _sing(request, open_voice(request.voice, "sing"), progress)


def _sing(request: SingRequest, permit: Permit, progress: Progress | None) -> Render:
    engine = SingingEngine(permit.voice, expression=request.expression, seed=request.seed)
    return engine.render(request.prepared_score(permit.voice), progress=progress)


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
    permit = open_voice(request.voice, "sing")
    render = _sing(request, permit, progress)
    render_id = permit.render_id(request.render_id())
    provenance = Provenance(render_id, "sing", voice=request.voice, consent_id=permit.consent_id,
                            settings=request.settings(permit.voice))  # fmt: skip
    record = publish(
        render.audio, render.sr, out_path, provenance, explicit_label=request.explicit_label,
        spoken_prompt=_spoken_prompt(permit.voice.language, render.sr) if request.explicit_label else None,
    )  # fmt: skip
    permit.audit(render_id, Path(out_path).name)
    advice = key_advice(request, permit.voice)
    if advice:
        record = replace(record, notes=(*record.notes, advice))
    if plot_path is not None:
        from .synth.plot import plot_render

        plot_render(render, plot_path, title=f"{Path(out_path).name} ({request.voice}): pitch over spectrogram")
    return record


def speak(request: SpeakRequest) -> tuple[np.ndarray, int]:
    return _speak(request, open_voice(request.voice, "speak"))


def _speak(request: SpeakRequest, permit: Permit) -> tuple[np.ndarray, int]:
    audio, sr = permit.voice.speak(request.text)
    return finalize_audio(audio, sr)


def speak_to_file(request: SpeakRequest, out_path: str | os.PathLike) -> OutputRecord:
    check_output_path(out_path)
    permit = open_voice(request.voice, "speak")
    audio, sr = _speak(request, permit)
    render_id = permit.render_id(request.render_id())
    provenance = Provenance(render_id, "speak", voice=request.voice, consent_id=permit.consent_id,
                            settings={"text": request.text})  # fmt: skip
    spoken = _spoken_prompt(permit.voice.language, sr) if request.explicit_label else None
    record = publish(audio, sr, out_path, provenance, explicit_label=request.explicit_label, spoken_prompt=spoken)
    permit.audit(render_id, Path(out_path).name)
    return record


def mark_file(
    in_path: str | os.PathLike,
    out_path: str | os.PathLike,
    *,
    payload_hex: str | None = None,
    explicit_label: bool = False,
) -> OutputRecord:
    """Mark audio made or edited outside Yinse (after a DAW, say): same output stage, a
    registry record of kind ``mark``.  A file that already carries our watermark keeps
    its payload, so it ends up with one mark and one label, not two."""
    from .provenance import watermark
    from .provenance.output import watermark_key
    from .provenance.verify import read_audio

    check_output_path(out_path)
    source = Path(in_path)
    if not source.is_file():
        raise InputError(f"'{source}' is not a file; give the audio file to mark")
    audio, sr = read_audio(source, mono=False)
    existing = watermark.detect(audio.mean(axis=1) if audio.ndim == 2 else audio, sr, key=watermark_key())
    if payload_hex is not None:
        payload_hex = payload_hex.lower().removeprefix("0x")
        if len(payload_hex) != 16 or any(c not in "0123456789abcdef" for c in payload_hex):
            raise InputError(f"--payload '{payload_hex}' must be 16 hex digits (64 bits), e.g. 0123456789abcdef")
    if existing.found and existing.payload is None:
        raise InputError(
            f"'{source.name}' already carries a Yinse watermark whose payload cannot be read "
            "(too short or too altered); marking it again would garble it — mark the unmarked "
            "original instead"
        )
    if existing.found:
        found_hex = existing.payload.hex()
        if payload_hex and payload_hex != found_hex:
            raise InputError(
                f"'{source.name}' already carries the Yinse watermark {found_hex}; a second "
                "payload would make both unreadable — mark the unmarked original instead"
            )
        payload_hex = found_hex
    blob = file_sha256(source)
    render_id = _hash({"kind": "mark", "source_sha256": blob, "payload": payload_hex, "engine": __version__})
    provenance = Provenance(
        render_id, "mark", settings={"source": source.name, "source_sha256": blob,
                                     "already_marked": existing.found},
        payload_hex=payload_hex,
    )  # fmt: skip
    # Keep one mark: audio that already carries it is written as it is, not embedded again.
    return publish(
        audio, sr, out_path, provenance, explicit_label=explicit_label, watermark=not existing.found
    )


@dataclass(frozen=True)
class ConvertRequest:
    """Turn a dry vocal (singing or speech) into ``target``'s voice.  ``key_shift`` is in
    semitones or "auto" (whole semitones from the input's typical pitch to the target's
    speaking pitch)."""

    source_path: str
    target: str
    key_shift: float | str = 0.0
    keep_breath: bool = False
    explicit_label: bool = False
    #: The words the input says or sings: each phone is then played by the target's own
    #: recording of that phone (:mod:`yinse.convert.lyrics`).
    lyrics: str | None = None
    #: The share of the input's own articulation kept (:data:`~yinse.convert.convert.CLARITY_MAX`
    #: at most): clearer words for less of the target's timbre.
    clarity: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_shift", checked_key_shift(self.key_shift))
        object.__setattr__(self, "clarity", checked_clarity(self.clarity))

    def render_id(self, source_sha256: str) -> str:
        return _hash({"kind": "convert", "source_sha256": source_sha256, "target": self.target,
                      "key_shift": self.key_shift, "keep_breath": self.keep_breath,
                      "explicit_label": self.explicit_label, "lyrics": self.lyrics,
                      "clarity": self.clarity, "engine": __version__})  # fmt: skip


def convert_to_file(
    request: ConvertRequest, out_path: str | os.PathLike, *, progress: Progress | None = None
) -> OutputRecord:
    """Check the output and the input, open the target through the consent gate (scope
    ``convert``), convert, publish.  Nothing of the source voice is stored: the registry
    keeps the input's hash and file name only."""
    from .convert.analysis import read_input
    from .convert.convert import convert
    from .convert.lyrics import check_lyrics
    from .convert.targets import reads_for_itself, target_for

    check_output_path(out_path)
    source = read_input(request.source_path)
    # Bad lyrics are refused before the target's bank is opened (or built, for joe/baker).
    lyrics = check_lyrics(request.lyrics, source.duration_s) if request.lyrics is not None else None
    permit = open_voice(request.target, "convert")
    bank = target_for(permit.voice)
    converted = convert(source, bank, key_shift=request.key_shift,
                        keep_breath=request.keep_breath, progress=progress, lyrics=lyrics,
                        target_reads=reads_for_itself(permit.voice), clarity=request.clarity)  # fmt: skip
    audio, sr = finalize_audio(converted.audio, converted.sr)
    source_sha = file_sha256(request.source_path)
    render_id = permit.render_id(request.render_id(source_sha))
    provenance = Provenance(
        render_id, "convert", voice=request.target, consent_id=permit.consent_id,
        settings={"source": source.name, "source_sha256": source_sha, "key_shift": converted.key_shift,
                  "keep_breath": request.keep_breath, "lyrics_guided": request.lyrics is not None,
                  "clarity": request.clarity},
    )  # fmt: skip
    note = convert_key_note(request.key_shift, converted, request.target, bank.typical_hz)
    del source, converted  # the output stage needs memory of its own (10 minutes: ~100 MB a copy)
    spoken = _spoken_prompt(permit.voice.language, sr) if request.explicit_label else None
    record = publish(audio, sr, out_path, provenance, explicit_label=request.explicit_label, spoken_prompt=spoken)
    permit.audit(render_id, Path(out_path).name)
    return replace(record, notes=(*record.notes, note)) if note else record


def convert_key_note(key_shift: float | str, converted, target: str, target_hz: float) -> str | None:
    """What the key did to a conversion: the shift ``--key auto`` chose and why, or a note
    when a given key leaves the input far from where the target speaks (a conversion
    sounds most like its target at the target's own pitch: docs/BENCHMARKS.md)."""
    if converted.input_median_hz <= 0 or target_hz <= 0:
        return None
    where = f"where '{target}' speaks ({target_hz:.0f} Hz)"
    if key_shift == "auto":
        return (f"--key auto moved it {converted.key_shift:+.0f} semitones, from its typical pitch "
                f"({converted.input_median_hz:.0f} Hz) to {where}")  # fmt: skip
    away = converted.key_shift - converted.auto_key_shift
    if abs(away) < KEY_ADVICE_SEMITONES:
        return None
    moved = f", moved {converted.key_shift:+g} semitones," if converted.key_shift else ""
    return (f"its typical pitch ({converted.input_median_hz:.0f} Hz){moved} sits {abs(away):.0f} semitones "
            f"{'above' if away > 0 else 'below'} {where}; --key auto ({converted.auto_key_shift:+.0f}) moves it "
            "there")  # fmt: skip


def _spoken_prompt(language: str, sr: int) -> np.ndarray | None:
    """The spoken AI notice in the output's language, by the built-in voice for it."""
    from .provenance.explicit import PROMPT_TEXT

    voice_name = {"zh": "baker", "en": "joe"}.get(language)
    if voice_name is None:
        return None
    audio, out_sr = speak(SpeakRequest(PROMPT_TEXT[language], voice_name))
    return resample(audio, out_sr, sr).astype(np.float32)


def _check_plot_path(path: str | os.PathLike) -> None:
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise InputError(f"--plot writes a PNG; give a file name ending in .png, not '{p.name}'")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(f"cannot write the plot '{p}': the folder '{parent}' is missing or not writable")
