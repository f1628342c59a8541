"""Note onsets found in real singing by ``yinse.formats.hum.hum_notes``.

Each M4Singer clip in ``../shared/data/singing/zh/m4singer/svs`` (``N.flac``, 22.05 kHz,
a cappella Mandarin) has its notes as MIDI (``N.mid``, tempo 120, time 0 = the start of
the audio).  The MIDI notes are the reference, all of them: a melisma note (one without
its own character) is still a note that starts where the pitch moves, and a syllable on
the same pitch as the one before is a new note too (where the voice stops or dips for
its consonant).  Note onsets are the syllable's start including its consonant.

A second table runs the same measure on NIT-SONG070 ``nitech_f001_004`` (Japanese, 31 s,
HTS labels: a note is the run of phones that share the label's note field, ``/E:``), which
was not looked at while the segmentation was tuned on the M4Singer clips.  Its labels
differ in convention: after a geminate (``cl``) the next note's stop consonant starts in
the middle of the silence, and a re-attack inside one written note counts as no onset.

Measured with ``mir_eval.transcription`` (0.8): onset-only F-measure (tolerance 50 ms,
offsets ignored) with its precision and recall, and the same with pitch (within 50 cents
of the reference note, offsets ignored).  Target: F ≥ 0.8, median and mean over clips.
The time column is ``hum_notes`` alone (pYIN and segmentation; decoding excluded), after
one warm-up call (numba compiles pYIN's inner loops on first use).

    python -m benchmarks.bench_hum [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.measure import machine, machine_info, table, to_jsonable

REPO = Path(__file__).resolve().parents[1]
M4SINGER = REPO.parent / "shared" / "data" / "singing" / "zh" / "m4singer" / "svs"
NITECH = REPO.parent / "shared" / "data" / "singing" / "ja" / "nitech_f001_004"
ONSET_TOLERANCE_S = 0.05
PITCH_TOLERANCE_CENTS = 50.0
TARGET_F = 0.8


def reference_notes(midi_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Intervals (s) and pitches (Hz) of the clip's MIDI notes."""
    from yinse.formats.midi import read_midi

    score = read_midi(midi_path.read_bytes(), source=str(midi_path))
    intervals = np.array([score.note_span_s(n) for n in score.notes], dtype=float)
    pitches = np.array([440.0 * 2 ** ((n.pitch_midi - 69) / 12) for n in score.notes])
    return intervals, pitches


