"""Watermark robustness, imperceptibility, false positives and speed.

Targets (provenance issue): the 64-bit payload survives MP3 128/64 kbit/s, Ogg Vorbis and
AAC 64 kbit/s, 16 kHz resampling, white noise at 20 dB SNR, gain -10 dB and +6 dB with
clipping, polarity inversion, low-pass 5 kHz, high-pass 500 Hz, reverb (RT60 0.5 s), a
random 10 s crop, speed +-5 % (resampling), tempo +-5 % (pitch kept), and the marked vocal
under accompaniment at 0 dB; SNR >= 35 dB; at most one false positive in a million
detection windows; embedding real-time factor <= 0.02; detection of a 10 s clip <= 1 s.

    python -m benchmarks.bench_watermark [--seconds 30] [--json out.json] [--fp-seconds 600]
        [--excerpts 6] [--render out/song.wav] [--only robustness|excerpts|short|shortclips|fp|speed]

Real recordings are read from ../shared/data (never copied).  MP3, Vorbis and AAC go
through ffmpeg when it is installed (libmp3lame, libvorbis, the native AAC encoder), MP3
and Vorbis through libsndfile otherwise; AAC is skipped without ffmpeg.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.measure import machine, table
from yinse.provenance import watermark as wm

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SR = 44100
KEY = b"yinse/aigc-watermark/v1"


# ------------------------------------------------------------------------------------------
# host material
# ------------------------------------------------------------------------------------------


def _read(path: Path) -> np.ndarray:
    audio, sr = sf.read(path, dtype="float64", always_2d=True)
    return wm.resample(audio.mean(axis=1), sr, SR)


def _concat(paths, seconds: float, gap_s: float = 0.25) -> np.ndarray:
    out, n = [], 0
    for p in paths:
        a = _read(p)
        out += [a, np.zeros(int(gap_s * SR))]
        n += len(a) + int(gap_s * SR)
        if n >= seconds * SR:
            break
    return np.concatenate(out)[: int(seconds * SR)]


def _normalise(x: np.ndarray, peak_db: float = -1.0) -> np.ndarray:
    return x * (10 ** (peak_db / 20) / (np.max(np.abs(x)) + 1e-12))


def accompaniment(seconds: float, seed: int = 0, bpm: float = 100.0) -> np.ndarray:
    """A synthetic band: decaying harmonic chords (I-V-vi-IV), a bass line, kick, snare
    and hi-hats, all made with numpy."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    out = np.zeros(n + 3 * SR)
    beat = 60.0 / bpm
    key = 57 + int(rng.integers(0, 7))  # A3..D#4
    progression = [(0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12)]
    t_note = np.arange(int(2 * beat * SR)) / SR
    for bar, start in enumerate(np.arange(0, seconds, 4 * beat)):
        chord = progression[bar % 4]
        for half in (0, 2):  # a chord stab every two beats
            s = int((start + half * beat) * SR)
            for interval in chord:
                f = 440 * 2 ** ((key + interval - 69) / 12)
                tone = sum(
                    np.sin(2 * np.pi * k * f * t_note) / k**1.2 * np.exp(-t_note * (1.5 + 0.7 * k))
                    for k in range(1, 12)
                )
                out[s : s + len(tone)] += 0.08 * tone
            f_bass = 440 * 2 ** ((key + chord[0] - 12 - 69) / 12)
            bass = (
                np.sin(2 * np.pi * f_bass * t_note) + 0.4 * np.sin(4 * np.pi * f_bass * t_note)
            ) * np.exp(-t_note * 2)
            out[s : s + len(bass)] += 0.12 * bass
    t_k = np.arange(int(0.3 * SR)) / SR
    kick = np.sin(2 * np.pi * (50 * t_k + 100 * (1 - np.exp(-t_k * 30)) / 30)) * np.exp(-t_k * 12)
    t_s = np.arange(int(0.25 * SR)) / SR
    from scipy.signal import butter, sosfilt

    snare_noise = sosfilt(
        butter(4, [1000, 6000], "bandpass", fs=SR, output="sos"), rng.normal(size=len(t_s))
    )
    snare = (0.5 * snare_noise + 0.4 * np.sin(2 * np.pi * 190 * t_s)) * np.exp(-t_s * 18)
    t_h = np.arange(int(0.06 * SR)) / SR
    hat_noise = sosfilt(butter(4, 7000, "highpass", fs=SR, output="sos"), rng.normal(size=len(t_h)))
    hat = hat_noise * np.exp(-t_h * 60)
    for i, t0 in enumerate(np.arange(0, seconds, beat / 2)):
        s = int(t0 * SR)
        if i % 2 == 0:
            drum = kick if (i // 2) % 2 == 0 else snare
            out[s : s + len(drum)] += 0.35 * drum
        out[s : s + len(hat)] += 0.06 * hat
    return out[:n]


def hosts(seconds: float) -> dict[str, np.ndarray]:
    speech = _concat(sorted((DATA / "speech/en/cathy").glob("*.flac")), seconds)
    singing = _concat(
        [DATA / "singing/ja/nitech_f001_004.flac"]
        + sorted((DATA / "singing/zh/m4singer/svs").glob("*.flac")),
        seconds,
        0.1,
    )
    vocal = _concat(sorted((DATA / "singing/multi/gtsinger").glob("*Control.flac")), seconds, 0.1)
    band = accompaniment(seconds, seed=1)
    mix = vocal / np.std(vocal) + 10 ** (-3 / 20) * band / np.std(band)  # vocal 3 dB on top
    return {k: _normalise(v) for k, v in {"speech": speech, "singing": singing, "mix": mix}.items()}


# ------------------------------------------------------------------------------------------
# attacks
# ------------------------------------------------------------------------------------------

FFMPEG = shutil.which("ffmpeg")


def _ffmpeg(x: np.ndarray, ext: str, args: list[str]) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        src, enc, dec = Path(tmp) / "in.wav", Path(tmp) / f"enc.{ext}", Path(tmp) / "out.wav"
        sf.write(src, np.clip(x, -1, 1), SR, subtype="PCM_16")
        subprocess.run([FFMPEG, "-loglevel", "error", "-y", "-i", src, *args, enc], check=True)
        subprocess.run(
            [FFMPEG, "-loglevel", "error", "-y", "-i", enc, "-ar", str(SR), dec], check=True
        )
        y, _ = sf.read(dec, dtype="float64", always_2d=True)
    return _align(y.mean(axis=1), len(x))


def _align(y: np.ndarray, n: int) -> np.ndarray:
    return np.pad(y, (0, max(0, n - len(y))))[:n]


def _sndfile(x: np.ndarray, fmt: str, subtype: str, level: float) -> np.ndarray:
    buf = io.BytesIO()
    kw = {"bitrate_mode": "CONSTANT"} if fmt == "MP3" else {}
    sf.write(buf, np.clip(x, -1, 1), SR, format=fmt, subtype=subtype, compression_level=level, **kw)
    buf.seek(0)
    y, _ = sf.read(buf, dtype="float64")
    return _align(y, len(x))


def mp3(x: np.ndarray, kbps: int) -> np.ndarray:
    if FFMPEG:
        return _ffmpeg(x, "mp3", ["-c:a", "libmp3lame", "-b:a", f"{kbps}k"])
    return _sndfile(x, "MP3", "MPEG_LAYER_III", {128: 0.667, 64: 0.889}[kbps])


def vorbis(x: np.ndarray) -> np.ndarray:
    if FFMPEG:
        return _ffmpeg(x, "ogg", ["-c:a", "libvorbis", "-b:a", "64k"])
    return _sndfile(x, "OGG", "VORBIS", 0.9)


def aac(x: np.ndarray) -> np.ndarray | None:
    return _ffmpeg(x, "m4a", ["-c:a", "aac", "-b:a", "64k"]) if FFMPEG else None


def _butter(x: np.ndarray, hz: float, kind: str) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    return sosfilt(butter(8, hz, kind, fs=SR, output="sos"), x)


def reverb(x: np.ndarray, rt60: float = 0.5, seed: int = 3) -> np.ndarray:
    """Direct sound plus an exponentially decaying noise tail of equal energy."""
    from scipy.signal import fftconvolve

    rng = np.random.default_rng(seed)
    t = np.arange(int(1.2 * rt60 * SR)) / SR
    tail = rng.normal(size=len(t)) * np.exp(-6.9078 * t / rt60)
    tail[: int(0.003 * SR)] = 0.0  # first reflection after 3 ms
    ir = tail / np.sqrt(np.sum(tail**2))
    ir[0] += 1.0
    y = fftconvolve(x, ir)[: len(x)]
    return y * np.std(x) / np.std(y)


def speed(x: np.ndarray, factor: float) -> np.ndarray:
    """Played ``factor`` times faster: resampled, so pitch and tempo both change."""
    from fractions import Fraction

    r = Fraction(1 / factor).limit_denominator(200)
    from scipy.signal import resample_poly

    return resample_poly(x, r.numerator, r.denominator)


def tempo(x: np.ndarray, factor: float) -> np.ndarray:
    """``factor`` times faster, pitch kept (librosa's phase vocoder)."""
    from yinse.core.librosa_import import import_librosa

    return import_librosa().effects.time_stretch(x.astype(np.float32), rate=factor).astype(np.float64)


def white_noise(x: np.ndarray, snr_db: float, seed: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return x + rng.normal(size=len(x)) * np.sqrt(np.mean(x**2) / 10 ** (snr_db / 10))


def attacks(seconds: float, seed: int):
    rng = np.random.default_rng(seed)
    band = accompaniment(seconds, seed=2)
    crop_start = float(rng.uniform(0, max(0.0, seconds - 10.0)))
    return {
        "none": lambda x: x,
        "mp3 128k": lambda x: mp3(x, 128),
        "mp3 64k": lambda x: mp3(x, 64),
        "vorbis 64k": vorbis,
        "aac 64k": aac,
        "resample 16k": lambda x: wm.resample(wm.resample(x, SR, 16000), 16000, SR),
        "noise 20 dB": lambda x: white_noise(x, 20.0),
        "gain -10 dB": lambda x: x * 10 ** (-10 / 20),
        "gain +6 dB clip": lambda x: np.clip(x * 2.0, -1.0, 1.0),
        "polarity": lambda x: -x,
        "low-pass 5k": lambda x: _butter(x, 5000, "lowpass"),
        "high-pass 500": lambda x: _butter(x, 500, "highpass"),
        "reverb 0.5 s": reverb,
        "crop 10 s": lambda x: x[int(crop_start * SR) : int((crop_start + 10) * SR)],
        "speed +5%": lambda x: speed(x, 1.05),
        "speed -5%": lambda x: speed(x, 0.95),
        "tempo +5%": lambda x: tempo(x, 1.05),
        "tempo -5%": lambda x: tempo(x, 0.95),
        "mix 0 dB": lambda x: x + band[: len(x)] * np.std(x) / np.std(band[: len(x)]),
    }


# ------------------------------------------------------------------------------------------
# measures
# ------------------------------------------------------------------------------------------


def snr_db(x: np.ndarray, y: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(x**2) / np.sum((y - x) ** 2)))


def band_snr_db(x: np.ndarray, y: np.ndarray, lo: float = 500, hi: float = 4500) -> float:
    """SNR inside the marked band only (the mark's own band: a harsher measure)."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(6, [lo, hi], "bandpass", fs=SR, output="sos")
    return snr_db(sosfiltfilt(sos, x), sosfiltfilt(sos, y))


def segmental_snr_db(x: np.ndarray, y: np.ndarray, frame_s: float = 0.05) -> tuple[float, float]:
    """Median and 5th percentile of the per-frame SNR over frames within 40 dB of the
    loudest: does the mark stay under the signal in quiet passages too?"""
    n = int(frame_s * SR)
    k = len(x) // n
    xs = np.sum(x[: k * n].reshape(k, n) ** 2, axis=1)
    ws = np.sum((y - x)[: k * n].reshape(k, n) ** 2, axis=1) + 1e-30
    keep = xs > xs.max() * 1e-4
    s = 10 * np.log10(xs[keep] / ws[keep])
    return float(np.median(s)), float(np.percentile(s, 5))


def bark_local_snr_db(
    x: np.ndarray, y: np.ndarray, lo: float = 300, hi: float = 8000
) -> list[float]:
    """1st, 5th and 50th percentile of the mark's SNR inside each critical (Bark) band
    and 46 ms frame, over the bands and frames within 50 dB of the loudest: a crude
    masking proxy.  The same numbers for MP3 coding noise give a scale."""
    n, h = 2048, 1024
    w = np.hanning(n)

    def spec(s: np.ndarray) -> np.ndarray:
        fr = np.lib.stride_tricks.sliding_window_view(s, n)[::h] * w
        return np.abs(np.fft.rfft(fr, axis=1)) ** 2

    xs, ws = spec(x), spec(y - x)
    f = np.fft.rfftfreq(n, 1 / SR)
    bark = 13 * np.arctan(0.00076 * f) + 3.5 * np.arctan((f / 7500) ** 2)
    sel = (f >= lo) & (f < hi)
    b = np.floor(bark[sel]).astype(int)
    b -= b.min()
    xb = np.stack([xs[:, sel][:, b == k].sum(axis=1) for k in range(b.max() + 1)], axis=1)
    wb = np.stack([ws[:, sel][:, b == k].sum(axis=1) for k in range(b.max() + 1)], axis=1)
    keep = xb > xb.max() * 1e-5
    local = 10 * np.log10(xb[keep] / (wb[keep] + 1e-30))
    return [round(float(v), 1) for v in np.percentile(local, [1, 5, 50])]


def bit_errors(analysis, payload: bytes) -> int:
    layout = wm._layout(KEY)
    truth = wm._bits(payload) ^ layout.whitening
    return int(np.sum(analysis.decoded[0][: wm.PAYLOAD_BITS] != truth))


def detect_row(y: np.ndarray, payload: bytes) -> dict:
    t = time.perf_counter()
    a = wm._analyse(wm._check_audio(y, SR), SR, KEY)
    dt = time.perf_counter() - t
    d = a.detection
    ok = d.found and d.payload == payload
    errors = 0 if ok else bit_errors(a, payload)
    return {"found": d.found, "payload ok": ok, "bit errors": errors, "confidence": round(d.confidence, 4),
            "sync z": round(a.candidates[0].z, 1), "detect s": round(dt, 2)}  # fmt: skip


def robustness(
    seconds: float, seed: int = 7, render: str | None = None
) -> tuple[list[dict], list[dict]]:
    rows, snrs = [], []
    rng = np.random.default_rng(seed)
    material = hosts(seconds)
    if render:  # a Yinse render (any audio file) as a fourth host
        material["render"] = _normalise(_read(Path(render))[: int(seconds * SR)])
    wm.embed(material["speech"][:SR], SR, bytes(8), key=KEY)  # warm up: imports, caches
    for name, x in material.items():
        payload = rng.bytes(8)
        t = time.perf_counter()
        y = wm.embed(x, SR, payload, key=KEY)
        embed_s = time.perf_counter() - t
        med, p5 = segmental_snr_db(x, y)
        bark = bark_local_snr_db(x, y)
        bark_mp3 = bark_local_snr_db(x, mp3(x, 128))
        snrs.append({"host": name, "seconds": round(len(x) / SR, 1), "SNR dB": round(snr_db(x, y), 2),
                     "band SNR dB": round(band_snr_db(x, y), 2), "segmental SNR median dB": round(med, 1),
                     "segmental SNR p5 dB": round(p5, 1),
                     "Bark-band SNR p1/p5/p50 dB": "/".join(map(str, bark)),
                     "same for MP3 128k noise": "/".join(map(str, bark_mp3)),
                     "embed RTF": f"{embed_s / (len(x) / SR):.4f}"})  # fmt: skip
        for attack, fn in attacks(seconds, seed).items():
            z = fn(y)
            if z is None:
                rows.append({"host": name, "attack": attack, "found": "skipped (no ffmpeg)"})
                continue
            row = {"host": name, "attack": attack, **detect_row(z, payload)}
            rows.append(row)
            print(row, flush=True)
    return rows, snrs


def excerpts(lengths=(5.0, 10.0, 20.0, 30.0), count: int = 6, seed: int = 11) -> list[dict]:
    """Share of random excerpts whose payload is recovered, by excerpt length: the mark
    repeats every 4.35 s and the detector adds up every repeat it is given."""
    rng = np.random.default_rng(seed)
    band = accompaniment(60.0, seed=2)
    rows = []
    for name, x in hosts(60.0).items():
        payload = rng.bytes(8)
        y = wm.embed(x, SR, payload, key=KEY)
        for attack, fn in (
            ("none", lambda v: v),
            ("mp3 64k", lambda v: mp3(v, 64)),
            ("noise 20 dB", lambda v: white_noise(v, 20.0)),
            ("mix 0 dB", lambda v: v + band[: len(v)] * np.std(v) / np.std(band[: len(v)])),
        ):
            z = fn(y)
            row = {"host": name, "attack": attack}
            for length in lengths:
                ok = 0
                for _ in range(count):
                    s = int(rng.uniform(0, len(z) / SR - length) * SR)
                    d = wm.detect(z[s : s + int(length * SR)], SR, key=KEY)
                    ok += d.found and d.payload == payload
                row[f"{length:g} s"] = f"{ok}/{count}"
            rows.append(row)
            print(row, flush=True)
    return rows


SHORT_TEXTS = {
    "joe": [
        "Hello, this is my voice. I read a few sentences once, and now it says what I type.",
        "The quick brown fox jumps over the lazy dog, and then it runs back home again, happily.",
        "Please leave a message after the tone, and I will call you back as soon as I can, thank you.",
        "The train to the city leaves at seven, so we should be at the station by half past six at the latest.",
        "She opened the window, looked at the rain outside, and decided to stay at home with a good book.",
        "Turn left at the second light, then keep going straight on until you see the old stone bridge.",
    ],
    "baker": [
        "今天天气很好，我们一起去公园散步，看看湖边的花开了没有。",
        "这是我的声音，我只读过几句话，现在它可以说出我写下的任何内容。",
        "请在提示音后留言，我会尽快给你回电话，谢谢你的耐心等待。",
        "火车七点出发，我们最好六点半以前到车站，别忘了带上车票。",
        "她打开窗户看了看外面的雨，决定今天留在家里读一本好书。",
        "在第二个路口向左转，一直往前走，就能看到那座古老的石桥。",
    ],
}


def short_renders() -> list[dict]:
    """Whole spoken renders of the built-in voices, 5-7 s each, the length of a typical
    `yinse speak` output: is the payload read from the file as written (a 24-bit WAV), and
    after MP3 128 kbit/s?  Clean synthetic speech is the hardest host for the mark."""
    import yinse

    rng = np.random.default_rng(13)
    rows = []
    for voice, texts in SHORT_TEXTS.items():
        for text in texts:
            audio, sr = yinse.speak(text, voice=voice)  # the engine's output, not yet marked
            x = wm.resample(np.asarray(audio, dtype=np.float64), sr, SR)
            payload = rng.bytes(8)
            y = np.round(wm.embed(x, SR, payload, key=KEY) * 2**23) / 2**23  # 24-bit PCM
            row = {"voice": voice, "seconds": round(len(x) / SR, 1)}
            for attack, z in (("as written", y), ("mp3 128k", mp3(y, 128))):
                if len(z) < wm.MIN_DETECT_S * SR:  # detect() refuses it
                    row[attack] = "too short"
                    continue
                r = detect_row(z, payload)
                row[attack] = f"{'ok' if r['payload ok'] else 'MISSED'} z {r['sync z']}"
            rows.append(row)
            print(row, flush=True)
    return rows


#: Sentences a user might have a voice say, most of them well under 5 s.
SHORT_CLIP_TEXTS = {
    "joe": ["Hi there.", "Can you hear me now?", "Please send the money today.", "I will call you tomorrow.",
            "This is your bank calling about your account.", "We need to talk about the results.",
            "Turn left at the next light and keep going.", "Good morning, everyone, and welcome back.",
            "The meeting is at noon, so please do not be late again.",
            "I am not able to come to the phone right now, leave a message."],
    "baker": ["你好。", "今天天气很好。", "请把钱转到这个账户。", "我明天给你打电话。", "会议改到下午三点，别迟到。",
              "这是银行客服，您的账户存在异常。", "前面路口左转，然后一直往前走。", "大家早上好，欢迎回来。",
              "我现在不方便接电话，请稍后再打过来。", "这个周末我们一起去公园散步吧。"],
}


def short_clips(windows: int = 200, seed: int = 14) -> dict:
    """Clips under 5 s, which detect() reads only for a payload whose CRC checks: short
    `yinse speak` sentences of both built-in voices and 2-4.9 s windows of the real
    recordings, marked (24-bit, as written, then MP3 128 and 64 kbit/s); and as many unmarked
    windows of the same recordings, for false payloads.  Rates by length."""
    import yinse

    rng = np.random.default_rng(seed)
    hosts_: list[tuple[str, np.ndarray]] = []
    for voice, texts in SHORT_CLIP_TEXTS.items():
        for text in texts:
            audio, sr = yinse.speak(text, voice=voice)
            hosts_.append((voice, wm.resample(np.asarray(audio, np.float64), sr, SR)))
    recordings = _concat(sorted((DATA / "speech").rglob("*.flac")) + sorted((DATA / "singing").rglob("*.flac")), 3600.0)
    for _ in range(windows):
        n = int(rng.uniform(2.0, 4.9) * SR)
        s = int(rng.integers(0, len(recordings) - n))
        hosts_.append(("recording", recordings[s : s + n].astype(np.float64)))
    rows, unmarked = [], {"windows": 0, "payloads": 0, "found": 0}
    for kind, x in hosts_:
        if np.sqrt(np.mean(x**2)) < 1e-3:  # a window of silence between recordings
            continue
        payload = rng.bytes(8)
        y = np.round(wm.embed(x, SR, payload, key=KEY) * 2**23) / 2**23
        row = {"kind": kind, "seconds": len(x) / SR}
        for attack, z in (("as written", y), ("mp3 128k", mp3(y, 128)), ("mp3 64k", mp3(y, 64))):
            row[attack] = wm.detect(z, SR, key=KEY).payload == payload
        rows.append(row)
        if kind == "recording":
            d = wm.detect(x, SR, key=KEY)
            unmarked["windows"] += 1
            unmarked["payloads"] += d.payload is not None
            unmarked["found"] += d.found
    table_rows = []
    for lo, hi in ((0.0, 1.5), (1.5, 2.0), (2.0, 3.0), (3.0, 4.0), (4.0, 5.0)):
        for kind in ("speech (joe, baker)", "recordings"):
            part = [r for r in rows if lo <= r["seconds"] < hi and (r["kind"] == "recording") == (kind == "recordings")]
            if part:
                table_rows.append({"length s": f"{lo:g}-{hi:g}", "clips": kind, "n": len(part),
                                   **{a: f"{np.mean([r[a] for r in part]):.0%}" for a in ("as written", "mp3 128k", "mp3 64k")}})  # fmt: skip
    return {"rows": table_rows, "unmarked": unmarked}


def music_renders() -> np.ndarray:
    """The band of Yinse songs (both example lyrics in every style, rendered through the
    SoundFont like `yinse song` does, before any mark), one after another, mono."""
    from yinse.compose.arrange import arrange
    from yinse.compose.sheet import read_sheet
    from yinse.compose.song import compose
    from yinse.compose.styles import STYLES
    from yinse.formats import read_lyrics_file
    from yinse.render.soundfont import render_tracks

    out = []
    for k, lyrics in enumerate(sorted((REPO / "examples").glob("*.txt"))):
        sheet = read_sheet(read_lyrics_file(lyrics))
        for style in STYLES:
            band = arrange(compose(sheet, style=style, seed=k))
            stems = render_tracks(band.to_midi(with_vocal=False), sr=SR)
            mix = sum(stem.mean(axis=1) for stem in stems.values())
            out.append(_normalise(mix, -3.0))
    return np.concatenate(out)


def pink_noise(seconds: float, seed: int) -> np.ndarray:
    spectrum = np.fft.rfft(np.random.default_rng(seed).normal(size=int(seconds * SR)))
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(int(seconds * SR), 1 / SR), 20.0))
    return _normalise(np.fft.irfft(spectrum, int(seconds * SR)), -6.0)


def unmarked_sources() -> list[tuple[str, np.ndarray]]:
    """About two hours that carry no mark: every recording in ../shared/data (speech by
    language, singing; 44 min), the bands of Yinse songs (every style), 20 min of the
    synthetic band at ten tempos, and 10 min each of white and pink noise."""
    out = []
    for folder in ("speech/en", "speech/zh", "singing"):
        files = sorted((DATA / folder).rglob("*.flac"))
        if files:
            out.append((folder, _concat(files, 3600.0).astype(np.float32)))
    out.append(("song bands (Yinse renders)", music_renders().astype(np.float32)))
    bands = [accompaniment(120.0, seed=5 + k, bpm=70.0 + 8 * k) for k in range(10)]
    out.append(("band (synthetic)", np.concatenate(bands).astype(np.float32)))
    white = np.random.default_rng(6).normal(0, 0.1, 600 * SR)
    out.append(("white noise", white.astype(np.float32)))
    out.append(("pink noise", pink_noise(600.0, seed=7).astype(np.float32)))
    return out


def false_positives(budget_s: float, window_s: float = 10.0) -> dict:
    """Detection on 10 s windows of unmarked audio (hop 2.5 s, random order), as many as
    ``budget_s`` allows.  Besides the verdicts: the best sync z of every window (its tail
    sets the presence threshold) and, for every decoded candidate, whether the first 8 of
    its 24 CRC bits check (should happen 1 time in 256 if decoded bits are random; the
    full CRC-24 then passes 1 time in 2**24)."""
    sources = unmarked_sources()
    t_end = time.perf_counter() + budget_s
    windows = found = payloads = decodes = crc8 = 0
    zs: list[float] = []
    by_source: dict[str, int] = {}
    lookup = dict(sources)
    hours = {name: round(len(x) / SR / 3600, 2) for name, x in sources}
    n, hop = int(window_s * SR), int(window_s / 4 * SR)
    positions = [(name, s) for name, x in sources for s in range(0, len(x) - n, hop)]
    layout = wm._layout(KEY)
    tests = []
    for i in np.random.default_rng(8).permutation(len(positions)):
        if time.perf_counter() > t_end:
            break
        name, s = positions[i]
        a = wm._analyse(lookup[name][s : s + n], SR, KEY)
        windows += 1
        by_source[name] = by_source.get(name, 0) + 1
        found += a.detection.found
        payloads += a.detection.payload is not None
        zs.append(a.candidates[0].z)
        tests.append(a.tests)
        for info in a.decoded:
            crc = wm._crc24(info[: wm.PAYLOAD_BITS], layout.crc_init)
            decodes += 1
            crc8 += bool(np.array_equal(crc[:8], info[wm.PAYLOAD_BITS : wm.PAYLOAD_BITS + 8]))
    z = np.array(zs)
    # Gumbel fit of the best sync z of unmarked windows (method of moments)
    beta = float(np.std(z) * np.sqrt(6) / np.pi) if len(z) > 1 else float("nan")
    mu = float(np.mean(z) - 0.5772 * beta) if len(z) > 1 else float("nan")
    z_presence = mu - beta * np.log(-np.log1p(-wm.PRESENCE_P))  # where P(z >= .) = PRESENCE_P
    return {"windows": windows, "window s": window_s, "found": found, "payloads": payloads,
            "by source": by_source, "hours of audio by source": hours, "tests per window": int(np.median(tests)) if tests else 0,
            "sync z max": round(float(z.max()), 2) if len(z) else None,
            "sync z mean": round(float(z.mean()), 2) if len(z) else None,
            "sync z p99": round(float(np.percentile(z, 99)), 2) if len(z) else None,
            "gumbel mu": round(mu, 3), "gumbel beta": round(beta, 3),
            "presence z for 10 s windows (Gumbel)": round(float(z_presence), 2),
            "decoded candidates": decodes, "CRC first-8-bit matches": crc8,
            "expected CRC-8 matches": round(decodes / 256, 1),
            "analytic payload FP per window": wm.DECODE_CANDIDATES * 2.0**-wm.CRC_BITS}  # fmt: skip


def random_decodes(n: int = 100000, seed: int = 12) -> dict:
    """Viterbi decodes of pure-noise soft bits: how often the first 8, 12 and 16 bits of
    the CRC-24 check (expected n / 2**k): the decoded bits of noise are uniform, so the
    full CRC-24 passes 1 time in 2**24."""
    rng = np.random.default_rng(seed)
    layout = wm._layout(KEY)
    m8 = m12 = m16 = full = 0
    for _ in range(n // 250):
        for info in wm._viterbi(rng.normal(size=(250, wm.CODED_BITS))):
            crc = wm._crc24(info[: wm.PAYLOAD_BITS], layout.crc_init)
            got = info[wm.PAYLOAD_BITS :]
            m8 += bool(np.array_equal(crc[:8], got[:8]))
            m12 += bool(np.array_equal(crc[:12], got[:12]))
            m16 += bool(np.array_equal(crc[:16], got[:16]))
            full += bool(np.array_equal(crc, got))
    return {"decodes": n, "CRC first 8 bits": m8, "expected": round(n / 256, 1),
            "CRC first 12 bits": m12, "expected 12": round(n / 4096, 1),
            "CRC first 16 bits": m16, "expected 16": round(n / 65536, 2), "full CRC-24": full}  # fmt: skip


def speed_numbers() -> dict:
    x = hosts(60.0)["singing"]
    payload = bytes(range(8))
    wm.embed(x[: 5 * SR], SR, payload, key=KEY)  # warm up (imports, caches)
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        y = wm.embed(x, SR, payload, key=KEY)
        runs.append(time.perf_counter() - t)
    times = []
    for s in (0, 10, 20, 30, 40, 50):
        clip = y[s * SR : (s + 10) * SR]
        t = time.perf_counter()
        wm.detect(clip, SR, key=KEY)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    wm.detect(y, SR, key=KEY)
    full = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:  # a fresh process: imports included
        path = Path(tmp) / "clip.wav"
        sf.write(path, y[: 10 * SR], SR, subtype="FLOAT")
        code = (
            "import time, soundfile as sf; t = time.perf_counter(); "
            f"from yinse.provenance import watermark as wm; a, sr = sf.read({str(path)!r}); "
            f"d = wm.detect(a, sr, key={KEY!r}); print(time.perf_counter() - t, d.found)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
        cold = float(out.stdout.split()[0]) if out.returncode == 0 else float("nan")
    return {"embed RTF (60 s at 44.1 kHz, best of 3)": round(min(runs) / 60, 4),
            "embed RTF (median of 3)": round(float(np.median(runs)) / 60, 4),
            "detect 10 s clip s (mean of 6)": round(float(np.mean(times)), 3),
            "detect 10 s clip s (max of 6)": round(max(times), 3),
            "detect 10 s clip s, fresh process (imports included)": round(cold, 3),
            "detect 60 s clip s": round(full, 3)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--fp-seconds", type=float, default=600.0)
    ap.add_argument("--excerpts", type=int, default=6)
    ap.add_argument("--json")
    ap.add_argument("--only", choices=["robustness", "excerpts", "short", "shortclips", "fp", "speed"])
    ap.add_argument("--render", help="also attack this audio file (e.g. a Yinse render)")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit("../shared/data is not beside the repository")
    out: dict = {"machine": machine(), "ffmpeg": bool(FFMPEG)}
    if args.only in (None, "speed"):
        out["speed"] = speed_numbers()
        print(out["speed"], flush=True)
    if args.only in (None, "robustness"):
        out["attacks"], out["snr"] = robustness(args.seconds, render=args.render)
    if args.only in (None, "excerpts"):
        out["excerpts"] = excerpts(count=args.excerpts)
    if args.only in (None, "short"):
        out["short"] = short_renders()
    if args.only in (None, "shortclips"):
        out["short_clips"] = short_clips()
        print(out["short_clips"]["unmarked"], flush=True)
    if args.only in (None, "fp"):
        out["false_positives"] = false_positives(args.fp_seconds)
        print(out["false_positives"], flush=True)
        out["random_decodes"] = random_decodes()
        print(out["random_decodes"], flush=True)
    print(f"\n{out['machine']}\n")
    if "snr" in out:
        print(table(out["snr"], list(out["snr"][0])))
    if "attacks" in out:
        cols = [
            "host",
            "attack",
            "found",
            "payload ok",
            "bit errors",
            "confidence",
            "sync z",
            "detect s",
        ]
        print(table(out["attacks"], cols))
    if "excerpts" in out:
        print(table(out["excerpts"], list(out["excerpts"][0])))
    if "short" in out:
        print(table(out["short"], list(out["short"][0])))
    if "short_clips" in out:
        print(table(out["short_clips"]["rows"], list(out["short_clips"]["rows"][0])))
        print(f"unmarked windows under 5 s: {out['short_clips']['unmarked']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
