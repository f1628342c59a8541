"""Speaker verification for voice consent and the protected-voice guard.

Two questions, one embedding (resemblyzer's d-vector encoder, 256-d, run on the CPU):

* consent check: was this consent recording spoken by the person whose enrollment recordings
  made the voice?  One clip against the enrolled centroid, ``SAME_SPEAKER_THRESHOLD``;
* protected-voice guard: is a new enrollment the voice of someone already registered by
  another owner?  Centroid against centroid, ``PROTECTED_VOICE_THRESHOLD``.

Both thresholds were set from false-accept rates measured on real recordings
(``benchmarks/bench_verification.py``, results in ``docs/BENCHMARKS.md``).  Speaker
verification tells voices apart; it cannot tell a live person from a recording or a clone
of them, so the consent check needs a prompt the speaker could not have prepared as well.

The encoder's weights ship inside the ``resemblyzer`` wheel (``pretrained.pt``); they are
checked by hash and nothing is downloaded.  torch and resemblyzer (which pulls librosa) are
imported on first use only, so ``import yinse`` stays light.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from yinse.core.audio import resample
from yinse.core.errors import InputError, YinseError
from yinse.core.hashing import file_sha256

#: The encoder's sample rate (resemblyzer's ``sampling_rate``).
ENCODER_SR = 16000
#: Least voiced speech (after trimming silences) from which a speaker is judged.  The
#: encoder looks at 1.6 s windows, and clips cut to 1.5 s already score lower against
#: everyone (docs/BENCHMARKS.md); under a second there is too little to judge.
MIN_VOICED_S = 1.0
#: Below this peak (about -80 dBFS) a clip is treated as silence.
SILENCE_PEAK = 1e-4
#: The level (RMS of the speech kept) every clip is embedded at.  resemblyzer raises quieter
#: clips to -30 dBFS and leaves louder ones alone, but its d-vector moves with level: cathy's
#: arctic_a0013 scored 0.933 against her centroid as recorded (-30 dBFS), 0.862 at 3x gain
#: and 0.783 at 10x, and a conversion at -19 dBFS 0.707 against 0.763 at -30.  Brought to one level,
#: a clip is judged by its voice, not by how loud it was recorded or rendered.
ENCODER_DBFS = -30.0

#: How a clip is levelled before it is embedded.  1: resemblyzer's own rule, raised to
#: -30 dBFS if quieter (voices enrolled before 2026-12-07 hold centroids made so); 2: the
#: speech kept brought to :data:`ENCODER_DBFS` either way.  A stored centroid is compared only
#: with clips embedded its way, at that way's thresholds (:data:`THRESHOLDS`).
EMBEDDING_VERSION = 2
#: (consent, guard) thresholds of each embedding version; accept (judge the same person) at
#: or above.  Measured with benchmarks/bench_verification.py on ../shared/data speech (461
#: clips, 48 speakers, en + zh; 11 speakers enrolled from 5-clip centroids, 3 draws each).
#: Version 2 (2026-12-07): consent, 1 clip vs a 5-clip centroid, EER 0.92 %; at 0.82 FAR
#: 0.23 %, FRR 2.02 %.  The plain FAR <= 1 % rule gives 0.80 (FAR 0.74 %, FRR 1.10 %); one
#: step more is taken because a false accept is the error that matters for consent (a
#: refused owner records again), the threshold is fit on the trials it is judged on, and
#: the hardest pair (magicdata_f clips against baker, two Mandarin studio women) passes
#: 20.9 % of the time at 0.80 and 6.7 % at 0.82.  Guard, disjoint 5-clip sets: same speaker
#: >= 0.927, different speakers <= 0.819 (<= 0.821 against speakers with 1-4 clips); 0.83 is
#: just above them, since a missed protected voice is the harm the guard exists for and a
#: re-recording in another room scores lower than these same-session sets.  Clips under 2 s
#: are refused far more often (FRR 13 % at 0.82), and bigger centroids sit closer to everyone
#: (version 1, 10-clip centroids: FAR 1.34 % at 0.80): recalibrate if the enrollment length
#: changes.  Version 1 (2026-11-24): EER 0.92 %, consent 0.80 (FAR 0.25 %, FRR 1.83 %),
#: guard 0.82.
THRESHOLDS = {1: (0.80, 0.82), 2: (0.82, 0.83)}
SAME_SPEAKER_THRESHOLD, PROTECTED_VOICE_THRESHOLD = THRESHOLDS[EMBEDDING_VERSION]

#: A consent recording is often made later than the enrollment, somewhere noisier; its
#: steady noise is subtracted before it is embedded (spectral subtraction, the noise taken
#: from the quietest tenth of 32 ms frames, subtracted twice over, each bin kept at 5 % at
#: least).  Consent-length probes of 11 speakers with pink noise 20 dB under the voice:
#: genuine median 0.85 → 0.93, refused 11 % → 0; in a simulated room 95 % → 68 % (the
#: reverb, which this does not remove, is most of it); impostors and the real clips'
#: rates unchanged (EER 0.92 %, FAR 0.26 % at 0.80; benchmarks/bench_verification.py).
#: Enrollment clips are not treated: they passed the enrollment's quality check.
NOISE_OVERSUBTRACT = 2.0
NOISE_GAIN_FLOOR = 0.05
NOISE_FRAME = 512

# sha256 of resemblyzer 0.1.4's bundled pretrained.pt.
_WEIGHTS_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"

_encoder: Any = None
_encoder_lock = threading.Lock()
_forward_lock = threading.Lock()


@dataclass(frozen=True)
class SpeakerCheck:
    """One decision: the cosine score, the threshold it was held against, the verdict."""

    score: float
    threshold: float
    accepted: bool


def _import_resemblyzer() -> Any:
    from ..core.librosa_import import import_librosa

    import_librosa()  # resemblyzer imports librosa: its numba cache is loaded under the lock
    # resemblyzer imports scipy.ndimage.morphology (deprecated) and webrtcvad imports
    # pkg_resources (deprecated): both warn on every first import, harmlessly.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=UserWarning, message=".*pkg_resources.*")
        import resemblyzer

    return resemblyzer


def encoder() -> Any:
    """The process-wide resemblyzer ``VoiceEncoder`` on the CPU, loaded on first use from
    the weights inside the installed package (hash-checked; no download)."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            resemblyzer = _import_resemblyzer()
            weights = Path(resemblyzer.__file__).resolve().parent / "pretrained.pt"
            try:
                digest = file_sha256(weights)
            except OSError as e:
                raise YinseError(
                    f"speaker encoder weights {weights} cannot be read ({e}); "
                    "reinstall resemblyzer==0.1.4"
                ) from e
            if digest != _WEIGHTS_SHA256:
                raise YinseError(
                    f"speaker encoder weights {weights} have sha256 {digest[:16]}…, expected "
                    f"{_WEIGHTS_SHA256[:16]}… (resemblyzer 0.1.4); reinstall resemblyzer==0.1.4"
                )
            model = resemblyzer.VoiceEncoder("cpu", verbose=False, weights_fpath=weights)
            _encoder = model.eval()
    return _encoder


