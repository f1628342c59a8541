"""Speaker verification on real recordings: the consent check and the protected-voice guard.

Target (voice-consent issue): EER ≤ 5 %, and FAR ≤ 1 % at the chosen threshold.

Every speech recording in ../shared/data (read there, never copied) is embedded once with
``yinse.registry.speaker.embed``.  Speakers: cathy, arctic_slt, vctk_p225, vctk_p226, the
nine of vctk_ten, the five LibriSpeech speakers, magicdata_f, baker, the AISHELL-3 speakers
(id = first 7 characters of the file name) and the GTSinger ``*Speech*`` files (EN singers by
their ``EN-Alto-2`` prefix; the ``zhNN`` files do not name their singer, so each counts as
its own speaker; they are only ever probes against the corpora, never paired with each other).

* A, consent check: for each speaker with ≥ 10 utterances, ``--draws`` random enrollments of
  ``--enroll`` utterances → centroid; held-out utterances of the same speaker are target
  trials, every utterance of every other speaker an impostor trial (one clip vs centroid).
  Probes are embedded as the consent check embeds a recording (steady noise subtracted),
  centroids as enrollment does (clips as they are).
* A, short probes: the same trials with each probe cut to its first 1.5 s of speech (after
  silence trimming), to see how short consent recordings behave.
* B, protected-voice guard: speakers with ≥ 2 × ``--set-size`` utterances, split into
  disjoint sets of ``--set-size`` (at most ``--max-sets`` per speaker); centroid vs centroid,
  same speaker = target, different speakers = impostor.  A wider impostor row adds every
  other speaker's centroid of all their (1–4) utterances.

* Rooms (``--rooms``, instead of the above): each speaker with ≥ 10 utterances enrolled
  from its first 5 clean clips; probes of consent length (three other utterances joined,
  about 10 s) clean, 10 dB louder and quieter (another microphone gain), in a room
  (``bench_consent.in_a_room`` at its own speed: reverb RT60 0.4 s, pink noise 20 dB SNR),
  in the room on a phone (300–3400 Hz), and in the room at ±5 % speed (bench_consent's
  room), and with pink noise alone (20 dB SNR); every other speaker's probe in the same
  condition is an impostor.  Enrolled two ways: the 5 clean clips, and those plus a room
  and a phone copy of each (a multi-condition centroid).

Rates are reported at the shipped thresholds (``SAME_SPEAKER_THRESHOLD`` and
``PROTECTED_VOICE_THRESHOLD`` in ``yinse.registry.speaker``), with threshold sweeps, and
beside them the plain rule's value: the smallest multiple of 0.01 with FAR ≤ 1 % on the
trials.  Thresholds chosen on the trials they are reported on: an optimistic estimate.

    python -m benchmarks.bench_verification [--json out.json] [--draws 3] [--enroll 5]
        [--set-size 5] [--max-sets 6] [--seed 0]
    python -m benchmarks.bench_verification --rooms
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.measure import gtsinger_singer, machine, machine_info, table, to_jsonable

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
TARGET_EER = 0.05
TARGET_FAR = 0.01
SHORT_S = 2.0
CROP_S = 1.5


@dataclass
class Utt:
    speaker: str
    lang: str
    path: Path
    duration_s: float
    emb: np.ndarray | None = None
    emb_crop: np.ndarray | None = None
    #: As the consent check embeds a recording (its steady noise subtracted).
    emb_probe: np.ndarray | None = None


@dataclass
class Trials:
    """Scores with, per trial, (enrolled speaker, probe speaker, probe duration s)."""

    target: list[float] = field(default_factory=list)
    impostor: list[float] = field(default_factory=list)
    target_meta: list[tuple[str, str, float]] = field(default_factory=list)
    impostor_meta: list[tuple[str, str, float]] = field(default_factory=list)


def collect() -> dict[str, list[Utt]]:
    """Speaker name → utterances, from the folders the data README lists."""
    speech = DATA / "speech"
    groups: dict[str, list[tuple[str, Path]]] = defaultdict(list)

    def add(name: str, lang: str, paths) -> None:
        for p in sorted(paths):
            groups[name].append((lang, p))

    for name in ("cathy", "arctic_slt", "vctk_p225", "vctk_p226"):
        add(name, "en", (speech / "en" / name).glob("*.flac"))
    for p in (speech / "en" / "vctk_ten").glob("*.flac"):
        add("vctk_" + p.stem.split("_")[0], "en", [p])
    for d in sorted((speech / "en" / "librispeech").iterdir()):
        add(f"libri_{d.name}", "en", d.glob("*.flac"))
    for name in ("magicdata_f", "baker"):
        add(name, "zh", (speech / "zh" / name).glob("*.flac"))
    for p in (speech / "zh" / "aishell3").glob("*.flac"):
        add("aishell3_" + p.stem[:7], "zh", [p])
    for p in (DATA / "singing" / "multi" / "gtsinger").glob("*.flac"):
        if "speech" not in p.stem.lower():
            continue
        add("gtsinger_" + gtsinger_singer(p.stem), "en" if p.stem.startswith("EN-") else "zh", [p])
    return {
        s: [Utt(s, lang, p, sf.info(str(p)).duration) for lang, p in items]
        for s, items in sorted(groups.items())
    }


def embed_all(speakers: dict[str, list[Utt]]) -> dict:
    """Embed every utterance whole and cut to its first ``CROP_S`` of speech; timings."""
    from yinse.core.errors import InputError
    from yinse.registry import speaker as spk

    t0 = time.perf_counter()
    spk.encoder()
    load_s = time.perf_counter() - t0
    per_clip, refused, crop_refused = [], [], []
    for utts in speakers.values():
        for u in utts:
            audio, sr = sf.read(str(u.path), dtype="float32")
            t = time.perf_counter()
            try:
                u.emb = spk.embed(audio, sr=sr)
            except InputError as e:
                refused.append(f"{u.path.name}: {e}")
                continue
            per_clip.append((time.perf_counter() - t, u.duration_s))
            u.emb_probe = spk.embed(audio, sr=sr, denoise=True)
            # The first CROP_S seconds of what the encoder keeps (silences trimmed).
            kept = spk._prepare(audio, sr, denoise=True)[: int(CROP_S * spk.ENCODER_SR)]
            try:
                u.emb_crop = spk.embed(kept, sr=spk.ENCODER_SR)
            except InputError:
                crop_refused.append(u.path.name)
    secs = np.array([p[0] for p in per_clip])
    return {
        "encoder_load_s": load_s,
        "clips": len(per_clip),
        "median_embed_s": float(np.median(secs)),
        "median_rtf": float(np.median(secs / np.array([p[1] for p in per_clip]))),
        "total_embed_s": float(secs.sum()),
        "refused": refused,
        "crop_refused": crop_refused,
    }


def condition_a(speakers, *, enroll: int, draws: int, seed: int, crop: bool) -> Trials:
    """One clip vs an enrolled centroid."""
    from yinse.registry.speaker import mean_embedding

    rng = np.random.default_rng(seed)
    tr = Trials()
    attr = "emb_crop" if crop else "emb_probe"  # probes as the consent check embeds them
    usable = {s: [u for u in us if u.emb is not None] for s, us in speakers.items()}
    enrolled = [s for s, us in usable.items() if len(us) >= 2 * enroll]
    for s in enrolled:
        for _ in range(draws):
            idx = rng.permutation(len(usable[s]))
            c = mean_embedding([usable[s][i].emb for i in idx[:enroll]])
            for i in idx[enroll:]:
                u = usable[s][i]
                if getattr(u, attr) is not None:
                    tr.target.append(float(getattr(u, attr) @ c))
                    tr.target_meta.append((s, s, u.duration_s))
            for other, us in usable.items():
                if other == s:
                    continue
                for u in us:
                    if getattr(u, attr) is not None:
                        tr.impostor.append(float(getattr(u, attr) @ c))
                        tr.impostor_meta.append((s, other, u.duration_s))
    return tr


def condition_b(speakers, *, set_size: int, max_sets: int, seed: int) -> tuple[Trials, Trials]:
    """Centroid vs centroid over disjoint utterance sets; and a wider impostor set with
    every other speaker's centroid of all their utterances."""
    from yinse.registry.speaker import mean_embedding

    rng = np.random.default_rng(seed + 1)
    sets: dict[str, list[np.ndarray]] = {}
    rest: dict[str, np.ndarray] = {}
    for s, us in speakers.items():
        embs = [u.emb for u in us if u.emb is not None]
        if len(embs) >= 2 * set_size:
            idx = rng.permutation(len(embs))
            n = min(max_sets, len(embs) // set_size)
            sets[s] = [
                mean_embedding([embs[i] for i in idx[k * set_size : (k + 1) * set_size]])
                for k in range(n)
            ]
        elif embs:
            rest[s] = mean_embedding(embs)
    main, wide = Trials(), Trials()
    for s, cs in sets.items():
        for a, b in combinations(cs, 2):
            main.target.append(float(a @ b))
            main.target_meta.append((s, s, 0.0))
    for s, t in combinations(sets, 2):
        for a in sets[s]:
            for b in sets[t]:
                main.impostor.append(float(a @ b))
                main.impostor_meta.append((s, t, 0.0))
    for s, cs in sets.items():
        for other, c in rest.items():
            for a in cs:
                wide.impostor.append(float(a @ c))
                wide.impostor_meta.append((s, other, 0.0))
    return main, wide


def eer(target, impostor) -> tuple[float, float]:
    """Equal error rate and the threshold where FAR and FRR cross (accept at ≥ t)."""
    t_all = np.unique(np.concatenate([target, impostor]))
    tgt, imp = np.sort(target), np.sort(impostor)
    frr = np.searchsorted(tgt, t_all, side="left") / len(tgt)
    far = 1 - np.searchsorted(imp, t_all, side="left") / len(imp)
    k = int(np.argmin(np.abs(far - frr)))
    return float((far[k] + frr[k]) / 2), float(t_all[k])


def threshold_for_far(impostor, *, far: float = TARGET_FAR, step: float = 0.01) -> float:
    """Smallest multiple of ``step`` whose FAR (accept at ≥ t) is at most ``far``."""
    imp = np.sort(np.asarray(impostor))[::-1]
    allowed = int(np.floor(far * len(imp)))
    t = np.nextafter(imp[allowed], np.inf) if allowed < len(imp) else -1.0
    return float(np.ceil(round(t / step, 9)) * step)


def rates(target, impostor, t: float) -> tuple[float, float]:
    """(FAR, FRR) when accepting at score ≥ ``t``."""
    far = float(np.mean(np.asarray(impostor) >= t)) if len(impostor) else float("nan")
    frr = float(np.mean(np.asarray(target) < t)) if len(target) else float("nan")
    return far, frr


def summary(name: str, tr: Trials, t: float) -> dict:
    e, t_eer = eer(tr.target, tr.impostor)
    far, frr = rates(tr.target, tr.impostor, t)
    return {
        "condition": name, "target trials": len(tr.target),
        "impostor trials": len(tr.impostor), "EER %": 100 * e, "EER at": t_eer,
        "t for FAR ≤ 1 %": threshold_for_far(tr.impostor), "threshold": t, "FAR %": 100 * far, "FRR %": 100 * frr,
        "min target": min(tr.target), "max impostor": max(tr.impostor),
        "EER ≤ 5 %": "yes" if e <= TARGET_EER else "NO",
        "FAR ≤ 1 %": "yes" if far <= TARGET_FAR else "NO",
    }  # fmt: skip


def pairs(tr: Trials, t: float, top: int) -> list[dict]:
    """The impostor pairs (enrolled, probe speaker) with the highest scores."""
    by: dict[tuple[str, str], list[float]] = defaultdict(list)
    for score, (s, o, _) in zip(tr.impostor, tr.impostor_meta):
        by[(s, o)].append(score)
    rows = [
        {"enrolled": s, "other": o, "trials": len(v), "max": max(v), "mean": float(np.mean(v)),
         f"accepted at {t:.2f}": sum(x >= t for x in v)}
        for (s, o), v in by.items()
    ]  # fmt: skip
    return sorted(rows, key=lambda r: -r["max"])[:top]


NAMED = [
    ("cathy", "arctic_slt"),
    ("arctic_slt", "cathy"),
    ("vctk_p225", "vctk_p226"),
    ("vctk_p226", "vctk_p225"),
    ("baker", "magicdata_f"),
    ("magicdata_f", "baker"),
]


def named_pairs(tr: Trials, t: float) -> list[dict]:
    """Pairs worth naming: two CMU ARCTIC women, VCTK's parallel pair, two Mandarin studio
    women."""
    rows = []
    for s, o in NAMED:
        v = [x for x, m in zip(tr.impostor, tr.impostor_meta) if m[0] == s and m[1] == o]
        if v:
            rows.append({"enrolled": s, "other": o, "trials": len(v), "max": max(v),
                         "mean": float(np.mean(v)), f"accepted at {t:.2f}": sum(x >= t for x in v),
                         "FAR %": 100 * float(np.mean(np.asarray(v) >= t))})  # fmt: skip
    return rows


def per_speaker(tr: Trials, t: float, langs: dict[str, str]) -> list[dict]:
    rows = []
    for s in sorted({m[0] for m in tr.target_meta}):
        tg = [x for x, m in zip(tr.target, tr.target_meta) if m[0] == s]
        im = [(x, m[1]) for x, m in zip(tr.impostor, tr.impostor_meta) if m[0] == s]
        worst = max(im)
        far, frr = rates(tg, [x for x, _ in im], t)
        rows.append({
            "enrolled": s, "lang": langs[s], "targets": len(tg), "min target": min(tg),
            "median target": float(np.median(tg)), "FRR %": 100 * frr, "impostors": len(im),
            "max impostor": worst[0], "by": worst[1], "FAR %": 100 * far,
        })  # fmt: skip
    return rows


def split_rows(tr: Trials, t: float, langs: dict[str, str]) -> list[dict]:
    """FAR by same/cross language, FRR and FAR by probe duration."""
    imp, tgt = np.asarray(tr.impostor), np.asarray(tr.target)
    cross = np.array([langs[s] != langs[o] for s, o, _ in tr.impostor_meta])
    short_i = np.array([d < SHORT_S for *_, d in tr.impostor_meta])
    short_t = np.array([d < SHORT_S for *_, d in tr.target_meta])
    rows = []
    for label, sel in (("impostors, same language", ~cross), ("impostors, en ↔ zh", cross),
                       (f"impostors, probe < {SHORT_S:.0f} s", short_i),
                       (f"impostors, probe ≥ {SHORT_S:.0f} s", ~short_i)):  # fmt: skip
        x = imp[sel]
        rows.append({
            "trials": label, "n": len(x), "median": float(np.median(x)) if len(x) else np.nan,
            "99th pct": float(np.percentile(x, 99)) if len(x) else np.nan,
            "max": float(x.max()) if len(x) else np.nan,
            "FAR %": 100 * float(np.mean(x >= t)) if len(x) else np.nan, "FRR %": np.nan,
        })  # fmt: skip
    for label, sel in ((f"targets, probe < {SHORT_S:.0f} s", short_t),
                       (f"targets, probe ≥ {SHORT_S:.0f} s", ~short_t)):  # fmt: skip
        x = tgt[sel]
        rows.append({
            "trials": label, "n": len(x), "median": float(np.median(x)) if len(x) else np.nan,
            "1st pct": float(np.percentile(x, 1)) if len(x) else np.nan,
            "min": float(x.min()) if len(x) else np.nan, "FAR %": np.nan,
            "FRR %": 100 * float(np.mean(x < t)) if len(x) else np.nan,
        })  # fmt: skip
    return rows


def sweep_a(a: Trials, a_crop: Trials, thresholds) -> list[dict]:
    """Consent check at several thresholds: pooled rates, the worst impostor pair's FAR
    (pairs with at least 10 trials) and the FRR of short probes."""
    by: dict[tuple[str, str], list[float]] = defaultdict(list)
    for score, (s, o, _) in zip(a.impostor, a.impostor_meta):
        by[(s, o)].append(score)
    big = {k: np.asarray(v) for k, v in by.items() if len(v) >= 10}
    short = [x for x, m in zip(a.target, a.target_meta) if m[2] < SHORT_S]
    rows = []
    for t in thresholds:
        far, frr = rates(a.target, a.impostor, t)
        (s, o), worst = max(big.items(), key=lambda kv: np.mean(kv[1] >= t))
        rows.append({
            "threshold": t, "FAR %": 100 * far, "FRR %": 100 * frr,
            "worst pair FAR %": 100 * float(np.mean(worst >= t)), "worst pair": f"{s} ← {o}",
            f"FRR % probes < {SHORT_S:.0f} s": 100 * rates(short, [], t)[1],
            f"FRR % {CROP_S} s cuts": 100 * rates(a_crop.target, [], t)[1],
            f"FAR % {CROP_S} s cuts": 100 * rates([], a_crop.impostor, t)[0],
        })  # fmt: skip
    return rows


def sweep_b(b: Trials, b_wide: Trials, thresholds) -> list[dict]:
    """Protected-voice guard at several thresholds."""
    rows = []
    for t in thresholds:
        far, frr = rates(b.target, b.impostor, t)
        rows.append({"threshold": t, "FAR %": 100 * far, "FRR %": 100 * frr,
                     "FAR % wider impostors": 100 * rates([], b_wide.impostor, t)[0]})  # fmt: skip
    return rows


ROOM_CONDITIONS = ("clean", "10 dB louder", "10 dB quieter", "noise", "room", "room, phone", "room, ±5 % speed")


def rooms(speakers: dict[str, list[Utt]], seed: int) -> list[dict]:
    """Consent-length probes in rooms against clean and multi-condition centroids."""
    from benchmarks.bench_consent import SNR_DB, active_power, in_a_room, pink_noise
    from yinse.core.audio import resample
    from yinse.registry.speaker import SAME_SPEAKER_THRESHOLD, embed, mean_embedding, similarity

    rng = np.random.default_rng(seed)
    sr = 16000

    def load(u: Utt) -> np.ndarray:
        x, rate = sf.read(u.path, dtype="float32")
        return resample((x.mean(axis=1) if x.ndim == 2 else x).astype(np.float64), rate, sr)

    def copy(x: np.ndarray, condition: str, k: int) -> np.ndarray:
        if condition == "clean":
            return x
        if condition.startswith("10 dB"):  # another microphone gain (floats: never clipped)
            return x * 10 ** ((1 if "louder" in condition else -1) * 10 / 20)
        if condition == "noise":
            return x + pink_noise(len(x), rng) * np.sqrt(active_power(x, sr) / 10 ** (SNR_DB / 10))
        speed = (0.95, 1.05)[k % 2] if "speed" in condition else 1.0
        return in_a_room(x, sr, rng, speed, phone="phone" in condition)[0]

    centroids: dict[str, dict[str, np.ndarray]] = {"5 clean clips": {}, "+ room and phone copies": {}}
    probes: dict[tuple[str, bool], list[tuple[str, np.ndarray]]] = defaultdict(list)
    for name, utts in speakers.items():
        if len(utts) < 10:
            continue
        clean = [load(u) for u in utts[:5]]
        own = [embed(x, sr=sr) for x in clean]
        centroids["5 clean clips"][name] = mean_embedding(own)
        extra = [embed(copy(x, c, 0), sr=sr) for x in clean for c in ("room", "room, phone")]
        centroids["+ room and phone copies"][name] = mean_embedding(own + extra)
        rest = utts[5:]
        for k in range(min(3, len(rest) // 3)):
            joined = np.concatenate([load(u) for u in rest[3 * k : 3 * k + 3]])
            for condition in ROOM_CONDITIONS:
                probe = copy(joined, condition, k)
                for denoise in (True, False):
                    probes[condition, denoise].append((name, embed(probe, sr=sr, denoise=denoise)))
    rows = []
    for (condition, denoise), embedded in probes.items():
        for how, cents in centroids.items():
            target = [similarity(e, cents[s]) for s, e in embedded]
            impostor = [similarity(e, cents[o]) for s, e in embedded for o in cents if o != s]
            frr, far = np.mean(np.array(target) < SAME_SPEAKER_THRESHOLD), np.mean(np.array(impostor) >= SAME_SPEAKER_THRESHOLD)
            rows.append({"probe": condition, "noise subtracted": denoise, "centroid": how,
                         "targets": len(target), "impostors": len(impostor),
                         "min target": min(target), "median target": float(np.median(target)),
                         "max impostor": max(impostor), f"FRR % at {SAME_SPEAKER_THRESHOLD:.2f}": 100 * frr,
                         f"FAR % at {SAME_SPEAKER_THRESHOLD:.2f}": 100 * far})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--enroll", type=int, default=5, help="utterances per enrollment (5)")
    parser.add_argument("--draws", type=int, default=3, help="random enrollments per speaker (3)")
    parser.add_argument("--set-size", type=int, default=5, help="utterances per set in B (5)")
    parser.add_argument("--max-sets", type=int, default=6, help="sets per speaker in B (6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rooms", action="store_true", help="only consent-length probes in rooms (5 minutes)")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit("../shared/data is not beside the repository")
    if args.rooms:
        found = rooms(collect(), args.seed)
        print(f"\n# Consent probes in rooms — {machine()}\n")
        print(table(found, list(found[0]), {"min target": ".3f", "median target": ".3f", "max impostor": ".3f"}))
        return

    from yinse.registry import speaker as spk

    speakers = collect()
    langs = {s: us[0].lang for s, us in speakers.items()}
    t0 = time.perf_counter()
    timing = embed_all(speakers)
    print(f"  embedded {timing['clips']} clips in {time.perf_counter() - t0:.0f} s", flush=True)

    a = condition_a(speakers, enroll=args.enroll, draws=args.draws, seed=args.seed, crop=False)
    a_crop = condition_a(speakers, enroll=args.enroll, draws=args.draws, seed=args.seed, crop=True)
    b, b_wide = condition_b(speakers, set_size=args.set_size, max_sets=args.max_sets,
                            seed=args.seed)  # fmt: skip
    # The shipped thresholds; the plain FAR ≤ 1 % rule's values are shown beside them.
    t_a, t_b = spk.SAME_SPEAKER_THRESHOLD, spk.PROTECTED_VOICE_THRESHOLD
    rule_a, rule_b = threshold_for_far(a.impostor), threshold_for_far(b.impostor)
    wide_far, _ = rates([], b_wide.impostor, t_b)
    rows = [
        summary(f"A consent: 1 clip vs {args.enroll}-clip centroid", a, t_a),
        summary(f"A consent, probes cut to {CROP_S} s", a_crop, t_a),
        summary(f"B guard: {args.set_size}-clip vs {args.set_size}-clip centroids", b, t_b),
    ]
    counts = {s: len(us) for s, us in speakers.items()}

    print(f"\n# Speaker verification — {machine()}")
    print(f"\nresemblyzer 0.1.4 encoder via yinse.registry.speaker; {sum(counts.values())} utterances, "
          f"{len(counts)} speakers ({sum(v == 'zh' for v in langs.values())} Mandarin); "
          f"encoder load {timing['encoder_load_s']:.1f} s, median {timing['median_embed_s']:.3f} s "
          f"per clip (RTF {timing['median_rtf']:.3f}, 1 thread).\n")  # fmt: skip
    cols = ["condition", "target trials", "impostor trials", "EER %", "EER at",
            "t for FAR ≤ 1 %", "threshold",
            "FAR %", "FRR %", "min target", "max impostor", "EER ≤ 5 %", "FAR ≤ 1 %"]  # fmt: skip
    print(table(rows, cols, {"EER at": ".3f", "min target": ".3f", "max impostor": ".3f"}))
    print(f"\nB, wider impostors (each other speaker's centroid of its 1–4 clips vs the sets): "
          f"{len(b_wide.impostor)} trials, FAR {100 * wide_far:.2f} % at {t_b:.2f}, "
          f"max {max(b_wide.impostor):.3f}.")  # fmt: skip
    print(
        f"\nShipped: SAME_SPEAKER_THRESHOLD = {t_a:.2f} (FAR ≤ 1 % rule: {rule_a:.2f}), "
        f"PROTECTED_VOICE_THRESHOLD = {t_b:.2f} (rule: {rule_b:.2f})."
    )
    print(f"\nNamed pairs (A, threshold {t_a:.2f}; enrolled ← probe speaker):\n")
    named = named_pairs(a, t_a)
    print(table(named, list(named[0]), {"max": ".3f", "mean": ".3f"}))
    grid_a = [round(x, 2) for x in np.arange(0.70, 0.885, 0.02)]
    print("\nA, consent threshold sweep (worst pair: enrolled ← impostor, ≥ 10 trials):\n")
    sw_a = sweep_a(a, a_crop, sorted(set(grid_a) | {t_a}))
    print(table(sw_a, list(sw_a[0])))
    print("\nB, guard threshold sweep:\n")
    sw_b = sweep_b(b, b_wide, sorted({round(x, 2) for x in np.arange(0.76, 0.965, 0.02)} | {t_b}))
    print(table(sw_b, list(sw_b[0])))
    print(f"\nA, per enrolled speaker (threshold {t_a:.2f}):\n")
    spk_rows = per_speaker(a, t_a, langs)
    print(table(spk_rows, list(spk_rows[0]), {"min target": ".3f", "median target": ".3f",
                                              "max impostor": ".3f"}))  # fmt: skip
    print(f"\nA, hardest impostor pairs (threshold {t_a:.2f}):\n")
    hard_a = pairs(a, t_a, 10)
    print(table(hard_a, list(hard_a[0]), {"max": ".3f", "mean": ".3f"}))
    print(f"\nB, hardest impostor pairs (threshold {t_b:.2f}; sets, then the wider row):\n")
    hard_b = pairs(b, t_b, 6) + pairs(b_wide, t_b, 4)
    print(table(hard_b, list(hard_b[0]), {"max": ".3f", "mean": ".3f"}))
    print(f"\nA, by language and probe duration (threshold {t_a:.2f}):\n")
    split = split_rows(a, t_a, langs)
    print(table(split, ["trials", "n", "median", "99th pct", "max", "1st pct", "min",
                        "FAR %", "FRR %"], {}))  # fmt: skip
    e_cross, _ = eer(a.target, [x for x, m in zip(a.impostor, a.impostor_meta)
                                if langs[m[0]] != langs[m[1]]])  # fmt: skip
    e_same, _ = eer(a.target, [x for x, m in zip(a.impostor, a.impostor_meta)
                               if langs[m[0]] == langs[m[1]]])  # fmt: skip
    print(
        f"\nA, EER with same-language impostors only {100 * e_same:.2f} %, "
        f"en ↔ zh impostors only {100 * e_cross:.2f} %."
    )
    if timing["refused"] or timing["crop_refused"]:
        print(
            f"\nRefused whole clips: {timing['refused'] or 'none'}; "
            f"refused {CROP_S} s cuts: {len(timing['crop_refused'])} "
            f"({', '.join(timing['crop_refused'][:8])})"
        )

    if args.json:
        args.json.write_text(json.dumps(to_jsonable({
            "benchmark": "verification", "machine": machine_info(), "args": vars(args) | {
                "json": str(args.json)}, "speakers": counts, "timing": timing,
            "summary": rows, "b_wide": {"trials": len(b_wide.impostor), "far": wide_far,
                                        "max": max(b_wide.impostor)},
            "thresholds": {"SAME_SPEAKER_THRESHOLD": t_a, "PROTECTED_VOICE_THRESHOLD": t_b,
                           "rule_same": rule_a, "rule_protected": rule_b},
            "named_pairs": named,
            "per_speaker": spk_rows, "hardest_a": hard_a, "hardest_b": hard_b, "split": split,
            "sweep_a": sw_a, "sweep_b": sw_b,
            "eer_same_language": e_same, "eer_cross_language": e_cross,
        }), indent=2, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
