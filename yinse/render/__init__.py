"""Accompaniment rendering (SoundFont), mixing with the vocal, and mastering.

``render_tracks`` turns the arranger's MIDI into one stereo stem per track, ``vocal_chain``
and ``mix`` put the sung vocal on top of them, and ``master`` brings the mix to a streaming
loudness with safe true peaks.
"""

from .master import MasterReport, loudness_lufs, master, true_peak_dbtp
from .mix import STYLES, de_ess, duck_gain, mix, vocal_chain
from .soundfont import default_soundfont, render_tracks

__all__ = [
    "STYLES",
    "MasterReport",
    "de_ess",
    "default_soundfont",
    "duck_gain",
    "loudness_lufs",
    "master",
    "mix",
    "render_tracks",
    "true_peak_dbtp",
    "vocal_chain",
]
