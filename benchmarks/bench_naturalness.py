"""Naturalness proxy: DNSMOS (``speechmos``, its ONNX models ship in the package) of the sung
examples next to the same voice's plain speech of the same lyrics.  Report only.

DNSMOS was trained on speech, so singing scores lower for being singing; compare the sung
numbers with the same voice's speech, not with an absolute scale.

    python -m benchmarks.bench_naturalness [--json out.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.measure import machine, table
from yinse.formats import load_score
from yinse.synth.engine import SingingEngine
from yinse.voices import get_voice

REPO = Path(__file__).resolve().parents[1]
SONGS = {"baker": "xiaocheng_de_yu.musicxml", "joe": "paper_boats.musicxml"}
SEGMENT_S = 10.0


def dnsmos(audio: np.ndarray, sr: int) -> dict:
    """Mean SIG, BAK, OVRL over 10 s segments (DNSMOS's input length) at 16 kHz."""
    import librosa
    from speechmos import dnsmos as model

    y = librosa.resample(audio.astype(np.float32), orig_sr=sr, target_sr=16000)
    y = y / (np.max(np.abs(y)) + 1e-9) * 0.9
    step = int(SEGMENT_S * 16000)
    scores = [
        model.run(y[i : i + step], sr=16000)
        for i in range(0, max(1, len(y) - step // 2), step)
        if len(y[i : i + step]) >= 16000 * 4
    ]
    return {k: float(np.mean([s[k] for s in scores])) for k in ("sig_mos", "bak_mos", "ovrl_mos")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    for voice_name, song in SONGS.items():
        score = load_score(REPO / "examples" / song)
        voice = get_voice(voice_name)
        render = SingingEngine(voice).render(score)
        lyrics = [n.lyric for n in score.notes if n.lyric]
        # Mandarin: the characters in a row; English: hyphenated pieces joined ("pa- per").
        words = "".join(lyrics) if voice.language == "zh" else " ".join(lyrics).replace("- ", "")
        speech, speech_sr = voice.speak(words)
        for kind, (audio, sr) in (("sung", (render.audio, render.sr)), ("spoken", (speech, speech_sr))):
            m = dnsmos(audio, sr)
            rows.append({"voice": voice_name, "audio": kind, "SIG": m["sig_mos"], "BAK": m["bak_mos"], "OVRL": m["ovrl_mos"]})
    print(f"# naturalness proxy (DNSMOS P.835) — {machine()}")
    print(table(rows, ["voice", "audio", "SIG", "BAK", "OVRL"]))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
