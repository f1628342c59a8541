"""Consent recording, text check: does the recording say the statement with *this* challenge?

``yinse.enroll.consent.check_consent_recording`` aligns the recording with the base voice
(``joe`` for English, ``baker`` for Mandarin) saying statement + challenge, cuts it where
the challenge starts, and scores each part with ``yinse.enroll.align.text_match``: how many
spreads of the decoy texts' DTW costs the right text's cost lies below their mean (6 script
sentences for the statement, 12 other random challenges for the phrase).  Both scores must
reach ``TEXT_THRESHOLD``.  This calibrates that threshold.

There are no recordings of people reading our statement, so voices stand in for readers:

* the base voice itself (``joe`` / ``baker``): the voice that makes the alignment template,
  the easy case (``joe`` is deterministic, so its genuine reading *is* the template;
  ``baker`` keeps dropout on at inference, so its reading is a different draw);
* ``espeak-en`` / ``espeak-zh``: a different voice from the template, the harder and more
  realistic case;
* each of them "in a room": speed changed by ±5 % by resampling (alternately), convolved
  with a reverb (direct sound plus a decaying noise burst, RT60 0.4 s, direct-to-reverberant
  ratio +3 dB), pink noise added at 20 dB SNR (against the mean power of the frames within
  30 dB of the loudest), and resampled to 16 kHz.

For each language and reader, over ``--phrases`` challenges of one voice drawn in turn as
``start_consent`` draws them (``new_phrase``, seeded, no word of the ``FRESH_OVER`` before),
each checked with the ``OLD_PHRASE_DECOYS`` phrases before it as the registry's old phrases:

* (a) genuine: the reader says ``statement_with(lang, phrase_i)``, checked against ``phrase_i``;
* (b) replay: the genuine recording of ``phrase_{i-1}`` (an old consent file submitted
  again), checked against ``phrase_i``; its phrase is among the old-phrase decoys.  The
  report also scores the same replays with the random decoys only (``replay,
  unregistered``: a recording whose challenge this registry never issued);
* (c) challenge only: the reader says ``phrase_i`` alone; statement only: the reader says
  the statement with no phrase (checked against every ``phrase_i``);
* (d) other sentence: the reader says a line of ``yinse/enroll/scripts/<lang>.txt``.

The room copies get (a) and (b) only unless ``--room all``.  The speaker centroid passed in
is the same reader's (3 clean script lines; the room copies are checked against the clean
centroid, as a consent recorded in another room would be).

Every score is computed by a copy of ``check_consent_recording``'s text check written here
from the same lower-level functions (``align``, ``text_match``, ``world_features``,
``cepstral_stats``), so that variants can share its work; the script also runs the real
``check_consent_recording`` on some trials and reports the largest difference (0 when the
copy is faithful).  To fit in minutes, the base voice's speech is cached per punctuation
phrase (``Voice.speak`` says each one separately and joins them with a fixed pause, so a
cached phrase gives the same audio; for ``baker`` the template and the reader are two
separate draws, each cached), WORLD features are cached per clip and computed without D4C
(the text check uses the envelope only), and speaker scores are cached per clip.  The two
languages run in parallel processes (``--jobs``).

Real-speech reference (``--real N``, default 12): a person reading is what espeak stands in
for, so ``text_match`` is also run on N real recordings from ``../shared/data`` (read there,
never copied): ``cathy`` (en) and ``magicdata_f`` (zh, lines without Latin letters or
digits), each against 12 other sentences of its corpus said by the base voice, beside espeak
and the base voice (reader draw) saying the same sentences.  That is the statement half's
test (a sentence among sentences), not the challenge's.

Variants of the phrase check (``--variants``), on the same recordings:

* ``24 decoys``: 12 more decoy challenges beside the shipped 12;
* ``true cut`` (espeak, clean): the phrase part cut where espeak's statement really ends
  (the length of espeak saying the statement alone) instead of the DTW-mapped boundary;
* ``4-word challenge``: the earlier design, challenges of 4 words with 12 random four-word
  decoys and no old phrases (genuine and replay);
* ``--per-word`` adds: each word's span (the base voice's pieces mapped through an
  alignment of the phrase part) scored against every other challenge word, the phrase
  score being the smallest or the mean of the words' z-scores (slow: 200 more alignments).

Finally the real check is timed once per language on a recording it has not seen: cold (as
shipped, the base voice says all 20 template texts on every call) and with the template
features cached.

    python -m benchmarks.bench_consent [--json out.json] [--phrases 20] [--seed 0]
        [--room none|some|all] [--real 12] [--variants [--per-word]] [--jobs 2] [--langs en zh]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import random
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.measure import machine, machine_info, table, to_jsonable

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "speech"

THRESHOLDS = (1.0, 1.5, 2.0, 2.5, 3.0)
MORE_THRESHOLDS = (3.5, 4.0, 5.0)
SWEEP = tuple(float(t) for t in np.round(np.arange(0.0, 10.01, 0.25), 2))
READERS = {"en": ("joe", "espeak-en"), "zh": ("baker", "espeak-zh")}
CONDITIONS = ("genuine", "replay", "replay, unregistered", "challenge only", "statement only",
              "other sentence")  # fmt: skip
NEGATIVE = CONDITIONS[1:]
ROOM_SR = 16000
SNR_DB = 20.0
RT60_S = 0.4
DRR_DB = 3.0
SPEED = 0.05
EXTRA_DECOYS = 12
WORD_PAD = 10  # frames (5 ms) either side of a mapped word span
OTHER_WORDS = 4  # the --variants comparison: the challenge length used before
CENTROID_LINES = 3
CHECKS_REAL = 3  # per reader and room: genuine, replay, statement only of trial 0..

# ---------------------------------------------------------------- caches (per process)

_PIECES: dict = {}
_WF: dict = {}
_SPK: dict = {}
_STATE = {"draw": "template"}
_ORIG: dict = {}


def _digest(audio: np.ndarray, sr: int) -> str:
    a = np.ascontiguousarray(audio)
    return f"{hashlib.blake2b(a.view(np.uint8), digest_size=16).hexdigest()}:{a.dtype}:{sr}"


def install_caches(lang: str) -> None:
    """Memoise the base voice's per-phrase synthesis, WORLD features and speaker scores."""
    import yinse.enroll.consent as consent
    import yinse.registry.speaker as speaker
    from yinse.enroll.build import BASE_VOICES
    from yinse.voices import get_voice

    base = get_voice(BASE_VOICES[lang])
    if lang == "en":
        orig = type(base)._synthesize.__get__(base)

        def synth(words):  # joe is deterministic: one draw serves template and reader
            key = ("joe", tuple(words))
            if key not in _PIECES:
                _PIECES[key] = orig(words)
            return _PIECES[key]

        base._synthesize = synth
    else:
        orig = type(base).say_syllables.__get__(base)

        def say(syllables):  # baker is not: the template and the reader are two draws
            key = ("baker", _STATE["draw"], repr(list(syllables)))
            if key not in _PIECES:
                _PIECES[key] = orig(syllables)
            return _PIECES[key]

        base.say_syllables = say
    _ORIG["wf"], _ORIG["spk"] = consent.world_features, speaker.verify_speaker

    def wf(audio, sr, *, aperiodicity=True):  # the text check reads coded_sp only
        key = _digest(audio, sr)
        if key not in _WF:
            _WF[key] = _ORIG["wf"](audio, sr, aperiodicity=False)
        return _WF[key]

    def verify(audio, *, sr, enrolled_centroid, **kw):
        key = (_digest(audio, sr), _digest(np.asarray(enrolled_centroid), 0))
        if key not in _SPK:
            _SPK[key] = _ORIG["spk"](audio, sr=sr, enrolled_centroid=enrolled_centroid, **kw)
        return _SPK[key]

    consent.world_features = wf
    speaker.verify_speaker = verify


