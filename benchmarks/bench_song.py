"""Songs from lyrics (``yinse.songs.make_song``): speed, loudness, fit, audible stems.

1. **Speed**: a song of about three minutes (``SPEED_LYRICS``, Mandarin, pop, baker) made
   end to end — compose, arrange, sing, SoundFont, mix, master, and write every file
   (WAV, FLAC, MP3, six stems, scores, report) through the output stage — ``--runs``
   times; median wall time and the time of each stage.  Target ≤ 45 s.
2. **Loudness in every style**: one song per style (``STYLE_LYRICS``, about a minute);
   integrated loudness (pyloudnorm), true peak (4× oversampled), clipped samples of the
   written ``song.wav``; every stem's loudness against the mix (audible: within 30 LU).
   Targets −14 ± 0.5 LUFS, ≤ −1 dBTP, no clipping.
3. **Fit**: the 52 lines of the Mandarin enrollment script (our own sentences, split at
   punctuation into lines of at most 24 syllables, grouped by four into verses) composed
   in every style with seeds 0–2.  Per line: the composed melody's tone–melody fit
   against 200 random melodies on the same rhythm in the same key (pitches drawn from
   the key's scale over the line's range); a line "beats random" when its fit exceeds the
   mean of the random ones.  Target ≥ 90 % of lines.  Also the share of melody notes on
   beats 1 and 3 that are tones of their bar's final chord (target ≥ 80 %).

    python -m benchmarks.bench_song [--runs 3] [--skip-speed] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

SPEED_LYRICS = """[verse]
我站在小城的街口
雨落在青石板上
风吹过旧时的桥
你在远方等我回家

[pre-chorus]
一盏灯一杯茶
一封信写到天明

[chorus]
小城的雨下个不停
我把思念写进风里
等到春天花开的时候
我们再一起唱这首歌

[verse]
灯火照亮了窗台
茶香飘过了小巷
时光走得那么慢
我还记得你的模样

[pre-chorus]
一盏灯一杯茶
一封信写到天明

[chorus]
小城的雨下个不停
我把思念写进风里
等到春天花开的时候
我们再一起唱这首歌

[bridge]
如果有一天你回来
请带上那年的月光
我会在桥边等你
听雨落在心上

[chorus]
小城的雨下个不停
我把思念写进风里
等到春天花开的时候
我们再一起唱这首歌

[chorus]
小城的雨下个不停
我把思念写进风里
等到春天花开的时候
我们再一起唱这首歌
"""
STYLE_LYRICS = """[verse]
春风吹过小河
花开满山坡
[chorus]
我们一起唱歌
唱到天亮
"""
STYLES = ("pop", "ballad", "rock", "folk", "guofeng", "electronic")


def speed(runs: int) -> dict:
    from yinse.songs import SongRequest, make_song

    rows = []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            result = make_song(SongRequest(SPEED_LYRICS, "baker", style="pop", seed=run), Path(tmp) / "song")
            wall = time.perf_counter() - start
        rows.append({"wall_s": round(wall, 1), "song_s": round(result.duration_s, 1), **result.report["timings"]})
        print(f"run {run}: {wall:.1f} s for a {result.duration_s:.0f} s song  {result.report['timings']}", flush=True)
    return {"runs": rows, "median_wall_s": statistics.median(r["wall_s"] for r in rows),
            "median_song_s": statistics.median(r["song_s"] for r in rows)}  # fmt: skip


def loudness() -> list[dict]:
    import soundfile as sf

    from yinse.render.master import loudness_lufs, true_peak_dbtp
    from yinse.songs import SongRequest, make_song

    rows = []
    for style in STYLES:
        with tempfile.TemporaryDirectory() as tmp:
            result = make_song(SongRequest(STYLE_LYRICS, "baker", style=style), Path(tmp) / "s")
            audio, sr = sf.read(result.folder / "song.wav")
            mix_lufs = loudness_lufs(audio, sr=sr)
            stems = {}
            for stem in sorted((result.folder / "stems").iterdir()):
                x, _ = sf.read(stem)
                stems[stem.stem] = round(loudness_lufs(x, sr=sr) - mix_lufs, 1)
        rows.append({
            "style": style, "lufs": round(mix_lufs, 2), "true_peak_dbtp": round(true_peak_dbtp(audio, sr=sr), 2),
            "clipped": int(np.sum(np.abs(audio) >= 1.0)), "stems_lu_vs_mix": stems,
            "all_audible": all(v > -30 for v in stems.values()),
        })  # fmt: skip
        print(rows[-1], flush=True)
    return rows


def script_sheet_text() -> str:
    from yinse.enroll.script import script_lines

    lines = []
    for line in script_lines("zh"):
        for piece in line.text.replace("，", "\n").replace("。", "\n").replace("？", "\n").replace("！", "\n").split("\n"):
            piece = piece.strip("、；：“”‘’ ")
            if 4 <= len(piece) <= 24:
                lines.append(piece)
    blocks = ["[verse]\n" + "\n".join(lines[i : i + 4]) for i in range(0, len(lines), 4)]
    return "\n\n".join(blocks)


def fit(seeds: int = 3) -> dict:
    from yinse.compose.check import random_fits
    from yinse.compose.sheet import read_sheet
    from yinse.compose.song import compose

    sheet = read_sheet(script_sheet_text())
    rng = np.random.default_rng(0)
    beats, percentiles, strong = [], [], []
    per_style = {}
    for style in STYLES:
        style_beats = []
        for seed in range(seeds):
            comp = compose(sheet, style=style, seed=seed)
            for line in comp.lines:
                pitches = [comp.vocal.notes[i].pitch_midi for i in line.note_indexes]
                tones = [s.tone for s in line.line.syllables]
                randoms = [r for r in random_fits(tones, pitches, comp.key, rng) if r is not None]
                if line.score.tone_fit is None or not randoms:
                    continue
                won = line.score.tone_fit > np.mean(randoms)
                beats.append(won)
                style_beats.append(won)
                percentiles.append(np.mean([line.score.tone_fit > r for r in randoms]))
            # chord tones measured on the final chords (after the harmony pass), every note
            # that starts on beat 1 or 3 of its bar
            for note in comp.vocal.notes:
                if note.start_beats % 2 == 0:
                    bar = comp.bars[int(note.start_beats // 4)]
                    strong.append(comp.chord(bar).contains(note.pitch_midi))
        per_style[style] = round(float(np.mean(style_beats)), 3)
    out = {"lines": len(sheet.lines), "styles": len(STYLES), "seeds": seeds, "line_renders": len(beats),
           "beats_random_mean": round(float(np.mean(beats)), 3),
           "mean_percentile": round(float(np.mean(percentiles)), 3),
           "strong_beat_chord_tones": round(float(np.mean(strong)), 3), "per_style": per_style}  # fmt: skip
    print(out, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = {"fit": fit(), "loudness": loudness()}
    if not args.skip_speed:
        results["speed"] = speed(args.runs)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
