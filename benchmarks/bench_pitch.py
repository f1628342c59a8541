"""Pitch accuracy of sung output, measured by pYIN (independent of the engine's WORLD F0).

Target (foundation issue): on every example and on the eight M4Singer melodies, each note's
centre pitch (median F0 over the middle half of the note) within 10 cents of the written
pitch as a median over notes, and ≥ 95 % of voiced frames in note middles within 50 cents.
Mandarin pieces are sung with ``baker``, English ones with ``joe``.  The M4Singer MIDI files
carry no lyrics: every note is sung on 啦.  A melody outside the voice's range is moved by
whole octaves (the ``shift`` column).

    python -m benchmarks.bench_pitch [--json out.json] [--cents-per-bin 5] [--repeats 1] [--only NAME]

``baker``'s renders are not repeatable (its FastSpeech2 graph keeps two dropout layers
active), so ``--repeats N`` renders every piece N times and shows the spread.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.measure import (
    LONG_NOTE_S,
    machine,
    machine_info,
    note_pitch_report,
    table,
    to_jsonable,
)
from yinse.formats import load_score
from yinse.formats.midi import read_midi
from yinse.synth.engine import SingingEngine
from yinse.voices import get_voice

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
M4SINGER = REPO.parent / "shared" / "data" / "singing" / "zh" / "m4singer" / "svs"
VOICE_FOR_LANGUAGE = {"zh": "baker", "en": "joe"}


def example_pieces():
    for path in sorted(EXAMPLES.glob("*.notes")):
        score = load_score(path)
        yield f"example/{path.name}", score, VOICE_FOR_LANGUAGE[score.language]


def m4singer_pieces():
    if not M4SINGER.is_dir():
        print(f"(skipping M4Singer: {M4SINGER} is missing)")
        return
    for midi in sorted(M4SINGER.glob("*.mid"), key=lambda p: int(p.stem)):
        count = len(read_midi(midi.read_bytes(), source=str(midi)).notes)
        with tempfile.TemporaryDirectory() as tmp:
            lyrics = Path(tmp) / "lyrics.txt"
            lyrics.write_text("啦" * count, encoding="utf-8")
            yield f"m4singer/{midi.name}", load_score(midi, lyrics_path=lyrics), "baker"


def into_range(score, voice):
    """The score moved by whole octaves into the voice's range, and the shift."""
    low, high = voice.info.range_midi
    pitches = [n.pitch_midi for n in score.notes]
    shift = 0
    while min(pitches) + shift < low:
        shift += 12
    while max(pitches) + shift > high:
        shift -= 12
    if min(pitches) + shift < low:
        raise SystemExit(
            f"range {min(pitches)}–{max(pitches)} does not fit {voice.name} {low}–{high}"
        )
    return score.transposed(shift), shift


def summary(centre, durations, frames, voiced_frames, middle_frames) -> dict:
    absc = np.abs(centre)
    long_ = durations >= LONG_NOTE_S
    voiced = ~np.isnan(centre)

    def med(x):
        return float(np.nanmedian(x)) if np.any(~np.isnan(x)) else float("nan")

    return {
        "notes": len(centre),
        "median |err| c": med(absc),
        "max |err| c": float(np.nanmax(absc)) if voiced.any() else float("nan"),
        "notes ≤10 c %": 100 * float(np.mean(absc[voiced] <= 10)) if voiced.any() else float("nan"),
        "frames ≤50 c %": 100 * float(np.mean(np.abs(frames) <= 50))
        if len(frames)
        else float("nan"),
        "middles voiced %": 100 * float(np.mean(voiced)),
        "middle frames voiced %": 100 * float(voiced_frames.sum() / max(1, middle_frames.sum())),
        "notes <0.2 s": int((~long_).sum()),
        "≥0.2 s median |err| c": med(absc[long_]) if long_.any() else float("nan"),
    }


KEYS = ("centre_cents", "durations_s", "frame_cents", "voiced_frames", "middle_frames")


