"""One-take readings of a script, or of a passage, matched to its lines (``yinse.enroll.script_match``).

The shared folders hold no reading of our guided script, so each speaker's own transcribed
sentences stand in for the script: the first ``--lines`` recordings of cathy (English, base
voice joe) and of magicdata_f (Mandarin, base voice baker) are joined into one take with
0.9 s pauses, as a person reads a script, and made harder the ways people are:

- ``plain``: every line once, in order;
- ``pause``: a quarter of the lines cut at their quietest point in the middle third, with
  0.7 s of pause inside the line;
- ``slip``: three lines each preceded by a false start (their first 40 %) and a pause;
- ``omit``: three lines not read;
- ``cough``: three noise bursts (0.4 s) between lines;
- ``part``: only lines 11–25 read;
- ``rushed``: five lines followed by only 0.15 s of pause, so that they and the next line
  make one piece;
- ``fluent``: every pause between lines 0.15–0.5 s, so that pieces of two to four lines are
  common (a quick reader);
- ``aside``: three sentences that are not in the script (the speaker's next recordings)
  said between lines, as a reader who comments or reads a line from elsewhere;
- ``all``: pauses, two slips, two omitted lines, coughs and two rushed lines together;
- ``room``: the plain take in ``bench_consent``'s simulated room (reverb RT60 0.4 s, pink
  noise 20 dB under the voice), against the base voice's clean lines;
- ``phone``: that room through a telephone channel (300–3400 Hz at 8 kHz).

The take is cut at pauses as enrollment cuts it (Silero VAD, ``split_at_pauses``), and
``match_reading`` matches the pieces to the base voice saying every line.  Each match (its
pieces, or the part of them that reads one of several lines) is scored by the line most of
its samples came from; a false start, a cough and an aside should be matched to no line.  Reported per
reading: lines read, matched right (a match holding at least 80 % of its line's samples),
matched wrong (mostly another line, or part of the right one), lines read but not matched,
false starts, coughs or asides kept; whether the whole reading
came out right; and what counting pieces against lines (the rule before) would have done.

With ``--passage`` the lines matched against are the sentences of the recordings' texts
joined into one passage (:func:`yinse.text.sentences.passage_sentences`), as for a long
file transcribed as a whole: a line may then be part of a recording (magicdata_f's often
hold two sentences) or span two, and a match is right when most of its samples come from a
recording the line holds and cover at least 80 % of the line's share of that recording.

    python -m benchmarks.bench_one_take [--json out.json] [--lines 40] [--seeds 2] [--modes plain,fluent] [--passage]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "speech"
SR = 16000
SPEAKERS = {"cathy": ("en", "joe"), "magicdata_f": ("zh", "baker")}
MODES = ("plain", "pause", "slip", "omit", "cough", "part", "rushed", "fluent", "aside", "all", "room", "phone")
#: Labels of samples that read no line.
SILENCE, COUGH, FALSE_START, ASIDE = -2, -1, -3, -4
#: Sentences of the speaker's said in the ``aside`` mode (after the script's).
ASIDES = 3


def sentences(name: str, n: int) -> list[tuple[np.ndarray, str]]:
    import soundfile as sf

    from yinse.core.audio import resample

    language = SPEAKERS[name][0]
    folder = DATA / language / name
    rows = list(csv.reader(open(folder / "transcripts.tsv", encoding="utf-8"), delimiter="\t"))[:n]
    out = []
    for row in rows:
        audio, sr = sf.read(folder / row[0], dtype="float32")
        audio = audio.mean(1) if audio.ndim > 1 else audio
        out.append((resample(audio, sr, SR).astype(np.float32), row[1]))
    return out


def one_take(lines: list[np.ndarray], mode: str, seed: int, asides: Sequence[np.ndarray] = ()) -> tuple[np.ndarray, np.ndarray]:
    """The take and, per sample, the line it reads (or SILENCE, COUGH, FALSE_START, ASIDE)."""
    rng = np.random.default_rng(seed)
    n = len(lines)
    pick = lambda k: set(rng.choice(n, k, replace=False).tolist())  # noqa: E731
    omitted = pick(3) if mode == "omit" else pick(2) if mode == "all" else set()
    if mode == "part":
        omitted = set(range(n)) - set(range(10, 25))
    slips = pick(3) if mode == "slip" else pick(2) if mode == "all" else set()
    inner = pick(n // 4) if mode in ("pause", "all") else set()
    coughs = pick(3) if mode in ("cough", "all") else set()
    rushed = pick(5) if mode == "rushed" else pick(2) if mode == "all" else set()
    aside = dict(zip(sorted(pick(len(asides))), asides)) if mode == "aside" else {}
    parts: list[np.ndarray] = []
    labels: list[np.ndarray] = []

    def add(audio: np.ndarray, label: int) -> None:
        parts.append(audio)
        labels.append(np.full(len(audio), label))

    def pause(seconds: float) -> None:
        add(rng.normal(0, 1e-4, int(seconds * SR)).astype(np.float32), SILENCE)

    pause(0.5)
    for k, audio in enumerate(lines):
        if k in omitted:
            continue
        if k in coughs:
            burst = int(0.4 * SR)
            add((rng.normal(0, 0.1, burst) * np.hanning(burst)).astype(np.float32), COUGH)
            pause(0.8)
        if k in slips:
            add(audio[: int(0.4 * len(audio))], FALSE_START)
            pause(0.9)
        if k in aside:
            add(aside[k], ASIDE)
            pause(0.9)
        if k in inner:
            level = np.convolve(audio**2, np.ones(320) / 320, "same")
            lo, hi = int(0.35 * len(audio)), int(0.65 * len(audio))
            cut = lo + int(np.argmin(level[lo:hi]))
            add(audio[:cut], k)
            pause(0.7)
            add(audio[cut:], k)
        else:
            add(audio, k)
        pause(0.15 if k in rushed else rng.uniform(0.15, 0.5) if mode == "fluent" else 0.9)
    return np.concatenate(parts), np.concatenate(labels)


def majority(labels: np.ndarray) -> int:
    spoken = labels[labels != SILENCE]
    return int(np.bincount(spoken - ASIDE).argmax()) + ASIDE if len(spoken) else COUGH


def line_owners(texts: list[str], lines: list[str], language: str, seconds: list[float]) -> list[dict[int, float]]:
    """For each line, the recordings whose text it holds and the share of each recording's
    time it takes (a passage's line may be part of a recording, or span two): its part of
    the recording's text, weighted by how long the base voice takes to say it (``seconds``),
    since characters are a poor clock (Latin letters in Mandarin text take long)."""
    glue = "" if language == "zh" else " "
    flat = [" ".join(t.split()) for t in texts]
    starts = np.cumsum([0] + [len(t) + len(glue) for t in flat])
    whole, at, weights = glue.join(flat), 0, []
    for line, duration in zip(lines, seconds):
        a = whole.index(line, at)
        b = at = a + len(line)
        weights.append({r: duration * (min(b, starts[r] + len(t)) - max(a, starts[r])) / len(line)
                        for r, t in enumerate(flat) if min(b, starts[r] + len(t)) > max(a, starts[r])})  # fmt: skip
    totals: dict[int, float] = {}
    for owned in weights:
        for r, w in owned.items():
            totals[r] = totals.get(r, 0.0) + w
    return [{r: w / totals[r] for r, w in owned.items()} for owned in weights]


def score(labels: np.ndarray, bounds: list[tuple[int, int]], matches: list, owners: list[dict[int, float]]) -> dict:
    """Each match's samples (its pieces, or its part of them) against the lines read:
    right when most of them come from a recording the line holds, and they are at least 80 %
    of the line's share of it."""
    recorded = {int(x) for x in np.unique(labels) if x >= 0}
    read = {k for k, owned in enumerate(owners) if recorded & set(owned)}
    right, wrong, junk = set(), 0, 0
    for m in matches:
        # The samples of the take the match holds: its pieces, or its part of them joined.
        held = np.concatenate([np.arange(*bounds[i]) for i in m.pieces])
        if m.within_s is not None:
            held = held[int(m.within_s[0] * SR) : int(m.within_s[1] * SR)]
        said = majority(labels[held])
        share = owners[m.line].get(said, 0.0)
        covered = np.sum(labels[held] == said) / max(np.sum(labels == said), 1)
        if said < 0:
            junk += 1
        elif share and covered >= 0.8 * share:  # most of the line, not half of it
            right.add(m.line)
        else:
            wrong += 1
    return {
        "lines_read": len(read), "right": len(right), "wrong": wrong,
        "unmatched": len(read - right), "junk_kept": junk,
        "all_right": right == read and not wrong and not junk,
        # The rule before: pieces in order get the script's lines in order if their numbers
        # agree (all of them).
        "counting_accepts": len(bounds) == len(owners),
    }  # fmt: skip


def run_speaker(name: str, n_lines: int, seeds: int, passage: bool, modes: Sequence[str]) -> list[dict]:
    from benchmarks.bench_consent import in_a_room
    from yinse.enroll.recordings import speech_probabilities, split_at_pauses
    from yinse.enroll.script_match import HOP_S, match_reading, matching_cepstra
    from yinse.text.sentences import passage_sentences
    from yinse.voices import get_voice

    language, voice = SPEAKERS[name]
    recorded = sentences(name, n_lines + ASIDES)
    recorded, asides = recorded[:n_lines], [audio for audio, _ in recorded[n_lines:]]
    texts = [text for _, text in recorded]
    lines = passage_sentences(("" if language == "zh" else " ").join(texts), language) if passage else texts
    base = get_voice(voice)
    t0 = time.perf_counter()
    said = [matching_cepstra(*base.speak(text)) for text in lines]
    print(f"{name}: base voice said {len(lines)} lines in {time.perf_counter() - t0:.1f} s", flush=True)
    owners = line_owners(texts, lines, language, [len(x) * HOP_S for x in said])
    rows = []
    for mode in modes:
        for seed in range(1, seeds + 1):
            take, labels = one_take([a for a, _ in recorded], mode, seed, asides)
            if mode in ("room", "phone"):
                take, _ = in_a_room(take, SR, np.random.default_rng(seed), 1.0, phone=mode == "phone")
                labels = np.pad(labels, (0, max(0, len(take) - len(labels))), constant_values=SILENCE)
            bounds = split_at_pauses(take, SR, speech_probabilities([take], [SR])[0])
            t0 = time.perf_counter()
            pieces = [matching_cepstra(take[a:b], SR) for a, b in bounds]
            matches = match_reading(pieces, said)
            seconds = time.perf_counter() - t0
            row = {"speaker": name, "mode": mode, "seed": seed, "take_s": round(len(take) / SR, 1),
                   "pieces": len(bounds), **score(labels, bounds, matches, owners),
                   "match_s": round(seconds, 1)}  # fmt: skip
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def summary(rows: list[dict]) -> list[str]:
    out = ["| speaker | mode | readings entirely right | lines matched right | matched wrong "
           "| lines read, not matched | false starts / coughs / asides kept | counting accepts | match s (median) |",
           "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name in SPEAKERS:
        for mode in MODES:
            group = [r for r in rows if r["speaker"] == name and r["mode"] == mode]
            if not group:
                continue
            out.append(
                f"| {name} | {mode} | {sum(r['all_right'] for r in group)}/{len(group)} "
                f"| {sum(r['right'] for r in group)}/{sum(r['lines_read'] for r in group)} "
                f"| {sum(r['wrong'] for r in group)} | {sum(r['unmatched'] for r in group)} "
                f"| {sum(r['junk_kept'] for r in group)} "
                f"| {sum(r['counting_accepts'] for r in group)}/{len(group)} "
                f"| {statistics.median(r['match_s'] for r in group):.1f} |"
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--passage", action="store_true", help="match to the sentences of the recordings' texts "
                        "joined into one passage (a long file transcribed as a whole), not to the recordings' lines")
    args = parser.parse_args()
    modes = args.modes.split(",")
    rows = [r for name in SPEAKERS for r in run_speaker(name, args.lines, args.seeds, args.passage, modes)]
    print("\n".join(summary(rows)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
