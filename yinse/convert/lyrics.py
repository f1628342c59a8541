"""Lyrics that guide a conversion: the phones of what the input says, placed in its time.

Without lyrics the conversion chooses the target's frames one by one by sound, and similar
phones get confused.  With them, the target bank's base voice says the lyrics, its speech
and the input are aligned by the aligner of enrollment (DTW of speaker-normalised cepstra,
here on every fourth frame to bound its memory), and each of the base voice's phones is
mapped into the input.  The conversion then plays the middle of each phone with a unit of
the same phone from the target's own recordings, as a clone's speech and singing do
(:meth:`~yinse.voices.timbre.TimbreBank.play_units`).  Pitch, timing and loudness still
come from the input.
"""

from __future__ import annotations

import re

import numpy as np

from ..core.audio import resample
from ..core.errors import InputError
from ..voices.timbre import FRAME_S, TimbreBank, cepstral_stats, world_features

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


def lyric_phones(
    text: str, coded: np.ndarray, stats: tuple[np.ndarray, np.ndarray], sr: int, bank: TimbreBank
) -> Phones:
    """The base voice's phones of ``text`` as (label, start_s, end_s) in the input's time;
    ``coded`` is the whole input's coded envelope (5 ms frames) and ``stats`` its speaker's
    cepstral statistics."""
    from ..enroll.align import align
    from ..voices import get_voice

    if bank.unit_label is None:
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
    base_sp = world_features(audio, sr, aperiodicity=False).coded_sp
    stretch = len(coded) / max(len(base_sp), 1)
    if not MIN_STRETCH <= stretch <= MAX_STRETCH:
        raise InputError(
            f"the lyrics do not fit the recording: said by '{bank.base_voice}' they last "
            f"{len(base_sp) * FRAME_S:.1f} s, the recording {len(coded) * FRAME_S:.1f} s; give "
            "the words of this recording only"
        )
    path = align(base_sp[::ALIGN_HOP], coded[::ALIGN_HOP],
                 base_stats=cepstral_stats([base_sp]), target_stats=stats)  # fmt: skip

    def placed(t: float) -> float:  # seconds of the base voice's speech → of the input
        return path.target_time_s(t / ALIGN_HOP) * ALIGN_HOP

    step = ALIGN_HOP * FRAME_S  # a phone the warp squeezed to nothing keeps one step
    return [(label, placed(start), max(placed(end), placed(start) + step))
            for label, start, end in said.phones if end > start]  # fmt: skip
