"""Alignment accuracy where the boundaries are known (``yinse.enroll.align``).

Enrollment has the base voice (``joe`` for English, ``baker`` for Mandarin) say each
recorded sentence and aligns it with the recording by DTW on speaker-normalised mel-cepstra;
the alignment maps the base voice's syllable boundaries onto the recording, and its cost
decides whether the recording says its transcript at all.  This measures both.

1. **Synthetic pairs**: the base voice and an espeak voice (``espeak-en`` / ``espeak-zh``)
   say the same sentences (the first ``--sentences`` lines of ``yinse/enroll/scripts``),
   phrase by phrase (split at punctuation, as ``Voice.speak`` does) with a fixed pause
   between phrases, both reporting syllable timings.  The espeak audio is resampled to the
   base voice's rate; WORLD features (``world_features``), per-speaker statistics
   (``cepstral_stats`` over that speaker's clips), ``align(base, espeak)``; each base
   boundary (syllable start, nucleus start, syllable end) is mapped with
   ``Alignment.target_time_s`` and compared with espeak's own timing of that boundary.
   Beside it, a "linear" row maps time proportionally between the two speech spans (the
   same first/last speech frames ``align`` uses): what no warping at all would give.  A
   last table checks the reference timings themselves: where WORLD finds voicing start
   after a stop onset, against where each voice says the vowel starts.
2. **Real singing with phone labels**: NIT-SONG070 ``nitech_f001_004`` (Japanese, HTS
   labels).  ``espeak-ja`` says the lyric (hiragana rebuilt from the label phones), phrase by
   phrase with a pause; its phoneme events give phone start times.  Its phones are matched
   to the label phones by edit distance (IPA folded to the label's phone set), the espeak
   speech is aligned to the recording (resampled to espeak's rate), and each matched phone's
   mapped start is compared with the label (pauses ignored).
3. **Sentence identification on real speech**: ``--recordings`` recordings of cathy
   (English) and of magicdata_f (Mandarin; lines with Latin letters skipped, repeated
   sentences kept once), each aligned with the base voice saying every one of those
   sentences.  Reported: how often the recording's own sentence is the cheapest of all, and
   how often it beats the 3 sentences closest in length (the check in
   ``yinse.enroll.build._align_and_check`` that drops recordings), and, the other way
   round, how often a recording filed under a wrong sentence j (one it does not say, its own
   sentence not among the decoys) still passes that check against j's 3 nearest-length
   sentences.

Caveat: the "truth" in part 1 is espeak's and the base voice's own syllable boundaries,
taken from phone events (espeak) or the models' phone durations (joe, baker), split into
syllables by each voice on its own (``yinse.voices.ipa``); they are phone-level events of
two synthesisers, not hand labels, and a few tens of ms off the acoustics in places (the
voicing table shows how far).  Part 2's labels are the corpus's own phone labels.

    python -m benchmarks.bench_alignment [--json out.json] [--sentences 20] [--recordings 40]
        [--variants]

``--variants`` also re-runs every part with other settings of the aligner (frame
dimensions, hold penalty, how a boundary is mapped), patched in this process only
(about 10 minutes more).  Part 3 also compares other rules for the per-recording check
(more decoys, a z-score threshold as ``text_match`` computes it) on the same costs.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.measure import machine, machine_info, table, to_jsonable

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SCRIPTS = REPO / "yinse" / "enroll" / "scripts"
NITECH = DATA / "singing" / "ja" / "nitech_f001_004"
BASE = {"en": "joe", "zh": "baker"}
OTHER = {"en": "espeak-en", "zh": "espeak-zh"}
#: Pause between phrases, as the base voices' ``speak`` puts it (joe 0.2 s, baker 0.25 s).
PAUSE_S = {"en": 0.2, "zh": 0.25, "ja": 0.3}
BOUNDARIES = ("start_s", "nucleus_start_s", "end_s")
BOUNDARY_NAMES = {"start_s": "syllable start", "nucleus_start_s": "nucleus start",
                  "end_s": "syllable end"}  # fmt: skip
WITHIN_MS = (20, 50, 100)
DECOYS = 3


# ----------------------------------------------------------------------------- helpers
def analyse_all(items: list[tuple[np.ndarray, int]]):
    """``world_features`` of many clips on every core."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from yinse.voices.timbre import world_features

    workers = min(len(items), os.cpu_count() or 1, 8)
    if workers <= 1:
        return [world_features(a, sr) for a, sr in items]
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        return list(pool.map(world_features, [a for a, _ in items], [sr for _, sr in items]))


def error_row(label: str, errors_s, **extra) -> dict:
    e = 1000 * np.asarray(errors_s, float)
    a = np.abs(e)
    row = {"set": label, **extra, "n": len(e)}
    if not len(e):
        return row
    row |= {"median |err| ms": float(np.median(a)), "p90 |err| ms": float(np.percentile(a, 90)),
            "mean err ms": float(e.mean())}  # fmt: skip
    for w in WITHIN_MS:
        row[f"≤{w} ms %"] = 100 * float(np.mean(a <= w))
    return row


