"""Yinse's keyed audio watermark: a 64-bit payload hidden in the fine spectral structure.

How it works (measurements and the reasoning behind the numbers: docs/WATERMARK.md):

* Everything happens at a 16 kHz working rate, between 500 and 4500 Hz (a band that
  survives low-pass 5 kHz, high-pass 500 Hz and 16 kHz resampling), on a 1024-point STFT
  with an 8 ms hop.
* The time-frequency plane is cut into *cells* of 2 bins (31 Hz) x 4 hops (32 ms).  A
  period of 136 x 128 cells (4.352 s) repeats for the whole signal, so any 5 s excerpt
  holds every cell at least once.  A keyed permutation gives each cell a role: one of
  the chips of the keyed synchronisation pattern (12 % of the cells), or one of the ~58
  chips of a coded payload bit.  Each cell also gets a keyed sign.
* Embedding scales each cell's STFT magnitudes by ``1 + sign * depth`` (patchwork on the
  spectrum).  The depth is relative to the cell, so quiet passages get a quiet mark and
  silence none; it is larger where the cell lies below its local spectral envelope
  (``(envelope / level) ** 0.5``, the envelope a geometric mean over +-1 kHz), so the
  mark's spectrum follows the smoothed spectrum of the host; it is capped at 0.3.  Three
  closed-loop passes re-analyse the result and correct the cells whose level missed its
  target, and the whole mark is scaled to lie ``TARGET_SNR_DB`` (36 dB) below the signal.
* The payload (64 bits, whitened with the key) gets a keyed CRC-24 and a tail-biting
  rate-1/3 convolutional code (K = 7): 264 coded bits per period.
* Detection resamples to 16 kHz, takes the log energy of the cell starting at every hop,
  removes the host with a 2-D linear predictor fitted on the clip itself, folds the whole
  clip onto the period for every candidate time scale (a tempo change) and time-and-
  frequency scale (a speed change) within +-6 %, finds the period's offset by FFT
  correlation with the sync pattern, and decodes the best 8 alignments with a soft
  Viterbi decoder.  Folding adds up every repeat of the mark, so longer clips give
  stronger evidence.
* Decision: a payload is reported only when its CRC-24 checks (unmarked audio: about
  8 * 2**-24 = 4.8e-7 per call); without one, the mark is reported present (payload
  None) only when the sync peak is stronger than unmarked audio shows once in 10**7.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from math import exp, log

import numpy as np
import scipy.fft as scipy_fft

from ..core.audio import resample

PAYLOAD_BITS = 64

# --- geometry ---------------------------------------------------------------------------
WORK_SR = 16000
N_FFT = 1024  # 64 ms window, 15.6 Hz bins
HOP = 128  # 8 ms
CELL_BINS = 2
CELL_HOPS = 4
LOW_HZ, HIGH_HZ = 500.0, 4500.0
N_SLOTS = 136  # period = 136 x 32 ms = 4.352 s
PERIOD_HOPS = N_SLOTS * CELL_HOPS
_BIN_HZ = WORK_SR / N_FFT
LOW_BIN = int(round(LOW_HZ / _BIN_HZ))
N_CELLBANDS = int(round((HIGH_HZ - LOW_HZ) / _BIN_HZ)) // CELL_BINS
N_CELLS = N_SLOTS * N_CELLBANDS

# --- code -------------------------------------------------------------------------------
CRC_BITS = 24
CRC_POLY = 0x864CFB  # the CRC-24 generator of OpenPGP
INFO_BITS = PAYLOAD_BITS + CRC_BITS
CONV_K = 7
CONV_GENERATORS = (0o133, 0o171, 0o165)  # rate 1/3, K = 7
CODED_BITS = INFO_BITS * len(CONV_GENERATORS)
SYNC_SHARE = 0.12
N_SYNC_CELLS = int(round(SYNC_SHARE * N_CELLS))
N_DATA_CELLS = N_CELLS - N_SYNC_CELLS

# --- embedding --------------------------------------------------------------------------
TARGET_SNR_DB = 36.0  # at strength 1.0
TILT = 0.5  # depth ~ (envelope / cell level) ** TILT: marks fill the spectral valleys
ENVELOPE_CELLS = 32  # the local envelope: geometric mean over +-32 cells (+-1 kHz)
MAX_DEPTH = 0.3  # a cell's magnitudes change by at most a factor 1 +- 0.3
QUIET_SLOT_TILT = 0.25  # depth also ~ (loud slot / this slot) ** QUIET_SLOT_TILT
LOUD_SLOT_PERCENTILE = 90  # "loud slot": this percentile of the clip's slot energies
CLOSED_LOOP_PASSES = 3
SLOT_SAMPLES = CELL_HOPS * HOP  # 32 ms at WORK_SR
BLOCK_SLOTS = 1024  # embedding shapes 32.8 s of the signal at a time (bounded memory)
# Real signal shaped on each side of a block and then dropped: 0.5 s, more than the reach
# of the closed loop (the first synthesis and each pass spread a change by one window).
BLOCK_CONTEXT_SLOTS = 16

# --- detection --------------------------------------------------------------------------
MIN_DETECT_S = 5.0
#: Clips from MIN_TRY_S up to MIN_DETECT_S are read too, but only a payload whose CRC-24
#: checks counts there: the chance that unmarked audio passes it (DECODE_CANDIDATES ×
#: 2^-24) does not depend on the length, while the sync pattern's null model was set on
#: longer windows.  Such a clip without a readable payload is "too short", not unmarked.
#: 2-3 s stretches of real voices read back 94 % of the time, 3-5 s ones 99-100 %; a
#: built-in voice's clean speech is harder (2-3 s: half) (docs/WATERMARK.md, "Clips under 5 s").
MIN_TRY_S = 1.5
MAX_ANALYSE_S = 60.0
SCALE_RANGE = 0.06  # time and frequency scales searched: 1 +- 6 %
DECODE_CANDIDATES = 8
FREQ_STEP = 0.004  # frequency scales tried for speed changes
SPEED_WINDOW_S = 15.0  # a longer clip picks its frequency scales on its busiest 15 s
SPEED_SEEDS = 3
# The best sync z-score of unmarked audio follows a Gumbel law, whose location grows with
# log(tests).  Fits on unmarked 10 s windows (49504 tests each; speech, singing, synthetic
# music, noise): 382 windows gave (4.236, 0.301), 1209 windows (4.254, 0.277); we keep
# the larger of each, the heavier tail.  See docs/WATERMARK.md.
NULL_Z_LOCATION, NULL_Z_SCALE, NULL_Z_TESTS = 4.254, 0.301, 49504
PRESENCE_P = 1e-7  # without a valid payload, report a mark present below this null chance
_NEIGHBOURS = ((4, 0), (-4, 0), (8, 0), (-8, 0), (0, 1), (0, -1), (0, 2), (0, -2),
               (4, 1), (4, -1), (-4, 1), (-4, -1))  # fmt: skip


@dataclass
class Detection:
    """What ``detect`` found.  ``confidence``: 1 - the chance that unmarked audio would
    give evidence this strong (0 when that chance is 1 % or more).  ``offset_s``: where a
    period of the mark begins in the clip (it repeats every 4.352 s / ``tempo`` or
    ``speed``).  ``speed``: the speed change found (resampling: pitch and tempo), 1.0 if
    none; ``tempo``: the tempo change found with pitch kept, 1.0 if none.  ``windows``:
    how many whole periods of the mark the analysed audio held.  ``reason``: a sentence
    saying why.  ``too_short``: the audio is under :data:`MIN_DETECT_S` and no payload was
    read from it (under :data:`MIN_TRY_S` none is looked for): a marked file cut that short
    says nothing against its mark."""

    found: bool
    payload: bytes | None
    confidence: float
    offset_s: float | None
    speed: float | None
    windows: int
    reason: str = ""
    tempo: float | None = None
    too_short: bool = False


# ======================================================================================
# keyed layout
# ======================================================================================


def _rng(key: bytes, label: str) -> np.random.Generator:
    seed = hashlib.sha256(
        b"yinse-watermark/v1\x00" + bytes(key) + b"\x00" + label.encode()
    ).digest()
    return np.random.default_rng(np.frombuffer(seed, dtype=np.uint64))


@dataclass(frozen=True)
class _Layout:
    sign: np.ndarray  # (N_SLOTS, N_CELLBANDS) +-1 keyed chip of each cell
    symbol: np.ndarray  # (N_SLOTS, N_CELLBANDS) coded-bit index, -1 for sync cells
    sync_template_fft: np.ndarray  # rfft over the period of the sync chips at cell starts
    data_slot: np.ndarray  # (N_DATA_CELLS,) slot, band and chip of the data cells
    data_band: np.ndarray
    data_chip: np.ndarray
    data_symbol: np.ndarray
    whitening: np.ndarray  # (PAYLOAD_BITS,) 0/1
    crc_init: int


@lru_cache(maxsize=16)
def _layout(key: bytes) -> _Layout:
    rng = _rng(key, "layout")
    order = rng.permutation(N_CELLS)
    symbol = np.full(N_CELLS, -1, dtype=np.int64)
    # deal the data cells to the coded bits like cards, so each bit gets an equal share
    symbol[order[:N_DATA_CELLS]] = np.arange(N_DATA_CELLS) % CODED_BITS
    sign = rng.choice(np.array([-1.0, 1.0]), size=N_CELLS)
    data = np.sort(order[:N_DATA_CELLS])
    sync = symbol < 0
    template = np.zeros((PERIOD_HOPS, N_CELLBANDS))
    template[::CELL_HOPS] = np.where(sync, sign, 0.0).reshape(N_SLOTS, N_CELLBANDS)
    return _Layout(
        sign=sign.reshape(N_SLOTS, N_CELLBANDS), symbol=symbol.reshape(N_SLOTS, N_CELLBANDS),
        sync_template_fft=scipy_fft.rfft(template, axis=0), data_slot=data // N_CELLBANDS,
        data_band=data % N_CELLBANDS, data_chip=sign[data], data_symbol=symbol[data],
        whitening=_rng(key, "whitening").integers(0, 2, PAYLOAD_BITS),
        crc_init=int(_rng(key, "crc").integers(0, 1 << CRC_BITS)),
    )  # fmt: skip


# ======================================================================================
# payload coding: whitening, CRC-24, tail-biting convolutional code, soft Viterbi
# ======================================================================================


def _bits(data: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8)).astype(np.int64)


def _crc24(bits: np.ndarray, init: int) -> np.ndarray:
    reg = init
    for b in bits:
        top = ((reg >> (CRC_BITS - 1)) & 1) ^ int(b)
        reg = (reg << 1) & ((1 << CRC_BITS) - 1)
        if top:
            reg ^= CRC_POLY
    return np.array([(reg >> (CRC_BITS - 1 - i)) & 1 for i in range(CRC_BITS)], dtype=np.int64)


def _parity(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    out = np.zeros_like(x)
    while np.any(x):
        out ^= x & 1
        x >>= 1
    return out


N_STATES = 1 << (CONV_K - 1)
# the register holds (input << (K-1)) | state; the next state is register >> 1
_OUT = np.stack([_parity(np.arange(1 << CONV_K) & g) for g in CONV_GENERATORS], axis=1)
_NS = np.arange(N_STATES)
_PRED = np.stack([((_NS & (N_STATES // 2 - 1)) << 1) | j for j in (0, 1)], axis=1)  # (64, 2)
_PRED_REG = ((_NS >> (CONV_K - 2))[:, None] << (CONV_K - 1)) | _PRED
_PRED_SIGN = 1.0 - 2.0 * _OUT[_PRED_REG]  # (64, 2, 3): +1 where the coded bit is 0


def _conv_encode(info: np.ndarray) -> np.ndarray:
    """Tail-biting: the encoder starts in the state its last K-1 inputs leave it in."""
    state = 0
    for b in info[-(CONV_K - 1) :]:
        state = ((int(b) << (CONV_K - 1)) | state) >> 1
    out = np.empty((len(info), len(CONV_GENERATORS)), dtype=np.int64)
    for i, b in enumerate(info):
        reg = (int(b) << (CONV_K - 1)) | state
        out[i] = _OUT[reg]
        state = reg >> 1
    return out.ravel()


def _viterbi(soft: np.ndarray, wraps: int = 3) -> np.ndarray:
    """Wrap-around soft Viterbi for the tail-biting code.  ``soft``: (n, CODED_BITS),
    positive meaning coded bit 0.  Returns (n, INFO_BITS) decided info bits."""
    n = soft.shape[0]
    y = soft.reshape(n, INFO_BITS, len(CONV_GENERATORS))
    y = np.concatenate([y] * wraps, axis=1)
    steps = y.shape[1]
    metric = np.zeros((n, N_STATES))
    choice = np.empty((steps, n, N_STATES), dtype=np.int8)
    for t in range(steps):
        cand = metric[:, _PRED] + np.einsum("cr,spr->csp", y[:, t], _PRED_SIGN)
        pick = np.argmax(cand, axis=2)
        choice[t] = pick
        metric = np.take_along_axis(cand, pick[..., None], axis=2)[..., 0]
        metric -= metric.max(axis=1, keepdims=True)
    state = np.argmax(metric, axis=1)
    bits = np.empty((n, steps), dtype=np.int64)
    rows = np.arange(n)
    for t in range(steps - 1, -1, -1):
        bits[:, t] = state >> (CONV_K - 2)
        state = _PRED[state, choice[t, rows, state]]
    middle = (wraps // 2) * INFO_BITS
    return bits[:, middle : middle + INFO_BITS]


def _codeword(payload: bytes, layout: _Layout) -> np.ndarray:
    bits = _bits(payload) ^ layout.whitening
    info = np.concatenate([bits, _crc24(bits, layout.crc_init)])
    return _conv_encode(info)


def _check(info: np.ndarray, layout: _Layout) -> bytes | None:
    bits = info[:PAYLOAD_BITS]
    if not np.array_equal(_crc24(bits, layout.crc_init), info[PAYLOAD_BITS:]):
        return None
    return np.packbits((bits ^ layout.whitening).astype(np.uint8)).tobytes()


# ======================================================================================
# signal helpers
# ======================================================================================


_WINDOW = np.hanning(N_FFT + 1)[:N_FFT]


def _stft(x: np.ndarray, dtype=np.float64, first: int = 0, stop: int | None = None) -> np.ndarray:
    """Frames ``first`` to ``stop`` (all by default) of the STFT of ``x``, frame i centred
    on sample i * HOP, so that a long signal can be analysed a block of frames at a time
    with the same result.  Embedding works in single precision (twice as fast; the mark
    sits 36 dB under the signal, far above float32's rounding); detection keeps double."""
    n_frames = len(x) // HOP + 1
    stop = n_frames if stop is None else min(stop, n_frames)
    lo = first * HOP - N_FFT // 2  # the first frame's first sample
    padded = np.zeros((stop - 1 - first) * HOP + N_FFT, dtype=dtype)
    a, b = max(lo, 0), min(lo + len(padded), len(x))
    padded[a - lo : b - lo] = x[a:b]
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    return scipy_fft.rfft(frames * _WINDOW.astype(dtype), axis=1)


@lru_cache(maxsize=4)
def _ola_norm(n_frames: int) -> np.ndarray:
    """1 / (sum of the squared windows overlapping each sample)."""
    norm = np.zeros((n_frames - 1) * HOP + N_FFT)
    stride = N_FFT // HOP
    for k in range(stride):
        count = len(range(k, n_frames, stride))
        norm[k * HOP : k * HOP + count * N_FFT] += np.tile(_WINDOW**2, count)
    return 1.0 / np.maximum(norm, 1e-3)


def _istft(spec: np.ndarray, length: int) -> np.ndarray:
    n_frames = spec.shape[0]
    frames = scipy_fft.irfft(spec, n=N_FFT, axis=1)
    frames *= _WINDOW.astype(frames.dtype)
    out = np.zeros((n_frames - 1) * HOP + N_FFT, dtype=frames.dtype)
    stride = N_FFT // HOP
    for k in range(stride):  # overlap-add in passes of non-overlapping frames
        block = frames[k::stride].ravel()
        out[k * HOP : k * HOP + len(block)] += block
    out *= _ola_norm(n_frames)
    return out[N_FFT // 2 : N_FFT // 2 + length]


def _check_audio(audio: np.ndarray, sr: int) -> np.ndarray:
    x = np.asarray(audio)
    if x.ndim != 1:
        raise ValueError("the watermark works on mono audio: give a 1-D array")
    if int(sr) <= 0:
        raise ValueError(f"sample rate must be positive, got {sr}")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError("audio contains NaN or infinite samples")
    return x  # float audio is not copied: a long input is large (resampling works in double)


def _power(x: np.ndarray) -> float:
    """Mean square in double precision, a million samples at a time (no squared copy)."""
    if not len(x):
        return 0.0
    step = 1 << 20
    total = sum(
        float(np.dot(c, c))
        for c in (x[i : i + step].astype(np.float64) for i in range(0, len(x), step))
    )
    return total / len(x)


def _band_power(spec: np.ndarray) -> np.ndarray:
    hi = LOW_BIN + N_CELLBANDS * CELL_BINS
    return np.abs(spec[:, LOW_BIN:hi]) ** 2


def _cell_energy(band_power: np.ndarray) -> np.ndarray:
    """(frames, bins in band) -> (slots, cell bands), the last partial slot dropped."""
    n_slots = band_power.shape[0] // CELL_HOPS
    e = band_power[: n_slots * CELL_HOPS].reshape(n_slots, CELL_HOPS, N_CELLBANDS, CELL_BINS)
    return e.sum(axis=(1, 3))


def _expand(cells: np.ndarray, n_frames: int) -> np.ndarray:
    """(slots, cell bands) -> (n_frames, bins in band); frames past the last slot get 1."""
    out = np.ones((n_frames, N_CELLBANDS * CELL_BINS))
    full = np.repeat(np.repeat(cells, CELL_HOPS, axis=0), CELL_BINS, axis=1)
    out[: len(full)] = full[:n_frames]
    return out


# ======================================================================================
# embedding
# ======================================================================================


def embed(
    audio: np.ndarray, sr: int, payload: bytes, *, key: bytes, strength: float = 1.0
) -> np.ndarray:
    """``audio`` (mono float) with ``payload`` (exactly 8 bytes) hidden under ``key``.

    Returns the same length, rate and float type.  At ``strength`` 1.0 the mark lies
    36 dB below the signal; it scales linearly with ``strength``.  Silent input comes
    back unchanged."""
    if not strength >= 0:
        raise ValueError("strength must be >= 0")
    dtype = np.asarray(audio).dtype
    dtype = dtype if np.issubdtype(dtype, np.floating) else np.float32
    x = _check_audio(audio, sr)
    return (x + strength * _mark_or_zeros(x, sr, payload, key)).astype(dtype, copy=False)


def mark_signal(audio: np.ndarray, sr: int, payload: bytes, *, key: bytes) -> np.ndarray:
    """The mark alone (float32, the length of ``audio``): what :func:`embed` adds at
    strength 1.0, all zeros for silent input.  For callers that add it in place or to
    several channels."""
    return _mark_or_zeros(_check_audio(audio, sr), sr, payload, key)


def _mark_or_zeros(x: np.ndarray, sr: int, payload: bytes, key: bytes) -> np.ndarray:
    """:func:`_mark` of checked audio, zeros where there is no host for a mark."""
    if not isinstance(payload, (bytes, bytearray)) or len(payload) * 8 != PAYLOAD_BITS:
        raise ValueError(f"payload must be exactly {PAYLOAD_BITS // 8} bytes")
    mark = _mark(x, int(sr), bytes(payload), bytes(key))
    return np.zeros(len(x), dtype=np.float32) if mark is None else mark


def _depths(energy: np.ndarray, budget: float) -> np.ndarray:
    """Depth of every cell: relative to the cell, larger below the local envelope and in
    quieter slots, capped, scaled so that sum(depth^2 * energy) = budget.

    Both tilts move the mark's power to where a relative change costs the least of the
    SNR budget: the valleys between harmonics, and the soft passages between loud ones
    (without the second, 90 % of the budget went into the loudest fifth of the cells,
    which carry the least evidence: short, clean synthetic speech was not detectable)."""
    level = np.log(energy + 1e-30)
    width = 2 * ENVELOPE_CELLS + 1
    padded = np.pad(level, ((0, 0), (ENVELOPE_CELLS, ENVELOPE_CELLS)), mode="edge")
    csum = np.concatenate([np.zeros((len(level), 1)), np.cumsum(padded, axis=1)], axis=1)
    envelope = (csum[:, width:] - csum[:, :-width]) / width
    rel = np.exp(np.clip(TILT * (envelope - level), -30, 30))
    slot = energy.sum(axis=1)
    if QUIET_SLOT_TILT and np.any(slot > 0):
        loud = np.log(np.percentile(slot[slot > 0], LOUD_SLOT_PERCENTILE))
        quiet = np.clip(loud - np.log(slot + 1e-30), 0, 30)
        rel *= np.exp(QUIET_SLOT_TILT * quiet)[:, None]
    rel[energy <= 0] = 0.0
    lo, hi = 0.0, 1.0
    cost = lambda s: float(np.sum(np.minimum(s * rel, MAX_DEPTH) ** 2 * energy))  # noqa: E731
    while cost(hi) < budget and hi < 1e6:
        hi *= 4
    for _ in range(40):  # bisection on the scale
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cost(mid) < budget else (lo, mid)
    return np.minimum(hi * rel, MAX_DEPTH)


def _mark(x: np.ndarray, sr: int, payload: bytes, key: bytes) -> np.ndarray | None:
    """The mark for ``x`` at strength 1.0, or None when there is no host for one.

    Two passes over the 16 kHz signal, each a block of :data:`BLOCK_SLOTS` slots at a
    time, so that memory stays bounded for long inputs: the first measures every cell's
    energy (the depths are set over the whole signal, with one SNR budget), the second
    shapes each block with :data:`BLOCK_CONTEXT_SLOTS` slots of real signal on each side,
    more than the closed loop's reach, and keeps the block's own samples."""
    power = _power(x)
    if power < 1e-14:  # silence or nothing: no host to hide a mark in
        return None
    layout = _layout(key)
    coded = 1.0 - 2.0 * _codeword(payload, layout)
    x16 = resample(x, sr, WORK_SR)
    n_frames = len(x16) // HOP + 1
    n_slots = n_frames // CELL_HOPS
    if n_slots == 0:
        return None
    energy = np.empty((n_slots, N_CELLBANDS))
    total = 0.0
    for s0 in range(0, n_slots, BLOCK_SLOTS):
        last = s0 + BLOCK_SLOTS >= n_slots
        stop = n_frames if last else (s0 + BLOCK_SLOTS) * CELL_HOPS
        spec = _stft(x16, np.float32, s0 * CELL_HOPS, stop)
        total += float(np.sum(np.abs(spec) ** 2))
        block = _cell_energy(_band_power(spec))
        energy[s0 : s0 + len(block)] = block
    if not np.any(energy > 0):
        return None
    chip = np.where(
        layout.symbol >= 0, layout.sign * coded[np.maximum(layout.symbol, 0)], layout.sign
    )
    chip = chip[np.arange(n_slots) % N_SLOTS]
    # the budget in STFT units: mark energy ~ sum over cells of (depth * cell level)^2
    target = 10 ** (-TARGET_SNR_DB / 10)
    gain = 1.0 + chip * _depths(energy, target * total)  # in (0.7, 1.3)
    w16 = np.zeros(len(x16), dtype=np.float32)
    for s0 in range(0, n_slots, BLOCK_SLOTS):
        end = len(x16) if s0 + BLOCK_SLOTS >= n_slots else (s0 + BLOCK_SLOTS) * SLOT_SAMPLES
        a = max(0, s0 - BLOCK_CONTEXT_SLOTS) * SLOT_SAMPLES
        b = min(len(x16), end + BLOCK_CONTEXT_SLOTS * SLOT_SAMPLES)
        seg = x16[a:b]
        rows = slice(a // SLOT_SAMPLES, a // SLOT_SAMPLES + (len(seg) // HOP + 1) // CELL_HOPS)
        w16[s0 * SLOT_SAMPLES : end] = (_shape(seg, gain[rows]) - seg)[
            s0 * SLOT_SAMPLES - a : end - a
        ]
    del x16, seg
    w = resample(w16, WORK_SR, sr)[: len(x)]
    del w16
    if len(w) < len(x):
        w = np.pad(w, (0, len(x) - len(w)))
    mark_power = _power(w)
    if mark_power <= 0:
        return None
    w *= np.sqrt(power * target / mark_power)
    return w


def _shape(x16: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """``x16`` with every cell's magnitudes scaled by its ``gain`` (slots, cell bands),
    then corrected in closed loop so that each cell's energy lands on its goal."""
    spec = _stft(x16, np.float32)
    n_frames = spec.shape[0]
    energy = _cell_energy(_band_power(spec))
    goal = 2.0 * np.log(gain)  # the wanted change of every cell's log energy
    band = slice(LOW_BIN, LOW_BIN + N_CELLBANDS * CELL_BINS)
    spec[:, band] *= _expand(gain, n_frames)
    y16 = _istft(spec, len(x16))
    for _ in range(CLOSED_LOOP_PASSES):
        # the STFT of a modified STFT is not the modified STFT: re-analyse, and push every
        # cell part of the way towards its goal
        spec = _stft(y16, np.float32)
        got = np.log((_cell_energy(_band_power(spec)) + 1e-30) / (energy + 1e-30))
        fix = np.where(energy > 0, np.exp(0.45 * np.clip(goal - got, -2, 2)), 1.0)
        spec[:, band] *= _expand(fix, n_frames)
        y16 = _istft(spec, len(x16))
    return y16


# ======================================================================================
# detection
# ======================================================================================


def _cell_levels(power: np.ndarray, csum: np.ndarray, freq_scale: float) -> np.ndarray:
    """Log energy of the cell starting at every hop, for every cell band, the band edges
    scaled by ``freq_scale`` (a speed change by resampling moves all frequencies)."""
    edges = LOW_BIN - 0.5 + CELL_BINS * np.arange(N_CELLBANDS + 1)
    pos = np.clip((edges * freq_scale) + 0.5, 0, power.shape[1] - 1e-6)
    i0 = np.floor(pos).astype(int)
    c = csum[:, i0] + (pos - i0) * power[:, i0]
    band = np.diff(c, axis=1)
    t = np.concatenate([np.zeros((1, N_CELLBANDS)), np.cumsum(band, axis=0)], axis=0)
    cells = t[CELL_HOPS:] - t[:-CELL_HOPS]
    floor = 1e-9 * float(np.mean(cells)) + 1e-20
    return np.log(cells + floor), cells > 1e3 * floor


_PAD_T = max(abs(dt) for dt, _ in _NEIGHBOURS)
_PAD_B = max(abs(db) for _, db in _NEIGHBOURS)


def _padded(a: np.ndarray) -> np.ndarray:
    return np.pad(a, ((_PAD_T, _PAD_T), (_PAD_B, _PAD_B)), mode="edge")


def _shift(padded: np.ndarray, shape: tuple[int, int], dt: int, db: int) -> np.ndarray:
    """out[j, c] = a[j + dt, c + db] (edges repeated), ``padded`` from ``_padded(a)``."""
    n, m = shape
    return padded[_PAD_T + dt : _PAD_T + dt + n, _PAD_B + db : _PAD_B + db + m]


def _predictor(level: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Least-squares weights that predict a cell's log level from its neighbours."""
    stride = max(1, level.size // 60000)
    padded = _padded(level)
    cols = [_shift(padded, level.shape, dt, db).ravel()[::stride] for dt, db in _NEIGHBOURS]
    a = np.stack(cols + [np.ones_like(cols[0])], axis=1)
    keep = usable.ravel()[::stride]
    if keep.sum() < 4 * a.shape[1]:
        return np.r_[np.full(len(_NEIGHBOURS), 1.0 / len(_NEIGHBOURS)), 0.0]
    coef, *_ = np.linalg.lstsq(a[keep], level.ravel()[::stride][keep], rcond=None)
    return coef


def _residual(level: np.ndarray, usable: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Host-free cell values: the prediction residual, clipped at 2.5 robust deviations,
    weighted by the inverse of the local residual power (transients count less)."""
    from scipy.ndimage import uniform_filter

    level = level.astype(np.float32)
    pred = np.full_like(level, coef[-1])
    padded = _padded(level)
    for (dt, db), c in zip(_NEIGHBOURS, coef[:-1].astype(np.float32)):
        pred += c * _shift(padded, level.shape, dt, db)
    r = np.where(usable, level - pred, np.float32(0))
    sample = np.abs(r[usable][:: max(1, int(usable.sum()) // 20000)])
    spread = np.float32(1.4826 * np.median(sample) + 1e-9 if len(sample) else 1.0)
    np.clip(r, -2.5 * spread, 2.5 * spread, out=r)
    local = uniform_filter(r * r, size=(9, 5), mode="nearest")
    return r * (usable / (local + 0.1 * spread**2))


def _fold(values: np.ndarray, time_scale: float) -> np.ndarray:
    """Sum every hop onto its place in the period, hop j lying at j * time_scale."""
    from scipy.sparse import csr_matrix

    n = values.shape[0]
    phase = np.rint(np.arange(n) * time_scale).astype(np.int64) % PERIOD_HOPS
    fold = csr_matrix((np.ones(n), (phase, np.arange(n))), shape=(PERIOD_HOPS, n))
    return fold @ values


def _zscores(folded: np.ndarray, layout: _Layout) -> np.ndarray:
    """z[d]: sync correlation with the period starting at fold index -d."""
    f = scipy_fft.rfft(folded, axis=0)
    score = scipy_fft.irfft((layout.sync_template_fft * np.conj(f)).sum(axis=1), n=PERIOD_HOPS)
    med = np.median(score)
    return (score - med) / (1.4826 * np.median(np.abs(score - med)) + 1e-12)


@dataclass
class _Candidate:
    z: float  # best sync z-score over the offsets
    time_scale: float  # original time per received time
    freq_scale: float  # received frequency per original frequency (1: tempo change only)
    shift: int  # fold index of the period start is -shift
    folded: np.ndarray | None = None  # (PERIOD_HOPS, N_CELLBANDS), kept for the picked ones


def _grid(centre: float, half_width: float, step: float) -> np.ndarray:
    n = int(np.floor(half_width / step + 1e-9))
    return centre + step * np.arange(-n, n + 1)


def _evaluate(
    values: np.ndarray, time_scale: float, freq_scale: float, layout: _Layout
) -> _Candidate:
    z = _zscores(_fold(values, time_scale), layout)
    best = int(np.argmax(z))
    return _Candidate(float(z[best]), float(time_scale), float(freq_scale), best)


def _distinct(cands: list[_Candidate], step: float, limit: int) -> list[_Candidate]:
    picked: list[_Candidate] = []
    for c in sorted(cands, key=lambda c: -c.z):
        if any(
            abs(c.time_scale - p.time_scale) <= 1.5 * step
            and min((c.shift - p.shift) % PERIOD_HOPS, (p.shift - c.shift) % PERIOD_HOPS) <= 2
            for p in picked
        ):
            continue
        picked.append(c)
        if len(picked) == limit:
            break
    return picked


def _search(power: np.ndarray, layout: _Layout) -> tuple[list[_Candidate], int]:
    """Every time scale (tempo: frequencies kept) and every time-and-frequency scale
    (speed) in 1 +- SCALE_RANGE, each with its best period offset."""
    n = power.shape[0]
    seconds = n * HOP / WORK_SR
    step = min(0.004, 0.032 / max(seconds, 1.0))  # the fold drifts < 1/4 cell over the clip
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(power, axis=1)], axis=1)
    level, usable = _cell_levels(power, csum, 1.0)
    coef = _predictor(level, usable)
    base = _residual(level, usable, coef)
    cands = [_evaluate(base, ts, 1.0, layout) for ts in _grid(1.0, SCALE_RANGE, step)]
    # speed: frequency scales every FREQ_STEP (a cell edge tolerates 0.2 % of error), each
    # with the time scales around it; a long clip picks its frequency scales on a window
    freqs = [f for f in _grid(1.0, SCALE_RANGE, FREQ_STEP) if abs(f - 1.0) > 1e-9]
    win = int(SPEED_WINDOW_S * WORK_SR / HOP)
    if n > win:
        start = _busiest(level, usable, win)
        sub_p, sub_c = power[start : start + win], csum[start : start + win]
        sub_step = 0.032 / SPEED_WINDOW_S
        score = []
        for fs in freqs:
            v = _residual(*_cell_levels(sub_p, sub_c, fs), coef)
            score.append(
                max(_evaluate(v, ts, fs, layout).z for ts in _grid(fs, FREQ_STEP / 2, sub_step))
            )
        freqs = [freqs[i] for i in np.argsort(score)[::-1][:SPEED_SEEDS]]
    for fs in freqs:
        v = _residual(*_cell_levels(power, csum, fs), coef)
        cands += [_evaluate(v, ts, fs, layout) for ts in _grid(fs, FREQ_STEP / 2, step)]
    # refine the frequency scale of the two best speed candidates to 0.1 %
    for c in sorted((c for c in cands if c.freq_scale != 1.0), key=lambda c: -c.z)[:2]:
        for fs in c.freq_scale + np.array([-0.002, -0.001, 0.001, 0.002]):
            v = _residual(*_cell_levels(power, csum, fs), coef)
            cands += [_evaluate(v, ts, fs, layout) for ts in _grid(c.time_scale, step, step)]
    picked = _distinct(cands, step, DECODE_CANDIDATES)
    values = {1.0: base}
    for c in picked:
        if c.freq_scale not in values:
            values[c.freq_scale] = _residual(*_cell_levels(power, csum, c.freq_scale), coef)
        c.folded = _fold(values[c.freq_scale], c.time_scale)
    return picked, len(cands) * PERIOD_HOPS


def _busiest(level: np.ndarray, usable: np.ndarray, win: int) -> int:
    """Start hop of the window of ``win`` hops with the most cells above the quiet floor."""
    if not usable.any() or win >= len(level):
        return 0
    q10, q90 = np.percentile(level[usable], [10, 90])
    act = (usable * np.clip((level - q10) / max(q90 - q10, 1e-9), 0, 1)).sum(axis=1)
    c = np.concatenate([[0.0], np.cumsum(act)])
    return int(np.argmax(c[win:] - c[: len(c) - win]))


def _soft_bits(c: _Candidate, layout: _Layout) -> np.ndarray:
    rows = (layout.data_slot * CELL_HOPS - c.shift) % PERIOD_HOPS
    vals = c.folded[rows, layout.data_band] * layout.data_chip
    return np.bincount(layout.data_symbol, weights=vals, minlength=CODED_BITS)


def detect(audio: np.ndarray, sr: int, *, key: bytes) -> Detection:
    """Look for the mark of ``key`` in ``audio`` (mono, any rate, any excerpt of >= 5 s;
    shorter ones down to :data:`MIN_TRY_S` when their payload can be read)."""
    x = _check_audio(audio, sr)
    seconds = len(x) / sr

    def too_short(why: str) -> Detection:
        return Detection(False, None, 0.0, None, None, 0, too_short=True,
                         reason=f"too short: {seconds:.2f} s, {why}")  # fmt: skip

    if seconds < MIN_TRY_S - 1e-9:
        return too_short(f"the detector needs {MIN_DETECT_S:.0f} s (and reads no clip under {MIN_TRY_S:g} s)")
    if _power(x) < 1e-14:
        return Detection(False, None, 0.0, None, None, 1, reason="silent: nothing to detect")
    found = _analyse(x, int(sr), bytes(key)).detection
    if seconds < MIN_DETECT_S - 1e-9 and found.payload is None:
        return too_short(f"no payload could be read; the detector needs {MIN_DETECT_S:.0f} s to tell")
    return found


@dataclass
class _Analysis:
    detection: Detection
    candidates: list  # _Candidate, best sync first
    decoded: np.ndarray  # (n candidates, INFO_BITS) Viterbi output, whitened
    tests: int


def _analyse(x: np.ndarray, sr: int, key: bytes) -> _Analysis:
    start = 0
    seconds = len(x) / sr
    if seconds > MAX_ANALYSE_S:  # the middle MAX_ANALYSE_S seconds
        start = int((seconds - MAX_ANALYSE_S) / 2 * sr)
        x = x[start : start + int(MAX_ANALYSE_S * sr)]
    layout = _layout(key)
    power = np.abs(_stft(resample(x, sr, WORK_SR))) ** 2
    cands, tests = _search(power, layout)
    decoded = _viterbi(np.stack([_soft_bits(c, layout) for c in cands]))
    span = (start / sr, len(x) / sr)
    result = None
    for c, info in zip(cands, decoded):
        payload = _check(info, layout)
        if payload is not None:
            result = _result(payload, c, tests, span, "payload decoded, CRC-24 valid")
            break
    if result is None and _null_p(cands[0].z, tests) <= PRESENCE_P:
        result = _result(None, cands[0], tests, span, "sync pattern found, payload unreadable")
    if result is None:
        result = _result(None, cands[0], tests, span, "no mark found", found=False)
    return _Analysis(result, cands, decoded, tests)


def _null_p(z: float, tests: int) -> float:
    """Chance that unmarked audio shows a best sync z-score of at least ``z``."""
    location = NULL_Z_LOCATION + NULL_Z_SCALE * log(max(tests, 1) / NULL_Z_TESTS)
    return (
        -np.expm1(-exp(-(z - location) / NULL_Z_SCALE)) if z < location + 40 * NULL_Z_SCALE else 0.0
    )


def _result(
    payload, c: _Candidate, tests: int, span: tuple, reason: str, found: bool = True
) -> Detection:
    start_s, seconds = span
    # confidence: 1 - the chance that unmarked audio gives evidence this strong (a valid
    # CRC-24 among DECODE_CANDIDATES tries, or this sync peak); 0 when that chance is 1 %
    # or more, so unmarked audio reads 0 in 99 % of cases
    p = DECODE_CANDIDATES * 2.0**-CRC_BITS if payload is not None else _null_p(c.z, tests)
    confidence = 1.0 - p if p < 0.01 else 0.0
    # where a period begins: hop j with j * time_scale = -shift (mod period)
    offset_s = ((-c.shift) % PERIOD_HOPS) / c.time_scale * HOP / WORK_SR + start_s
    speed = round(c.time_scale, 4) if c.freq_scale != 1.0 else 1.0
    tempo = round(c.time_scale, 4) if c.freq_scale == 1.0 else 1.0
    return Detection(
        found=found, payload=payload, confidence=float(confidence),
        offset_s=round(float(offset_s), 4) if found else None, speed=float(speed) if found else None,
        windows=max(1, int(seconds * c.time_scale / (PERIOD_HOPS * HOP / WORK_SR))), reason=reason,
        tempo=float(tempo) if found else None,
    )  # fmt: skip
