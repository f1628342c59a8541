"""Cloned voices: similarity to the real person, enrollment time, render speed.

Targets (voice-clone issue): resemblyzer cosine between cloned speech and the speaker's own
held-out real recordings ≥ 0.80 and at least 0.05 above the similarity to every other
speaker's real recordings; cloned singing ≥ 0.75; enrollment of 5 minutes of audio ≤ 60 s;
rendering as fast as the foundation's.  The base voice's similarity is the floor.

Each speaker is enrolled from the first part of its folder (with its transcripts) into a
throw-away YINSE_HOME, with an operator-attested consent so that every render goes through
the real consent gate; the last recordings of the folder are held out.

* ``utt``: median over held-out sentences of cos(cloned sentence, centroid of the real
  held-out recordings); ``set``: cos(centroid of the cloned sentences, that centroid).
* ``other``: the highest similarity of the cloned sentences (median) to any other speaker's
  real centroid (every speech folder in ../shared/data).
* singing: the language's example song sung by the clone, against the same centroid, as
  written and with ``--key auto`` (its middle 2 semitones above the clone's speaking pitch;
  the singing target is judged on that one).

    python -m benchmarks.bench_clone [--json out.json] [--speakers cathy,vctk_p225,magicdata_f]
    python -m benchmarks.bench_clone --real-singers   # the reference: real singing vs own speech
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.measure import gtsinger_singer, machine, machine_info, table, to_jsonable

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
#: speaker: (language, folder, number of recordings enrolled, number held out)
SPEAKERS = {
    "cathy": ("en", "speech/en/cathy", 100, 20),
    "vctk_p225": ("en", "speech/en/vctk_p225", 7, 3),
    "magicdata_f": ("zh", "speech/zh/magicdata_f", 70, 20),
}
SONGS = {"en": "paper_boats.notes", "zh": "xiaocheng_de_yu.notes"}
TARGET_SIM, TARGET_MARGIN, TARGET_SING, TARGET_ENROLL_S = 0.80, 0.05, 0.75, 60.0


def rows_of(folder: Path, language: str) -> list[list[str]]:
    """The folder's transcript rows (file, text[, pinyin]) that its language's front end can
    say (Mandarin: every row of the shared folders since Latin letters are said too)."""
    from yinse.core.errors import InputError
    from yinse.text.mandarin import text_syllables

    rows = list(csv.reader(open(folder / "transcripts.tsv", encoding="utf-8"), delimiter="\t"))
    if language == "zh":
        sayable = []
        for row in rows:
            try:
                text_syllables(row[1])
            except InputError:
                continue
            sayable.append(row)
        rows = sayable
    return rows


#: Folders with one recording per speaker: each file is its own "other speaker".
ONE_PER_SPEAKER = ("vctk_ten", "aishell3")


def real_centroids() -> dict[str, np.ndarray]:
    """Every speaker's centroid over (at most) its first 10 recordings."""
    import soundfile as sf

    from yinse.registry.speaker import centroid

    out = {}
    for lang_dir in sorted((DATA / "speech").iterdir()):
        for folder in sorted(p for p in lang_dir.iterdir() if p.is_dir()):
            groups = [folder] if any(folder.glob("*.flac")) else sorted(p for p in folder.iterdir() if p.is_dir())
            if folder.name in ONE_PER_SPEAKER:
                for f in sorted(folder.glob("*.flac")):
                    out[f"{folder.name}/{f.stem}"] = centroid([sf.read(f, dtype="float32")])
                continue
            for g in groups:
                files = sorted(g.glob("*.flac"))[:10]
                if len(files) >= 3:
                    out[g.name] = centroid([sf.read(f, dtype="float32") for f in files])
    return out


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


class Recogniser:
    """English word recognition with pocketsphinx's bundled model: an intelligibility check
    independent of our code (absolute WERs are high for this small model; compare them).

    Every clip gets a fresh decoder: one decoder's feature normalisation carries over from
    clip to clip, so the same audio was heard differently depending on what came before
    it (2 of 3 synthetic sentences, 2026-11-25), and WERs of variants run one after the
    other differed with no difference in the audio."""

    def words(self, audio: np.ndarray, sr: int) -> list[str]:
        from pocketsphinx import Decoder

        from yinse.core.audio import resample

        pcm = (np.clip(resample(audio, sr, 16000), -1, 1) * 32767).astype(np.int16).tobytes()
        decoder = Decoder(samprate=16000, loglevel="FATAL")
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        return words(hyp.hypstr) if hyp else []


