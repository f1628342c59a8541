"""Memory and time of converting a long input (issue: "long inputs are processed in chunks
with progress; memory stays bounded"; inputs up to 10 minutes).

The input is magicdata_f's speech from ../shared/data joined to ``--minutes`` (48 kHz
FLAC, written to a temporary folder, never into the repository), converted into ``joe``
with ``--key auto``.  Fresh processes share a temporary ``YINSE_HOME``; the first builds
joe's conversion bank (once per home, reported apart), then for each length:

* **stages**: ``read_input`` (decode, checks, accompaniment), opening joe's bank,
  ``convert``, ``finalize_audio``, the watermark alone (``mark_audio``) and the whole
  output stage (``publish``: mark, encode, label, sign, record).  The high-water
  RSS (VmHWM) is reset between stages (``/proc/self/clear_refs``, Linux), so each row is
  the stage's own peak, including what earlier stages still hold;
* **whole**: ``convert_to_file`` as the CLI runs it: its peak RSS and real-time factor.

    python -m benchmarks.bench_long_input [--minutes 10 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.measure import machine, table

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SPEAKER = DATA / "speech/zh/magicdata_f"

_COMMON = """
import json, os, sys, time
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
def reset():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
rows = []
def stage(name, t0):
    rows.append({"stage": name, "peak MB": round(status("VmHWM")), "held MB": round(status("VmRSS")),
                 "s": round(time.perf_counter() - t0, 1)})
    reset()
    return time.perf_counter()
"""

_STAGES = (
    _COMMON
    + """
from yinse.convert.analysis import read_input
from yinse.convert.convert import convert
from yinse.convert.targets import target_for
from yinse.pipeline import finalize_audio, open_voice
from yinse.provenance.output import Provenance, mark_audio, publish
src_path, out_path = sys.argv[1], sys.argv[2]
reset(); t = time.perf_counter()
t = stage("imports", t)
source = read_input(src_path); t = stage("read_input", t)
permit = open_voice("joe", "convert"); bank = target_for(permit.voice); t = stage("open joe's bank", t)
converted = convert(source, bank, key_shift="auto"); t = stage("convert", t)
audio, sr = finalize_audio(converted.audio, converted.sr); t = stage("finalize_audio", t)
del source, converted
provenance = Provenance("0" * 32, "convert", voice="joe", consent_id=permit.consent_id, settings={})
marked = mark_audio(audio, sr, provenance); t = stage("mark_audio (watermark)", t)
del marked
publish(audio, sr, out_path, provenance); t = stage("publish (mark, encode, label, sign)", t)
print(json.dumps(rows))
"""
)

_BANK = (
    _COMMON
    + """
from yinse.convert.targets import target_for
from yinse.voices import get_voice
reset(); t = time.perf_counter()
target_for(get_voice("joe"))
stage("build joe's conversion bank (once per home)", t)
print(json.dumps(rows))
"""
)

_WHOLE = (
    _COMMON
    + """
from yinse.pipeline import ConvertRequest, convert_to_file
src_path, out_path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
reset(); t = time.perf_counter()
convert_to_file(ConvertRequest(src_path, "joe", key_shift="auto"), out_path)
dt = time.perf_counter() - t
print(json.dumps({"peak MB": round(status("VmHWM")), "s": round(dt, 1), "RTF": round(dt / seconds, 3)}))
"""
)


def long_input(folder: Path, minutes: float) -> Path:
    import numpy as np
    import soundfile as sf

    parts, n, sr = [], 0, None
    for f in sorted(SPEAKER.glob("*.flac")):
        x, sr = sf.read(f, dtype="float32")
        parts.append(x)
        n += len(x)
        if n >= minutes * 60 * sr:
            break
    audio = np.concatenate(parts)
    if len(audio) < minutes * 60 * sr:
        audio = np.tile(audio, int(np.ceil(minutes * 60 * sr / len(audio))))
    path = folder / f"input_{minutes:g}min.flac"
    sf.write(path, audio[: int(minutes * 60 * sr)], sr)
    return path


def _child(code: str, home: Path, *args: str):
    env = {**os.environ, "YINSE_HOME": str(home), "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         cwd=REPO, env=env, check=False)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"child process failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, nargs="+", default=[10.0, 2.0])
    ap.add_argument("--json")
    args = ap.parse_args()
    if not SPEAKER.is_dir():
        sys.exit(f"{SPEAKER} is missing: ../shared/data must be beside the repository")
    results = {"machine": machine(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for minutes in args.minutes:
            src = long_input(folder, minutes)
            if not results["runs"]:
                bank = _child(_BANK, folder / "home")
                print(table(bank, ["stage", "peak MB", "held MB", "s"]))
            stages = _child(_STAGES, folder / "home", str(src), str(folder / "stages.wav"))
            whole = _child(
                _WHOLE, folder / "home", str(src), str(folder / "whole.wav"), str(minutes * 60)
            )
            results["runs"].append({"minutes": minutes, "stages": stages, "whole": whole})
            print(f"\n{minutes:g} minutes, 48 kHz FLAC -> joe, --key auto")
            print(table(stages, ["stage", "peak MB", "held MB", "s"]))
            print(
                f"whole convert_to_file: peak {whole['peak MB']} MB, {whole['s']} s, RTF {whole['RTF']}",
                flush=True,
            )
    print(f"\n{results['machine']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
