"""Lyrics that guide a conversion: what the input says, placed in its time.

Without lyrics the conversion chooses the target's frames one by one by sound, and similar
phones get confused.  With them, the target bank's base voice says the lyrics, its speech
and the input are aligned by the aligner of enrollment (DTW of speaker-normalised cepstra,
here on every fourth frame to bound its memory), and every moment of the input is paired
with a moment of that reading.  Then:

* a built-in target (``joe``, ``baker``) *is* the base voice, so its own reading of the
  words is played, warped onto the input's timing: resynthesis from the given words, with
  every transition as the voice says it;
* an enrolled target plays the middle of each phone with a unit of the same phone from the
  owner's recordings, as a clone's speech and singing do
  (:meth:`~yinse.voices.timbre.TimbreBank.play_units`).

Pitch, timing and loudness still come from the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..core.audio import resample
from ..core.errors import InputError
from ..voices.timbre import (
    FRAME_S,
    TimbreBank,
    WorldFeatures,
    cepstral_stats,
    frames_between,
    world_features,
)

#: The alignment holds two frames-by-frames matrices: at 20 ms steps, two minutes of input
#: against its lyrics need about 0.9 GB.  Longer inputs with lyrics are refused.
LYRICS_MAX_S = 120.0
ALIGN_HOP = 4
#: Input length / the base voice's length of the lyrics, outside which the lyrics cannot be
#: what the input says (singing stretches speech by up to about 4 in our recordings).
MIN_STRETCH, MAX_STRETCH = 0.4, 6.0

Phones = list[tuple[str, float, float]]


def check_lyrics(text: str, duration_s: float) -> str:
    """The words of the lyrics (section tags such as ``[verse]`` left out), or a clear
    refusal before any work is done."""
    text = " ".join(re.sub(r"\[[^\]]*\]", " ", text).split())
    if not text:
        raise InputError("the lyrics file is empty; give the words the recording says or sings")
    if duration_s > LYRICS_MAX_S:
        raise InputError(
            f"--lyrics works on recordings up to {LYRICS_MAX_S:g} s, and this one is "
            f"{duration_s:.0f} s; convert it without --lyrics, or cut it into parts with their lyrics"
        )
    return text


@dataclass(frozen=True)
class LyricGuide:
    """The lyrics placed in the input: the base voice's phones in the input's time, the pairing
    of input moments with moments of its reading, and, for a built-in target, that reading."""

    phones: Phones
    #: Input times (s, increasing) and the base voice's frame said at each.
    input_s: np.ndarray
    said_frame: np.ndarray
    #: The target's own reading of the lyrics (a built-in target only).
    reading: WorldFeatures | None = None

    def reading_frames(self, times_s: np.ndarray, voiced: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The reading's coded envelope and aperiodicity at input moments ``times_s``, and
        which moments lie within the aligned words.  Where the alignment puts a consonant of
        the reading under a voiced input frame, or a vowel under an unvoiced one, the input's
        voicing wins: the reading's envelope stays, with the aperiodicity typical of the
        reading's voiced (or unvoiced) frames.  Without this, pyin heard 0.66 of joe's frames
        agree in voicing on one clip, against 0.93 with it."""
        reading = self.reading
        covered = (times_s >= self.input_s[0]) & (times_s <= self.input_s[-1])
        position = np.clip(np.interp(times_s, self.input_s, self.said_frame), 0, len(reading.f0) - 1)
        env, aper = frames_between(reading.coded_sp, reading.coded_ap, position)
        said_voiced = reading.f0[np.round(position).astype(np.int64)] > 0
        for kind, typical in self._typical_aperiodicity.items():
            aper[(voiced == kind) & (said_voiced != kind)] = typical
        return env, aper, covered

    @cached_property
    def _typical_aperiodicity(self) -> dict[bool, np.ndarray]:
        """The reading's median aperiodicity over its voiced (True) and unvoiced (False)
        frames, once for all chunks."""
        reading = self.reading
        typical = {}
        for kind in (True, False):
            frames = (reading.f0 > 0) == kind
            typical[kind] = np.median(reading.coded_ap[frames if frames.any() else slice(None)], axis=0)
        return typical


def lyric_guide(
    text: str,
    coded: np.ndarray,
    stats: tuple[np.ndarray, np.ndarray],
    sr: int,
    bank: TimbreBank,
    *,
    target_reads: bool = False,
) -> LyricGuide:
    """The lyrics placed in the input; ``coded`` is the whole input's coded envelope (5 ms
    frames) and ``stats`` its speaker's cepstral statistics.  ``target_reads``: the target is
    the bank's base voice itself (a built-in voice), so its reading is kept to be played."""
    from ..enroll.align import align
    from ..voices import get_voice

    if bank.unit_label is None and not target_reads:
        raise InputError(
            "this voice's bank has no phone units, so --lyrics cannot guide it; enroll the "
            "voice again, or convert without --lyrics"
        )
    base = get_voice(bank.base_voice)
    try:
        said = base.speak_utterance(text)
    except InputError as refused:  # the base voice's front end: wrong script or language
        raise InputError(f"--lyrics: {refused}; the lyrics must be in the target voice's language") from None
    if not said.phones:
        raise InputError(f"the lyrics give no words '{bank.base_voice}' can say; check their language")
    audio = resample(np.asarray(said.audio, np.float64), said.sr, sr)
    features = world_features(audio, sr, aperiodicity=target_reads)
    base_sp = features.coded_sp
    stretch = len(coded) / max(len(base_sp), 1)
    if not MIN_STRETCH <= stretch <= MAX_STRETCH:
        raise InputError(
            f"the lyrics do not fit the recording: said by '{bank.base_voice}' they last "
            f"{len(base_sp) * FRAME_S:.1f} s, the recording {len(coded) * FRAME_S:.1f} s; give "
            "the words of this recording only"
        )
    alignment = align(base_sp[::ALIGN_HOP], coded[::ALIGN_HOP],
                      base_stats=cepstral_stats([base_sp]), target_stats=stats)  # fmt: skip
    # The path may hold an input frame over several said frames: their mean is its moment.
    input_frames, pairs = np.unique(alignment.path[:, 1] * ALIGN_HOP, return_inverse=True)
    said_frame = np.bincount(pairs, alignment.path[:, 0] * ALIGN_HOP) / np.bincount(pairs)

    def placed(t: float) -> float:  # seconds of the base voice's speech → of the input
        return alignment.target_time_s(t / ALIGN_HOP) * ALIGN_HOP

    step = ALIGN_HOP * FRAME_S  # a phone the warp squeezed to nothing keeps one step
    phones = [(label, placed(start), max(placed(end), placed(start) + step))
              for label, start, end in said.phones if end > start]  # fmt: skip
    return LyricGuide(phones, input_frames * FRAME_S, said_frame, features if target_reads else None)