def _voice_mask(wav: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """resemblyzer's ``trim_long_silences`` with its masks exposed: webrtcvad (mode 3) on
    30 ms windows, smoothed over 8 windows (the *voiced* windows), dilated by 6 windows
    (what is kept).  Returns both per-sample masks over ``wav``'s whole-window prefix."""
    hparams = _import_resemblyzer().hparams  # first: it imports webrtcvad quietly
    import webrtcvad
    from scipy.ndimage import binary_dilation

    window = hparams.vad_window_length * ENCODER_SR // 1000
    n = len(wav) - len(wav) % window
    pcm = (np.round(np.clip(wav[:n], -1.0, 1.0) * 32767)).astype("<i2").tobytes()
    vad = webrtcvad.Vad(mode=3)
    flags = np.array(
        [vad.is_speech(pcm[i * 2 : (i + window) * 2], ENCODER_SR) for i in range(0, n, window)],
        dtype=float,
    )
    width = hparams.vad_moving_average_width
    padded = np.concatenate((np.zeros((width - 1) // 2), flags, np.zeros(width // 2)))
    voiced = np.round(np.convolve(padded, np.ones(width) / width, mode="valid")).astype(bool)
    kept = binary_dilation(voiced, np.ones(hparams.vad_max_silence_length + 1))
    return np.repeat(voiced, window), np.repeat(kept, window)


def _subtract_noise(x: np.ndarray) -> np.ndarray:
    """``x`` (16 kHz) with its steady background noise taken out (see NOISE_OVERSUBTRACT)."""
    from scipy.signal import istft, stft

    _, _, spectrum = stft(x, ENCODER_SR, nperseg=NOISE_FRAME)
    power = np.abs(spectrum) ** 2
    frame_power = power.sum(axis=0)
    noise = power[:, frame_power <= np.percentile(frame_power, 10)].mean(axis=1, keepdims=True)
    gain = np.maximum(1.0 - NOISE_OVERSUBTRACT * noise / (power + 1e-20), NOISE_GAIN_FLOOR)
    return istft(spectrum * np.sqrt(gain), ENCODER_SR, nperseg=NOISE_FRAME)[1][: len(x)]


def _prepare(audio: np.ndarray, sr: int, *, denoise: bool = False, version: int = EMBEDDING_VERSION) -> np.ndarray:
    """``audio`` as the encoder wants it: 16 kHz, long silences cut (resemblyzer's
    preprocessing), levelled as :data:`EMBEDDING_VERSION` ``version`` says; ``denoise``: its
    steady noise subtracted first.  Refuses clips with too little speech."""
    if version not in THRESHOLDS:
        raise YinseError(f"speaker embedding version {version} is unknown to this Yinse; upgrade it")
    x = np.asarray(audio)
    if x.ndim != 1:
        raise InputError(
            f"speaker audio has shape {x.shape}; expected mono (one dimension): mix it down first"
        )
    if not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise InputError(f"speaker audio sample rate {sr!r} is not a positive whole number of Hz")
    if x.size == 0 or not np.all(np.isfinite(x)):
        what = "is empty" if x.size == 0 else "contains NaN or infinite samples"
        raise InputError(f"speaker audio {what}; record the speaker again")
    if np.issubdtype(x.dtype, np.integer):  # PCM samples: scale to [-1, 1]
        x = x / float(2 ** (8 * x.dtype.itemsize - 1))
    x = resample(x.astype(np.float64), int(sr), ENCODER_SR)
    duration_s = len(x) / ENCODER_SR
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak < SILENCE_PEAK:
        raise InputError(
            f"speaker audio ({duration_s:.2f} s) is silent (peak {peak:.1e}); "
            f"record at least {MIN_VOICED_S:.0f} s of clear speech"
        )
    if denoise:
        x = _subtract_noise(x)
    x = _at_level(x, raise_only=version == 1)  # the voice activity detector's level too
    voiced, kept = _voice_mask(x)
    voiced_s = voiced.sum() / ENCODER_SR
    if voiced_s < MIN_VOICED_S:
        raise InputError(
            f"speaker audio has only {voiced_s:.2f} s of voiced speech in {duration_s:.2f} s; "
            f"at least {MIN_VOICED_S:.0f} s is needed to judge the speaker: record a longer, "
            "clearer sentence"
        )
    speech = x[: len(kept)][kept]
    return speech if version == 1 else _at_level(speech)


def _at_level(x: np.ndarray, *, raise_only: bool = False) -> np.ndarray:
    """``x`` scaled so that its RMS is :data:`ENCODER_DBFS` (float32); ``raise_only``: a
    louder ``x`` is left as it is."""
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    gain = 10 ** (ENCODER_DBFS / 20) / rms
    return (x * (max(gain, 1.0) if raise_only else gain)).astype(np.float32)


def embed(audio: np.ndarray, *, sr: int, denoise: bool = False, version: int = EMBEDDING_VERSION) -> np.ndarray:
    """L2-normalised 256-d speaker embedding (float32) of one mono clip at any sample rate;
    ``denoise``: of the clip with its steady noise subtracted (a consent recording);
    ``version``: levelled as that :data:`EMBEDDING_VERSION` levels it.

    Raises ``InputError`` for silent clips and for clips with less than ``MIN_VOICED_S``
    of voiced speech, where any score would be noise.
    """
    wav = _prepare(audio, sr, denoise=denoise, version=version)
    model = encoder()
    import torch

    # One thread: the batch is a few 1.6 s windows (about 0.03 s per clip on one core), and
    # torch's thread pool on a busy shared machine swung from 0.05 s to 2 s per call.
    # The lock keeps concurrent callers from restoring each other's thread count.
    with _forward_lock:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.inference_mode():
                e = np.asarray(model.embed_utterance(wav), dtype=np.float64)
        finally:
            torch.set_num_threads(threads)
    norm = float(np.linalg.norm(e))
    if not np.isfinite(norm) or norm == 0.0:
        raise InputError("speaker audio gave no usable voice embedding; record clear speech")
    return (e / norm).astype(np.float32)


def mean_embedding(embeddings: Sequence[np.ndarray]) -> np.ndarray:
    """Normalised mean of embeddings (stored per clip, a voice's centroid is this)."""
    if len(embeddings) == 0:
        raise InputError("no embeddings to average; give at least one recording")
    m = np.mean(np.stack([np.asarray(e, dtype=np.float64) for e in embeddings]), axis=0)
    norm = float(np.linalg.norm(m))
    if norm == 0.0:
        raise InputError("the embeddings cancel out; give recordings of one speaker")
    return (m / norm).astype(np.float32)


def centroid(clips: Sequence[tuple[np.ndarray, int]], *, version: int = EMBEDDING_VERSION) -> np.ndarray:
    """Normalised mean embedding of several ``(audio, sr)`` clips: a voice's enrollment
    recordings, averaged so that no single sentence decides who the voice is."""
    if len(clips) == 0:
        raise InputError("no recordings given for the voice centroid; give at least one")
    embeddings = []
    for i, (audio, sr) in enumerate(clips, 1):
        try:
            embeddings.append(embed(audio, sr=sr, version=version))
        except InputError as e:
            raise InputError(f"recording {i} of {len(clips)}: {e}") from e
    return mean_embedding(embeddings)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings (1 = same direction)."""
    a64, b64 = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if a64.shape != b64.shape:
        raise InputError(f"embeddings of sizes {a64.size} and {b64.size} cannot be compared")
    denom = float(np.linalg.norm(a64) * np.linalg.norm(b64))
    if denom == 0.0:
        raise InputError("an embedding of length zero cannot be compared")
    return float(np.dot(a64, b64) / denom)


def verify_speaker(
    audio: np.ndarray, *, sr: int, enrolled_centroid: np.ndarray, version: int = EMBEDDING_VERSION
) -> SpeakerCheck:
    """Is ``audio`` (a consent recording) spoken by the voice whose centroid is given?
    ``version``: the :data:`EMBEDDING_VERSION` the centroid was made with."""
    score = similarity(embed(audio, sr=sr, denoise=True, version=version), enrolled_centroid)
    threshold = THRESHOLDS[version][0]
    return SpeakerCheck(score=score, threshold=threshold, accepted=score >= threshold)


def compare_voices(
    new_centroid: np.ndarray, registered_centroid: np.ndarray, *, version: int = EMBEDDING_VERSION
) -> SpeakerCheck:
    """Protected-voice guard: ``accepted`` means the two centroids (both made with
    ``version``) are judged the same person, i.e. the new enrollment must be refused if the
    registered voice has another owner."""
    score = similarity(new_centroid, registered_centroid)
    threshold = THRESHOLDS[version][1]
    return SpeakerCheck(score=score, threshold=threshold, accepted=score >= threshold)
