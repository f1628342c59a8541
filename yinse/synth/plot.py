"""``--plot``: target and rendered F0 over the spectrogram of a render."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .engine import Render


def rendered_f0(audio: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """F0 of the rendered audio as WORLD's Harvest hears it (times, Hz; NaN unvoiced)."""
    import pyworld

    x = audio.astype(np.float64)
    f0, t = pyworld.dio(x, sr, f0_floor=60.0, f0_ceil=1000.0, frame_period=10.0)
    f0 = pyworld.stonemask(x, f0, t, sr)
    return t, np.where(f0 > 0, f0, np.nan)


def plot_render(render: Render, path: str | os.PathLike, *, title: str = "") -> Path:
    """Write a PNG: log-frequency spectrogram, target F0 (the score's curve) and the F0
    measured on the output.  Written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    audio, sr = render.audio, render.sr
    fig, ax = plt.subplots(figsize=(max(8.0, min(30.0, len(audio) / sr * 0.8)), 4.5), dpi=100)
    n_fft, hop = 2048, 512
    if len(audio) > n_fft:
        frames = np.lib.stride_tricks.sliding_window_view(audio, n_fft)[::hop] * np.hanning(n_fft)
        spec = 20 * np.log10(np.abs(np.fft.rfft(frames, axis=1)).T + 1e-6)
        freqs = np.fft.rfftfreq(n_fft, 1 / sr)
        keep = (freqs >= 50) & (freqs <= 2000)
        times = (np.arange(spec.shape[1]) * hop + n_fft / 2) / sr
        ax.pcolormesh(times, freqs[keep], spec[keep], shading="auto", cmap="magma",
                      vmin=spec.max() - 80, vmax=spec.max())  # fmt: skip
    target = np.where(render.target_f0_hz > 0, render.target_f0_hz, np.nan)
    ax.plot(render.target_times_s, target, color="cyan", lw=1.2, label="target F0")
    t, f0 = rendered_f0(audio, sr)
    ax.plot(t, f0, color="white", lw=0.8, ls="--", label="rendered F0 (DIO)")
    ax.set_yscale("log")
    ax.set_ylim(50, 2000)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title(title or "Yinse render: pitch over spectrogram")
    ax.legend(loc="upper right")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png")
    plt.close(fig)
    os.replace(tmp, path)
    return path
