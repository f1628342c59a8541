"""Naturalness proxy: DNSMOS P.835 (``speechmos``; its ONNX models ship in the package and
run offline) of each voice singing its example, next to the same voice speaking the same
lyrics.  Report only, no target.

DNSMOS was trained on noisy *speech*, so singing scores lower for being singing; compare
the sung numbers with the same voice's speech, not with an absolute scale.  Both signals are
resampled to 16 kHz (DNSMOS's rate) and peak-normalised to 0.9; ``speechmos`` scores a
clip with the reference procedure (9.01 s windows, 1 s hop, mean over windows).

    python -m benchmarks.bench_naturalness [--json out.json] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.measure import machine, machine_info, table, to_jsonable
from yinse.formats import load_score
from yinse.synth.engine import SingingEngine
from yinse.voices import get_voice

REPO = Path(__file__).resolve().parents[1]
SONGS = {"baker": "xiaocheng_de_yu.notes", "joe": "paper_boats.notes"}
DNSMOS_SR = 16000


def dnsmos(audio: np.ndarray, sr: int) -> dict:
    from speechmos import dnsmos as model

    from yinse.core.librosa_import import import_librosa

    librosa = import_librosa()

    y = librosa.resample(np.asarray(audio, dtype=np.float32), orig_sr=sr, target_sr=DNSMOS_SR)
    y = (y / (np.max(np.abs(y)) + 1e-9) * 0.9).astype(np.float32)
    return model.run(y, sr=DNSMOS_SR)


def lyrics_text(score) -> str:
    """The lyrics as text: words rebuilt from their syllables, a comma where a phrase ends
    (after the word, when the phrase boundary falls inside one), a full stop at the end."""
    zh = score.language == "zh"
    comma, stop, space = ("，", "。", "") if zh else (", ", ".", " ")
    text, pending = "", False
    for phrase in score.phrases():
        for k, g in enumerate(phrase):
            text += g.lyric
            pending |= k + 1 == len(phrase)
            if g.syllabic in ("begin", "middle"):
                continue  # the word goes on
            text += comma if pending else space
            pending = False
    return text.rstrip(comma + space) + stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="renders (and speeches) per voice; baker's differ from call to call",
    )
    args = parser.parse_args()
    rows, texts, raw = [], {}, []
    for voice_name, song in SONGS.items():
        score = load_score(REPO / "examples" / song)
        voice = get_voice(voice_name)
        engine = SingingEngine(voice)
        texts[voice_name] = lyrics_text(score)
        scores = {"sung": [], "spoken": []}
        lengths = {}
        for _ in range(args.repeats):
            render = engine.render(score)
            speech, speech_sr = voice.speak(texts[voice_name])
            for kind, (audio, sr) in (
                ("sung", (render.audio, render.sr)),
                ("spoken", (speech, speech_sr)),
            ):
                scores[kind].append(dnsmos(audio, sr))
                lengths[kind] = len(audio) / sr
        for kind, runs in scores.items():
            row = {"voice": voice_name, "audio": f"sung ({song})" if kind == "sung" else "spoken lyrics",
                   "s": lengths[kind]}  # fmt: skip
            for key, col in (
                ("sig_mos", "SIG"),
                ("bak_mos", "BAK"),
                ("ovrl_mos", "OVRL"),
                ("p808_mos", "P.808"),
            ):
                values = [float(r[key]) for r in runs]
                row[col] = float(np.median(values))
                row[col + " range"] = f"{min(values):.2f}–{max(values):.2f}"
                raw.append({"voice": voice_name, "audio": kind, "measure": col, "values": values})
            rows.append(row)
        print(f"  {voice_name}: done", flush=True)
    print(f"\n# Naturalness proxy (DNSMOS P.835, speechmos) — {machine()}\n")
    columns = ["voice", "audio", "s", "SIG", "BAK", "OVRL", "P.808"]
    if args.repeats > 1:
        print(f"medians of {args.repeats} renders/speeches; range in the second table\n")
    print(table(rows, columns))
    if args.repeats > 1:
        print()
        print(
            table(rows, ["voice", "audio", "SIG range", "BAK range", "OVRL range", "P.808 range"])
        )
    for voice_name, text in texts.items():
        print(f"\n{voice_name} spoke: {text[:120]}{'…' if len(text) > 120 else ''}")
    if args.json:
        args.json.write_text(json.dumps(to_jsonable({
            "benchmark": "naturalness", "machine": machine_info(), "repeats": args.repeats,
            "rows": rows, "runs": raw, "texts": texts,
        }), indent=2, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
