"""Enrollment: recordings of a person in, a registered voice bank out.

Steps: read the recordings (transcripts, or the guided script matched by file name or
order), check their quality, refuse recordings that sound like a voice another owner has
registered (protected-voice guard), have the base voice say every sentence, align each
recording with it and drop recordings whose text does not match, build the
:class:`~yinse.voices.timbre.TimbreBank`, and store it.  The bank is written to a temporary
folder beside its final place and moved there inside the registry transaction that adds
the voice, so a failure (or a killed process) leaves neither a bank nor a row; temporary
folders left by a killed process are removed by the next enrollment.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..core.audio import resample
from ..core.errors import InputError
from ..core.hashing import file_sha256
from ..core.paths import data_home
from ..registry.speaker import EMBEDDING_VERSION, compare_voices, embed, mean_embedding
from ..voices import is_built_in
from ..voices.speaking_pitch import recordings_pitch_hz
from ..voices.timbre import WorldFeatures, build_bank, cepstral_stats, world_features
from .align import Alignment, align

#: Base voice per language: it says the text whose timbre the bank replaces.
BASE_VOICES = {"zh": "baker", "en": "joe"}
#: A recording whose own text aligns no better than other sentences does not say its text.
#: Above this share of such recordings the whole set is refused (wrong language or wrong
#: transcripts); below it they are dropped and named in the report.
MAX_MISMATCHED_SHARE = 0.25
DECOYS_PER_RECORDING = 3

Progress = Callable[[str, int, int], None]


@dataclass
class EnrollResult:
    name: str
    voice_id: str
    bank_folder: Path
    used: list[str]
    dropped: dict[str, str]
    speech_s: float
    quality: object
    coverage: object
    seconds: dict[str, float] = field(default_factory=dict)
    #: Recordings whose transcript's pinyin could not be followed (their text was read as
    #: written), with why.
    unread_pinyin: dict[str, str] = field(default_factory=dict)


def voices_folder() -> Path:
    folder = data_home() / "voices"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


#: A bank folder no registry row refers to is removed once it is this old: a process
#: killed between moving its bank into place and committing its row leaves one, while an
#: enrollment running now holds its folder without a row only for the commit's moment.
ORPHAN_AGE_S = 60.0


def _clear_leftovers(folder: Path, registry) -> None:
    """Remove what killed enrollments left: temporary folders, and bank folders without a
    voice row (the person's voice data must not outlive a failed enrollment)."""
    for stale in folder.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    known = {Path(v.bank_path).name for v in registry.list_voices()}
    for bank in folder.iterdir():
        if bank.is_dir() and not bank.name.startswith(".") and bank.name not in known:
            if time.time() - bank.stat().st_mtime > ORPHAN_AGE_S:
                shutil.rmtree(bank, ignore_errors=True)


def _assign_texts(recordings: list, language: str, base, say: Progress):
    """The text each recording reads, where the transcripts do not give it.

    A file named by a script line's id (``zh-007.wav``) gets that line.  The other pieces
    are matched to the lines they read by content (:func:`_read_lines`): recordings without
    transcripts (files in name order, a long take cut at pauses) to the guided script's
    lines, and the pieces of a long file transcribed as a whole to its passage's sentences
    (:func:`~yinse.text.sentences.passage_sentences`).  Returns the recordings (pieces of
    one line joined, a piece of several lines cut apart), those that read no line with why,
    and the base voice's renderings of the lines, for reuse."""
    from ..text.sentences import passage_sentences
    from .script import script_lines

    script = script_lines(language)
    lines, by_id = [line.text for line in script], {line.id: line.text for line in script}
    for rec in recordings:
        stem = Path(rec.name.split("#")[0]).stem
        if rec.text is None and rec.passage is None and stem in by_id and "#" not in rec.name:
            rec.text = by_id[stem]
    readings: dict[object, list] = {}  # the script, or a passage's file: its pieces
    for rec in recordings:
        if rec.text is None:
            readings.setdefault(rec.source if rec.passage is not None else None, []).append(rec)
    read, dropped, rendered, refused = {}, {}, {}, []
    for source, pieces in readings.items():
        if source is None:
            found, unmatched = _read_lines(pieces, lines, base, say, rendered, line="line of the script", refusal=(
                f"the recordings without transcripts do not read the {language} script",
                "read the script printed by `yinse voice script`, name each file by its line id "
                f"(e.g. {language}-007.wav), or give --transcripts",
            ))  # fmt: skip
        else:
            try:
                found, unmatched = _read_lines(
                    pieces, passage_sentences(pieces[0].passage, language), base, say, rendered,
                    line="sentence of its transcript",
                    refusal=(f"{source.name} does not read its transcript", _passage_advice(language)),
                )
            except InputError as error:  # one file's wrong transcript costs that file only
                refused.append(error)
                found, unmatched = {}, {r.name: f"the file does not read its transcript ({error})" for r in pieces}
        read |= found
        dropped |= unmatched
    out = [x for r in recordings for x in ([r] if r.text is not None else read.get(id(r), []))]
    if refused and not out:
        raise refused[0]
    return out, dropped, rendered


def _read_lines(pieces: list, texts: list[str], base, say: Progress, rendered: dict, *, line: str,
                refusal: tuple[str, str]):
    """Pieces of a reading in order matched to the lines they read (:mod:`.script_match`),
    so that a pause inside a line, lines said without a pause between them, a line read
    twice or skipped, or a cough does not break the match.  Returns the recordings that
    read a line by the id of their reading's first piece, and the pieces that read none
    with why (it matches no ``line``); the base voice's renderings of ``texts`` are added to
    ``rendered``.  Fewer than half the pieces reading a line is refused with ``refusal``
    (what, advice)."""
    from .recordings import Recording
    from .script_match import check_reading, match_reading, matching_cepstra

    said = []
    for k, text in enumerate(texts):
        say("lines read", k, len(texts))
        if text not in rendered:
            rendered[text] = base.speak_utterance(text)
        said.append(rendered[text])
    say("matching", 0, 1)
    matches = match_reading(
        [matching_cepstra(r.audio, r.sr) for r in pieces], [matching_cepstra(u.audio, u.sr) for u in said]
    )
    check_reading(matches, len(pieces), *refusal)
    read: dict[int, list[Recording]] = {}
    for m in matches:
        first = pieces[m.pieces[0]]
        audio = np.concatenate([pieces[i].audio for i in m.pieces]) if len(m.pieces) > 1 else first.audio
        name = first.name + "".join(f"+{pieces[i].name.rpartition('#')[2]}" for i in m.pieces[1:])
        if m.within_s is not None:  # one of lines said without a pause between them
            a, b = (int(round(t * first.sr)) for t in m.within_s)
            audio, name = audio[a:b].copy(), f"{name}.{len(read.get(id(first), [])) + 1}"
        read.setdefault(id(first), []).append(Recording(
            name=name, audio=audio, sr=first.sr, text=texts[m.line], pinyin=None,
            source=first.source, source_sha256=first.source_sha256, passage=first.passage,
        ))  # fmt: skip
    matched = {i for m in matches for i in m.pieces}
    dropped = {r.name: f"it matches no {line}" for k, r in enumerate(pieces) if k not in matched}
    return read, dropped


def _speak_and_analyse(base, recordings: list, say: Progress, rendered: dict | None = None):
    """The base voice says every sentence while worker processes run the WORLD analysis of
    the recordings and of what the base voice said (the two dominant costs, overlapped).
    Returns the recordings the base voice could say, the base rate, and both features."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    workers = max(1, min(len(recordings), os.cpu_count() or 1, 8))
    spoken, bases, targets, dropped, unread, base_sr = [], [], {}, {}, {}, 0
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        for i, rec in enumerate(recordings):
            say("base voice", i, len(recordings))
            try:
                said = _say(base, rec, unread, rendered)
                audio, base_sr = said.audio, said.sr
            except InputError as error:  # e.g. Latin letters in a Mandarin sentence
                dropped[rec.name] = f"the base voice cannot say its text ({error})"
                if i in targets:
                    targets[i].cancel()
                continue
            if not targets:  # the base rate is known now: analyse every recording at it
                targets = {
                    k: pool.submit(world_features, resample(r.audio, r.sr, base_sr).astype(np.float32), base_sr)
                    for k, r in enumerate(recordings) if k >= i
                }  # fmt: skip
            spoken.append((i, rec, said))
            bases.append(pool.submit(world_features, audio, base_sr, aperiodicity=False))
        say("analysis", 0, 1)
        base_f = [f.result() for f in bases]
        target_f = [targets[i].result() for i, _, _ in spoken]
    if not spoken:
        raise InputError("the base voice could say none of the transcripts; check --lang")
    phones = [said.phones or None for _, _, said in spoken]
    return [rec for _, rec, _ in spoken], base_sr, base_f, target_f, phones, dropped, unread


def _say(base, rec, unread: dict[str, str], rendered: dict | None = None):
    """The base voice saying a recording's text; in Mandarin, in its transcript's pinyin
    when one is given and it lines up with the text (else as written, noted in ``unread``).
    ``rendered``: what it already said for texts without pinyin (the script's lines)."""
    if not rec.pinyin and rec.text in (rendered or {}):
        return rendered[rec.text]
    if rec.pinyin and base.language == "zh":
        from ..text.mandarin import PinyinMismatch

        try:
            return base.speak_utterance(rec.text, pinyin=rec.pinyin)
        except PinyinMismatch as error:
            unread[rec.name] = str(error)
    return base.speak_utterance(rec.text)


def _check_name(name: str, registry) -> None:
    from ..registry.voices import check_voice_name

    check_voice_name(name)
    if is_built_in(name):
        raise InputError(f"'{name}' is the name of a built-in voice; pick another name")
    if registry.get_voice(name) is not None:
        raise InputError(
            f"a voice called '{name}' already exists; pick another name or delete it first "
            f"(yinse voice delete {name})"
        )


def _centroid_of(recordings: list, version: int = EMBEDDING_VERSION) -> np.ndarray:
    """The speaker centroid over every recording long enough to embed (≥ 1 s voiced), made
    as embedding ``version`` makes it."""
    embeddings = []
    for rec in recordings:
        try:
            embeddings.append(embed(rec.audio, sr=rec.sr, version=version))
        except InputError:  # too short to judge alone; it still serves the bank
            continue
    if not embeddings:
        raise InputError("no recording holds 1 s of voiced speech; record full sentences")
    return mean_embedding(embeddings)


def _protected_voice_guard(registry, recordings: list, centroid: np.ndarray, owner: str) -> None:
    """Refuse ``recordings`` (whose current-version centroid is ``centroid``) if they sound
    like a registered voice of another owner; a voice enrolled with an older embedding is
    compared with a centroid of these recordings made its way."""
    centroids = {EMBEDDING_VERSION: centroid}
    for other in registry.list_voices():
        if not other.embedding or other.owner_name == owner:
            continue
        version = other.embedding_version
        if version not in centroids:
            centroids[version] = _centroid_of(recordings, version)
        check = compare_voices(centroids[version], np.asarray(other.embedding, np.float32), version=version)
        if check.accepted:
            raise InputError(
                f"these recordings sound like the registered voice '{other.name}' of another "
                f"owner (speaker similarity {check.score:.2f} ≥ {check.threshold:.2f}); a voice "
                "can only be enrolled by its own owner — if it is you, enroll under the same "
                "owner name, otherwise do not clone this person"
            )


def enroll(
    name: str,
    *,
    language: str,
    inputs: Sequence[Path],
    owner: str,
    transcripts: Path | None = None,
    min_speech_s: float = 30.0,
    registry=None,
    progress: Progress | None = None,
) -> EnrollResult:
    from ..registry import Registry
    from ..voices import get_voice
    from .quality import check_quality
    from .recordings import load_recordings
    from .script import coverage

    clock = {"start": time.perf_counter()}
    say = progress or (lambda stage, done, total: None)
    if language not in BASE_VOICES:
        raise InputError(f"--lang '{language}' is not supported for enrollment; use zh or en")
    if not owner.strip():
        raise InputError("--owner is empty; give the name of the person whose voice this is")
    registry = registry or Registry()
    _check_name(name, registry)

    say("reading", 0, 1)
    recordings = load_recordings([Path(p) for p in inputs], transcripts=transcripts)
    base = get_voice(BASE_VOICES[language])
    unmatched, rendered = {}, {}
    if any(rec.text is None for rec in recordings):
        recordings, unmatched, rendered = _assign_texts(recordings, language, base, say)
        clock["readings matched"] = time.perf_counter()
    quality = check_quality(recordings, min_speech_s=min_speech_s)
    if not quality.ok:
        shown = quality.problems[:3]
        more = len(quality.problems) - len(shown)
        raise InputError(
            "the recordings cannot make a voice: " + " ".join(shown)
            + (f" (and {more} more problems: run with fewer files or see the table)" if more else "")
        )
    usable = quality.usable_recordings(recordings)
    clock["quality"] = time.perf_counter()

    say("speaker check", 0, 1)
    voice_centroid = _centroid_of(usable)
    _protected_voice_guard(registry, usable, voice_centroid, owner.strip())

    spoken, base_sr, base_f, target_f, phones, dropped, unread_pinyin = _speak_and_analyse(base, usable, say, rendered)
    dropped = unmatched | dropped
    clock["base voice and analysis"] = time.perf_counter()

    say("alignment", 0, 1)
    kept, alignments, mismatched = _align_and_check(base_f, target_f, [rec.text for rec in spoken])
    for k in mismatched:
        dropped[spoken[k].name] = "it does not say its transcript (alignment)"
    misread = _misread_passages(spoken, mismatched)
    for k, rec in enumerate(spoken):
        if rec.source in misread and k not in mismatched:
            dropped[rec.name] = f"the file does not read its transcript ({misread[rec.source]})"
    rest = [k for k, rec in enumerate(spoken) if rec.source not in misread]
    if misread and not rest:
        source, why = next(iter(misread.items()))
        raise InputError(f"{source.name} does not read its transcript: {why}; {_passage_advice(language)}")
    kept, mismatched = [k for k in kept if k in rest], [k for k in mismatched if k in rest]
    if len(mismatched) > MAX_MISMATCHED_SHARE * len(rest):
        raise InputError(
            f"{len(mismatched)} of {len(rest)} recordings do not say their text; the "
            f"transcripts do not match the audio, or the recordings are not in {_language_flag(language)}"
        )
    speech_s = sum(spoken[k].duration_s for k in kept)
    if speech_s < min_speech_s:
        raise InputError(
            f"only {speech_s:.0f} s of recordings remain after dropping {len(dropped)}; "
            f"at least {min_speech_s:.0f} s are needed (2–5 minutes recommended)"
        )
    bank = build_bank(
        sr=base_sr, base_voice=base.name, base=[base_f[k] for k in kept],
        target=[target_f[k] for k in kept], paths=[alignments[k].path for k in kept],
        phones=[phones[k] for k in kept] if all(p is not None for p in phones) else None,
        speaking_hz=recordings_pitch_hz([(spoken[k].audio, spoken[k].sr) for k in kept]),
    )  # fmt: skip
    clock["bank"] = time.perf_counter()

    used = [spoken[k] for k in kept]
    cover = coverage([r.text for r in used], language)
    voice_id = uuid.uuid4().hex
    folder = voices_folder()
    _clear_leftovers(folder, registry)
    final = folder / f"{name}-{voice_id[:8]}"
    temp = folder / f".tmp-{voice_id}"
    temp.mkdir()
    try:
        bank.save(temp)
        try:
            from .quality import plot_quality

            plot_quality(quality, recordings, temp / "quality.png")
        except Exception:  # a plot must never cost the voice
            pass
        manifest = {
            "name": name, "owner": owner.strip(), "language": language, "base_voice": base.name,
            "yinse": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "sources": [{"name": r.name, "file": r.source.name, "sha256": r.source_sha256,
                         "seconds": round(r.duration_s, 3), "text": r.text} for r in used],
            "dropped": dropped, "unread_pinyin": unread_pinyin, "speech_s": round(speech_s, 2),
            "coverage": {k: list(v) for k, v in cover.categories.items()},
            "settings": {"min_speech_s": min_speech_s, "sr": base_sr, "speaker_embedding": EMBEDDING_VERSION},
        }  # fmt: skip
        (temp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        digest = bank_digest(temp)
        owner_row = registry.find_owner_by_name(owner.strip()) or registry.add_owner(owner.strip())
        record = registry.add_voice(
            name=name, owner_id=owner_row.id, language=language, base_voice=base.name,
            bank_path=str(final), bank_sha256=digest, embedding=voice_centroid.tolist(),
            manifest=manifest, before_commit=lambda: os.replace(temp, final),
        )  # fmt: skip
    except BaseException:
        # The move happens just before the commit: a failed commit must not leave the bank.
        if final.exists() and registry.get_voice(name) is None:
            shutil.rmtree(final, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    clock["stored"] = time.perf_counter()
    marks = list(clock.items())
    seconds = {k: round(t - marks[i - 1][1], 2) for i, (k, t) in enumerate(marks) if i > 0}
    seconds["total"] = round(clock["stored"] - clock["start"], 2)
    return EnrollResult(
        name=name, voice_id=record.id, bank_folder=final, used=[r.name for r in used],
        dropped=dropped, speech_s=speech_s, quality=quality, coverage=cover, seconds=seconds,
        unread_pinyin=unread_pinyin,
    )  # fmt: skip


def _align_and_check(
    base_f: list[WorldFeatures], target_f: list[WorldFeatures], texts: list[str]
) -> tuple[list[int], list[Alignment], list[int]]:
    """Align every recording with its base-voice sentence; a recording whose own sentence
    aligns no more cheaply than the most similar-length other sentences is mismatched.
    Another take of the same text is no decoy (it would fit as well and drop both takes)."""
    base_stats = cepstral_stats([b.coded_sp for b in base_f])
    target_stats = cepstral_stats([t.coded_sp for t in target_f])
    kw = {"base_stats": base_stats, "target_stats": target_stats}
    alignments = [align(b.coded_sp, t.coded_sp, **kw) for b, t in zip(base_f, target_f)]
    lengths = np.array([len(b.f0) for b in base_f])
    kept, mismatched = [], []
    for k, (a, t) in enumerate(zip(alignments, target_f)):
        others = [j for j in np.argsort(np.abs(lengths - lengths[k])) if _words(texts[j]) != _words(texts[k])]
        decoys = [align(base_f[j].coded_sp, t.coded_sp, **kw).cost for j in others[:DECOYS_PER_RECORDING]]
        if decoys and a.cost >= min(decoys):
            mismatched.append(k)
        else:
            kept.append(k)
    return kept, alignments, mismatched


def _language_flag(language: str) -> str:
    return f"{'Mandarin' if language == 'zh' else 'English'} (--lang {language})"


def _passage_advice(language: str) -> str:
    return f"check that its transcript line is the text read in this file, in {_language_flag(language)}"


def _misread_passages(spoken: list, mismatched: list[int]) -> dict[Path, str]:
    """Long files read as a passage whose pieces mostly do not say the sentences matched to
    them (more than :data:`MAX_MISMATCHED_SHARE`), with why: the transcript is another
    text, and the pieces that happened to align are no more its sentences than the rest."""
    pieces: dict[Path, list[int]] = {}
    for k, rec in enumerate(spoken):
        if rec.passage is not None:
            pieces.setdefault(rec.source, []).append(k)
    out = {}
    for source, ks in pieces.items():
        bad = len(set(ks) & set(mismatched))
        if bad > MAX_MISMATCHED_SHARE * len(ks):
            out[source] = f"{bad} of its {len(ks)} pieces do not say the sentence matched to them"
    return out


def _words(text: str) -> str:
    """A transcript without its spacing and punctuation, to find retakes of one sentence."""
    return re.sub(r"[\W_]+", "", text).lower()


def bank_digest(folder: Path) -> str:
    """The hash the registry keeps of a bank folder (every file, by name)."""
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode())
        h.update(bytes.fromhex(file_sha256(path)))
    return h.hexdigest()