def remove_caches(lang: str) -> None:
    import yinse.enroll.consent as consent
    import yinse.registry.speaker as speaker
    from yinse.enroll.build import BASE_VOICES
    from yinse.voices import get_voice

    base = get_voice(BASE_VOICES[lang])
    for name in ("_synthesize", "say_syllables"):
        base.__dict__.pop(name, None)
    consent.world_features, speaker.verify_speaker = _ORIG["wf"], _ORIG["spk"]


class reading_draw:
    """Within this block, baker's speech is the reader's draw, not the template's."""

    def __enter__(self):
        _STATE["draw"] = "reading"

    def __exit__(self, *exc):
        _STATE["draw"] = "template"


# ---------------------------------------------------------------- the room


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spec), dtype=float)
    f[0] = 1.0
    x = np.fft.irfft(spec / np.sqrt(f), n)
    return x / np.std(x)


def active_power(x: np.ndarray, sr: int) -> float:
    """Mean power of the 20 ms frames within 30 dB of the loudest (speech, not pauses)."""
    n = int(0.02 * sr)
    frames = x[: len(x) // n * n].reshape(-1, n)
    p = np.mean(frames**2, axis=1)
    return float(np.mean(p[p > p.max() * 1e-3]))


def in_a_room(audio: np.ndarray, sr: int, rng: np.random.Generator, speed: float, *, phone: bool = False):
    """±5 % speed by resampling, reverb (noise-burst tail), pink noise at 20 dB SNR, 16 kHz;
    ``phone``: then through a telephone channel too (300–3400 Hz at 8 kHz)."""
    from scipy.signal import butter, fftconvolve, sosfiltfilt

    from yinse.core.audio import resample

    x = resample(np.asarray(audio, np.float64), sr, int(round(sr / speed)))
    n = int(RT60_S * sr)
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * np.exp(-6.91 * t / RT60_S)
    tail[0] = 0.0
    tail *= np.sqrt(10 ** (-DRR_DB / 10) / np.sum(tail**2))
    ir = tail
    ir[0] = 1.0
    x = fftconvolve(x, ir)[: len(x) + n // 2]
    noise = pink_noise(len(x), rng) * np.sqrt(active_power(x, sr) / 10 ** (SNR_DB / 10))
    x = x + noise
    if phone:
        x = resample(sosfiltfilt(butter(6, [300, 3400], btype="band", fs=sr, output="sos"), x), sr, 8000)
        sr = 8000
    x = resample(x, sr, ROOM_SR)
    return (0.9 * x / np.max(np.abs(x))).astype(np.float32), ROOM_SR


# ---------------------------------------------------------------- the text check, opened up


class Checker:
    """The text half of ``check_consent_recording``, step by step, with variants."""

    def __init__(self, lang: str) -> None:
        from yinse.enroll import consent
        from yinse.enroll.build import BASE_VOICES
        from yinse.enroll.script import script_lines
        from yinse.voices import get_voice

        self.lang = lang
        self.consent = consent
        self.base = get_voice(BASE_VOICES[lang])
        self.lines = [line.text for line in script_lines(lang)]

    def features(self, text: str):
        audio, sr = self.base.speak(text)
        return self.consent.world_features(audio, sr)

    def sr(self) -> int:
        return self.base.speak(self.consent.STATEMENTS[self.lang])[1]

    def decoys(self, phrase: str, words: int):
        """The shipped check's decoys (same generator, same order of draws), then more."""
        c = self.consent
        rng = random.Random(phrase)
        pick = (
            (lambda r: c.new_phrase(self.lang, r))
            if words == c.CHALLENGE_WORDS
            else (lambda r: c.joined_words(self.lang, r.sample(c.WORDS[self.lang], words)))
        )
        decoys: set[str] = set()
        while len(decoys) < c.DECOY_CHALLENGES:
            candidate = pick(rng)
            if candidate != phrase:
                decoys.add(candidate)
        sentences = rng.sample(self.lines, c.DECOY_SENTENCES)
        extra: set[str] = set()
        rng2 = random.Random("more decoys " + phrase)
        while len(extra) < EXTRA_DECOYS:
            candidate = pick(rng2)
            if candidate != phrase and candidate not in decoys:
                extra.add(candidate)
        return sorted(decoys), sentences, sorted(extra)

    def piece_spans(self, text: str) -> list[tuple[float, float]]:
        """(start, end) seconds of each punctuation phrase in ``base.speak(text)``."""
        from yinse.text import english, mandarin

        if self.lang == "en":
            sr = self.base.sr
            lengths = [len(self.base._synthesize(p)[0]) for p in english.text_words(text)]
            pause = int(0.2 * sr)
        else:
            from yinse.voices.baker import SR as sr

            lengths = [len(self.base.say_syllables(p).audio) for p in mandarin.text_syllables(text)]
            pause = int(0.25 * sr)
        spans, at = [], 0
        for n in lengths:
            spans.append((at / sr, (at + n) / sr))
            at += n + pause
        return spans

    def score(
        self,
        rec_sp: np.ndarray,
        phrase: str,
        *,
        variants: bool,
        words: int,
        old_phrases: list[str] = (),
        per_word: bool = False,
        true_cut: int | None = None,
    ) -> dict:
        from yinse.enroll.align import align, text_match
        from yinse.voices.timbre import FRAME_S, cepstral_stats

        c = self.consent
        decoys, sentences, extra = self.decoys(phrase, words)
        f_prefix = self.features(c.STATEMENTS[self.lang])
        f_phrase = self.features(phrase)
        base_stats = cepstral_stats([f_prefix.coded_sp, f_phrase.coded_sp])
        rec_stats = cepstral_stats([rec_sp])
        kw = {"base_stats": base_stats, "target_stats": rec_stats}
        whole = np.concatenate([f_prefix.coded_sp, f_phrase.coded_sp])
        path = align(whole, rec_sp, **kw)
        boundary_s = path.target_time_s(len(f_prefix.f0) * 0.005)
        cut = int(boundary_s / 0.005)
        head, tail = rec_sp[: max(cut, 1)], rec_sp[max(cut - 20, 0) :]
        f_decoys = [self.features(p).coded_sp for p in decoys]
        # as shipped: the voice's earlier phrases are decoys after the random ones
        old = [p for p in dict.fromkeys(old_phrases) if p != phrase and p not in decoys]
        f_old = [self.features(p).coded_sp for p in old[: c.OLD_PHRASE_DECOYS]]
        out = {"cut_s": cut * FRAME_S}
        if words == c.CHALLENGE_WORDS:
            f_sent = [self.features(s).coded_sp for s in sentences]
            out["statement"] = text_match(
                head, rec_stats, f_prefix.coded_sp, f_sent, base_stats
            ).score
        ch = text_match(tail, rec_stats, f_phrase.coded_sp, f_decoys + f_old, base_stats)
        out["phrase"] = ch.score
        # the random decoys alone: what a recording the registry never saw scores
        costs = [ch.cost, *ch.decoy_costs[: len(f_decoys)]]
        random_only = np.array(costs[1:])
        out["phrase, no old"] = float((random_only.mean() - ch.cost) / max(random_only.std(), 1e-6))
        out["phrase_costs"] = costs
        if not variants:
            return out
        if words == c.CHALLENGE_WORDS:
            more = [align(self.features(p).coded_sp, tail, **kw).cost for p in extra]
            costs = np.array(ch.decoy_costs + tuple(more))
            out["24 decoys"] = float((costs.mean() - ch.cost) / max(costs.std(), 1e-6))
        if true_cut is not None:
            t = rec_sp[max(true_cut - 20, 0) :]
            out["true cut"] = text_match(
                t, rec_stats, f_phrase.coded_sp, f_decoys, base_stats
            ).score
            out["true cut_s"] = true_cut * FRAME_S
        if per_word:
            out.update(self.per_word(tail, phrase, f_phrase.coded_sp, kw))
        return out

    def per_word(self, tail: np.ndarray, phrase: str, phrase_sp: np.ndarray, kw: dict) -> dict:
        """Each word's span (the base voice's pieces mapped through the alignment of the
        phrase part) against every other challenge word."""
        from yinse.enroll.align import align
        from yinse.voices.timbre import FRAME_S

        said = self.consent.phrase_words(phrase)
        spans = self.piece_spans(phrase)
        assert len(spans) == len(said), (phrase, spans)
        a = align(phrase_sp, tail, **kw)
        vocab = self.consent.WORDS[self.lang]
        zs = []
        for w, (s, e) in zip(said, spans):
            lo = max(int(a.target_time_s(s) / FRAME_S) - WORD_PAD, 0)
            hi = min(int(a.target_time_s(e) / FRAME_S) + WORD_PAD, len(tail))
            seg = tail[lo : max(hi, lo + 2 * WORD_PAD)]
            costs = {v: align(self.features(v).coded_sp, seg, **kw).cost for v in vocab}
            others = np.array([costs[v] for v in vocab if v != w])
            zs.append(float((others.mean() - costs[w]) / max(others.std(), 1e-6)))
        return {"per word, min": min(zs), "per word, mean": float(np.mean(zs))}


# ---------------------------------------------------------------- one language


def run_language(lang: str, opts: dict) -> dict:
    import warnings

    warnings.filterwarnings("ignore")
    import yinse.registry.speaker as speaker
    from yinse.core.audio import resample
    from yinse.enroll import consent
    from yinse.registry.speaker import centroid
    from yinse.voices import get_voice

    n, seed, variants = opts["phrases"], opts["seed"], opts["variants"]
    t_start = time.perf_counter()

    def log(msg: str) -> None:
        print(
            f"  [{lang} {time.perf_counter() - t_start:4.0f} s] {msg}", file=sys.stderr, flush=True
        )

    install_caches(lang)
    chk = Checker(lang)
    base_sr = chk.sr()
    rng = random.Random(f"{seed} {lang}")
    phrases: list[str] = []  # one voice's challenges in turn, as start_consent draws them
    while len(phrases) < n:
        recent = phrases[::-1][: consent.FRESH_OVER]
        avoid = {w for p in recent for w in consent.phrase_words(p)}
        p = consent.new_phrase(lang, rng, avoid=avoid)
        if p not in phrases:
            phrases.append(p)
    # what the registry holds when challenge i is checked: the ones before it, newest first
    # (cyclically, so that trial 0's replay of the last phrase is a registered one too)
    history = [[phrases[(i - k) % n] for k in range(1, consent.OLD_PHRASE_DECOYS + 1)] for i in range(n)]
    short_phrases = [consent.joined_words(lang, rng.sample(consent.WORDS[lang], OTHER_WORDS)) for _ in range(n)]
    lines = chk.lines
    centroid_lines = lines[-CENTROID_LINES:]
    other = rng.sample(lines[:-CENTROID_LINES], n)
    base_name, other_name = READERS[lang]

    def say(reader: str, text: str):
        if reader == base_name:
            with reading_draw():
                return chk.base.speak(text)
        return get_voice(reader).speak(text)

    # the base voice's templates first (every word, every script line, the statement)
    chk.features(consent.STATEMENTS[lang])
    for w in consent.WORDS[lang]:
        chk.features(w)
    for line in lines:
        chk.features(line)
    log("templates ready")

    records: list[dict] = []
    fidelity: list[float] = []
    t_checks, n_checks = 0.0, 0
    readers = [(r, "clean") for r in (base_name, other_name)]
    readers += [(r, "room") for r in (base_name, other_name)] if opts["room"] != "none" else []
    for reader, room in readers:
        all_conditions = room == "clean" or opts["room"] == "all"
        cen = centroid([say(reader, s) for s in centroid_lines])
        clips = {"genuine": [say(reader, consent.statement_with(lang, p)) for p in phrases]}
        if all_conditions:
            clips["challenge only"] = [say(reader, p) for p in phrases]
            clips["statement only"] = [say(reader, consent.STATEMENTS[lang])] * n
            clips["other sentence"] = [say(reader, s) for s in other]
        if variants:
            clips["genuine, 4 words"] = [
                say(reader, consent.statement_with(lang, p)) for p in short_phrases
            ]
        true_cuts = [None] * n
        if variants and reader == other_name and room == "clean":  # espeak: where its phrase starts
            alone, sr = say(reader, consent.STATEMENTS[lang])
            true_cuts = [int(len(alone) / sr / 0.005)] * n
        if room == "room":
            clips = {cond: [in_a_room(a, sr, np.random.default_rng([seed, i, k]), 1 + SPEED if i % 2 else 1 - SPEED)
                            for i, (a, sr) in enumerate(cs)]
                     for k, (cond, cs) in enumerate(clips.items())}  # fmt: skip
        words = consent.CHALLENGE_WORDS
        trials = []
        for i in range(n):
            trials += [
                ("genuine", clips["genuine"][i], phrases[i], words, true_cuts[i], history[i]),
                ("replay", clips["genuine"][i - 1], phrases[i], words, true_cuts[i - 1], history[i]),
            ]
            if all_conditions:
                trials += [
                    ("challenge only", clips["challenge only"][i], phrases[i], words, None, history[i]),
                    ("statement only", clips["statement only"][i], phrases[i], words, None, history[i]),
                    ("other sentence", clips["other sentence"][i], phrases[i], words, None, history[i]),
                ]
            if variants:  # the earlier design: 4 words, random decoys only
                trials += [
                    ("genuine, 4 words", clips["genuine, 4 words"][i], short_phrases[i], OTHER_WORDS, None, []),
                    ("replay, 4 words", clips["genuine, 4 words"][i - 1], short_phrases[i], OTHER_WORDS, None, []),
                ]
        log(f"{reader} {room}: {len(trials)} checks")
        real_done: set[str] = set()
        for cond, (audio, sr), phrase, words, true_cut, old in trials:
            t0 = time.perf_counter()
            # as the shipped check: resampled to the base voice's rate, float32
            rec = consent.world_features(resample(audio, sr, base_sr).astype(np.float32), base_sr)
            s = chk.score(rec.coded_sp, phrase, variants=variants, words=words, old_phrases=old,
                          per_word=opts["per_word"] and words == consent.CHALLENGE_WORDS
                          and cond in ("genuine", "replay"),
                          true_cut=true_cut if cond in ("genuine", "replay") else None)  # fmt: skip
            s["speaker"] = speaker.verify_speaker(audio, sr=sr, enrolled_centroid=cen).score
            if words == consent.CHALLENGE_WORDS:
                t_checks += time.perf_counter() - t0
                n_checks += 1
            if cond in ("genuine", "replay", "statement only") and cond not in real_done:
                real = consent.check_consent_recording(
                    audio, sr, language=lang, phrase=phrase, centroid=cen, old_phrases=old
                )
                fidelity += [abs(real.statement_score - s["statement"]), abs(real.phrase_score - s["phrase"]),
                             abs(real.speaker_score - s["speaker"])]  # fmt: skip
                real_done.add(cond)
            records.append({"lang": lang, "reader": reader, "room": room, "condition": cond,
                            "phrase_text": phrase, **s})  # fmt: skip
        log(f"{reader} {room}: done")

    real_ref = real_reference(lang, chk, opts["real"], log) if opts["real"] else []

    # time the real check on a recording it has not seen: template features cached, then cold
    audio, sr = say(other_name, consent.statement_with(lang, phrases[0]))
    cen = centroid([say(other_name, s) for s in centroid_lines])
    audio = (audio * 0.999).astype(np.float32)
    t0 = time.perf_counter()
    consent.check_consent_recording(audio, sr, language=lang, phrase=phrases[0], centroid=cen,
                                    old_phrases=history[0])
    warm_s = time.perf_counter() - t0
    remove_caches(lang)
    t0 = time.perf_counter()
    consent.check_consent_recording(audio, sr, language=lang, phrase=phrases[0], centroid=cen,
                                    old_phrases=history[0])
    cold_s = time.perf_counter() - t0
    log("timed")
    return {
        "records": records, "real_reference": real_ref,
        "fidelity_max_abs_diff": max(fidelity) if fidelity else float("nan"),
        "fidelity_checks": len(fidelity) // 3, "check_s_cached_mean": t_checks / max(n_checks, 1),
        "check_s_real_cached": warm_s, "check_s_real_cold": cold_s,
        "wall_s": time.perf_counter() - t_start, "phrases": phrases,
    }  # fmt: skip


REAL = {"en": ("en/cathy", "espeak-en"), "zh": ("zh/magicdata_f", "espeak-zh")}
REAL_DECOYS = 12


def real_reference(lang: str, chk: Checker, n: int, log) -> list[dict]:
    """How well ``text_match`` picks a real person's sentence out of 12 other sentences (the
    statement half's test, with sentences of the corpus), beside espeak and the base voice
    saying the same sentences: is espeak a fair stand-in for a person?"""
    import re

    import soundfile as sf

    from yinse.core.audio import resample
    from yinse.enroll.align import text_match
    from yinse.voices import get_voice
    from yinse.voices.timbre import cepstral_stats

    folder = DATA / REAL[lang][0]
    if not (folder / "transcripts.tsv").is_file():
        log(f"no {folder}: real-speech reference skipped")
        return []
    items, seen = [], set()
    for row in (folder / "transcripts.tsv").read_text(encoding="utf-8").splitlines():
        name, text = row.split("\t")[:2]
        if text in seen or (lang == "zh" and re.search("[A-Za-z0-9]", text)):
            continue
        seen.add(text)
        items.append((name, text))
    items = items[: n + REAL_DECOYS]
    feats = [chk.features(t).coded_sp for _, t in items]
    base_stats = cepstral_stats(feats)
    sr_base = chk.sr()
    out = []
    for i in range(n):
        audio, sr = sf.read(folder / items[i][0], dtype="float32")
        decoys = [f for j, f in enumerate(feats) if j != i][:REAL_DECOYS]
        readers = [("person", (audio, sr)), ("espeak", get_voice(REAL[lang][1]).speak(items[i][1]))]
        with reading_draw():
            readers.append(("base voice", chk.base.speak(items[i][1])))
        for who, (a, s) in readers:
            rec = chk.consent.world_features(
                resample(a, s, sr_base).astype(np.float32), sr_base
            ).coded_sp
            m = text_match(rec, cepstral_stats([rec]), feats[i], decoys, base_stats)
            out.append(
                {
                    "lang": lang,
                    "reader": who,
                    "score": m.score,
                    "rank": int(np.sum(np.array(m.decoy_costs) < m.cost)),
                }
            )
    log(f"real-speech reference: {n} sentences")
    return out


# ---------------------------------------------------------------- report


def _pick(records, **kw):
    return [
        r
        for r in records
        if all(r[k] in v if isinstance(v, tuple) else r[k] == v for k, v in kw.items())
    ]


def text_score(r: dict, phrase_key: str = "phrase") -> float:
    return min(r["statement"], r[phrase_key]) if "statement" in r else r[phrase_key]


def mmm(values) -> str:
    v = np.asarray(values, float)
    return f"{v.min():.1f} / {np.median(v):.1f} / {v.max():.1f}" if len(v) else "—"


def rate(scores, t: float, genuine: bool) -> float:
    s = np.asarray(scores, float)
    return float(np.mean(s < t) if genuine else np.mean(s >= t)) * 100 if len(s) else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrases", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--room",
        choices=["none", "some", "all"],
        default="some",
        help="readers in a room: none; genuine and replay only (default); every condition",
    )
    parser.add_argument(
        "--variants",
        action="store_true",
        help="also the variants of the phrase check (24 decoys, true cut, 4-word challenges)",
    )
    parser.add_argument(
        "--per-word", action="store_true", help="with --variants, also the per-word variant (slow)"
    )
    parser.add_argument(
        "--real", type=int, default=12, help="real-speech reference sentences (0: none)"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--langs", nargs="+", default=["en", "zh"], choices=["en", "zh"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    t0 = time.perf_counter()
    opts = {"phrases": args.phrases, "seed": args.seed, "room": args.room, "variants": args.variants,
            "per_word": args.per_word, "real": args.real}  # fmt: skip
    langs = tuple(args.langs)
    if args.jobs > 1 and len(langs) > 1:
        with mp.get_context("spawn").Pool(min(args.jobs, len(langs))) as pool:
            results = dict(zip(langs, pool.starmap(run_language, [(lang, opts) for lang in langs])))
    else:
        results = {lang: run_language(lang, opts) for lang in langs}
    wall = time.perf_counter() - t0
    summary = report(results, args, wall)
    if args.json:
        args.json.write_text(json.dumps(to_jsonable({
            "machine": machine_info(), "args": vars(args) | {"json": str(args.json)},
            "wall_s": wall, "summary": summary, "results": results,
        }), ensure_ascii=False, indent=1))  # fmt: skip


def report(results: dict, args, wall: float) -> dict:
    from yinse.enroll.consent import TEXT_THRESHOLD

    records = [r for res in results.values() for r in res["records"]]
    # The same replays scored as if the registry did not hold their phrase (a recording
    # made for another installation, say): the random decoys only.
    records += [dict(r, condition="replay, unregistered", phrase=r["phrase, no old"])
                for r in records if r["condition"] == "replay"]  # fmt: skip
    ts = THRESHOLDS + MORE_THRESHOLDS
    tcols = [f"{t:g}" for t in ts]
    summary: dict = {}
    print(f"\n# Consent text check — {machine()}\n")
    n_real = sum(r["fidelity_checks"] for r in results.values())
    diff = max(r["fidelity_max_abs_diff"] for r in results.values())
    print(
        f"{args.phrases} challenges per language and reader (seed {args.seed}), wall {wall:.0f} s. The real "
        f"check_consent_recording on {n_real} of the same trials gives the same scores (largest difference {diff:.2g}).\n"
    )
    summary["fidelity"] = {"checks": n_real, "max_abs_diff": diff}

    order = {"joe": 0, "baker": 0, "espeak-en": 1, "espeak-zh": 1}
    groups = sorted({(r["lang"], r["reader"], r["room"]) for r in records},
                    key=lambda g: (g[0], order[g[1]], g[2] != "clean"))  # fmt: skip
    print("Distributions (min / median / max); speaker = cosine to the reader's clean centroid:\n")
    rows = []
    for lang, reader, room in groups:
        for cond in CONDITIONS:
            rs = _pick(records, lang=lang, reader=reader, room=room, condition=cond)
            if rs:
                rows.append({"lang": lang, "reader": reader, "room": room, "condition": cond, "n": len(rs),
                             "statement": mmm([r["statement"] for r in rs]), "phrase": mmm([r["phrase"] for r in rs]),
                             "min(statement, phrase)": mmm([text_score(r) for r in rs]),
                             "speaker": mmm([r["speaker"] for r in rs])})  # fmt: skip
    print(table(rows, list(rows[0])))
    summary["distributions"] = rows

    print(
        "\nRates % by threshold t on min(statement, phrase): genuine FRR (score < t), the others FAR (≥ t):\n"
    )
    rows = []
    for lang, reader, room in groups:
        for cond in CONDITIONS:
            rs = _pick(records, lang=lang, reader=reader, room=room, condition=cond)
            if rs:
                g = cond == "genuine"
                rows.append({"lang": lang, "reader": reader, "room": room, "condition": cond,
                             "rate": "FRR" if g else "FAR",
                             **{c: rate([text_score(r) for r in rs], t, g) for c, t in zip(tcols, ts)}})  # fmt: skip
    print(table(rows, list(rows[0]), {c: ".0f" for c in tcols}))
    summary["rates"] = rows

    print("\nPooled:\n")
    rows = []
    pools = [("base voices, clean", dict(reader=("joe", "baker"), room="clean")),
             ("espeak, clean", dict(reader=("espeak-en", "espeak-zh"), room="clean")),
             ("base voices, room", dict(reader=("joe", "baker"), room="room")),
             ("espeak, room", dict(reader=("espeak-en", "espeak-zh"), room="room")),
             ("all but espeak-zh", dict(reader=("joe", "baker", "espeak-en"))),
             ("all", {})]  # fmt: skip
    for label, sel in pools:
        for cond in ("genuine", "replay", "replay, unregistered", NEGATIVE[2:]):
            rs = _pick(records, condition=cond, **sel)
            if rs:
                g = cond == "genuine"
                rows.append({"readers": label, "condition": cond if isinstance(cond, str) else "(c) + (d)",
                             "n": len(rs), "rate": "FRR" if g else "FAR",
                             **{c: rate([text_score(r) for r in rs], t, g) for c, t in zip(tcols, ts)}})  # fmt: skip
    print(table(rows, list(rows[0]), {c: ".1f" for c in tcols}))
    summary["pooled"] = rows

    gen = [text_score(r) for r in _pick(records, condition="genuine")]
    neg_rs = _pick(records, condition=NEGATIVE)
    neg = [text_score(r) for r in neg_rs]
    worst = neg_rs[int(np.argmax(neg))]
    print(
        f"\nshipped TEXT_THRESHOLD = {TEXT_THRESHOLD}; largest negative score {max(neg):.2f} "
        f"({worst['reader']} {worst['room']}, {worst['condition']}); smallest genuine {min(gen):.2f}"
    )
    summary["sweep"] = [{"t": t, "FRR genuine %": rate(gen, t, True),
                         "FAR replay %": rate([text_score(r) for r in _pick(records, condition="replay")], t, False),
                         "FAR all negatives %": rate(neg, t, False)} for t in SWEEP]  # fmt: skip

    # A replay is checked against a challenge it does not say, like the 12 decoys: its 13
    # phrase costs are exchangeable, so each of them against the other 12 is a draw of the
    # replay's phrase score.  13 draws per replay estimate the false-accept tail far better.
    print(
        "\nReplay FAR % from every replay's 13 exchangeable phrase costs (each against the other "
        "12, the shipped statistic), beside the genuine FRR % of the same readers:\n"
    )
    rows = []
    for label, sel in pools:
        reps = _pick(records, condition="replay", **sel)
        if not reps:
            continue
        null = []
        for r in reps:
            c = np.asarray(r["phrase_costs"])
            for k in range(len(c)):
                o = np.delete(c, k)
                null.append((o.mean() - c[k]) / max(o.std(), 1e-6))
        gen_g = [text_score(r) for r in _pick(records, condition="genuine", **sel)]
        rows.append({"readers": label, "draws": len(null), "max": float(np.max(null)),
                     **{f"FAR {t:g}": rate(null, t, False) for t in ts},
                     "genuine": len(gen_g), **{f"FRR {t:g}": rate(gen_g, t, True) for t in ts}})  # fmt: skip
    print(table(rows, list(rows[0]), {c: ".1f" for c in rows[0] if c.startswith(("FAR", "FRR"))}))
    summary["replay_null"] = rows

    if args.variants:
        print("\nPhrase-check variants (phrase score only; FRR of genuine and FAR of replay, %):\n")
        rows = []
        keys = [
            ("shipped (12 decoys)", "phrase", "genuine", "replay"),
            ("24 decoys", "24 decoys", "genuine", "replay"),
            ("true cut (espeak clean only)", "true cut", "genuine", "replay"),
            ("4-word challenge, no old decoys (before)", "phrase", "genuine, 4 words", "replay, 4 words"),
        ]
        if args.per_word:
            keys += [
                ("per word, min", "per word, min", "genuine", "replay"),
                ("per word, mean", "per word, mean", "genuine", "replay"),
            ]
        for label, key, cg, cr in keys:
            for sel_label, sel in [
                ("base voices", dict(reader=("joe", "baker"))),
                ("espeak-en", dict(reader="espeak-en")),
                ("espeak-zh", dict(reader="espeak-zh")),
            ]:
                g = [r[key] for r in _pick(records, condition=cg, **sel) if key in r]
                p = [r[key] for r in _pick(records, condition=cr, **sel) if key in r]
                if not g:
                    continue
                rows.append({"variant": label, "readers": sel_label, "n": len(g),
                             "genuine min / median": f"{min(g):.1f} / {np.median(g):.1f}",
                             "replay median / max": f"{np.median(p):.1f} / {max(p):.1f}",
                             **{f"FRR@{t:g}": rate(g, t, True) for t in (2.0, 3.0)},
                             **{f"FAR@{t:g}": rate(p, t, False) for t in (2.0, 3.0)}})  # fmt: skip
        print(table(rows, list(rows[0]), {c: ".1f" for c in rows[0] if "@" in c}))
        summary["variants"] = rows
        for lang in results:
            cs = [
                (r["cut_s"] - r["true cut_s"])
                for r in _pick(records, lang=lang, condition="genuine")
                if "true cut_s" in r
            ]
            if cs:
                print(
                    f"\n{lang} espeak clean: mapped boundary minus espeak's own (s): "
                    f"min {min(cs):.2f}, median {np.median(cs):.2f}, max {max(cs):.2f}"
                )

    ref = [r for res in results.values() for r in res["real_reference"]]
    if ref:
        print(
            f"\nReal speech (cathy, magicdata_f) vs espeak vs the base voice saying the same corpus sentences: "
            f"z of the right sentence against {REAL_DECOYS} others (min / median / max; right one cheapest):\n"
        )
        rows = []
        for lang in results:
            for who in ("person", "espeak", "base voice"):
                rs = [r for r in ref if r["lang"] == lang and r["reader"] == who]
                if rs:
                    rows.append(
                        {
                            "lang": lang,
                            "reader": who,
                            "n": len(rs),
                            "z": mmm([r["score"] for r in rs]),
                            "cheapest": f"{sum(r['rank'] == 0 for r in rs)}/{len(rs)}",
                            **{
                                f"z ≥ {t:g}": f"{sum(r['score'] >= t for r in rs)}/{len(rs)}"
                                for t in (2.0, 3.0)
                            },
                        }
                    )
        print(table(rows, list(rows[0])))
        summary["real_reference"] = rows

    print("\nTime per check (s):\n")
    rows = [{"lang": lang, "as shipped (cold)": res["check_s_real_cold"],
             "template features cached": res["check_s_real_cached"],
             "copy here, mean of all checks": res["check_s_cached_mean"],
             "language process wall": res["wall_s"]} for lang, res in results.items()]  # fmt: skip
    print(table(rows, list(rows[0])))
    summary["timing"] = rows
    return summary


if __name__ == "__main__":
    main()
