"""Document model and errors: pure Python + numpy, imported by every other layer."""

from .errors import ConsentError, InputError, ProvenanceError, VoiceError, YinseError
from .score import (
    PHRASE_MAX_S,
    PHRASE_REST_S,
    KeyChange,
    Note,
    Score,
    SyllableGroup,
    TempoChange,
    TimeSignature,
)

__all__ = [
    "PHRASE_MAX_S",
    "PHRASE_REST_S",
    "ConsentError",
    "InputError",
    "KeyChange",
    "Note",
    "ProvenanceError",
    "Score",
    "SyllableGroup",
    "TempoChange",
    "TimeSignature",
    "VoiceError",
    "YinseError",
]
