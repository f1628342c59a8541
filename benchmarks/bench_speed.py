"""Rendering speed, voice load time and peak memory.

Target (foundation issue): vocal rendering real-time factor (render time / output duration)
≤ 0.1 once the voice is loaded, i.e. a 3-minute song in ≤ 18 s; the first load of a voice
reported separately; peak memory ≤ 2 GB.

* RTF: median of ``--runs`` renders after one warm-up render, in this process, for each
  voice's example (``baker``: the Mandarin one, ``joe``: the English one) and for a song of
  about 3 minutes made by repeating that example's notes with a bar of rest between copies.
* Cold load: ``get_voice(name).load()`` timed in a fresh Python process (``--load-runs``
  processes; the operating system's file cache is not dropped, so "cold" means a fresh
  interpreter, not a cold disk).
* Peak memory: high-water RSS (VmHWM; ``ru_maxrss`` beside it) of a fresh process that
  loads the voice and renders the 3-minute song once.

    python -m benchmarks.bench_speed [--json out.json] [--runs 3] [--load-runs 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.measure import machine, machine_info, table, to_jsonable
from yinse.core.score import Score
from yinse.formats import load_score

REPO = Path(__file__).resolve().parents[1]
SONGS = {"baker": "xiaocheng_de_yu.notes", "joe": "paper_boats.notes"}
TARGET_RTF = 0.1
TARGET_PEAK_MB = 2048
SONG_S = 180.0


def three_minute_song(score: Score) -> Score:
    """``score``'s notes repeated, a 4-beat rest between copies, to about 180 s."""
    span = max(n.end_beats for n in score.notes) + 4.0
    copies = max(1, round(SONG_S / score.seconds_at(span)))
    notes = tuple(
        replace(n, start_beats=n.start_beats + k * span) for k in range(copies) for n in score.notes
    )
    return replace(score, notes=notes, title=f"{score.title} ×{copies}")


def _child(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"child process failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return out.stdout.strip().splitlines()[-1].split()


def cold_load(voice: str) -> tuple[float, float]:
    """Seconds to import ``yinse.voices`` and to run ``get_voice(voice).load()``, in a fresh
    process."""
    code = (
        "import time; t0 = time.perf_counter(); from yinse.voices import get_voice; "
        "t1 = time.perf_counter(); "
        f"get_voice({voice!r}).load(); t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
    )
    imp, load = _child(code)
    return float(imp), float(load)


def peak_memory(voice: str, song: str) -> tuple[float, float, float]:
    """Peak memory of a fresh process that loads ``voice`` and renders the 3-minute song:
    VmHWM (MB, the process's own high-water RSS), ``ru_maxrss`` (MB) and the song's
    duration.

    On Linux ``ru_maxrss`` survives ``execve``: Python starts the child with vfork + exec,
    so the child's ``ru_maxrss`` is at least the parent's RSS at that moment (measured: a
    child of a parent holding 400 MB reports 415 MB, VmHWM 11 MB).  VmHWM belongs to the
    child's own address space, so it is the number to trust; the children are also started
    before this process loads any voice, which keeps the two close."""
    code = (
        "import resource; from pathlib import Path; "
        "from benchmarks.bench_speed import three_minute_song; "
        "from yinse.formats import load_score; from yinse.synth.engine import SingingEngine; "
        "from yinse.voices import get_voice; "
        f"s = three_minute_song(load_score(Path('examples') / {song!r})); "
        f"r = SingingEngine(get_voice({voice!r})).render(s); "
        "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')); "
        "print(hwm / 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, len(r.audio) / r.sr)"
    )
    hwm, maxrss, seconds = _child(code)
    return float(hwm), float(maxrss), float(seconds)


def main() -> None:
    from yinse.synth.engine import SingingEngine
    from yinse.voices import get_voice

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--runs", type=int, default=3, help="timed renders per piece (3)")
    parser.add_argument("--load-runs", type=int, default=3, help="fresh processes per voice (3)")
    parser.add_argument("--voices", nargs="+", default=list(SONGS), choices=list(SONGS))
    args = parser.parse_args()

    speed, loads, memory = [], [], []
    # Fresh processes first, while this process is small and nothing else of ours runs.
    for voice_name in args.voices:
        song = SONGS[voice_name]
        timings = [cold_load(voice_name) for _ in range(args.load_runs)]
        loads.append({
            "voice": voice_name,
            "import s (first)": timings[0][0], "load() s (first)": timings[0][1],
            "import s (median)": float(np.median([t[0] for t in timings])),
            "load() s (median)": float(np.median([t[1] for t in timings])),
        })  # fmt: skip
        hwm, maxrss, song_s = peak_memory(voice_name, song)
        memory.append({"voice": voice_name, "song": f"{song} repeated", "audio s": song_s,
                       "peak RSS MB (VmHWM)": hwm, "ru_maxrss MB": maxrss,
                       "≤ 2 GB": "yes" if hwm <= TARGET_PEAK_MB else "NO"})  # fmt: skip

    for voice_name in args.voices:
        song = SONGS[voice_name]
        voice = get_voice(voice_name).load()
        example = load_score(REPO / "examples" / song)
        engine = SingingEngine(voice)
        t = time.perf_counter()
        engine.render(example)  # warm-up
        warm_up_s = time.perf_counter() - t
        for label, score in ((song, example), (f"{song} repeated", three_minute_song(example))):
            seconds = []
            for _ in range(args.runs):
                t = time.perf_counter()
                render = engine.render(score)
                seconds.append(time.perf_counter() - t)
            duration = len(render.audio) / render.sr
            rtf = float(np.median(seconds)) / duration
            speed.append({
                "voice": voice_name, "piece": label, "notes": len(score.notes), "audio s": duration,
                "median render s": float(np.median(seconds)), "min s": min(seconds),
                "max s": max(seconds), "median RTF": rtf,
                "≤ 0.1": "yes" if rtf <= TARGET_RTF else "NO",
            })  # fmt: skip
        speed[-2]["warm-up s"] = warm_up_s
        print(f"  {voice_name}: done", flush=True)

    print(f"\n# Speed — {machine()}")
    print(f"\nRender (median of {args.runs} after one warm-up render; RTF = render s / audio s):\n")
    print(table(speed, ["voice", "piece", "notes", "audio s", "warm-up s", "median render s",
                        "min s", "max s", "median RTF", "≤ 0.1"], {"median RTF": ".3f"}))  # fmt: skip
    print(f"\nVoice load in a fresh process ({args.load_runs} processes each):\n")
    print(table(loads, list(loads[0])))
    print("\nPeak memory of a fresh process that loads the voice and renders the 3-minute song:\n")
    print(table(memory, list(memory[0]), {"peak RSS MB (VmHWM)": ".0f", "ru_maxrss MB": ".0f"}))
    if args.json:
        args.json.write_text(json.dumps(to_jsonable({
            "benchmark": "speed", "machine": machine_info(), "runs": args.runs,
            "render": speed, "load": loads, "memory": memory,
        }), indent=2, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
