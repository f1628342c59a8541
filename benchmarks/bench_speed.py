"""Rendering speed and memory.

Target (foundation issue): vocal rendering real-time factor ≤ 0.1 once the voice is loaded
(a 3-minute song in ≤ 18 s), first load time reported separately, peak memory ≤ 2 GB.

    python -m benchmarks.bench_speed [--json out.json] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.measure import machine, table
from yinse.core.score import Score
from yinse.formats import load_score

REPO = Path(__file__).resolve().parents[1]
SONGS = {"baker": "xiaocheng_de_yu.musicxml", "joe": "paper_boats.musicxml"}


def three_minute_song(score: Score) -> Score:
    """The example repeated (with a bar of rest between copies) to at least 180 s."""
    length = max(n.end_beats for n in score.notes) + 4
    copies = int(np.ceil(180.0 / score.duration_s))
    notes = tuple(
        replace(n, start_beats=n.start_beats + k * length) for k in range(copies) for n in score.notes
    )
    return replace(score, notes=notes)


def cold_load_s(voice: str) -> float:
    code = (
        "import time; t = time.perf_counter(); from yinse.voices import get_voice; "
        f"get_voice({voice!r}).load(); print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def peak_memory_mb(voice: str, song: str) -> float:
    """ru_maxrss of a fresh process that loads the voice and renders the 3-minute song."""
    code = (
        "import resource; from pathlib import Path; from benchmarks.bench_speed import three_minute_song; "
        "from yinse.formats import load_score; from yinse.synth.engine import SingingEngine; "
        "from yinse.voices import get_voice; "
        f"s = three_minute_song(load_score(Path('examples') / {song!r})); "
        f"SingingEngine(get_voice({voice!r})).render(s); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from yinse.synth.engine import SingingEngine
    from yinse.voices import get_voice

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for voice_name, song in SONGS.items():
        example = load_score(REPO / "examples" / song)
        engine = SingingEngine(get_voice(voice_name))
        engine.render(example)  # warm-up: models loaded, interpreter shapes allocated
        for label, score in (("example", example), ("3-minute song", three_minute_song(example))):
            seconds = []
            for _ in range(args.runs):
                t = time.perf_counter()
                render = engine.render(score)
                seconds.append(time.perf_counter() - t)
            duration = len(render.audio) / render.sr
            rows.append({"voice": voice_name, "piece": label, "audio s": duration,
                         "median render s": float(np.median(seconds)),
                         "median RTF": float(np.median(seconds)) / duration})  # fmt: skip
        rows.append({"voice": voice_name, "piece": "cold load (fresh process)", "median render s": cold_load_s(voice_name)})
        rows.append({"voice": voice_name, "piece": "peak memory MB (3-minute song)",
                     "median render s": peak_memory_mb(voice_name, song)})  # fmt: skip
    print(f"# speed — {machine()}; {args.runs} runs after a warm-up render")
    print(table(rows, ["voice", "piece", "audio s", "median render s", "median RTF"]))
    print("(for the load and memory rows the number stands in the 'median render s' column: seconds, or MB)")
    print(f"this process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