ERROR_COLS = ["n", "median |err| ms", "p90 |err| ms", "mean err ms"] + [
    f"≤{w} ms %" for w in WITHIN_MS
]
ERROR_FMT = {"median |err| ms": ".0f", "p90 |err| ms": ".0f", "mean err ms": "+.0f"} | {
    f"≤{w} ms %": ".1f" for w in WITHIN_MS
}


class Mapper:
    """How a base-voice time becomes a target time, given an alignment path."""

    def __init__(self, path: np.ndarray, frame_s: float, rule: str = "first") -> None:
        self.path, self.frame_s, self.rule = path, frame_s, rule

    def __call__(self, t: float) -> float:
        from yinse.enroll.align import Alignment

        if self.rule == "first":  # what Alignment.target_time_s does
            return Alignment(self.path, 0.0).target_time_s(t)
        # "middle": the middle of the target frames paired with the base frame, and
        # linear interpolation between base frames.
        base, target = self.path[:, 0], self.path[:, 1].astype(float)
        frames, first = np.unique(base, return_index=True)
        last = np.r_[first[1:], len(base)] - 1
        mid = (target[first] + target[last]) / 2
        return float(np.interp(t / self.frame_s, frames, mid) * self.frame_s)


def linear_map(base_sp: np.ndarray, target_sp: np.ndarray, frame_s: float):
    """Proportional time map between the two speech spans (no warping)."""
    from yinse.enroll.align import speech_frames

    b0, b1 = speech_frames(base_sp)
    t0, t1 = speech_frames(target_sp)
    return lambda t: (t0 + (t / frame_s - b0) * (t1 - t0) / max(b1 - b0, 1)) * frame_s


