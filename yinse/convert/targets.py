"""The frames a conversion plays: an enrolled voice's timbre bank, or a bank made once from a
built-in voice reading the first lines of its language's enrollment script.

A built-in voice's bank is built on first use (about half a minute) and kept under
``$YINSE_HOME/banks/builtin/``; its folder name carries the voice, the number of lines and
the Yinse version, so an upgrade builds a fresh one.  It is written beside its final place
and renamed into it, so a killed build leaves nothing that looks complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .. import __version__
from ..core.errors import VoiceError
from ..core.paths import data_home
from ..voices import Voice
from ..voices.speaking_pitch import speaking_pitch_hz
from ..voices.timbre import TimbreBank, build_bank, world_features

#: Script lines a built-in voice reads for its conversion bank (joe: 76 s, pauses included).
BUILTIN_BANK_LINES = 24
#: Built-in banks loaded in this process, by folder (a bank folder never changes once made),
#: so that their frame index (:attr:`TimbreBank.own_index`) is built once per process.
_loaded: dict[Path, TimbreBank] = {}


def target_for(voice: Voice) -> TimbreBank:
    """The bank to play: an enrolled voice's own, or a built-in voice's (built on first use)."""
    return builtin_bank(voice) if reads_for_itself(voice) else voice.bank


def reads_for_itself(voice: Voice) -> bool:
    """A built-in voice can say a conversion's lyrics itself (its bank's base voice is the
    voice); an enrolled voice's base voice is someone else."""
    return not isinstance(getattr(voice, "bank", None), TimbreBank)


def builtin_bank(voice: Voice, *, lines: int = BUILTIN_BANK_LINES) -> TimbreBank:
    from ..enroll.script import script_lines

    if voice.language not in ("zh", "en"):
        raise VoiceError(
            f"converting into '{voice.name}' ({voice.language}) is not supported: a conversion "
            "target needs Mandarin or English recordings; choose an enrolled voice, baker or joe"
        )
    # "units-pitch": banks with phone units (for --lyrics) and a stored speaking pitch; older
    # ones are built again.
    folder = data_home() / "banks" / "builtin" / f"{voice.name}-{lines}-{__version__}-units-pitch"
    if folder in _loaded:
        return _loaded[folder]
    if (folder / "bank.json").is_file():
        return _loaded.setdefault(folder, TimbreBank.load(folder))
    feats, paths, said, phones = [], [], [], []
    sr = None
    for line in script_lines(voice.language)[:lines]:
        utterance = voice.speak_utterance(line.text)
        audio, sr = utterance.audio, utterance.sr
        said.append(audio)
        phones.append(utterance.phones)
        f = world_features(np.asarray(audio, np.float64), sr)
        feats.append(f)
        frames = np.arange(len(f.f0))
        paths.append(np.c_[frames, frames])
    bank = build_bank(sr=sr, base_voice=voice.name, base=feats, target=feats, paths=paths,
                      phones=phones if all(phones) else None,
                      speaking_hz=speaking_pitch_hz(np.concatenate(said[:4]), sr))  # fmt: skip
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        bank.save(tmp)
        os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (folder / "bank.json").is_file():  # another process finished it first
            raise
    return _loaded.setdefault(folder, TimbreBank.load(folder))
