"""``--plot``: target and rendered F0 over the spectrogram of a render, 12 s a row."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .engine import Render

ROW_S = 12.0


def rendered_f0(audio: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """F0 of the rendered audio as WORLD's DIO + StoneMask hear it (times, Hz; NaN unvoiced)."""
    from ..voices.timbre import dio_f0

    f0, t = dio_f0(audio, sr, ceil_hz=1000.0, frame_s=0.010)
    return t, np.where(f0 > 0, f0, np.nan)


def plot_render(render: Render, path: str | os.PathLike, *, title: str = "") -> Path:
    """Write a PNG: log-frequency spectrogram, the target F0 the engine drew from the score,
    and the F0 measured on the output.  Written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    audio, sr = render.audio, render.sr
    duration = len(audio) / sr
    rows = max(1, math.ceil(duration / ROW_S))
    fig, axes = plt.subplots(rows, 1, figsize=(14, 2.6 * rows + 0.6), dpi=100, squeeze=False,
                             layout="constrained")  # fmt: skip
    n_fft, hop = 2048, 512
    spec = times = freqs = None
    if len(audio) > n_fft:
        frames = np.lib.stride_tricks.sliding_window_view(audio, n_fft)[::hop] * np.hanning(n_fft)
        spec = 20 * np.log10(np.abs(np.fft.rfft(frames, axis=1)).T + 1e-6)
        freqs = np.fft.rfftfreq(n_fft, 1 / sr)
        keep = (freqs >= 50) & (freqs <= 2000)
        spec, freqs = spec[keep], freqs[keep]
        times = (np.arange(spec.shape[1]) * hop + n_fft / 2) / sr
    target = np.where(render.target_f0_hz > 0, render.target_f0_hz, np.nan)
    f0_t, f0 = rendered_f0(audio, sr)
    for row, ax in enumerate(axes[:, 0]):
        t0, t1 = row * ROW_S, (row + 1) * ROW_S
        if spec is not None:
            cols = (times >= t0) & (times < t1)
            ax.pcolormesh(times[cols], freqs, spec[:, cols], shading="auto", cmap="magma",
                          vmin=spec.max() - 80, vmax=spec.max())  # fmt: skip
        ax.plot(render.target_times_s, target, color="cyan", lw=1.4, label="target F0 (score)")
        ax.plot(f0_t, f0, color="white", lw=0.8, ls="--", label="rendered F0 (measured)")
        ax.set_xlim(t0, t1)
        ax.set_yscale("log")
        ax.set_ylim(50, 2000)
        ax.set_ylabel("Hz")
    axes[0, 0].set_title(title or "pitch over spectrogram")
    axes[0, 0].legend(loc="upper right", fontsize=8)
    axes[-1, 0].set_xlabel("time (s)")
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png")
    plt.close(fig)
    os.replace(tmp, path)
    return path