@contextlib.contextmanager
def aligner_settings(**values):
    """Patch ``yinse.enroll.align`` constants in this process (``--variants`` only)."""
    from yinse.enroll import align as mod

    old = {k: getattr(mod, k) for k in values}
    for k, v in values.items():
        setattr(mod, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            setattr(mod, k, v)


# ----------------------------------------------------------------------------- part 1
def sentences(language: str, n: int) -> list[str]:
    lines = (SCRIPTS / f"{language}.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()][:n]


def phrases_of(text: str, language: str) -> list[list]:
    """The sentence as phrases of LyricSyllable (split at punctuation, as ``speak`` does);
    English words get one syllable per CMUdict syllable."""
    from yinse.text import LyricSyllable, english, mandarin

    if language == "zh":
        return mandarin.text_syllables(text)
    out = []
    for words in english.text_words(text):
        syls = []
        for wi, word in enumerate(words):
            phones = english.word_phones(word)
            pieces = english.syllabify(phones) if phones else []
            n = len(pieces) or english.count_syllables(word)
            for k in range(n):
                syls.append(LyricSyllable(
                    text=word, language="en", phones=tuple(pieces[k]) if pieces else (),
                    word=word, word_index=wi, index_in_word=k, word_syllables=n,
                ))  # fmt: skip
        out.append(syls)
    return out


@dataclass
class Said:
    audio: np.ndarray
    sr: int
    #: Per syllable: start, nucleus start, nucleus end, end (s from the clip start).
    timings: np.ndarray
    #: Per syllable: first of its phrase, last of its phrase.
    phrase_first: np.ndarray
    phrase_last: np.ndarray


def say(voice, phrases: list[list], pause_s: float) -> Said:
    pieces, timings, first, last, offset = [], [], [], [], 0.0
    for k, phrase in enumerate(phrases):
        u = voice.say_syllables(phrase)
        if len(u.syllables) != len(phrase):
            raise RuntimeError(f"{voice.name} gave {len(u.syllables)} timings for {len(phrase)}")
        if k:
            pieces.append(np.zeros(int(round(pause_s * u.sr)), np.float32))
            offset += pause_s
        for i, t in enumerate(u.syllables):
            timings.append([offset + t.start_s, offset + t.nucleus_start_s,
                            offset + t.nucleus_end_s, offset + t.end_s])  # fmt: skip
            first.append(i == 0)
            last.append(i == len(u.syllables) - 1)
        pieces.append(u.audio.astype(np.float32))
        offset += len(u.audio) / u.sr
    return Said(np.concatenate(pieces), u.sr, np.array(timings), np.array(first), np.array(last))


@dataclass
class PairSet:
    language: str
    texts: list[str]
    base: list[Said]
    other: list[Said]
    base_f: list = field(default_factory=list)
    other_f: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)


def make_pairs(language: str, n: int) -> PairSet:
    from yinse.core.audio import resample
    from yinse.voices import get_voice

    t0 = time.perf_counter()
    base, other = get_voice(BASE[language]), get_voice(OTHER[language])
    texts = sentences(language, n)
    b_said, o_said = [], []
    for text in texts:
        phrases = phrases_of(text, language)
        b_said.append(say(base, phrases, PAUSE_S[language]))
        o_said.append(say(other, phrases, PAUSE_S[language]))
    t1 = time.perf_counter()
    sr = b_said[0].sr
    feats = analyse_all([(s.audio, sr) for s in b_said]
                        + [(resample(s.audio, s.sr, sr).astype(np.float32), sr) for s in o_said])  # fmt: skip
    t2 = time.perf_counter()
    ps = PairSet(language, texts, b_said, o_said, feats[: len(texts)], feats[len(texts) :])
    ps.seconds = {"synthesis": t1 - t0, "analysis": t2 - t1}
    return ps


#: Onsets after which a vowel's voicing onset is a clear acoustic landmark.
STOP_ONSETS = {"en": {"P", "T", "K"}, "zh": {"p", "t", "k", "b", "d", "g"}}


def voicing_lag(ps: PairSet) -> dict[str, np.ndarray]:
    """How each voice's reported nucleus start sits against the acoustics: for syllables
    that start with a voiceless stop, WORLD's voicing onset (first run of 3 voiced frames
    after the syllable's first unvoiced frame) minus the reported nucleus start, in s."""
    from yinse.voices.timbre import FRAME_S

    out: dict[str, list[float]] = {"base": [], "other": []}
    for k, text in enumerate(ps.texts):
        syls = [s for phrase in phrases_of(text, ps.language) for s in phrase]
        for who, said, feats in (
            ("base", ps.base[k], ps.base_f[k]),
            ("other", ps.other[k], ps.other_f[k]),
        ):
            voiced = feats.f0 > 0
            run = voiced & np.roll(voiced, -1) & np.roll(voiced, -2)
            for i, syl in enumerate(syls):
                onset = (syl.phones[:1] or ("",))[0] if ps.language == "en" else syl.initial
                if onset not in STOP_ONSETS[ps.language]:
                    continue
                a = int(said.timings[i, 0] / FRAME_S)
                gap = np.flatnonzero(~voiced[a : a + 100])
                if not len(gap):
                    continue
                v = np.flatnonzero(run[a + gap[0] : a + 100])
                if len(v):
                    out[who].append((a + gap[0] + v[0]) * FRAME_S - said.timings[i, 1])
    return {k: np.asarray(v) for k, v in out.items()}


def boundary_errors(ps: PairSet, *, rule: str = "first", linear: bool = False) -> dict:
    """Signed errors (s) per boundary type and per position, and the alignment time."""
    from yinse.enroll.align import align
    from yinse.voices.timbre import FRAME_S, cepstral_stats

    kw = {"base_stats": cepstral_stats([f.coded_sp for f in ps.base_f]),
          "target_stats": cepstral_stats([f.coded_sp for f in ps.other_f])}  # fmt: skip
    out: dict[str, list[float]] = {}
    secs = 0.0
    for b, o, bf, of in zip(ps.base, ps.other, ps.base_f, ps.other_f):
        if linear:
            mapping = linear_map(bf.coded_sp, of.coded_sp, FRAME_S)
        else:
            t = time.perf_counter()
            a = align(bf.coded_sp, of.coded_sp, **kw)
            secs += time.perf_counter() - t
            mapping = Mapper(a.path, FRAME_S, rule)
        for key in BOUNDARIES:
            col = {"start_s": 0, "nucleus_start_s": 1, "end_s": 3}[key]
            for i in range(len(b.timings)):
                err = mapping(b.timings[i, col]) - o.timings[i, col]
                out.setdefault(key, []).append(err)
                edge = (key == "start_s" and b.phrase_first[i]) or (
                    key == "end_s" and b.phrase_last[i]
                )
                out.setdefault("next to a pause" if edge else "inside a phrase", []).append(err)
                out.setdefault("all", []).append(err)
    return {"errors": out, "align_s": secs}


# ----------------------------------------------------------------------------- part 2
#: Hiragana for the label's morae (HTS/Sinsy romaji).
_KANA_V = {"a": "あ", "i": "い", "u": "う", "e": "え", "o": "お"}
_KANA_CV = {
    "k": "かきくけこ", "g": "がぎぐげご", "s": "さ-すせそ", "z": "ざ-ずぜぞ", "sh": "-し---",
    "j": "-じ---", "t": "た--てと", "d": "だ--でど", "ch": "-ち---", "ts": "--つ--",
    "n": "なにぬねの", "h": "はひ-へほ", "f": "--ふ--", "b": "ばびぶべぼ", "p": "ぱぴぷぺぽ",
    "m": "まみむめも", "y": "や-ゆ-よ", "r": "らりるれろ", "w": "わ----",
}  # fmt: skip
#: Label phone classes that espeak's IPA phones fold to.
_FOLD = {
    "ä": "a", "a": "a", "i": "i", "ɯ": "u", "u": "u", "e": "e", "o": "o", "ɴ": "N", "ŋ": "N",
    "ɕ": "sh", "tɕ": "ch", "dʑ": "j", "ʑ": "j", "ts": "ts", "dz": "z", "ɡ": "g", "g": "g",
    "j": "y", "ɾ": "r", "ɽ": "r", "ɸ": "f", "ç": "h", "w": "w", "ɰ": "w",
}  # fmt: skip


def read_lab(path: Path) -> list[tuple[str, float, float]]:
    """(phone, start s, end s) from an HTS full-context label."""
    out = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        a, b, ctx = line.split(maxsplit=2)
        out.append((ctx.split("-", 1)[1].split("+", 1)[0], int(a) / 1e7, int(b) / 1e7))
    return out


def lab_phrases(lab) -> list[list[int]]:
    """Indexes of the label phones, grouped into phrases between pauses."""
    phrases, cur = [], []
    for i, (ph, _, _) in enumerate(lab):
        if ph in ("pau", "sil", "br"):
            if cur:
                phrases.append(cur)
            cur = []
        else:
            cur.append(i)
    if cur:
        phrases.append(cur)
    return phrases


def kana(phones: list[str]) -> str:
    out, i = [], 0
    while i < len(phones):
        p = phones[i]
        if p in _KANA_V:
            out.append(_KANA_V[p])
        elif p == "cl":
            out.append("っ")
        elif p == "N":
            out.append("ん")
        elif p in _KANA_CV and i + 1 < len(phones) and phones[i + 1] in _KANA_V:
            ch = _KANA_CV[p]["aiueo".index(phones[i + 1])]
            if ch == "-":
                raise ValueError(f"no kana for {p}{phones[i + 1]}")
            out.append(ch)
            i += 1
        else:
            raise ValueError(f"no kana for the phone {p!r}")
        i += 1
    return "".join(out)


def fold(ipa: str) -> str:
    s = re.sub(r"[ˈˌːˑ\u0300-\u036f\u02b0-\u02ff\u1d00-\u1dbf]", "", ipa)
    if s in _FOLD:
        return _FOLD[s]
    return _FOLD.get(s[:1], s)


def match_phones(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Pairs (i, j) of equal phones on a least-edit alignment of ``a`` and ``b``; espeak's
    geminate ``h`` may stand for the label's ``cl``, and ``n``/``m``/``N`` pair up.  Where
    ``a`` repeats a phone that ``b`` says once (しい: i i), ``b``'s pairs with the first."""

    def same(x: str, y: str) -> bool:
        return x == y or {x, y} in ({"cl", "h"}, {"N", "n"}, {"N", "m"}, {"ch", "sh"})

    n, m = len(a), len(b)
    cost = np.zeros((n + 1, m + 1))
    cost[:, 0], cost[0, :] = np.arange(n + 1), np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j] + 1, cost[i, j - 1] + 1,
                             cost[i - 1, j - 1] + (0 if same(a[i - 1], b[j - 1]) else 1.5))  # fmt: skip
    pairs, i, j = [], n, m
    while i and j:
        if i >= 2 and a[i - 2] == a[i - 1] and cost[i, j] == cost[i - 1, j] + 1:
            i -= 1  # a repeated phone (a long vowel said once) pairs with its first
        elif same(a[i - 1], b[j - 1]) and cost[i, j] == cost[i - 1, j - 1]:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        elif cost[i, j] == cost[i, j - 1] + 1:
            j -= 1
        else:
            i, j = i - 1, j - 1
    return pairs[::-1]


