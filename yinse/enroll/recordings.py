"""Import of enrollment recordings: the 2–5 minutes of speech a voice is cloned from.

Files or folders go in; mono float32 recordings at their own sample rate come out, each
with its transcript (when a transcript file is given) and the hash of the file it came
from, so a voice bank can later say exactly which recordings it was built on.  Long files
without transcripts are cut at pauses into sentence-length segments, the unit alignment
and bank building work on.

Speech is found with Silero VAD, whose model ships inside the ``silero-vad`` wheel (no
download); torch is imported only when the VAD first runs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.audio import resample
from ..core.errors import InputError
from ..core.hashing import file_sha256

#: Extensions picked up from a folder (not recursive).  A file named explicitly is read
#: whatever its extension.
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".m4a")
#: Left to ffmpeg even when soundfile might claim them (libsndfile has no AAC decoder).
FFMPEG_SUFFIXES = (".m4a", ".aac", ".mp4")
#: Files longer than this without a transcript are cut at pauses …
SPLIT_ABOVE_S = 20.0
#: … into segments of this length …
SEGMENT_MIN_S = 1.0
SEGMENT_MAX_S = 20.0
#: … at pauses at least this long; a segment still longer than RESPLIT_ABOVE_S is cut again
#: at its pauses of SHORT_PAUSE_S or more: a quick reader's pauses between sentences are often
#: shorter (simulated readings with pauses of 0.15–0.5 s made pieces of up to five sentences),
#: and the matching of pieces to lines joins the pieces of one line again.
SPLIT_PAUSE_S = 0.4
RESPLIT_ABOVE_S = 8.0
SHORT_PAUSE_S = 0.15
#: A transcript line is one sentence; a transcribed file longer than this reads a passage:
#: it is cut at pauses and its pieces matched to the passage's sentences.
MAX_TRANSCRIBED_S = 30.0
#: One file's size limit: 5 minutes of 48 kHz stereo float WAV is 115 MB; 1 GB is not an
#: enrollment recording (and would not fit in memory decoded twice).
MAX_FILE_BYTES = 1024 * 1024 * 1024

VAD_SR = 16000
#: Silero's window at 16 kHz: 512 samples = 32 ms, one speech probability each.
VAD_FRAME = 512
VAD_FRAME_S = VAD_FRAME / VAD_SR


@dataclass
class Recording:
    """One enrollment utterance: a whole file, or segment k of a long file (``name#k``)."""

    name: str
    audio: np.ndarray
    sr: int
    text: str | None
    pinyin: str | None
    source: Path
    source_sha256: str
    #: A piece of a long file whose transcript is a whole passage: the passage, whose
    #: sentence this piece reads is not known yet (``text`` is None until it is).
    passage: str | None = None

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sr


# --------------------------------------------------------------------------- decoding


def _decode_soundfile(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return data, int(sr)


def _decode_ffmpeg(path: Path, why: str) -> tuple[np.ndarray, int]:
    """Decode with the ffmpeg program into a float WAV at the file's own rate and channels."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise InputError(
            f"cannot read recording {path} ({why}) and the ffmpeg program is not installed; "
            "install ffmpeg (e.g. apt-get install ffmpeg) or convert the file to WAV or FLAC"
        )
    with tempfile.TemporaryDirectory(prefix="yinse-decode-") as tmp:
        wav = Path(tmp) / "decoded.wav"
        cmd = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path),
               "-vn", "-map", "0:a:0", "-c:a", "pcm_f32le", "-f", "wav", str(wav)]  # fmt: skip
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=600, check=False)
        except subprocess.TimeoutExpired:
            raise InputError(
                f"ffmpeg took over 10 minutes to decode recording {path}; "
                "convert it to WAV or FLAC yourself"
            ) from None
        if proc.returncode != 0 or not wav.is_file():
            lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = lines[-1] if lines else f"exit code {proc.returncode}"
            raise InputError(
                f"recording {path} is not audio that Yinse can read (ffmpeg: {detail}); "
                "give a WAV, FLAC, MP3, Ogg or M4A recording"
            )
        return _decode_soundfile(wav)


def decode_audio(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the file's own sample rate (the caller resamples)."""
    import soundfile as sf

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read recording {path}: {exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"recording {path} is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES / 1e6:.0f} MB "
            "limit; give sentence-length files or a few minutes at most"
        )
    if size == 0:
        raise InputError(f"recording {path} is an empty file (0 bytes); record it again")
    if path.suffix.lower() in FFMPEG_SUFFIXES:
        data, sr = _decode_ffmpeg(path, f"{path.suffix} needs ffmpeg")
    else:
        try:
            data, sr = _decode_soundfile(path)
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
            data, sr = _decode_ffmpeg(path, f"soundfile: {str(exc).strip() or type(exc).__name__}")
    audio = data.mean(axis=1).astype(np.float32) if data.shape[1] > 1 else data[:, 0].copy()
    if audio.size == 0:
        raise InputError(f"recording {path} holds no audio samples; record it again")
    if not np.all(np.isfinite(audio)):
        raise InputError(
            f"recording {path} contains NaN or infinite samples; export it again as 16- or "
            "24-bit WAV or FLAC"
        )
    return audio, sr


# --------------------------------------------------------------------------- VAD

_VAD_MODEL: Any = None


def _vad_model() -> Any:
    """Silero VAD's TorchScript model from the installed wheel, loaded once per process."""
    global _VAD_MODEL
    if _VAD_MODEL is None:
        from silero_vad import load_silero_vad

        _VAD_MODEL = load_silero_vad(onnx=False)
    return _VAD_MODEL


#: Long audio is run as pieces of PIECE frames (~30 s) side by side in one batch; each
#: piece after a file's first is preceded by WARMUP frames (~3 s) of the audio before it,
#: whose outputs are dropped, so the model's recurrent state has settled on the real
#: context.  Measured on 123 s of cathy against one sequential pass: max |Δp| 0.11, and 5
#: of 3,850 frames land on the other side of 0.5 (1 s of warm-up: 0.32).
_PIECE_FRAMES = 938
_WARMUP_FRAMES = 94


def _vad_input(audio: np.ndarray, sr: int) -> np.ndarray:
    """16 kHz, peak scaled to 0.5.  Silero's verdict depends on level (cathy at −40 dB
    gain: 68 % of her speech found instead of 96 %; at −60 dB: none), so every signal is
    scaled first; scaled noise alone still reads as no speech (measured on white noise from
    −80 to −20 dBFS), and the level checks use the unscaled audio."""
    y = np.asarray(resample(np.asarray(audio, dtype=np.float32), int(sr), VAD_SR), np.float32)
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    return y * np.float32(0.5 / peak) if peak > 0 else y


def speech_probabilities(audios: Sequence[np.ndarray], srs: Sequence[int]) -> list[np.ndarray]:
    """Silero's speech probability per 32 ms frame at 16 kHz, for many signals at once.

    The model is causal and stateful per batch row, so all files (cut into ~30 s pieces)
    run as rows of one batch: a few hundred model calls instead of one per 32 ms of audio.
    """
    import torch

    model = _vad_model()
    signals = [_vad_input(a, sr) for a, sr in zip(audios, srs, strict=True)]
    n_frames = [max(1, -(-len(s) // VAD_FRAME)) for s in signals]
    # (signal index, first output frame, number of output frames)
    pieces = [(i, f0, min(_PIECE_FRAMES, n - f0))
              for i, n in enumerate(n_frames) for f0 in range(0, n, _PIECE_FRAMES)]  # fmt: skip
    # Similar lengths share a batch, so short files do not wait for long pieces.
    pieces.sort(key=lambda p: min(_WARMUP_FRAMES, p[1]) + p[2])
    out = [np.zeros(n, dtype=np.float32) for n in n_frames]
    rows_per_batch = 32  # ≤ 32 × 33 s × 16 kHz × 4 B ≈ 68 MB of input at once
    for b0 in range(0, len(pieces), rows_per_batch):
        batch = pieces[b0 : b0 + rows_per_batch]
        leads = [min(_WARMUP_FRAMES, f0) for _, f0, _ in batch]
        width = max(w + n for w, (_, _, n) in zip(leads, batch, strict=True))
        block = np.zeros((len(batch), width * VAD_FRAME), dtype=np.float32)
        for row, ((i, f0, n), w) in enumerate(zip(batch, leads, strict=True)):
            seg = signals[i][(f0 - w) * VAD_FRAME : (f0 + n) * VAD_FRAME]
            block[row, : len(seg)] = seg  # zeros after a row's end do not reach back (causal)
        model.reset_states()
        probs = np.zeros((len(batch), width), dtype=np.float32)
        with torch.inference_mode():
            for k in range(width):
                chunk = torch.from_numpy(block[:, k * VAD_FRAME : (k + 1) * VAD_FRAME])
                probs[:, k] = model(chunk, VAD_SR).numpy().reshape(-1)
        for row, ((i, f0, n), w) in enumerate(zip(batch, leads, strict=True)):
            out[i][f0 : f0 + n] = probs[row, w : w + n]
    model.reset_states()
    return out


def speech_regions_s(
    probs: np.ndarray,
    *,
    duration_s: float,
    min_silence_s: float = 0.1,
    max_speech_s: float = float("inf"),
) -> list[tuple[float, float]]:
    """Speech (start, end) in seconds from frame probabilities, with Silero's own rules
    (threshold 0.5, regions ≥ 250 ms, 30 ms padding)."""
    from silero_vad import get_speech_timestamps_from_probs

    n = int(round(duration_s * VAD_SR))
    stamps = get_speech_timestamps_from_probs(
        [float(p) for p in probs],
        sampling_rate=VAD_SR,
        min_silence_duration_ms=int(round(min_silence_s * 1000)),
        max_speech_duration_s=max_speech_s,
        audio_length_samples=n,
    )
    return [(s["start"] / VAD_SR, min(s["end"], n) / VAD_SR) for s in stamps]


# --------------------------------------------------------------------------- splitting


def split_at_pauses(
    audio: np.ndarray, sr: int, probs: np.ndarray
) -> list[tuple[int, int]]:
    """Sample ranges of sentence-length segments (1–20 s), cut in every pause ≥ 0.4 s, and
    segments over 8 s in every pause ≥ 0.15 s.

    Speech regions come from Silero with pauses ≥ 0.4 s (a region over 20 s is cut by
    Silero at its longest short pause); each cut lies in the middle of its pause, with at
    most 0.15 s of the pause kept on either side.  Regions under 1 s are joined to the
    nearer neighbour when that keeps them ≤ 20 s, and dropped otherwise (a cough, a click).
    """
    duration_s = len(audio) / sr
    pad_s = 0.15
    longest = SEGMENT_MAX_S - 2 * pad_s
    regions = speech_regions_s(probs, duration_s=duration_s, min_silence_s=SPLIT_PAUSE_S, max_speech_s=longest)
    if not regions:
        return []
    if any(end - start > RESPLIT_ABOVE_S for start, end in regions):
        short = speech_regions_s(probs, duration_s=duration_s, min_silence_s=SHORT_PAUSE_S, max_speech_s=longest)
        regions = [part for start, end in regions for part in (
            [(max(a, start), min(b, end)) for a, b in short if a < end and b > start] or [(start, end)]
            if end - start > RESPLIT_ABOVE_S else [(start, end)]
        )]  # fmt: skip
    groups = [[start, end] for start, end in regions]
    # Join a too-short region to the nearer neighbour where the result still fits.
    i = 0
    while i < len(groups):
        s, e = groups[i]
        if e - s >= SEGMENT_MIN_S or len(groups) == 1:
            i += 1
            continue
        options = []  # (gap to the neighbour, its index), nearer first
        if i > 0 and e - groups[i - 1][0] <= SEGMENT_MAX_S - 2 * pad_s:
            options.append((s - groups[i - 1][1], i - 1))
        if i + 1 < len(groups) and groups[i + 1][1] - s <= SEGMENT_MAX_S - 2 * pad_s:
            options.append((groups[i + 1][0] - e, i + 1))
        if options:
            _, j = min(options)
            lo, hi = min(i, j), max(i, j)
            groups[lo] = [groups[lo][0], groups[hi][1]]
            del groups[hi]
            i = lo
        else:
            del groups[i]
    bounds: list[tuple[int, int]] = []
    for k, (s, e) in enumerate(groups):
        prev_end = groups[k - 1][1] if k else 0.0
        next_start = groups[k + 1][0] if k + 1 < len(groups) else duration_s
        a = max(s - pad_s, (prev_end + s) / 2, 0.0)
        b = min(e + pad_s, (e + next_start) / 2, duration_s)
        bounds.append((int(round(a * sr)), int(round(b * sr))))
    return bounds


# --------------------------------------------------------------------------- transcripts


@dataclass
class _Line:
    number: int
    file: str
    text: str
    pinyin: str | None


def read_transcripts(path: Path) -> list[_Line]:
    """``file<TAB>text[<TAB>pinyin]`` lines, UTF-8; blank lines and ``#`` comments skipped."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"transcript file {path} does not exist; check the path") from None
    except OSError as exc:
        raise InputError(f"cannot read transcript file {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_no = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"transcript file {path} is not UTF-8 text (bad byte at line {line_no}); "
            "save it as UTF-8"
        ) from None
    lines: list[_Line] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = raw.rstrip("\r").split("\t")
        if len(fields) not in (2, 3):
            raise InputError(
                f"transcript file {path} line {number}: expected file<TAB>text[<TAB>pinyin], "
                f"found {len(fields)} tab-separated field(s) in {raw[:60]!r}; separate the "
                "columns with one tab each"
            )
        name = Path(fields[0].strip()).name
        words = fields[1].strip()
        pinyin = fields[2].strip() if len(fields) == 3 else ""
        if not name:
            raise InputError(
                f"transcript file {path} line {number}: the file column is empty; "
                "write the recording's file name before the first tab"
            )
        if not words:
            raise InputError(
                f"transcript file {path} line {number}: the text for {name} is empty; "
                "write what is said in the recording, or remove the line and the file"
            )
        if name in seen:
            raise InputError(
                f"transcript file {path} line {number}: {name} already has a transcript on "
                f"line {seen[name]}; keep one line per file"
            )
        seen[name] = number
        lines.append(_Line(number, name, words, pinyin or None))
    if not lines:
        raise InputError(
            f"transcript file {path} has no transcript lines; write one "
            "file<TAB>text line per recording"
        )
    return lines


# --------------------------------------------------------------------------- loading


def natural_order(name: str) -> tuple:
    """Sort key putting "Recording 2" before "Recording 10", as a person reads them: a
    phone's recorder numbers its files, and they are read in that order."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name))


def _audio_files(inputs: Sequence[Path]) -> list[Path]:
    if not inputs:
        raise InputError("no recordings given; name audio files or folders that hold them")
    files: list[Path] = []
    for given in inputs:
        p = Path(given)
        if p.is_dir():
            found = sorted(
                (f for f in p.iterdir() if f.is_file() and f.suffix.lower() in AUDIO_SUFFIXES),
                key=lambda f: natural_order(f.name),
            )
            if not found:
                raise InputError(
                    f"folder {p} holds no recordings (looked for "
                    f"{', '.join(AUDIO_SUFFIXES)}, not in subfolders); give the folder "
                    "that holds the audio files"
                )
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"recording {p} does not exist; check the path")
    unique: list[Path] = []
    by_name: dict[str, Path] = {}
    for f in files:
        real = f.resolve()
        if f.name in by_name:
            if by_name[f.name].resolve() == real:
                continue  # the same file named twice (e.g. itself and its folder)
            raise InputError(
                f"two recordings are named {f.name} ({by_name[f.name]} and {f}); names "
                "identify recordings and transcripts, so rename one"
            )
        by_name[f.name] = f
        unique.append(f)
    return unique


def load_recordings(
    inputs: Sequence[Path], *, transcripts: Path | None = None
) -> list[Recording]:
    """Read enrollment recordings from files and folders (wav, flac, mp3, ogg, m4a).

    With a transcript file every recording needs exactly one line; a sentence-length one
    (≤ 30 s) is kept whole, a longer one reads a passage and is cut at pauses, its pieces
    keeping the passage (:attr:`Recording.passage`).  Without one, files over 20 s are cut
    at pauses.  Pieces are named ``name#1``, ``name#2``, … and last 1–20 s.  Audio keeps
    its sample rate; stereo is averaged to mono.
    """
    files = _audio_files(inputs)
    lines = read_transcripts(Path(transcripts)) if transcripts is not None else None
    by_file: dict[str, _Line] = {}
    if lines is not None:
        names = {f.name for f in files}
        stems: dict[str, list[str]] = {}
        for f in files:
            stems.setdefault(f.stem, []).append(f.name)
        for line in lines:
            # Exact file name first; a name without extension (or with another one, e.g.
            # after converting to FLAC) matches a file of that stem when only one has it.
            if line.file in names:
                key = line.file
            elif len(stems.get(Path(line.file).stem, [])) == 1:
                key = stems[Path(line.file).stem][0]
            else:
                raise InputError(
                    f"transcript file {transcripts} line {line.number} names {line.file}, "
                    "which is not among the recordings given; add that file or remove the line"
                )
            if key in by_file:
                raise InputError(
                    f"transcript file {transcripts} lines {by_file[key].number} and "
                    f"{line.number} both describe {key}; keep one line per file"
                )
            by_file[key] = line
        missing = [f.name for f in files if f.name not in by_file]
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                              else "")  # fmt: skip
            raise InputError(
                f"transcript file {transcripts} has no line for {shown}; add a "
                "file<TAB>text line for each recording or leave those files out"
            )

    decoded: list[tuple[Path, np.ndarray, int, str]] = []
    for f in files:
        audio, sr = decode_audio(f)
        decoded.append((f, audio, sr, file_sha256(f)))

    recordings: list[Recording] = []
    to_split = [k for k, (f, audio, sr, _) in enumerate(decoded)
                if len(audio) / sr > (SPLIT_ABOVE_S if lines is None else MAX_TRANSCRIBED_S)]  # fmt: skip
    probs = (speech_probabilities([decoded[k][1] for k in to_split],
                                  [decoded[k][2] for k in to_split])
             if to_split else [])  # fmt: skip
    split_probs = dict(zip(to_split, probs, strict=True))
    for k, (f, audio, sr, digest) in enumerate(decoded):
        line = by_file.get(f.name)
        if k in split_probs:
            passage = line.text if line is not None else None
            bounds = split_at_pauses(audio, sr, split_probs[k])
            if not bounds:  # no speech to cut at: keep it whole so the quality check says so
                recordings.append(Recording(f.name, audio, sr, None, None, f, digest, passage))
            for j, (a, b) in enumerate(bounds, start=1):
                recordings.append(
                    Recording(f"{f.name}#{j}", audio[a:b].copy(), sr, None, None, f, digest, passage)
                )
        elif line is not None:
            recordings.append(Recording(f.name, audio, sr, line.text, line.pinyin, f, digest))
        else:
            recordings.append(Recording(f.name, audio, sr, None, None, f, digest))
    return recordings
