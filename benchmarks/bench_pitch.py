"""Pitch accuracy of sung output, measured by pYIN (independent of the engine).

Target (foundation issue): on every example and on the eight M4Singer melodies, sung with
``baker`` (the English example with ``joe``), each note's centre pitch within 10 cents of the
written pitch as a median over notes, and ≥ 95 % of voiced frames in note middles within
50 cents.  The M4Singer MIDI files carry no lyrics: every note is sung on 啦.

    python -m benchmarks.bench_pitch [--json out.json] [--cents-per-bin 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.measure import machine, note_pitch_report, table
from yinse.formats import load_score
from yinse.formats.midi import read_midi
from yinse.synth.engine import SingingEngine
from yinse.voices import get_voice

REPO = Path(__file__).resolve().parents[1]
M4SINGER = REPO.parent / "shared" / "data" / "singing" / "zh" / "m4singer" / "svs"
EXAMPLES = [("xiaocheng_de_yu.musicxml", "baker"), ("paper_boats.musicxml", "joe")]


def m4singer_scores():
    for midi in sorted(M4SINGER.glob("*.mid"), key=lambda p: int(p.stem)):
        notes = len(read_midi(midi.read_bytes(), source=str(midi)).notes)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("啦" * notes)
        try:
            yield f"m4singer/{midi.stem}", load_score(midi, lyrics_path=f.name), "baker"
        finally:
            Path(f.name).unlink()


def into_range(score, voice):
    low, high = voice.info.range_midi
    shift = 0
    while min(n.pitch_midi for n in score.notes) + shift < low:
        shift += 12
    while max(n.pitch_midi for n in score.notes) + shift > high:
        shift -= 12
    return score.transposed(shift), shift


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--cents-per-bin", type=float, default=2.0)
    args = parser.parse_args()
    pieces = [(f"example/{name}", load_score(REPO / "examples" / name), v) for name, v in EXAMPLES]
    pieces += list(m4singer_scores())
    rows, all_centres, all_short = [], [], []
    for name, score, voice_name in pieces:
        voice = get_voice(voice_name)
        score, shift = into_range(score, voice)
        render = SingingEngine(voice).render(score)
        report = note_pitch_report(score, render.audio, render.sr, offset_s=render.offset_s,
                                   cents_per_bin=args.cents_per_bin)  # fmt: skip
        centre, durations = report["centre_cents"], report["durations_s"]
        long_enough = durations >= 0.2
        all_centres.append(centre)
        rows.append({
            "piece": name, "voice": voice_name, "shift": shift, "notes": len(centre),
            "median |centre| c": float(np.nanmedian(np.abs(centre))),
            "max |centre| c": float(np.nanmax(np.abs(centre))),
            "notes ≥0.2 s median c": float(np.nanmedian(np.abs(centre[long_enough]))) if long_enough.any() else float("nan"),
            "frames ≤50 c %": 100 * report["frames_within_50"],
            "middles voiced %": 100 * report["middles_voiced"],
        })  # fmt: skip
        all_short.append(int((~long_enough).sum()))
    every = np.concatenate(all_centres)
    columns = list(rows[0])
    print(f"# pitch accuracy — {machine()}; pYIN bins {args.cents_per_bin:g} cents")
    print(table(rows, columns))
    print(f"\nall {len(every)} notes: median |centre| {np.nanmedian(np.abs(every)):.2f} cents; "
          f"notes within 10 cents {100 * np.mean(np.abs(every) <= 10):.1f} %; "
          f"pieces meeting both targets {sum(r['median |centre| c'] <= 10 and r['frames ≤50 c %'] >= 95 for r in rows)}/{len(rows)}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