def singing_part(variants: bool) -> dict:
    import soundfile as sf

    from yinse.core.audio import resample
    from yinse.enroll.align import align
    from yinse.voices import espeak as es
    from yinse.voices import get_voice
    from yinse.voices.timbre import FRAME_S, cepstral_stats

    lab = read_lab(NITECH.with_suffix(".lab"))
    voice = get_voice("espeak-ja")
    pieces, phones, texts, offset = [], [], [], 0.0
    for k, idx in enumerate(lab_phrases(lab)):
        text = kana([lab[i][0] for i in idx])
        texts.append(text)
        audio, events, sr = voice._synth(text)  # phoneme events: the public API gives syllables
        x = audio.astype(np.float32) / 32768.0
        timed, _ = es._timed_phones(events, len(x), sr)
        es._move_boundaries_over_silence(timed, x, sr)
        loud = np.flatnonzero(np.abs(x) > 1e-4)
        lo, hi = max(0, loud[0] - int(0.02 * sr)), loud[-1] + int(0.02 * sr)
        if k:
            pieces.append(np.zeros(int(PAUSE_S["ja"] * sr), np.float32))
            offset += PAUSE_S["ja"]
        phones += [(name, offset + s - lo / sr, offset + e - lo / sr) for name, s, e, _ in timed]
        pieces.append(x[lo:hi])
        offset += (hi - lo) / sr
    said = np.concatenate(pieces)
    rec, rec_sr = sf.read(str(NITECH.with_suffix(".flac")), dtype="float32")
    base_f, target_f = analyse_all([(said, sr), (resample(rec, rec_sr, sr).astype(np.float32), sr)])

    kept = [i for i, (ph, _, _) in enumerate(lab) if ph not in ("pau", "sil", "br")]
    pairs = match_phones([lab[i][0] for i in kept], [fold(p[0]) for p in phones])
    vowels = set("aiueo")
    # Mora starts: a consonant, or a vowel not after a consonant, or cl / N.
    mora_start = {i for n, i in enumerate(kept)
                  if lab[i][0] not in vowels or n == 0 or lab[kept[n - 1]][0] in vowels | {"cl", "N"}
                  or kept[n - 1] != i - 1}  # fmt: skip

    def measure(mapping) -> dict:
        errs: dict[str, list[float]] = {}
        for n, j in pairs:
            i = kept[n]
            e = mapping(phones[j][1]) - lab[i][1]
            errs.setdefault("all phone starts", []).append(e)
            if i in mora_start:
                errs.setdefault("mora starts", []).append(e)
            if lab[i][0] in vowels:
                errs.setdefault("vowel starts (nucleus)", []).append(e)
            if lab[i - 1][0] in ("pau", "sil"):
                errs.setdefault("first phone after a pause", []).append(e)
        return errs

    kw = {"base_stats": cepstral_stats([base_f.coded_sp]),
          "target_stats": cepstral_stats([target_f.coded_sp])}  # fmt: skip
    a = align(base_f.coded_sp, target_f.coded_sp, **kw)
    result = {
        "texts": texts, "label_phones": len(kept), "espeak_phones": len(phones),
        "matched": len(pairs), "espeak_s": len(said) / sr, "recording_s": len(rec) / rec_sr,
        "errors": measure(Mapper(a.path, FRAME_S)),
        "linear": measure(linear_map(base_f.coded_sp, target_f.coded_sp, FRAME_S)),
    }  # fmt: skip
    if variants:
        result["variants"] = {}
        for name, settings, rule in VARIANTS[1:]:
            with aligner_settings(**settings):
                v = align(base_f.coded_sp, target_f.coded_sp, **kw)
            result["variants"][name] = measure(Mapper(v.path, FRAME_S, rule))
    return result


