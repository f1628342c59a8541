"""One exception root for everything a user can cause.

A message names the thing, the value, what was expected and what to do next.  The CLI
prints ``str(error)`` on one line and exits with code 2; no traceback for these.
"""

from __future__ import annotations


class YinseError(Exception):
    """Root of every error a user can fix by changing what they asked for."""


class InputError(YinseError):
    """A file, score, lyric or option that Yinse cannot use as given."""


class VoiceError(YinseError):
    """An unknown voice, or a voice that cannot say or sing what was asked."""


class ConsentError(YinseError):
    """A render of an enrolled voice that its owner's consent does not cover."""


class ProvenanceError(YinseError):
    """Output could not be marked, labelled, signed or recorded."""