def wer(pairs: list[tuple[str, list[str]]]) -> float:
    ref_words = sum(len(words(t)) for t, _ in pairs)
    return sum(edit_distance(words(t), h) for t, h in pairs) / max(1, ref_words)


def enroll_speaker(name: str):
    """Enroll ``name`` from the first recordings of its folder into ``$YINSE_HOME``, with an
    attested consent to sing and speak; returns the enrollment result and the held-out rows
    (file, text)."""
    from yinse.enroll.build import enroll
    from yinse.enroll.consent import attest_consent

    language, sub, n_train, n_held = SPEAKERS[name]
    folder = DATA / sub
    rows = rows_of(folder, language)
    train, held = rows[:n_train], rows[-n_held:]
    tsv = Path(os.environ["YINSE_HOME"]) / f"{name}.tsv"
    tsv.write_text("".join("\t".join(r) + "\n" for r in train), encoding="utf-8")
    voice_name = name.replace("_", "-")
    result = enroll(voice_name, language=language, inputs=[folder / r[0] for r in train],
                    owner=name, transcripts=tsv)  # fmt: skip
    attest_consent(voice_name, attested_by="benchmark", scopes="sing,speak")
    return result, held


def run_speaker(name: str, others: dict[str, np.ndarray]) -> dict:
    import soundfile as sf

    from yinse import pipeline
    from yinse.formats import load_score
    from yinse.registry.speaker import centroid, embed, similarity
    from yinse.voices import get_voice

    language, sub, _, _ = SPEAKERS[name]
    folder = DATA / sub
    result, held = enroll_speaker(name)
    voice_name = name.replace("_", "-")
    real = centroid([sf.read(folder / r[0], dtype="float32") for r in held])
    base = get_voice({"en": "joe", "zh": "baker"}[language])
    clone = pipeline.open_voice(voice_name, "speak").voice

    cloned, sims, base_sims, best_other, speak_s, speech_s = [], [], [], [], 0.0, 0.0
    rivals = {k: v for k, v in others.items() if k != name}
    asr = Recogniser() if language == "en" else None
    heard: dict[str, list] = {"clone": [], "base": [], "real": []}
    for row in held:
        text = row[1]
        t0 = time.perf_counter()
        audio, sr = clone.speak(text)
        speak_s += time.perf_counter() - t0
        speech_s += len(audio) / sr
        e = embed(audio, sr=sr)
        cloned.append(e)
        sims.append(similarity(e, real))
        best_other.append(max(similarity(e, v) for v in rivals.values()))
        b, bsr = base.speak(text)
        base_sims.append(similarity(embed(b, sr=bsr), real))
        if asr:
            heard["clone"].append((text, asr.words(audio, sr)))
            heard["base"].append((text, asr.words(b, bsr)))
            heard["real"].append((text, asr.words(*sf.read(folder / row[0], dtype="float32"))))
    clone_set = np.mean(cloned, 0)
    nearest = max(rivals, key=lambda k: similarity(clone_set, rivals[k]))

    score = load_score(REPO / "examples" / SONGS[language])
    t0 = time.perf_counter()
    render = pipeline.sing(pipeline.SingRequest(score, voice_name))
    sing_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    base_render = pipeline.sing(pipeline.SingRequest(score, base.name))
    base_sing_s = time.perf_counter() - t0
    dur = len(render.audio) / render.sr
    auto = pipeline.SingRequest(score, voice_name, key_shift="auto")
    auto_render = pipeline.sing(auto)
    return {
        "speaker": name, "language": language, "enrolled_s": round(result.speech_s, 1),
        "recordings": len(result.used), "dropped": len(result.dropped),
        "enroll_s": result.seconds["total"], "enroll_stages_s": result.seconds,
        "utt": float(np.median(sims)), "set": similarity(clone_set, real),
        "other": float(np.median(best_other)), "nearest_other": nearest,
        "base": float(np.median(base_sims)),
        "sing": similarity(embed(render.audio, sr=render.sr), real),
        "sing_auto": similarity(embed(auto_render.audio, sr=auto_render.sr), real),
        "auto_key": auto.key_for(clone), "speaking_hz": clone.bank.speaking_hz,
        "base_sing": similarity(embed(base_render.audio, sr=base_render.sr), real),
        "wer": {k: wer(v) for k, v in heard.items()} if asr else None,
        "speak_rtf": speak_s / speech_s, "sing_rtf": sing_s / dur, "base_sing_rtf": base_sing_s / dur,
    }  # fmt: skip