# ----------------------------------------------------------------------------- part 3
def recordings(language: str, n: int) -> list[tuple[Path, str]]:
    folder = DATA / "speech" / ("en/cathy" if language == "en" else "zh/magicdata_f")
    rows = list(csv.reader(open(folder / "transcripts.tsv", encoding="utf-8"), delimiter="\t"))
    out, seen = [], set()
    for row in sorted(rows):
        text = row[1].strip()
        if language == "zh" and re.search(r"[A-Za-z]", text):
            continue  # baker cannot say Latin letters
        if text in seen:
            continue
        seen.add(text)
        out.append((folder / row[0], text))
    return out[:n]


@dataclass
class IdSet:
    language: str
    names: list[str]
    base_f: list
    target_f: list
    seconds: dict


def make_id_set(language: str, n: int) -> IdSet:
    import soundfile as sf

    from yinse.core.audio import resample
    from yinse.voices import get_voice

    t0 = time.perf_counter()
    voice = get_voice(BASE[language])
    recs = recordings(language, n)
    spoken = [voice.speak(text) for _, text in recs]
    sr = spoken[0][1]
    audio = []
    for path, _ in recs:
        x, rsr = sf.read(str(path), dtype="float32")
        audio.append(resample(x, rsr, sr).astype(np.float32))
    t1 = time.perf_counter()
    feats = analyse_all([(a, sr) for a, _ in spoken] + [(a, sr) for a in audio])
    t2 = time.perf_counter()
    return IdSet(language, [p.name for p, _ in recs], feats[: len(recs)], feats[len(recs) :],
                 {"synthesis and reading": t1 - t0, "analysis": t2 - t1})  # fmt: skip


