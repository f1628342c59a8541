"""Quality checks of enrollment recordings, before a voice is built from them.

A cloned voice copies whatever it is given: hiss, hum, clipping, room, background music.
The checks here measure each recording and the set as a whole, say in plain sentences
what is wrong and how to fix it, and set aside single bad files when the rest is enough.

Measures (dBFS: 20·log10 of RMS relative to 1.0, so a full-scale sine reads −3 dBFS):

* speech time: Silero VAD (``recordings.speech_probabilities``), regions ≥ 250 ms.
* active speech level: mean power inside the VAD's speech regions, after an 80 Hz
  high-pass (rumble and DC below the voice say nothing about the voice).
* noise floor: the 20th percentile of 20 ms frame powers outside speech (after the same
  high-pass); files trimmed so tight that under 0.3 s is not speech use the 2nd percentile
  of all frames (the quietest moments between words), an upper bound on the floor.
* SNR: level minus noise floor.
* clipping: samples in runs of ≥ 3 at ≥ 0.999 of full scale, or in flat tops (≥ 3
  identical samples at ≥ 90 % of the file's peak: clipped, then scaled down).
* music score (≥ 1 means "probably not speech"): the larger of
  ``loud_nonspeech_ratio / 0.5`` — the share of loud frames the VAD does not call speech
  (instruments, drums) — and ``sustained_ratio / 0.2`` — the share of loud frames whose
  harmonic fine structure is unchanged 200 ms later (held notes: singing, chords).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.atomic import temp_beside
from ..core.audio import resample
from ..core.errors import InputError
from .recordings import VAD_FRAME_S, VAD_SR, Recording, speech_probabilities, speech_regions_s

# ---------------------------------------------------------------- thresholds and their reasons

#: Below this much usable speech the set is refused (the caller may ask for more).
MIN_SPEECH_S = 30.0
#: Under this, a warning: voice cloning wants 2–5 minutes.
RECOMMENDED_SPEECH_S = 120.0
#: More than 0.1 % clipped samples (1 in 1,000) is audible distortion on every loud vowel.
#: Measured: every file of every shared speech folder scores 0.0000 %; cathy × 8 (her
#: peaks, 0.15–0.39, pushed 1.2–3.1× past full scale) scores 0.04–4.3 %, median 0.94 %,
#: and 148 of her 150 files go over the limit.
MAX_CLIPPED_FRACTION = 0.001
#: Active speech below −40 dBFS is 15–20 dB under a normal recording level (−28 to −18
#: dBFS for most shared folders; their quietest file, LibriSpeech 367, reads −38.4 dBFS):
#: the gain was far too low, and hiss and quantisation noise grow when it is raised.
MIN_LEVEL_DBFS = -40.0
#: Estimated SNR below this fails.  Calibrated on the shared speech folders: every one of
#: their 447 files reads ≥ 21.1 dB (the noisiest: LibriSpeech test-other 2609, 21–23 dB;
#: then LibriSpeech 367, 24 dB, and cathy's tightly trimmed files, whose floor is an upper
#: bound, 25 dB), while cathy with white noise added at 10 dB SNR reads 10.2–11.5 dB on all
#: 150 files.  15 dB lies in that gap: 3.5 dB above the noisy case, 6 dB below real speech.
MIN_SNR_DB = 15.0
#: Estimated SNR of the whole set below this earns a warning: the noise will be cloned too.
WARN_SNR_DB = 25.0
#: Music score ≥ 1 means "not speech".  Its two parts, measured per file on the 447 shared
#: speech files and 17 GTSinger spoken-lyric files, the 46 shared singing files and 15
#: synthesised loops (chords, melody, bass, drums in 5 combinations):
#: loud frames the VAD calls non-speech — speech ≤ 0.12, every loop 1.00;
#: sustained fine structure — speech ≤ 0.13, singing median 0.38 (39 of 46 files flagged),
#: loops 0.37–0.91 (drum-only loops 0).  Limits 0.5 and 0.2: speech scores ≤ 0.64.
LOUD_NONSPEECH_LIMIT = 0.5
SUSTAINED_LIMIT = 0.2
#: Recordings below this sample rate lose the upper voice band (warning only).
MIN_GOOD_SR = 16000
#: Level floor for silence and digital zero.
DB_FLOOR = -120.0

_HIGHPASS_HZ = 80.0
_FRAME_S = 0.020
_HOP_S = 0.010
#: Frames within this many dB of a file's 95th-percentile frame level are "loud".
_LOUD_WITHIN_DB = 20.0
#: Spectral variability (see ``_spectral_frames``) below which a sound is steady.
_MIN_MUSIC_VARIABILITY_DB = 3.0


@dataclass
class FileQuality:
    """Measurements of one recording (one segment of a split file counts as one)."""

    name: str
    duration_s: float
    sr: int
    speech_s: float
    speech_ratio: float
    level_dbfs: float
    noise_floor_dbfs: float
    snr_db: float
    clipped_fraction: float
    loud_nonspeech_ratio: float
    sustained_ratio: float
    music_score: float
    speech_regions_s: list[tuple[float, float]] = field(default_factory=list, repr=False)
    problems: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.problems


@dataclass
class QualityReport:
    """Per-file and whole-set quality of enrollment recordings.

    ``ok`` is False when the set as a whole cannot be used (too little usable speech).
    Files with their own problems are listed in ``rejected`` and left out of ``usable``;
    ``problems`` holds every problem found (set-wide first), each one sentence naming the
    file(s), the value and the fix; ``warnings`` holds what is worth fixing but not fatal.
    Set-wide level, noise floor and SNR are speech-time-weighted over the usable files (all
    files when none is usable); ``music_score`` is the highest file's.
    """

    files: list[FileQuality]
    total_s: float
    speech_s: float
    speech_ratio: float
    usable_speech_s: float
    level_dbfs: float
    noise_floor_dbfs: float
    snr_db: float
    clipped_fraction: float
    music_score: float
    min_speech_s: float
    usable: list[str]
    rejected: dict[str, list[str]]
    problems: list[str]
    warnings: list[str]
    ok: bool

    def usable_recordings(self, recordings: Sequence[Recording]) -> list[Recording]:
        """The recordings this report kept, in their order."""
        keep = set(self.usable)
        return [r for r in recordings if r.name in keep]

    def table(self) -> str:
        """A fixed-width table for the CLI: one row per file, the set, then the verdict."""
        head = (f"{'file':<32} {'dur s':>6} {'speech s':>8} {'ratio':>5} {'level':>6} "
                f"{'noise':>6} {'SNR':>5} {'clip %':>7} {'music':>5}  verdict")  # fmt: skip
        units = f"{'':<32} {'':>6} {'':>8} {'':>5} {'dBFS':>6} {'dBFS':>6} {'dB':>5} {'':>7} {'':>5}"
        lines = [head, units, "-" * len(head)]

        def row(name: str, q: FileQuality | QualityReport, verdict: str, dur: float) -> str:
            shown = name if len(name) <= 32 else "…" + name[-31:]
            return (f"{shown:<32} {dur:>6.1f} {q.speech_s:>8.1f} {q.speech_ratio:>5.2f} "
                    f"{q.level_dbfs:>6.1f} {q.noise_floor_dbfs:>6.1f} {q.snr_db:>5.1f} "
                    f"{100 * q.clipped_fraction:>7.3f} {q.music_score:>5.2f}  {verdict}")  # fmt: skip

        for f in self.files:
            verdict = "ok" if f.usable else "set aside: " + "; ".join(_short(p) for p in f.problems)
            lines.append(row(f.name, f, verdict, f.duration_s))
        lines.append("-" * len(head))
        verdict = (f"OK: {self.usable_speech_s:.0f} s usable speech" if self.ok
                   else "NOT OK")  # fmt: skip
        lines.append(row(f"all ({len(self.files)} files)", self, verdict, self.total_s))
        for p in self.problems:
            lines.append(f"problem: {p}")
        for w in self.warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines)


def _short(problem: str) -> str:
    """The label a problem sentence starts with (before the colon)."""
    return problem.split(" — ", 1)[0].split(": ", 1)[-1]


# ---------------------------------------------------------------- measurements


def _db(power: float | np.ndarray) -> float | np.ndarray:
    return 10.0 * np.log10(np.maximum(power, 10 ** (DB_FLOOR / 10)))


def _frame_power(x: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean power of 20 ms frames every 10 ms, and each frame's centre time."""
    win, hop = max(1, int(_FRAME_S * sr)), max(1, int(_HOP_S * sr))
    if len(x) < win:
        x = np.pad(x, (0, win - len(x)))
    sq = np.concatenate([[0.0], np.cumsum(x.astype(np.float64) ** 2)])
    starts = np.arange(0, len(x) - win + 1, hop)
    power = (sq[starts + win] - sq[starts]) / win
    return power, (starts + win / 2) / sr


