"""Voice conversion (``yinse.pipeline.convert_to_file``): melody kept, timbre moved, speed,
and the accompaniment check.

Targets are enrolled from the first recordings of their folders (with transcripts) into a
throw-away YINSE_HOME with an operator-attested consent for ``convert``; the last
recordings of every speaker are held out: they are the inputs, and they make each
speaker's "real recordings" centroid.  ``joe`` (built-in) is a target too; its real
recordings are joe saying held-out script lines.

* melody: pyin (an independent tracker) on input and output at 16 kHz; on frames voiced in
  both, |1200·log2(f_out/f_in) − 100·shift| in cents (median over a clip; target ≤ 15);
  voiced/unvoiced agreement over all frames (target ≥ 90 %).
* timbre: resemblyzer cosine of the output to the target's real centroid and to the
  source's (target ≥ 0.75 and ≥ source + 0.10).  For singing inputs the source centroid is
  the input clip itself; where GTSinger names the singer (``EN-Alto-2-…``, ``zh01_…``: the
  same prefix is taken to be the same singer), ``to_singer`` is the cosine to the centroid
  of the singer's other recordings, which do not share the input's words and melody.
* speed: conversion time / input duration (target RTF ≤ 0.2), consent gate and output stage
  included.
* words: for English outputs whose words are known, pocketsphinx's word error rate
  (:class:`benchmarks.bench_clone.Recogniser`; a rough meter, compare rows, not absolutes).
* lyrics (``--lyrics``): every input whose words are known (the speech clips' transcripts,
  the M4Singer clips' ``N.txt``) converted a second time with them (``yinse convert
  --lyrics``: a built-in target reads them itself, an enrolled one plays its units of their
  phones); the report sets each beside the same clip without lyrics.
* clarity (``--clarity X``): every speech input converted a second time with ``yinse convert
  --clarity X`` (a share of its own articulation kept), set beside the plain conversion.
* accompaniment: the dry recordings of ../shared/data (singing and speech) against the same
  recordings with a band rendered by Yinse in each of six styles mixed in at −12, −6 and
  0 dB (band loudness against the voice): share of each refused.

    python -m benchmarks.bench_convert [--json out.json] [--lyrics] [--clarity 0.5] [--skip-accompaniment]
    python -m benchmarks.bench_convert --accompaniment-only
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_clone import Recogniser, rows_of, wer
from benchmarks.measure import gtsinger_singer, machine, pyin_f0, table

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
#: name: (language, folder, enrolled, held out)
SPEAKERS = {
    "vctk_p225": ("en", "speech/en/vctk_p225", 7, 3),
    "vctk_p226": ("en", "speech/en/vctk_p226", 7, 3),
    "cathy": ("en", "speech/en/cathy", 100, 5),
    "magicdata_f": ("zh", "speech/zh/magicdata_f", 100, 5),
}
SPEECH_PAIRS = [("vctk_p225", "vctk_p226"), ("vctk_p226", "vctk_p225"), ("cathy", "magicdata_f"),
                ("magicdata_f", "cathy"), ("cathy", "joe")]  # fmt: skip
SINGING = [("singing/multi/gtsinger/EN-Alto-2-Vibrato-Control.flac", "cathy"),
           ("singing/multi/gtsinger/EN-Tenor-1-Vibrato-Control.flac", "cathy"),
           ("singing/multi/gtsinger/zh01_control.flac", "magicdata_f"),
           ("singing/zh/m4singer/svs/2.flac", "magicdata_f"),
           ("singing/zh/m4singer/svs/5.flac", "magicdata_f"),
           ("singing/multi/gtsinger/EN-Alto-2-Vibrato-Control.flac", "joe")]  # fmt: skip
TARGET_CENTS, TARGET_VUV, TARGET_SIM, TARGET_MARGIN, TARGET_RTF = 15.0, 0.90, 0.75, 0.10, 0.2


def melody_kept(inp: np.ndarray, sr_in: int, out: np.ndarray, sr_out: int, shift: float) -> tuple[float, float]:
    _, f_in = pyin_f0(inp, sr_in, low_midi=36, high_midi=88)
    _, f_out = pyin_f0(out, sr_out, low_midi=36, high_midi=88)
    n = min(len(f_in), len(f_out))
    f_in, f_out = f_in[:n], f_out[:n]
    v_in, v_out = np.isfinite(f_in), np.isfinite(f_out)
    both = v_in & v_out
    cents = np.abs(1200 * np.log2(f_out[both] / f_in[both]) - 100 * shift)
    return float(np.median(cents)) if both.any() else float("nan"), float(np.mean(v_in == v_out))


def enroll_targets() -> dict[str, np.ndarray]:
    """Enroll every speaker with convert consent; their held-out real centroids."""
    import soundfile as sf

    from yinse.enroll.build import enroll
    from yinse.enroll.consent import attest_consent
    from yinse.registry.speaker import centroid

    real = {}
    for name, (language, sub, n_train, n_held) in SPEAKERS.items():
        folder = DATA / sub
        rows = rows_of(folder, language)
        tsv = Path(os.environ["YINSE_HOME"]) / f"{name}.tsv"
        tsv.write_text("".join(f"{r[0]}\t{r[1]}\n" for r in rows[:n_train]), encoding="utf-8")
        voice = name.replace("_", "-")
        enroll(voice, language=language, inputs=[folder / r[0] for r in rows[:n_train]], owner=name, transcripts=tsv)
        attest_consent(voice, attested_by="benchmark", scopes="convert")
        real[name] = centroid([sf.read(folder / r[0], dtype="float32") for r in rows[-n_held:]])
    return real


def joe_centroid() -> np.ndarray:
    from yinse.convert.targets import BUILTIN_BANK_LINES
    from yinse.enroll.script import script_lines
    from yinse.registry.speaker import centroid
    from yinse.voices import get_voice

    joe = get_voice("joe")
    lines = script_lines("en")[BUILTIN_BANK_LINES : BUILTIN_BANK_LINES + 6]
    return centroid([joe.speak(line.text) for line in lines])


def convert_one(
    path: Path, target: str, key: str | float, out_dir: Path, lyrics: str | None = None, clarity: float = 0.0
) -> tuple[dict, np.ndarray, int]:
    import soundfile as sf

    from yinse.pipeline import ConvertRequest, convert_to_file

    voice = target.replace("_", "-") if target != "joe" else "joe"
    out = out_dir / f"{path.stem}-to-{voice}{'-lyrics' if lyrics else ''}{f'-clarity{clarity:g}' if clarity else ''}.wav"
    start = time.perf_counter()
    record = convert_to_file(ConvertRequest(str(path), voice, key, lyrics=lyrics, clarity=clarity), out)
    seconds = time.perf_counter() - start
    audio, sr = sf.read(out, dtype="float32")
    info = sf.info(path)
    return {"seconds": seconds, "rtf": seconds / info.duration, "record": record}, audio, sr


def singer_centroid(path: Path) -> np.ndarray | None:
    """The centroid of the singer's other GTSinger recordings (same name prefix), without the
    input; None where the data does not name the singer (M4Singer)."""
    import soundfile as sf

    from yinse.registry.speaker import centroid

    if "gtsinger" not in path.parts:
        return None
    singer = gtsinger_singer(path.stem)
    others = [p for p in sorted(path.parent.glob("*.flac")) if gtsinger_singer(p.stem) == singer and p != path]
    return centroid([sf.read(p, dtype="float32") for p in others]) if others else None


def run_conversions(
    real: dict[str, np.ndarray], with_lyrics: bool = False, kinds=("speech", "singing"), clarity: float = 0.0
) -> list[dict]:
    """Every job converted plainly, and again as a variant ("lyrics": with its words;
    "clarity": speech with ``clarity``); each row names its variant ("" when plain)."""
    import soundfile as sf

    from yinse.registry.speaker import centroid, embed, similarity

    rows = []
    recogniser = Recogniser()
    out_dir = Path(tempfile.mkdtemp())
    jobs = []
    for source, target in SPEECH_PAIRS:
        language, sub, _, n_held = SPEAKERS[source]
        folder = DATA / sub
        for r in rows_of(folder, language)[-n_held:][:3]:
            jobs.append((folder / r[0], source, target, "auto", "speech", r[1], ""))
    for rel, target in SINGING:
        words = (DATA / rel).with_suffix(".txt")
        jobs.append((DATA / rel, None, target, "auto", "singing",
                     words.read_text("utf-8").strip() if words.is_file() else None, ""))  # fmt: skip
    plain = list(jobs)
    if with_lyrics:  # lyrics are said by the target's base voice: same-language pairs only
        jobs += [(*job[:6], "lyrics") for job in plain if job[5] and _language(job[1], job[0]) == _language(job[2])]
    if clarity:
        jobs += [(*job[:6], "clarity") for job in plain if job[4] == "speech"]
    for path, source, target, key, kind, words, variant in jobs:
        if kind not in kinds:
            continue
        x, sr_in = sf.read(path, dtype="float32")
        x = x.mean(1) if x.ndim == 2 else x
        info, y, sr_out = convert_one(path, target, key, out_dir, words if variant == "lyrics" else None,
                                      clarity if variant == "clarity" else 0.0)  # fmt: skip
        shift = _shift_of(info["record"])
        cents, vuv = melody_kept(x, sr_in, y, sr_out, shift)
        e = embed(y, sr=sr_out)
        source_c = real[source] if source else centroid([(x, sr_in)])
        english = bool(words) and _language(source, path) == "en" == _language(target)
        singer = None if source else singer_centroid(path)
        rows.append({
            "kind": kind, "variant": variant, "input": path.name, "source": source or path.parent.name, "target": target,
            "key": shift, "cents": cents, "vuv": vuv, "to_target": similarity(e, real[target]),
            "to_source": similarity(e, source_c), "rtf": info["rtf"],
            "wer": wer([(words, recogniser.words(y, sr_out))]) if english else float("nan"),
            "to_singer": similarity(e, singer) if singer is not None else float("nan"),
            "input_to_singer": similarity(embed(x, sr=sr_in), singer) if singer is not None else float("nan"),
        })  # fmt: skip
        print(rows[-1], flush=True)
    return rows


def _language(speaker: str | None, path: Path | None = None) -> str:
    if speaker in SPEAKERS:
        return SPEAKERS[speaker][0]
    if speaker == "joe":
        return "en"
    return "zh" if path is not None and "/zh" in str(path) else "en"


def _median_known(values: list[float]) -> float:
    """Median of the measured values (NaN marks a row without one); NaN if none is."""
    known = [v for v in values if np.isfinite(v)]
    return float(np.median(known)) if known else float("nan")


def _shift_of(record) -> float:
    """The key shift a conversion used, from its registry record."""
    from yinse.registry import Registry

    return float(Registry().find_by_render_id(record.render_id).settings["key_shift"])


#: Bands mixed under the dry recordings; the first three (and every other dry file) chose
#: the check's limits, the rest test them.
BAND_STYLES = ("pop", "rock", "folk", "ballad", "guofeng", "electronic")
BAND_LEVELS_DB = (-12, -6, 0)
#: Dry recordings are checked as they are and with a noisy room's steady hiss this far
#: under the voice (their pauses then are not quiet, yet hold no band).
NOISE_DB = -20


def noises(n: int, rms: float, seed: int = 0) -> dict[str, np.ndarray]:
    """White and pink (−3 dB per octave, bench_consent's) noise of ``n`` samples at ``rms``."""
    from benchmarks.bench_consent import pink_noise

    rng = np.random.default_rng(seed)
    return {"white": rng.normal(0, rms, n), "pink": pink_noise(n, rng) * rms}


def accompaniment() -> dict:
    """Refusal rates of the accompaniment check on the dry recordings (also with noise) and
    on the same mixed with a Yinse band of each style at each level against the voice's
    loudness; "chose" is the half of the dry files the limits were chosen on."""
    import soundfile as sf

    from yinse.convert.analysis import accompaniment_score
    from yinse.core.audio import resample
    from yinse.songs import SongRequest, make_song

    tmp = Path(tempfile.mkdtemp())
    bands = {}
    for style in BAND_STYLES:
        make_song(SongRequest("[verse]\nSail away sail away\nOver the silver sea\n[chorus]\nSail away sail away\n"
                              "Bring my heart back to me\n", "joe", style=style), tmp / style)  # fmt: skip
        band = sum(sf.read(p, dtype="float32")[0].mean(1) for p in (tmp / style / "stems").glob("*.wav")
                   if p.stem != "vocal")  # fmt: skip
        bands[style] = resample(band, 48000, 16000)[16000 * 10 :]  # past the intro
    files = sorted((DATA / "singing").rglob("*.flac")) + sorted((DATA / "speech").rglob("*.flac"))[::8]
    refused: dict[tuple[str, str], list[bool]] = {}
    for k, f in enumerate(files):
        half = "chose" if k % 2 == 0 else "checks"
        x, sr = sf.read(f, dtype="float32")
        x = resample(x.mean(1) if x.ndim == 2 else x, sr, 16000)
        if len(x) < 16000:
            continue
        refused.setdefault(("dry", half), []).append(accompaniment_score(x, 16000).accompanied)
        for colour, noise in noises(len(x), np.sqrt(np.mean(x**2)) * 10 ** (NOISE_DB / 20)).items():
            refused.setdefault((f"dry + {colour} noise {NOISE_DB:+d} dB", half), []).append(
                accompaniment_score(x + noise, 16000).accompanied
            )
        for style, band in bands.items():
            b = np.resize(band, len(x))
            b = b * np.sqrt(np.mean(x**2) / (np.mean(b**2) + 1e-12))
            for db in BAND_LEVELS_DB:
                mixed = accompaniment_score(x + b * 10 ** (db / 20), 16000).accompanied
                refused.setdefault((style, f"{db:+d} dB"), []).append(mixed)
    report = {f"{who} {what}": {"files": len(v), "refused": float(np.mean(v))} for (who, what), v in refused.items()}
    for db in BAND_LEVELS_DB:
        every = [r for style in BAND_STYLES for r in refused[style, f"{db:+d} dB"]]
        report[f"all bands {db:+d} dB"] = {"files": len(every), "refused": float(np.mean(every))}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--lyrics", action="store_true", help="also convert the inputs with known words with them")
    parser.add_argument("--clarity", type=float, default=0.0, help="also convert the speech inputs with this --clarity")
    parser.add_argument("--skip-accompaniment", action="store_true")
    parser.add_argument("--accompaniment-only", action="store_true", help="only the accompaniment check (8 minutes)")
    parser.add_argument("--singing-only", action="store_true", help="only the singing inputs (implies --skip-accompaniment)")
    args = parser.parse_args()
    if args.accompaniment_only:
        with tempfile.TemporaryDirectory() as home:
            os.environ["YINSE_HOME"] = home
            print(json.dumps(accompaniment(), indent=1))
        return
    with tempfile.TemporaryDirectory() as home:
        os.environ["YINSE_HOME"] = home
        real = enroll_targets()
        real["joe"] = joe_centroid()
        rows = run_conversions(real, args.lyrics, ("singing",) if args.singing_only else ("speech", "singing"),
                               args.clarity)  # fmt: skip
        acc = None if args.skip_accompaniment or args.singing_only else accompaniment()
        print("accompaniment check:", acc, flush=True)
    print(f"\n## Voice conversion — {machine()}\n")
    plain = [r for r in rows if not r["variant"]]
    print(table(plain, ["kind", "input", "source", "target", "key", "cents", "vuv", "to_target", "to_source",
                        "to_singer", "input_to_singer", "wer", "rtf"],
                {"cents": ".1f", "vuv": ".2f", "to_target": ".3f", "to_source": ".3f", "rtf": ".3f", "wer": ".2f",
                 "key": "+.0f", "to_singer": ".3f", "input_to_singer": ".3f"}))  # fmt: skip
    for kind in ("speech", "singing"):
        part = [r for r in plain if r["kind"] == kind]
        if not part:
            continue
        print(f"\n{kind}: median cents {np.median([r['cents'] for r in part]):.1f}, "
              f"V/UV {np.median([r['vuv'] for r in part]):.2f}, to target "
              f"{np.median([r['to_target'] for r in part]):.3f}, margin "
              f"{np.median([r['to_target'] - r['to_source'] for r in part]):+.3f}, "
              f"WER {_median_known([r['wer'] for r in part]):.2f}, "
              f"RTF {np.median([r['rtf'] for r in part]):.3f}")  # fmt: skip
    without = {(r["input"], r["target"]): r for r in plain}  # the same clip converted plainly
    for variant, name in (("lyrics", "--lyrics"), ("clarity", f"--clarity {args.clarity:g}")):
        guided = [r for r in rows if r["variant"] == variant]
        if not guided:
            continue
        pairs = []
        for g in guided:
            p = without[g["input"], g["target"]]
            pairs.append({"kind": g["kind"], "input": g["input"], "source → target": f"{g['source']} → {g['target']}",
                          "to target": f"{p['to_target']:.3f} → {g['to_target']:.3f}",
                          "to source": f"{p['to_source']:.3f} → {g['to_source']:.3f}",
                          "margin": f"{p['to_target'] - p['to_source']:+.3f} → {g['to_target'] - g['to_source']:+.3f}",
                          "V/UV": f"{p['vuv']:.2f} → {g['vuv']:.2f}", "cents": f"{p['cents']:.0f} → {g['cents']:.0f}",
                          "WER": f"{p['wer']:.2f} → {g['wer']:.2f}",
                          "RTF": f"{p['rtf']:.2f} → {g['rtf']:.2f}"})  # fmt: skip
        print(f"\nWithout → with {name}:\n")
        print(table(pairs, list(pairs[0])))
        for kind in ("speech", "singing"):
            gs = [(g, without[g["input"], g["target"]]) for g in guided if g["kind"] == kind]
            if gs:
                print(f"{kind} ({len(gs)}): median to target {np.median([p['to_target'] for _, p in gs]):.3f} → "
                      f"{np.median([g['to_target'] for g, _ in gs]):.3f}, margin "
                      f"{np.median([p['to_target'] - p['to_source'] for _, p in gs]):+.3f} → "
                      f"{np.median([g['to_target'] - g['to_source'] for g, _ in gs]):+.3f}, V/UV "
                      f"{np.median([p['vuv'] for _, p in gs]):.2f} → {np.median([g['vuv'] for g, _ in gs]):.2f}, WER "
                      f"{_median_known([p['wer'] for _, p in gs]):.2f} → "
                      f"{_median_known([g['wer'] for g, _ in gs]):.2f}")  # fmt: skip
    print("\naccompaniment check:", acc)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "accompaniment": acc}, indent=2, default=str))


if __name__ == "__main__":
    main()