def identification(ids: IdSet) -> dict:
    """Cost of every recording against every sentence, and the two checks."""
    from yinse.enroll.align import align
    from yinse.voices.timbre import cepstral_stats

    kw = {"base_stats": cepstral_stats([f.coded_sp for f in ids.base_f]),
          "target_stats": cepstral_stats([f.coded_sp for f in ids.target_f])}  # fmt: skip
    n = len(ids.base_f)
    t = time.perf_counter()
    cost = np.array([[align(b.coded_sp, r.coded_sp, **kw).cost for b in ids.base_f]
                     for r in ids.target_f])  # fmt: skip
    secs = time.perf_counter() - t
    lengths = np.array([len(b.f0) for b in ids.base_f])
    own = np.diag(cost)
    others = cost + np.diag(np.full(n, np.inf))
    rank = (cost < own[:, None]).sum(1) + 1
    beats_all = own < others.min(1)
    beats_decoys = np.array([
        own[k] < min(cost[k, j] for j in [j for j in np.argsort(np.abs(lengths - lengths[k]), kind="stable")
                                           if j != k][:DECOYS])
        for k in range(n)
    ])  # fmt: skip
    # A recording filed under another sentence j (it says none of the set's sentences):
    # does j still beat the 3 sentences closest to j in length?
    wrong_passes = np.array([
        cost[k, j] < min(cost[k, d] for d in [d for d in np.argsort(np.abs(lengths - lengths[j]), kind="stable")
                                               if d not in (j, k)][:DECOYS])
        for k in range(n) for j in range(n) if j != k
    ])  # fmt: skip
    spread = np.array([np.std(np.delete(cost[k], k)) for k in range(n)])
    z = (np.array([np.mean(np.delete(cost[k], k)) for k in range(n)]) - own) / spread
    return {
        "n": n, "cost": cost, "rank": rank, "beats_all": beats_all, "beats_decoys": beats_decoys,
        "z": z, "wrong_passes": wrong_passes, "align_s": secs, "alignments": n * n,
        "lengths": lengths,
        "failed": [ids.names[k] for k in np.flatnonzero(~beats_all)],
    }  # fmt: skip


#: Mismatch rules compared on one cost matrix: (name, decoys, z threshold or None for "the
#: own sentence must be cheaper than every decoy").  The first is build.py's.
CHECK_RULES = [
    (f"{DECOYS} nearest-length decoys, own cheapest (shipped)", DECOYS, None),
    ("10 nearest-length decoys, own cheapest", 10, None),
    ("10 nearest-length decoys, z ≥ 1.5", 10, 1.5),
    ("10 nearest-length decoys, z ≥ 2", 10, 2.0),
]


def check_rules(r: dict) -> list[dict]:
    """For each rule: the share of recordings with their own sentence that it drops, and the
    share of recordings filed under a wrong sentence j (their own sentence not among j's
    decoys) that it keeps.  z = (mean decoy cost − cost) / spread of the decoy costs, as
    ``yinse.enroll.align.text_match`` scores it."""
    cost, lengths, n = r["cost"], r["lengths"], r["n"]

    def passes(k: int, j: int, decoys: int, z_min) -> bool:
        order = np.argsort(np.abs(lengths - lengths[j]), kind="stable")
        pool = cost[k, [d for d in order if d not in (j, k)][:decoys]]
        if z_min is None:
            return bool(cost[k, j] < pool.min())
        return bool((pool.mean() - cost[k, j]) / max(pool.std(), 1e-6) >= z_min)

    rows = []
    for name, decoys, z_min in CHECK_RULES:
        own = [passes(k, k, decoys, z_min) for k in range(n)]
        wrong = [passes(k, j, decoys, z_min) for k in range(n) for j in range(n) if j != k]
        rows.append({"rule": name, "own sentence dropped %": 100 * (1 - float(np.mean(own))),
                     "wrong transcript kept %": 100 * float(np.mean(wrong))})  # fmt: skip
    return rows


def id_row(label: str, r: dict) -> dict:
    n = r["n"]
    return {"set": label, "recordings": n,
            "own cheapest of all %": 100 * float(r["beats_all"].mean()),
            f"own beats {DECOYS} nearest-length %": 100 * float(r["beats_decoys"].mean()),
            "wrong transcript passes %": 100 * float(r["wrong_passes"].mean()),
            "median rank": float(np.median(r["rank"])), "worst rank": int(r["rank"].max()),
            "median z": float(np.median(r["z"])), "min z": float(r["z"].min())}  # fmt: skip


ID_COLS = ["recordings", "own cheapest of all %", f"own beats {DECOYS} nearest-length %",
           "wrong transcript passes %", "median rank", "worst rank", "median z", "min z"]  # fmt: skip
ID_FMT = {"own cheapest of all %": ".1f", "wrong transcript passes %": ".1f", f"own beats {DECOYS} nearest-length %": ".1f",
          "median rank": ".0f", "median z": ".2f", "min z": ".2f"}  # fmt: skip

#: (name, patched constants of yinse.enroll.align, mapping rule); the first is as shipped.
VARIANTS = [
    ("shipped (12 dims, hold 0.5, first frame)", {}, "first"),
    ("map to the middle of the paired run", {}, "middle"),
    ("hold penalty 0.25", {"HOLD_PENALTY": 0.25}, "first"),
    ("hold penalty 1.0", {"HOLD_PENALTY": 1.0}, "first"),
    ("4 dims", {"ALIGN_DIMS": 4}, "first"),
    ("6 dims", {"ALIGN_DIMS": 6}, "first"),
    ("8 dims", {"ALIGN_DIMS": 8}, "first"),
    ("10 dims", {"ALIGN_DIMS": 10}, "first"),
    ("16 dims", {"ALIGN_DIMS": 16}, "first"),
    ("24 dims", {"ALIGN_DIMS": 24}, "first"),
]


