"""Audio helpers every layer shares (numpy + scipy only)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Polyphase resampling from ``sr_in`` to ``sr_out``.  The ratio is exact for every
    common rate (44100/24000 = 147/80); an unusual rate whose exact ratio needs a
    denominator over 1000 is approximated to one that does not."""
    if sr_in == sr_out:
        return audio
    from scipy.signal import resample_poly

    ratio = Fraction(int(sr_out), int(sr_in)).limit_denominator(1000)
    return resample_poly(audio, ratio.numerator, ratio.denominator)