def _highpass(x: np.ndarray, sr: int) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    sos = butter(4, _HIGHPASS_HZ, "highpass", fs=sr, output="sos")
    return sosfilt(sos, x.astype(np.float64))


def clipped_fraction(audio: np.ndarray) -> float:
    """Share of samples in runs of ≥ 3 at full scale (≥ 0.999) or in flat tops (≥ 3 equal
    samples at ≥ 90 % of the peak, i.e. clipped and then scaled down)."""
    x = np.asarray(audio, dtype=np.float32)
    n = len(x)
    if n < 3:
        return 0.0
    mag = np.abs(x)
    peak = float(mag.max())
    full = mag >= 0.999
    # Flat tops: a sample equal to its neighbour, high up; needs a peak worth the name.
    same = np.zeros(n, dtype=bool)
    if peak >= 0.05:
        eq = x[1:] == x[:-1]
        same[1:] |= eq
        same[:-1] |= eq
        same &= mag >= 0.9 * peak
    return _runs_at_least(full | same, 3) / n


def _runs_at_least(mask: np.ndarray, length: int) -> int:
    """Number of True samples that lie in runs of at least ``length``."""
    if not mask.any():
        return 0
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs = ends - starts
    return int(runs[runs >= length].sum())


def _spectral_frames(y16: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Per 10 ms frame at 16 kHz: correlation of the harmonic fine structure (100–3000 Hz
    log spectrum minus its 390 Hz-wide moving average) with the frame 200 ms later, frame
    level (dB) and frame time; and the spectral variability of the loud frames (median over
    16 bands, 100–7900 Hz, of the standard deviation in dB of 100 ms-smoothed band levels).

    Speech glides in pitch and changes vowel every ~200 ms, so its fine structure
    decorrelates; a held note or chord keeps its harmonics in place.  Variability tells a
    steady sound (hiss, hum, fan: ≤ 1.5 dB measured) from music (synthesised loops 4.6–12
    dB) and speech (≈ 9 dB)."""
    from scipy.ndimage import uniform_filter1d

    n_fft, hop, lag = 1024, 160, 20
    if len(y16) < n_fft + lag * hop:
        return np.zeros(0), np.zeros(0), np.zeros(0), 0.0
    frames = np.lib.stride_tricks.sliding_window_view(y16, n_fft)[::hop] * np.hanning(n_fft)
    spec = np.abs(np.fft.rfft(frames, axis=1))
    freqs = np.fft.rfftfreq(n_fft, 1 / VAD_SR)
    band = (freqs >= 100) & (freqs <= 3000)
    log_spec = np.log(spec[:, band] + 1e-9)
    fine = log_spec - uniform_filter1d(log_spec, 25, axis=1, mode="nearest")  # 25 bins ≈ 390 Hz
    fine -= fine.mean(axis=1, keepdims=True)
    fine /= np.linalg.norm(fine, axis=1, keepdims=True) + 1e-9
    corr = np.sum(fine[:-lag] * fine[lag:], axis=1)
    power = spec**2
    level_db = np.asarray(_db(np.mean(power, axis=1)))
    times = (np.arange(len(spec)) * hop + n_fft / 2) / VAD_SR
    edges = np.geomspace(100, 7900, 17)
    bands = np.stack([power[:, (freqs >= a) & (freqs < b)].sum(axis=1)
                      for a, b in zip(edges[:-1], edges[1:], strict=True)], axis=1)  # fmt: skip
    bands_db = np.asarray(_db(uniform_filter1d(bands, 10, axis=0)))
    loud = level_db > np.percentile(level_db, 95) - _LOUD_WITHIN_DB
    variability = float(np.median(np.std(bands_db[loud], axis=0))) if loud.sum() > 1 else 0.0
    return corr, level_db, times, variability


def _measure(rec: Recording, probs: np.ndarray, y16: np.ndarray) -> FileQuality:
    duration_s = len(rec.audio) / rec.sr
    regions = speech_regions_s(probs, duration_s=duration_s)
    speech_s = float(sum(e - s for s, e in regions))

    x = _highpass(rec.audio, rec.sr)
    power, t = _frame_power(x, rec.sr)
    inside = np.zeros(len(power), dtype=bool)
    for s, e in regions:
        inside |= (t >= s) & (t < e)
    level = float(_db(power[inside].mean())) if inside.any() else DB_FLOOR
    outside = ~inside
    if outside.sum() * _HOP_S >= 0.3:
        noise = float(_db(np.percentile(power[outside], 20)))
    else:
        noise = float(_db(np.percentile(power, 2)))
    noise = min(noise, level) if inside.any() else noise
    snr = level - noise if inside.any() else 0.0

    # Music: loud frames (within 20 dB of the 95th-percentile frame) that the VAD calls
    # non-speech, and loud frame pairs 200 ms apart with correlation > 0.6.
    corr, frame_db, ft, variability_db = _spectral_frames(_highpass(y16, VAD_SR))
    if len(corr):
        top = np.percentile(frame_db, 95)
        loud = frame_db > top - _LOUD_WITHIN_DB
        pairs = loud[:-20] & loud[20:]
        sustained = float(np.mean(corr[pairs] > 0.6)) if pairs.any() else 0.0
        p_at = probs[np.minimum((ft / VAD_FRAME_S).astype(int), len(probs) - 1)]
        loud_nonspeech = float(np.mean(p_at[loud] < 0.5)) if loud.any() else 0.0
        # A steady sound (hiss, hum, fan, room tone) is not music, however un-speechlike.
        if variability_db < _MIN_MUSIC_VARIABILITY_DB:
            loud_nonspeech = 0.0
    else:
        sustained = loud_nonspeech = 0.0
    music = max(loud_nonspeech / LOUD_NONSPEECH_LIMIT, sustained / SUSTAINED_LIMIT)

    return FileQuality(
        name=rec.name, duration_s=duration_s, sr=rec.sr, speech_s=speech_s,
        speech_ratio=speech_s / duration_s if duration_s else 0.0, level_dbfs=level,
        noise_floor_dbfs=noise, snr_db=snr, clipped_fraction=clipped_fraction(rec.audio),
        loud_nonspeech_ratio=loud_nonspeech, sustained_ratio=sustained, music_score=music,
        speech_regions_s=regions,
    )  # fmt: skip


def _file_problems(q: FileQuality) -> list[str]:
    """One sentence per problem of one file: name, value, expectation, fix."""
    out = []
    if q.music_score >= 1.0:
        parts = []
        if q.loud_nonspeech_ratio >= LOUD_NONSPEECH_LIMIT:
            parts.append(f"{100 * q.loud_nonspeech_ratio:.0f} % are not speech")
        if q.sustained_ratio >= SUSTAINED_LIMIT:
            parts.append(f"{100 * q.sustained_ratio:.0f} % are held tones")
        what = "of its loud parts, " + " and ".join(parts)
        out.append(
            f"{q.name}: sounds like music or singing, not speech — {what} (music score "
            f"{q.music_score:.2f}, limit 1.00); record plain speech with no music playing"
        )
    elif q.speech_s == 0.0:
        out.append(
            f"{q.name}: no speech — the voice detector found none in {q.duration_s:.1f} s "
            f"(background at {q.noise_floor_dbfs:.0f} dBFS); check that the microphone is "
            "on and the right input is chosen, and record it again"
        )
    if q.speech_s == 0.0:
        return out
    if q.clipped_fraction > MAX_CLIPPED_FRACTION:
        out.append(
            f"{q.name}: clipped — {100 * q.clipped_fraction:.2f} % of samples are at full "
            f"scale or flattened (limit {100 * MAX_CLIPPED_FRACTION:.1f} %); lower the input "
            "gain so the loudest peaks stay below about −6 dBFS and record it again"
        )
    if q.level_dbfs < MIN_LEVEL_DBFS:
        out.append(
            f"{q.name}: too quiet — speech at {q.level_dbfs:.1f} dBFS (at least "
            f"{MIN_LEVEL_DBFS:.0f} dBFS expected); raise the input gain or move closer to "
            "the microphone and record it again"
        )
    if q.snr_db < MIN_SNR_DB and q.music_score < 1.0:
        out.append(
            f"{q.name}: too noisy — speech is only {q.snr_db:.1f} dB above the background "
            f"at {q.noise_floor_dbfs:.1f} dBFS (at least {MIN_SNR_DB:.0f} dB expected); "
            "record it again in a quieter room, away from fans, traffic and music"
        )
    return out


def _names(names: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_quality(
    recordings: Sequence[Recording], *, min_speech_s: float = MIN_SPEECH_S
) -> QualityReport:
    """Measure every recording, set aside the bad ones when the rest is enough, and judge
    the set: ``ok`` is False when less than ``min_speech_s`` of usable speech remains."""
    if not recordings:
        raise InputError("no recordings to check; give at least one enrollment recording")
    y16 = [np.asarray(resample(r.audio, r.sr, VAD_SR), dtype=np.float32) for r in recordings]
    probs = speech_probabilities(y16, [VAD_SR] * len(y16))
    files = [_measure(r, p, y) for r, p, y in zip(recordings, probs, y16, strict=True)]
    for q in files:
        q.problems = _file_problems(q)

    good = [q for q in files if q.usable]
    bad = [q for q in files if not q.usable]
    usable_speech_s = sum(q.speech_s for q in good)
    total_speech_s = sum(q.speech_s for q in files)
    problems: list[str] = []  # set-wide problems: any of these makes the report not ok
    warnings: list[str] = []

    if usable_speech_s < min_speech_s:
        if bad:
            problems.append(
                f"too little usable speech: {usable_speech_s:.1f} s in {len(good)} of "
                f"{len(files)} recordings once the {len(bad)} with problems below are left "
                f"out (at least {min_speech_s:.0f} s needed, 2–5 minutes recommended); fix "
                "or re-record those files, or record more sentences"
            )
        else:
            problems.append(
                f"too little speech: {usable_speech_s:.1f} s in {len(files)} recording(s) "
                f"(at least {min_speech_s:.0f} s needed, 2–5 minutes recommended); record "
                "more sentences"
            )
    elif bad:
        warnings.append(
            f"set aside {len(bad)} of {len(files)} recordings ({_names([q.name for q in bad])}) "
            f"for the problems listed; the other {len(good)} hold {usable_speech_s:.1f} s of "
            "speech, enough to go on"
        )
    if min_speech_s <= usable_speech_s < RECOMMENDED_SPEECH_S:
        warnings.append(
            f"only {usable_speech_s:.0f} s of usable speech; 2–5 minutes recommended for a "
            "voice that sounds like you (record more sentences)"
        )
    ok = not problems
    for q in bad:
        problems.extend(q.problems)

    basis = good or files
    speech_w = np.array([q.speech_s for q in basis])
    if speech_w.sum() > 0:
        level = float(_db(np.average([10 ** (q.level_dbfs / 10) for q in basis], weights=speech_w)))
        noise = float(_db(np.average([10 ** (q.noise_floor_dbfs / 10) for q in basis],
                                     weights=speech_w)))  # fmt: skip
        snr = level - noise
    else:
        level, noise, snr = DB_FLOOR, float(np.median([q.noise_floor_dbfs for q in basis])), 0.0
    if good and MIN_SNR_DB <= snr < WARN_SNR_DB:
        warnings.append(
            f"background noise: speech is {snr:.1f} dB above the noise floor at {noise:.1f} "
            f"dBFS over the usable recordings ({WARN_SNR_DB:.0f} dB or more is better); the "
            "cloned voice will carry some of that noise, so a quieter room helps"
        )
    low_sr = [q.name for q in files if q.sr < MIN_GOOD_SR]
    if low_sr:
        warnings.append(
            f"{_names(low_sr)} recorded at {min(q.sr for q in files)} Hz (below "
            f"{MIN_GOOD_SR} Hz); the voice will sound muffled — record at 44.1 or 48 kHz"
        )
    n_samples = sum(len(r.audio) for r in recordings)
    clipped = sum(q.clipped_fraction * len(r.audio) for q, r in zip(files, recordings, strict=True))
    total_s = sum(q.duration_s for q in files)
    return QualityReport(
        files=files, total_s=total_s, speech_s=total_speech_s,
        speech_ratio=total_speech_s / total_s if total_s else 0.0,
        usable_speech_s=usable_speech_s, level_dbfs=level, noise_floor_dbfs=noise, snr_db=snr,
        clipped_fraction=clipped / n_samples if n_samples else 0.0,
        music_score=max(q.music_score for q in files), min_speech_s=min_speech_s,
        usable=[q.name for q in good], rejected={q.name: list(q.problems) for q in bad},
        problems=problems, warnings=warnings, ok=ok,
    )  # fmt: skip


# ---------------------------------------------------------------- plot


def _waveform_overview(ax, report: QualityReport, recordings: Sequence[Recording]) -> None:
    """All recordings end to end: peak envelope, VAD speech shaded, set-aside files in red."""
    by_name = {r.name: r for r in recordings}
    t0 = 0.0
    cols = 4000  # envelope points for the whole set
    total = max(report.total_s, 1e-6)
    for f in report.files:
        rec = by_name.get(f.name)
        if rec is not None and len(rec.audio):
            points = max(1, int(cols * f.duration_s / total))
            k = max(1, len(rec.audio) // points)
            m = len(rec.audio) // k
            env = np.abs(rec.audio[: m * k]).reshape(m, k).max(axis=1) if m else np.zeros(1)
            tt = t0 + (np.arange(len(env)) + 0.5) * k / rec.sr
            ax.fill_between(tt, -env, env, color="tab:blue" if f.usable else "tab:red",
                            lw=0, alpha=0.9)  # fmt: skip
        for s, e in f.speech_regions_s:
            ax.axvspan(t0 + s, t0 + e, color="tab:green", alpha=0.15, lw=0)
        if not f.usable:
            ax.axvspan(t0, t0 + f.duration_s, color="tab:red", alpha=0.08, lw=0)
        t0 += f.duration_s
        ax.axvline(t0, color="grey", lw=0.3)
    ax.set_xlim(0, total)
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("amplitude")
    ax.set_xlabel("time through all recordings (s); green: speech (VAD), red: set aside")


def plot_quality(
    report: QualityReport, recordings: Sequence[Recording], path: str | os.PathLike
) -> Path:
    """A PNG for people who would rather look: per-file speech level, noise floor and SNR
    against their limits, the music score, and the speech collected against the minimum.
    Written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    files = report.files
    n = len(files)
    x = np.arange(n)
    width_in = min(24.0, max(9.0, 0.22 * n + 3))
    fig = plt.figure(figsize=(width_in, 13), dpi=100, layout="constrained")
    grid = fig.add_gridspec(5, 1, height_ratios=[1.6, 3, 2, 1.4, 1.6])
    wave_ax = fig.add_subplot(grid[0])
    axes = [fig.add_subplot(grid[1])]
    axes += [fig.add_subplot(grid[k], sharex=axes[0]) for k in (2, 3, 4)]
    colours = ["tab:blue" if f.usable else "tab:red" for f in files]
    _waveform_overview(wave_ax, report, recordings)

    ok = "OK" if report.ok else "NOT OK"
    fig.suptitle(f"enrollment quality: {n} recordings, {report.usable_speech_s:.0f} s usable "
                 f"speech — {ok}   (red: set aside)")  # fmt: skip
    legend = {"loc": "upper left", "bbox_to_anchor": (1.005, 1.0), "fontsize": 8}
    has_speech = np.array([f.speech_s > 0 for f in files])

    ax = axes[0]
    level = np.array([f.level_dbfs for f in files])
    noise = np.array([f.noise_floor_dbfs for f in files])
    lo = max(DB_FLOOR, float(np.min(np.concatenate([level[has_speech], noise]))) - 10)
    ax.bar(x[has_speech], level[has_speech] - lo, bottom=lo, alpha=0.8,
           color=[c for c, h in zip(colours, has_speech, strict=True) if h],
           label="active speech level")  # fmt: skip
    ax.scatter(x, noise, marker="_", s=120, color="black", zorder=3, label="noise floor")
    for i in np.flatnonzero(~has_speech):
        ax.text(i, lo + 2, "no speech", rotation=90, ha="center", va="bottom", fontsize=7,
                color="tab:red")  # fmt: skip
    ax.axhline(MIN_LEVEL_DBFS, color="tab:orange", ls="--", lw=1,
               label=f"min level {MIN_LEVEL_DBFS:.0f} dBFS")  # fmt: skip
    ax.set_ylim(lo, 0)
    ax.set_ylabel("dBFS")
    ax.legend(**legend)

    ax = axes[1]
    snr = np.array([f.snr_db for f in files])
    ax.bar(x[has_speech], snr[has_speech], alpha=0.8,
           color=[c for c, h in zip(colours, has_speech, strict=True) if h])  # fmt: skip
    ax.axhline(MIN_SNR_DB, color="tab:red", ls="--", lw=1, label=f"min SNR {MIN_SNR_DB:.0f} dB")
    ax.axhline(WARN_SNR_DB, color="tab:orange", ls=":", lw=1,
               label=f"set warning {WARN_SNR_DB:.0f} dB")  # fmt: skip
    ax.set_ylabel("SNR (dB)")
    top = float(snr[has_speech].max()) if has_speech.any() else 0.0
    ax.set_ylim(0, max(WARN_SNR_DB + 10, top + 5))
    ax.legend(**legend)

    ax = axes[2]
    music = np.array([f.music_score for f in files])
    clip = np.array([f.clipped_fraction / MAX_CLIPPED_FRACTION for f in files])
    ax.bar(x - 0.2, np.minimum(music, 3), width=0.4, color="tab:purple", label="music score")
    ax.bar(x + 0.2, np.minimum(clip, 3), width=0.4, color="tab:brown",
           label="clipped / limit")  # fmt: skip
    ax.axhline(1.0, color="tab:red", ls="--", lw=1, label="limit (1.0)")
    ax.set_ylim(0, 3.1)
    ax.set_ylabel("score (capped at 3)")
    ax.legend(**legend)

    ax = axes[3]
    speech = np.array([f.speech_s if f.usable else 0.0 for f in files])
    ax.plot(x, np.cumsum(speech), color="tab:green", marker="." if n <= 60 else None,
            label="usable speech so far")  # fmt: skip
    ax.axhline(report.min_speech_s, color="tab:red", ls="--", lw=1,
               label=f"minimum {report.min_speech_s:.0f} s")  # fmt: skip
    ax.axhline(RECOMMENDED_SPEECH_S, color="tab:orange", ls=":", lw=1,
               label=f"recommended ≥ {RECOMMENDED_SPEECH_S:.0f} s")  # fmt: skip
    ax.set_ylabel("speech (s)")
    ax.set_ylim(0, max(RECOMMENDED_SPEECH_S, report.usable_speech_s) * 1.1)
    ax.legend(**legend)
    if n <= 60:
        ax.set_xticks(x, [f.name if len(f.name) <= 24 else "…" + f.name[-23:] for f in files],
                      rotation=70, fontsize=7, ha="right")  # fmt: skip
    else:
        ax.set_xlabel("recording (in order)")
    ax.set_xlim(-0.6, n - 0.4)
    for a in axes[:-1]:
        a.tick_params(labelbottom=False)
    try:
        with temp_beside(path) as tmp:
            fig.savefig(tmp, format="png")
            os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write quality plot {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return path