def is_failing(err: float, voiced: int, middle: int) -> bool:
    """Centre off by more than 10 cents, unmeasurable, or most of the middle unvoiced."""
    return bool(np.isnan(err) or abs(err) > 10 + 1e-6 or voiced < 0.5 * middle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--cents-per-bin", type=float, default=5.0, help="pYIN resolution (5)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="renders per piece (baker's renders differ from call to call)",
    )
    parser.add_argument("--only", help="measure only pieces whose name contains this")
    args = parser.parse_args()

    pieces, started = [], time.perf_counter()
    for name, score, voice_name in [*example_pieces(), *m4singer_pieces()]:
        if args.only and args.only not in name:
            continue
        voice = get_voice(voice_name)
        score, shift = into_range(score, voice)
        engine = SingingEngine(voice)
        reports = []
        for _ in range(args.repeats):
            render = engine.render(score)
            reports.append(note_pitch_report(
                score, render.audio, render.sr, offset_s=render.offset_s, cents_per_bin=args.cents_per_bin
            ))  # fmt: skip
        pieces.append((name, voice_name, shift, score, reports))
        print(f"  {name}: done ({time.perf_counter() - started:.0f} s)", flush=True)

    # Render 1 of every piece: the main table.
    rows = [{"piece": name, "voice": v, "shift": shift, **summary(*(reports[0][k] for k in KEYS))}
            for name, v, shift, _, reports in pieces]  # fmt: skip
    every = summary(*(np.concatenate([p[4][0][k] for p in pieces]) for k in KEYS))
    per_piece_median = float(np.nanmedian([r["median |err| c"] for r in rows]))
    meeting = [r["piece"] for r in rows if r["median |err| c"] <= 10 and r["frames ≤50 c %"] >= 95]
    columns = ["piece", "voice", "shift", *every]

    # Every note of every render; the failing ones grouped by note.
    notes_out, failing = [], {}
    for name, _, _, score, reports in pieces:
        for r, report in enumerate(reports):
            for i, note in enumerate(score.notes):
                err, nv, nm = (float(report["centre_cents"][i]), int(report["voiced_frames"][i]),
                               int(report["middle_frames"][i]))  # fmt: skip
                notes_out.append({"piece": name, "render": r + 1, "note": i + 1, "midi": note.pitch_midi,
                                  "lyric": note.lyric or "", "dur_s": float(report["durations_s"][i]),
                                  "err_cents": err, "voiced_frames": nv, "middle_frames": nm})  # fmt: skip
                if is_failing(err, nv, nm):
                    entry = failing.setdefault((name, i), {
                        "piece": name, "note": i + 1, "midi": note.pitch_midi, "lyric": note.lyric or "",
                        "dur s": float(report["durations_s"][i]), "renders failing": 0, "err c": [],
                        "voiced/middle frames": [],
                    })  # fmt: skip
                    entry["renders failing"] += 1
                    entry["err c"].append("—" if np.isnan(err) else f"{err:+.0f}")
                    entry["voiced/middle frames"].append(f"{nv}/{nm}")

    print(f"\n# Pitch accuracy — {machine()}")
    print(f"pYIN {args.cents_per_bin:g}-cent bins; note middle = 25 %–75 % of the note; "
          f"table: render 1 of {args.repeats}\n")  # fmt: skip
    print(table([*rows, {"piece": "ALL (pooled)", "voice": "", "shift": "", **every}], columns))
    print(f"\nmedian over pieces of the per-piece median |err|: {per_piece_median:.2f} cents; "
          f"pieces meeting both targets: {len(meeting)}/{len(rows)}")  # fmt: skip

    repeat_rows = []
    if args.repeats > 1:
        for name, v, _, _, reports in pieces:
            stats = [summary(*(rep[k] for k in KEYS)) for rep in reports]
            meds = [s_["median |err| c"] for s_ in stats]
            repeat_rows.append({
                "piece": name, "voice": v,
                "median |err| c per render": " / ".join(f"{m:.1f}" for m in meds),
                "worst median |err| c": max(meds),
                "min frames ≤50 c %": min(s_["frames ≤50 c %"] for s_ in stats),
                "renders meeting both": f"{sum(s_['median |err| c'] <= 10 and s_['frames ≤50 c %'] >= 95 for s_ in stats)}/{len(stats)}",
            })  # fmt: skip
        print(f"\nRepeatability over {args.repeats} renders per piece:\n")
        print(table(repeat_rows, list(repeat_rows[0])))
    if failing:
        rows_f = [{**e, "renders failing": f"{e['renders failing']}/{args.repeats}",
                   "err c": ", ".join(e["err c"]), "voiced/middle frames": ", ".join(e["voiced/middle frames"])}
                  for e in failing.values()]  # fmt: skip
        print(
            f"\nnotes with |err| > 10 cents or under half of the middle voiced, in any render ({len(rows_f)}):"
        )
        print(table(rows_f, list(rows_f[0])))
    if args.json:
        args.json.write_text(json.dumps(to_jsonable({
            "benchmark": "pitch", "machine": machine_info(), "cents_per_bin": args.cents_per_bin,
            "repeats": args.repeats, "pieces": rows, "all": every,
            "median_of_piece_medians": per_piece_median, "pieces_meeting_targets": meeting,
            "repeatability": repeat_rows, "notes": notes_out,
        }), indent=2, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