def real_singers() -> list[dict]:
    """What real singing scores against the same singer's speech: every GTSinger singer's
    sung files against the centroid of their spoken files (the same lyrics, said)."""
    import soundfile as sf

    from yinse.registry.speaker import centroid, embed, similarity

    folder = DATA / "singing" / "multi" / "gtsinger"
    singers: dict[str, list[Path]] = {}
    for f in sorted(folder.glob("*.flac")):
        singers.setdefault(gtsinger_singer(f.stem), []).append(f)
    rows = []
    for singer, files in singers.items():
        spoken = [f for f in files if "speech" in f.stem.lower()]
        sung = [f for f in files if f not in spoken]
        if not spoken or not sung:
            continue
        said = centroid([sf.read(f, dtype="float32") for f in spoken])
        sims = [similarity(embed(audio, sr=sr), said) for audio, sr in (sf.read(f, dtype="float32") for f in sung)]
        rows.append({"singer": singer, "spoken files": len(spoken), "sung files": len(sung),
                     "median": round(float(np.median(sims)), 3), "min": round(min(sims), 3),
                     "max": round(max(sims), 3)})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--speakers", default=",".join(SPEAKERS))
    parser.add_argument("--real-singers", action="store_true",
                        help="only: real singing against the same singer's speech (GTSinger)")
    args = parser.parse_args()
    if args.real_singers:
        rows = real_singers()
        print(table(rows, list(rows[0])))
        print(f"median over singers: {np.median([r['median'] for r in rows]):.3f}")
        return
    os.environ["YINSE_HOME"] = tempfile.mkdtemp(prefix="yinse-bench-clone-")
    others = real_centroids()
    results = [run_speaker(s, others) for s in args.speakers.split(",")]
    print(f"\n# Cloned voices — {machine()}\n")
    rows = []
    for r in results:
        ok = (r["utt"] >= TARGET_SIM and r["utt"] - r["other"] >= TARGET_MARGIN
              and r["sing_auto"] >= TARGET_SING)  # fmt: skip
        rows.append({
            "speaker": r["speaker"], "enrolled": f"{r['enrolled_s']:.0f} s / {r['recordings']}",
            "enroll time": f"{r['enroll_s']:.1f} s", "utt": f"{r['utt']:.3f}",
            "set": f"{r['set']:.3f}", "best other": f"{r['other']:.3f} ({r['nearest_other']})",
            "base floor": f"{r['base']:.3f}", "sing": f"{r['sing']:.3f}",
            "sing --key auto": f"{r['sing_auto']:.3f} ({r['auto_key']:+.0f}; speaks {r['speaking_hz']:.0f} Hz)",
            "base sing": f"{r['base_sing']:.3f}", "speak RTF": f"{r['speak_rtf']:.3f}",
            "sing RTF": f"{r['sing_rtf']:.3f} (base {r['base_sing_rtf']:.3f})",
            "WER clone/base/real": "—" if not r["wer"] else "/".join(f"{100 * r['wer'][k]:.0f}%" for k in ("clone", "base", "real")),
            "targets": "met" if ok else "NOT met",
        })  # fmt: skip
    print(table(rows, list(rows[0])))
    if args.json:
        args.json.write_text(json.dumps(to_jsonable({"machine": machine_info(), "results": results}), indent=1))


if __name__ == "__main__":
    sys.exit(main())
