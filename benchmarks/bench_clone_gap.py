"""Where a clone's similarity is lost: its spectra, or its prosody (timing and F0)?

For each held-out sentence of a speaker (the same split as ``bench_clone``), the clone says
it, and the real recording of that sentence is aligned with the base voice saying it (DTW,
:func:`yinse.enroll.align.align`).  Swapping parts between the two through WORLD gives:

* ``clone``: the clone as it speaks (the base voice's timing, the units' F0);
* ``clone spectra, real prosody``: the clone's envelope and aperiodicity warped onto the
  recording's timing, on the recording's F0;
* ``real spectra, clone prosody``: the recording's envelope and aperiodicity warped onto the
  clone's timing, on the clone's F0;
* ``WORLD resynthesis``: the recording through WORLD (the vocoder's own loss);
* ``real recording``: the recording itself.

Each is scored by resemblyzer against the centroid of the *other* held-out recordings
(leave one out: a recording's own embedding in the centroid would flatter every row built
from it).  Median over sentences.

    python -m benchmarks.bench_clone_gap [--speakers cathy,vctk_p225,magicdata_f] [--home DIR]

``--home``: a ``YINSE_HOME`` where ``bench_clone``'s split is already enrolled (the voice
names ``cathy``, ``vctk-p225``, ``magicdata-f``); otherwise each speaker is enrolled first
into a throw-away home.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.bench_clone import DATA, SPEAKERS, enroll_speaker, rows_of
from benchmarks.measure import machine, table

ROWS = ("clone", "clone spectra, real prosody", "real spectra, clone prosody", "WORLD resynthesis", "real recording")


def _held_out(name: str) -> list[list[str]]:
    language, sub, _, n_held = SPEAKERS[name]
    return rows_of(DATA / sub, language)[-n_held:]


def speaker_gap(name: str) -> dict[str, float]:
    """Median leave-one-out similarity of every row of :data:`ROWS` for one speaker."""
    import pyworld
    import soundfile as sf

    from yinse import pipeline
    from yinse.core.audio import resample
    from yinse.enroll.align import align
    from yinse.registry.speaker import embed, mean_embedding, similarity
    from yinse.voices.timbre import FRAME_S, decode, world_features

    folder = DATA / SPEAKERS[name][1]
    held = _held_out(name)
    clone_voice = pipeline.open_voice(name.replace("_", "-"), "speak").voice
    bank, sr = clone_voice.bank, clone_voice.bank.sr
    recordings = [sf.read(folder / row[0], dtype="float32") for row in held]
    embeddings = [embed(audio, sr=rate) for audio, rate in recordings]
    scores: dict[str, list[float]] = {row: [] for row in ROWS}
    for k, (row, (audio, rate)) in enumerate(zip(held, recordings)):
        others = mean_embedding([e for j, e in enumerate(embeddings) if j != k])
        clone = clone_voice.speech_frames(row[1])
        mono = audio.mean(1) if audio.ndim > 1 else audio
        real = world_features(resample(mono.astype(np.float64), rate, sr), sr)
        path = align(clone.base_coded.astype(np.float32), real.coded_sp, base_stats=(bank.base_mean, bank.base_std),
                     target_stats=bank.target_stats).path  # fmt: skip
        # The clone's frame for every frame of the recording, and the other way round.
        clone_at = np.interp(np.arange(len(real.f0)), path[:, 1], path[:, 0]).round().astype(int).clip(0, len(clone.f0) - 1)
        real_at = np.interp(np.arange(len(clone.f0)), path[:, 0], path[:, 1]).round().astype(int).clip(0, len(real.f0) - 1)
        real_sp, real_ap = decode(real.coded_sp.astype(np.float64), real.coded_ap.astype(np.float64), sr)
        real_f0 = real.f0.astype(np.float64)
        parts = {
            "clone": (clone.f0, clone.sp, clone.ap),
            "clone spectra, real prosody": (real_f0, clone.sp[clone_at], clone.ap[clone_at]),
            "real spectra, clone prosody": (clone.f0, real_sp[real_at], real_ap[real_at]),
            "WORLD resynthesis": (real_f0, real_sp, real_ap),
        }
        for label, (f, sp, ap) in parts.items():
            y = pyworld.synthesize(*(np.ascontiguousarray(a) for a in (f, sp, ap)), sr, FRAME_S * 1000)
            scores[label].append(similarity(embed(y.astype(np.float32), sr=sr), others))
        scores["real recording"].append(similarity(embeddings[k], others))
    return {label: float(np.median(values)) for label, values in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speakers", default=",".join(SPEAKERS))
    parser.add_argument("--home", type=Path, help="a YINSE_HOME with bench_clone's split already enrolled")
    args = parser.parse_args()
    os.environ["YINSE_HOME"] = str(args.home) if args.home else tempfile.mkdtemp(prefix="yinse-bench-gap-")
    rows = []
    for name in args.speakers.split(","):
        if not args.home:
            enroll_speaker(name)
        gap = speaker_gap(name)
        rows.append({"speaker": name, "held out": str(len(_held_out(name))), **{k: f"{v:.3f}" for k, v in gap.items()}})
        print(rows[-1], flush=True)
    print(f"\n# Where a clone's similarity is lost — {machine()}\n")
    print(table(rows, list(rows[0])))


if __name__ == "__main__":
    sys.exit(main())