def nitech_notes(label_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Intervals (s) and pitches (Hz) of the notes in an HTS full-context label file."""
    from yinse.core.librosa_import import import_librosa

    librosa = import_librosa()
    notes: list[list[float]] = []
    previous = None
    for line in label_path.read_text(encoding="utf-8").splitlines():
        start, end, label = line.split(maxsplit=2)
        phone = re.match(r"[^-]*-([^+]*)\+", label).group(1)
        note = re.search(r"/E:([^/]*)", label).group(1)
        if phone in ("pau", "sil", "br") or note.startswith("xx"):
            previous = None
            continue
        if note != previous:
            hz = float(librosa.note_to_hz(note.split("]")[0]))
            notes.append([int(start) / 1e7, int(end) / 1e7, hz])
        else:
            notes[-1][1] = int(end) / 1e7
        previous = note
    table_ = np.array(notes)
    return table_[:, :2], table_[:, 2]


def evaluate(ref_intervals, ref_hz, notes) -> dict:
    """Onset-only and pitch-aware precision, recall and F of ``notes`` against the reference."""
    import mir_eval

    est_intervals = np.array([[n.onset_s, max(n.offset_s, n.onset_s + 1e-3)] for n in notes])
    est_hz = np.array([440.0 * 2 ** ((n.pitch_midi - 69) / 12) for n in notes])
    if not len(notes):
        est_intervals, est_hz = np.zeros((0, 2)), np.zeros(0)
    p, r, f = mir_eval.transcription.onset_precision_recall_f1(
        ref_intervals, est_intervals, onset_tolerance=ONSET_TOLERANCE_S
    )
    pp, pr, pf, _ = mir_eval.transcription.precision_recall_f1_overlap(
        ref_intervals, ref_hz, est_intervals, est_hz, onset_tolerance=ONSET_TOLERANCE_S,
        pitch_tolerance=PITCH_TOLERANCE_CENTS, offset_ratio=None,
    )  # fmt: skip
    return {"P": p, "R": r, "F": f, "pitch P": pp, "pitch R": pr, "pitch F": pf}


def clips() -> list[tuple[str, Path, Path]]:
    return [(f.stem, f, f.with_suffix(".mid"))
            for f in sorted(M4SINGER.glob("*.flac"), key=lambda p: int(p.stem))
            if f.with_suffix(".mid").is_file()]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not M4SINGER.is_dir():
        sys.exit(f"{M4SINGER} is missing")
    from yinse.enroll.recordings import decode_audio
    from yinse.formats.hum import hum_notes

    hum_notes(np.sin(np.arange(32000) * 2 * np.pi * 220 / 16000).astype(np.float32), sr=16000)

    def row(label: str, audio_path: Path, reference: tuple[np.ndarray, np.ndarray]) -> dict:
        audio, sr = decode_audio(audio_path)
        ref_intervals, ref_hz = reference
        started = time.perf_counter()
        notes = hum_notes(audio, sr=sr)
        seconds = time.perf_counter() - started
        return {
            "clip": label, "audio s": len(audio) / sr, "ref notes": len(ref_hz),
            "found": len(notes), **evaluate(ref_intervals, ref_hz, notes), "time s": seconds,
        }  # fmt: skip

    rows = [row(f"m4singer/svs/{name}", audio_path, reference_notes(midi_path))
            for name, audio_path, midi_path in clips()]  # fmt: skip
    held_out = []
    if NITECH.with_suffix(".lab").is_file():
        held_out.append(row("nitech_f001_004 (held out)", NITECH.with_suffix(".flac"),
                            nitech_notes(NITECH.with_suffix(".lab"))))  # fmt: skip
    columns = ["clip", "audio s", "ref notes", "found", "P", "R", "F",
               "pitch P", "pitch R", "pitch F", "time s"]  # fmt: skip
    metrics = ["P", "R", "F", "pitch P", "pitch R", "pitch F"]
    median = {"clip": "median", **{m: float(np.median([r[m] for r in rows])) for m in metrics},
              "time s": float(np.median([r["time s"] for r in rows]))}  # fmt: skip
    mean = {"clip": "mean", **{m: float(np.mean([r[m] for r in rows])) for m in metrics},
            "time s": float(np.mean([r["time s"] for r in rows]))}  # fmt: skip
    total_audio = sum(r["audio s"] for r in rows)
    total_time = sum(r["time s"] for r in rows)
    print(f"\n# Hummed melody: note onsets — {machine()}")
    print(f"onset tolerance {ONSET_TOLERANCE_S * 1000:.0f} ms, offsets ignored; pitch-aware: "
          f"within {PITCH_TOLERANCE_CENTS:g} cents\n")  # fmt: skip
    print(table([*rows, median, mean], columns, {"audio s": ".1f", "time s": ".2f"}))
    if held_out:
        print("\nHeld out (not used for tuning; different label conventions, see the docstring):\n")
        print(table(held_out, columns, {"audio s": ".1f", "time s": ".2f"}))
    met = median["F"] >= TARGET_F and mean["F"] >= TARGET_F
    print(f"\ntarget onset F ≥ {TARGET_F} (median and mean over clips): "
          f"{'met' if met else 'MISSED'} (median {median['F']:.3f}, mean {mean['F']:.3f}); "
          f"{total_time:.2f} s for {total_audio:.1f} s of audio "
          f"({total_audio / total_time:.0f}× real time)")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(to_jsonable({
            "benchmark": "hum", "machine": machine_info(), "clips": rows, "median": median,
            "mean": mean, "target_met": met, "held_out": held_out,
        }), indent=2, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