# ----------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--sentences", type=int, default=20, help="script lines per language (20)")
    parser.add_argument("--recordings", type=int, default=40, help="recordings per speaker (40)")
    parser.add_argument("--variants", action="store_true", help="also try other aligner settings")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit("../shared/data is not beside the repository")
    start = time.perf_counter()
    results: dict = {"benchmark": "alignment", "machine": machine_info(), "args": vars(args) | {
        "json": str(args.json) if args.json else None}}  # fmt: skip

    # 1. synthetic pairs
    rows, pos_rows, lag_rows, var_rows, var_rule_rows, timing = [], [], [], [], [], {}
    pairsets = {}
    for lang in ("en", "zh"):
        ps = make_pairs(lang, args.sentences)
        pairsets[lang] = ps
        r = boundary_errors(ps)
        lin = boundary_errors(ps, linear=True)
        label = f"{lang}: {BASE[lang]} → {OTHER[lang]}"
        for key in BOUNDARIES:
            rows.append(error_row(label, r["errors"][key], boundary=BOUNDARY_NAMES[key]))
        rows.append(error_row(label, r["errors"]["all"], boundary="all"))
        rows.append(
            error_row(label + ", linear map (no DTW)", lin["errors"]["all"], boundary="all")
        )
        for key in ("next to a pause", "inside a phrase"):
            pos_rows.append(error_row(label, r["errors"][key], boundary=key))
        for who, lag in voicing_lag(ps).items():
            lag = 1000 * lag
            lag_rows.append({"voice": BASE[lang] if who == "base" else OTHER[lang], "syllables": len(lag),
                             "median ms": float(np.median(lag)), "25th pct ms": float(np.percentile(lag, 25)),
                             "75th pct ms": float(np.percentile(lag, 75))})  # fmt: skip
        timing[lang] = ps.seconds | {"align": r["align_s"], "sentences": len(ps.texts),
                                     "syllables": int(sum(len(b.timings) for b in ps.base)),
                                     "base audio s": float(sum(len(b.audio) / b.sr for b in ps.base)),
                                     "other audio s": float(sum(len(o.audio) / o.sr for o in ps.other))}  # fmt: skip
        results.setdefault("synthetic", {})[lang] = {
            k: np.round(1000 * np.asarray(v), 1) for k, v in r["errors"].items()
        } | {"linear_all": np.round(1000 * np.asarray(lin["errors"]["all"]), 1)}
        print(f"  part 1 {lang}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)

    # 2. real singing
    try:
        sing = singing_part(args.variants)
    except Exception as error:  # noqa: BLE001 - report, do not lose parts 1 and 3
        sing = {"error": f"{type(error).__name__}: {error}"}
    print(f"  part 2: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)

    # 3. identification
    id_rows, idres = [], {}
    for lang, who in (("en", "cathy"), ("zh", "magicdata_f")):
        ids = make_id_set(lang, args.recordings)
        r = identification(ids)
        idres[lang] = (ids, r)
        id_rows.append(id_row(f"{who} ({lang}) vs {BASE[lang]}", r))
        timing[f"id {lang}"] = ids.seconds | {"align": r["align_s"], "alignments": r["alignments"]}
        print(f"  part 3 {lang}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)

    if args.variants:
        for name, settings, rule in VARIANTS:
            row = {"variant": name}
            with aligner_settings(**settings):
                for lang in ("en", "zh"):
                    e = np.abs(boundary_errors(pairsets[lang], rule=rule)["errors"]["all"]) * 1000
                    row[f"{lang} synth median ms"] = float(np.median(e))
                    row[f"{lang} synth p90 ms"] = float(np.percentile(e, 90))
                    row[f"{lang} synth ≤50 ms %"] = 100 * float(np.mean(e <= 50))
                if "errors" in sing:
                    e = sing["errors"] if name.startswith("shipped") else sing["variants"][name]
                    e = np.abs(e["all phone starts"]) * 1000
                    row["ja sung median ms"] = float(np.median(e))
                    row["ja sung ≤50 ms %"] = 100 * float(np.mean(e <= 50))
                for lang in ("en", "zh"):
                    if rule == "first":  # the cost does not depend on the mapping rule
                        ir = identification(idres[lang][0]) if settings else idres[lang][1]
                        row[f"{lang} id all %"] = 100 * float(ir["beats_all"].mean())
                        row[f"{lang} id {DECOYS} nearest %"] = 100 * float(
                            ir["beats_decoys"].mean()
                        )
                        for check in check_rules(ir):
                            var_rule_rows.append({"variant": name, "set": lang} | check)
            var_rows.append(row)
            print(
                f"  variant {name}: {time.perf_counter() - start:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    # ------------------------------------------------------------------ report
    print(f"\n# Alignment accuracy — {machine()}\n")
    print("## 1. Synthetic pairs: base voice's boundaries mapped onto espeak's speech\n")
    for lang in ("en", "zh"):
        t = timing[lang]
        print(f"- {lang}: {t['sentences']} sentences, {t['syllables']} syllables; "
              f"{BASE[lang]} {t['base audio s']:.0f} s of speech, {OTHER[lang]} "
              f"{t['other audio s']:.0f} s")  # fmt: skip
    print()
    print(table(rows, ["set", "boundary"] + ERROR_COLS, ERROR_FMT))
    print("\nBy position (all three boundary types; 'next to a pause' = a phrase's first "
          "syllable start or last syllable end):\n")  # fmt: skip
    print(table(pos_rows, ["set", "boundary"] + ERROR_COLS, ERROR_FMT))
    print("\nHow good the reference timings are: WORLD voicing onset minus the voice's own "
          "nucleus start, syllables with a stop onset (en P T K; zh p t k b d g):\n")  # fmt: skip
    print(table(lag_rows, ["voice", "syllables", "median ms", "25th pct ms", "75th pct ms"],
                {"median ms": "+.0f", "25th pct ms": "+.0f", "75th pct ms": "+.0f"}))  # fmt: skip

    print("\n## 2. Real singing with phone labels (nitech_f001_004, espeak-ja)\n")
    if "error" in sing:
        print(f"Not measured: {sing['error']}")
    else:
        print(f"espeak-ja said the lyric in {sing['espeak_s']:.1f} s (recording "
              f"{sing['recording_s']:.1f} s); {sing['matched']} of {sing['label_phones']} label "
              f"phones matched an espeak phone ({sing['espeak_phones']} espeak phones).\n")  # fmt: skip
        srows = [error_row(k, v) for k, v in sing["errors"].items()]
        srows.append(
            error_row("all phone starts, linear map (no DTW)", sing["linear"]["all phone starts"])
        )
        print(table(srows, ["set"] + ERROR_COLS, ERROR_FMT))
        results["singing"] = {k: v for k, v in sing.items() if k not in ("errors", "linear", "variants")} | {
            "errors_ms": {k: np.round(1000 * np.asarray(v), 1) for k, v in sing["errors"].items()},
            "linear_ms": {k: np.round(1000 * np.asarray(v), 1) for k, v in sing["linear"].items()},
        }  # fmt: skip

    print("\n## 3. Sentence identification by alignment cost (real speech)\n")
    print(table(id_rows, ["set"] + ID_COLS, ID_FMT))
    for lang, (ids, r) in idres.items():
        if r["failed"]:
            print(f"\n{lang}: own sentence not cheapest for {', '.join(r['failed'])} "
                  f"(ranks {', '.join(str(int(r['rank'][ids.names.index(f)])) for f in r['failed'])})")  # fmt: skip
    results["identification"] = {lang: {"names": ids.names, "cost": r["cost"], "rank": r["rank"],
                                        "beats_all": r["beats_all"], "beats_decoys": r["beats_decoys"],
                                        "z": r["z"], "failed": r["failed"]}
                                 for lang, (ids, r) in idres.items()}  # fmt: skip
    print("\nThe per-recording check under other rules (same cost matrices):\n")
    rule_rows = []
    for lang, (_, r) in idres.items():
        for row in check_rules(r):
            rule_rows.append({"set": f"{lang} ({BASE[lang]})"} | row)
    print(table(rule_rows, ["set", "rule", "own sentence dropped %", "wrong transcript kept %"],
                {"own sentence dropped %": ".1f", "wrong transcript kept %": ".1f"}))  # fmt: skip
    results["check_rules"] = rule_rows
    if var_rows:
        print("\n## Aligner variants (patched in this process; |err| over all boundary types)\n")
        cols = list(dict.fromkeys(k for row in var_rows for k in row))
        print(table(var_rows, cols, {c: ".1f" for c in cols}))
        print("\nThe per-recording check by variant:\n")
        print(table(var_rule_rows, ["variant", "set", "rule", "own sentence dropped %",
                                    "wrong transcript kept %"],
                    {"own sentence dropped %": ".1f", "wrong transcript kept %": ".1f"}))  # fmt: skip
        results["variants"] = var_rows
        results["variant_check_rules"] = var_rule_rows

    print("\nTimes (s): " + "; ".join(
        f"{k}: " + ", ".join(f"{n} {v:.1f}" if isinstance(v, float) else f"{n} {v}" for n, v in t.items())
        for k, t in timing.items()) + f"; total {time.perf_counter() - start:.0f} s")  # fmt: skip
    results["timing"] = timing
    results["synthetic_rows"], results["position_rows"], results["id_rows"] = (
        rows,
        pos_rows,
        id_rows,
    )
    results["voicing_lag_rows"] = lag_rows
    if args.json:
        args.json.write_text(json.dumps(to_jsonable(results), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
