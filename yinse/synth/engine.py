"""Speech-to-singing on the WORLD vocoder.

Each phrase (syllables between rests) is said once by the voice, so coarticulation stays
natural.  WORLD splits the speech into F0, spectral envelope and aperiodicity; we rebuild
it on the song's time axis:

* a piecewise-linear time map puts each vowel onset on its note start with the consonants
  before it (as UTAU's preutterance does), keeps consonant lengths, stretches the vowel
  nucleus over the note (and over melisma notes) and gives the coda a short slot at the end;
* envelope and aperiodicity are interpolated along the map (never repeated, which buzzes);
* F0 comes from the notes through :mod:`yinse.synth.pitch`; unvoiced consonants stay
  unvoiced, vowel nuclei are always voiced;
* loudness is evened out across syllables, long vowels get slow amplitude and tilt motion
  so that they do not sound frozen, a singer's formant is added, and a breath shaped by the
  voice's own spectrum is drawn before a phrase that follows a long enough rest;
* each phrase is synthesised in one WORLD call, so there are no clicks between notes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.audio import resample
from ..core.errors import VoiceError
from ..core.score import Score, SyllableGroup
from ..text import lyric_syllables
from ..voices.base import SyllableTiming, Utterance, Voice
from ..voices.timbre import dio_f0
from .pitch import Expression, PitchNote, cents_to_hz, f0_curve_cents

FRAME_S = 0.005
#: Silence before score time 0, so a first consonant and breath before beat 0 are kept.
LEAD_IN_S = 0.5
OUTPUT_SR = 44100
PEAK_DBFS = -1.0
#: Longest onset consonant kept before a phrase's first note (seconds).
MAX_LEADING_CONSONANT_S = 0.35
#: Share of the previous note a consonant may take when notes are joined.
MAX_CONSONANT_SHARE = 0.5
#: Share of a note the coda consonants may take at its end.
MAX_CODA_SHARE = 0.3
TAIL_S = 0.04
BREATH_MIN_REST_S = 0.4
BREATH_S = 0.3
BREATH_LEVEL_DB = -24.0
RAMP_S = 0.015
LEVEL_SMOOTH_FRAMES = 21

Progress = Callable[[int, int], None]


@dataclass
class Render:
    """A sung vocal and what is needed to inspect it."""

    audio: np.ndarray
    sr: int
    #: Target F0 on the song's 5 ms frame grid (Hz; 0 where unvoiced) and its times.
    target_times_s: np.ndarray = field(repr=False)
    target_f0_hz: np.ndarray = field(repr=False)
    #: Where score time 0 lies in the audio (room for the first consonant and breath).
    offset_s: float = 0.0


@dataclass
class _World:
    f0: np.ndarray
    sp: np.ndarray
    ap: np.ndarray


def analyse(
    audio: np.ndarray, sr: int, timings: Sequence[SyllableTiming] = ()
) -> tuple[_World, list[SyllableTiming]]:
    """WORLD analysis at 5 ms (DIO + StoneMask, CheapTrick, D4C) and the syllable timings
    refined by what the speech actually does.

    A nucleus starts where voicing starts: a voice's phone durations often let an unvoiced
    initial (s, sh, x, ...) run into the final (measured on baker: half of a final's first
    frames still unvoiced), so a nucleus start in unvoiced frames moves to the first voiced
    frame (by at most 60 % of the nucleus).  Frames inside a nucleus that DIO still calls
    unvoiced (short or quiet vowels) get an interpolated F0 before the envelope and
    aperiodicity are measured, since D4C calls every unvoiced frame fully aperiodic and a
    sung vowel built from such frames would be pure noise."""
    import pyworld

    x = np.ascontiguousarray(audio, dtype=np.float64)
    f0, t = dio_f0(x, sr, frame_s=FRAME_S)
    voiced = f0 > 0
    refined = [_voiced_nucleus_start(tim, voiced) for tim in timings]
    if voiced.sum() >= 2:
        filled = np.interp(t, t[voiced], f0[voiced])
        for tim in refined:
            span = (t >= tim.nucleus_start_s) & (t < tim.nucleus_end_s) & ~voiced
            f0[span] = filled[span]
    sp = pyworld.cheaptrick(x, f0, t, sr)
    ap = pyworld.d4c(x, f0, t, sr)
    # D4C makes its own voicing call (threshold 0.85) and sets the frames it rejects fully
    # aperiodic; inside a nucleus that turns a held vowel into pure noise (seen on the plots:
    # "the" in paper_boats), so those frames are measured again without the call.
    in_nuclei = np.zeros(len(t), bool)
    for tim in refined:
        in_nuclei |= (t >= tim.nucleus_start_s) & (t < tim.nucleus_end_s)
    rejected = in_nuclei & (f0 > 0) & (ap.min(axis=1) > 0.999)
    if rejected.any():
        ap[rejected] = pyworld.d4c(x, f0, t, sr, threshold=0.0)[rejected]
    return _World(f0, sp, ap), refined


def _voiced_nucleus_start(timing: SyllableTiming, voiced: np.ndarray) -> SyllableTiming:
    first = int(round(timing.nucleus_start_s / FRAME_S))
    limit = timing.nucleus_start_s + 0.6 * (timing.nucleus_end_s - timing.nucleus_start_s)
    last = min(len(voiced), int(limit / FRAME_S))
    k = first
    while k < last and not voiced[k]:
        k += 1
    if k == first or k >= last:
        return timing
    return SyllableTiming(timing.start_s, k * FRAME_S, timing.nucleus_end_s, timing.end_s)


class SingingEngine:
    """Renders scores in one voice.  The voice is asked once per phrase."""

    def __init__(self, voice: Voice, *, expression: Expression | None = None, seed: int = 0):
        self.voice = voice
        self.expression = expression or Expression()
        self.seed = seed

    # ------------------------------------------------------------------ API
    def render(self, score: Score, *, progress: Progress | None = None) -> Render:
        score.validate()
        self.check_range(score)
        phrases = score.phrases()
        total_s = LEAD_IN_S + score.duration_s + 0.5
        rng = np.random.default_rng(self.seed)
        out: np.ndarray | None = None
        sr = 0
        times = np.arange(0.0, total_s, FRAME_S)  # audio time; score time + LEAD_IN_S
        target = np.zeros_like(times)
        prev_end_s = -LEAD_IN_S
        for i, phrase in enumerate(phrases):
            syllables = lyric_syllables(phrase, self.voice.language)
            utterance = self.voice.say_syllables(syllables)
            if out is None:
                sr = utterance.sr
                out = np.zeros(int(total_s * sr) + sr, np.float64)
            start_s, audio, f0_t, f0_hz = self._sing_phrase(
                score, phrase, utterance, prev_end_s=prev_end_s, rng=rng
            )
            at = int(round((start_s + LEAD_IN_S) * sr))
            if at < 0:
                audio, at = audio[-at:], 0
            out[at : at + len(audio)] += audio[: len(out) - at]
            k = np.clip(np.round((f0_t + LEAD_IN_S) / FRAME_S).astype(int), 0, len(target) - 1)
            target[k] = np.where(f0_hz > 0, f0_hz, target[k])
            last = score.notes[phrase[-1].note_indexes[-1]]
            prev_end_s = score.seconds_at(last.end_beats)
            if progress:
                progress(i + 1, len(phrases))
        assert out is not None
        audio, out_sr = finalize_audio(out[: int(total_s * sr)], sr)
        return Render(
            audio=audio, sr=out_sr, target_times_s=times, target_f0_hz=target, offset_s=LEAD_IN_S
        )

    def check_range(self, score: Score) -> None:
        low, high = self.voice.info.range_midi
        for i, n in enumerate(score.notes):
            if not low <= n.pitch_midi <= high:
                side, limit = ("below the lowest", low) if n.pitch_midi < low else ("above the highest", high)
                shift = int(np.ceil(low - n.pitch_midi)) if n.pitch_midi < low else -int(np.ceil(n.pitch_midi - high))
                raise VoiceError(
                    f"note {i + 1} ({_name(n.pitch_midi)}, MIDI {n.pitch_midi:g}) is {side} note "
                    f"the voice '{self.voice.name}' can sing ({_name(limit)}); transpose the "
                    f"song, e.g. --key {shift:+d}"
                )

    # ------------------------------------------------------------ internals
    def _layout(
        self, score: Score, phrase: Sequence[SyllableGroup], timings: Sequence[SyllableTiming]
    ) -> tuple[list[tuple[float, float, float, float]], list[tuple[float, float]]]:
        """Segments (song_t0, song_t1, speech_t0, speech_t1) of the time map, and each
        syllable's nucleus span in song time."""
        spans = []
        for g in phrase:
            first, last = score.notes[g.note_indexes[0]], score.notes[g.note_indexes[-1]]
            spans.append((score.seconds_at(first.start_beats), score.seconds_at(last.end_beats)))
        onsets = []
        for k, (t0, _) in enumerate(spans):
            c = timings[k].nucleus_start_s - timings[k].start_s
            if k == 0:
                room = MAX_LEADING_CONSONANT_S
            else:
                p0, p1 = spans[k - 1]
                room = (t0 - p1) + MAX_CONSONANT_SHARE * (p1 - p0)
            onsets.append(min(c, room))
        segments, nuclei = [], []
        for k, ((t0, t1), tim) in enumerate(zip(spans, timings)):
            end = t1 if k + 1 == len(spans) else min(t1, spans[k + 1][0] - onsets[k + 1])
            coda = min(tim.end_s - tim.nucleus_end_s, MAX_CODA_SHARE * (end - t0))
            if onsets[k] > 0:
                segments.append((t0 - onsets[k], t0, tim.start_s, tim.nucleus_start_s))
            segments.append((t0, end - coda, tim.nucleus_start_s, tim.nucleus_end_s))
            nuclei.append((t0, end - coda))
            if coda > 0:
                segments.append((end - coda, end, tim.nucleus_end_s, tim.end_s))
        last_t1, last_s1 = segments[-1][1], segments[-1][3]
        segments.append((last_t1, last_t1 + TAIL_S, last_s1, last_s1 + TAIL_S))
        return segments, nuclei

    def _sing_phrase(
        self,
        score: Score,
        phrase: Sequence[SyllableGroup],
        utterance: Utterance,
        *,
        prev_end_s: float,
        rng: np.random.Generator,
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        import pyworld

        e = self.expression
        sr = utterance.sr
        if len(utterance.syllables) != len(phrase):
            raise VoiceError(
                f"the voice '{self.voice.name}' gave {len(utterance.syllables)} timings for "
                f"{len(phrase)} syllables"
            )
        world, timings = analyse(utterance.audio, sr, utterance.syllables)
        n_speech = len(world.f0)
        segments, nuclei = self._layout(score, phrase, timings)
        seg = np.array(segments)
        sing_start = seg[0, 0]
        rest_before = sing_start - prev_end_s
        breath_s = BREATH_S if (e.breaths and rest_before >= BREATH_MIN_REST_S) else 0.0
        t_start = sing_start - breath_s
        times = np.arange(t_start, seg[-1, 1], FRAME_S)
        # Song time -> speech time through the segment containing each frame.
        which = np.searchsorted(seg[:, 0], times, side="right") - 1
        inside = (which >= 0) & (times < seg[np.clip(which, 0, None), 1])
        w = np.clip(which, 0, None)
        frac = (times - seg[w, 0]) / np.maximum(1e-9, seg[w, 1] - seg[w, 0])
        speech_t = seg[w, 2] + frac * (seg[w, 3] - seg[w, 2])
        pos = np.clip(speech_t / FRAME_S, 0, n_speech - 1)
        i0 = np.floor(pos).astype(int)
        i1 = np.minimum(i0 + 1, n_speech - 1)
        a = (pos - i0)[:, None]
        log_sp = (1 - a) * np.log(world.sp[i0] + 1e-16) + a * np.log(world.sp[i1] + 1e-16)
        ap = (1 - a) * world.ap[i0] + a * world.ap[i1]
        speech_voiced = (world.f0[i0] > 0) | (world.f0[i1] > 0)

        in_nucleus = np.zeros(len(times), bool)
        for n0, n1 in nuclei:
            in_nucleus |= (times >= n0) & (times < n1)
        voiced = inside & (speech_voiced | in_nucleus)

        notes = [score.notes[i] for g in phrase for i in g.note_indexes]
        pitch_notes = [
            PitchNote(*score.note_span_s(n), n.pitch_midi, n.vibrato_depth_cents) for n in notes
        ]
        cents = f0_curve_cents(times, pitch_notes, e, rng)
        f0 = np.where(voiced, cents_to_hz(cents), 0.0)
        log_sp, ap = self._timbre(log_sp, ap, f0, sr, utterance.phones, speech_t)

        freqs = np.linspace(0, sr / 2, world.sp.shape[1])
        velocities = [score.notes[g.note_indexes[0]].velocity for g in phrase]
        log_sp += self._loudness(world, timings, times, nuclei, velocities)[:, None]
        log_sp += self._liveliness(times, in_nucleus, freqs, rng)
        if e.singer_formant_db:
            bump = np.exp(-0.5 * ((freqs - e.singer_formant_hz) / 500.0) ** 2)
            log_sp += (e.singer_formant_db / 10 * np.log(10)) * bump[None, :]
        amp = _edge_ramps(inside, FRAME_S)
        if breath_s:
            breath = times < sing_start
            vowel_sp = np.log(np.mean(world.sp[world.f0 > 0], axis=0) + 1e-16) if np.any(world.f0 > 0) else log_sp.mean(0)
            x = (times[breath] - t_start) / breath_s
            level = BREATH_LEVEL_DB / 10 * np.log(10)
            log_sp[breath] = vowel_sp[None, :] + level + np.log(np.sin(np.pi * x) + 1e-3)[:, None]
            ap[breath] = 1.0
            f0[breath] = 0.0
            amp[breath] = 1.0
        sp = np.exp(log_sp) * (amp**2)[:, None] + 1e-16
        audio = pyworld.synthesize(
            np.ascontiguousarray(f0), np.ascontiguousarray(sp), np.ascontiguousarray(np.clip(ap, 0, 1)), sr, FRAME_S * 1000
        )
        return t_start, audio, times, f0

    def _timbre(self, log_sp, ap, f0, sr, phones, speech_t) -> tuple[np.ndarray, np.ndarray]:
        """The voice's own timbre on the song's frames, at the level the speech had there.

        Done after the time warp, not on the speech: an enrolled voice then chooses a run of
        its owner's frames for the whole held vowel instead of a few frames interpolated
        over it (measured, cathy's clone singing paper_boats: resemblyzer cosine 0.74 after
        the warp, 0.65 before).  Keeping the speech's frame level leaves loudness shaping
        and edge ramps as they were."""
        sp = np.exp(log_sp)
        new_sp, new_ap = self.voice.timbre(f0, sp, ap, sr, phones=phones, speech_times_s=speech_t)
        if new_sp is sp:
            return log_sp, ap
        from scipy.ndimage import uniform_filter1d

        level = np.log(sp.mean(axis=1) + 1e-16) - np.log(new_sp.mean(axis=1) + 1e-16)
        level = uniform_filter1d(level, LEVEL_SMOOTH_FRAMES)
        return np.log(new_sp + 1e-16) + level[:, None], new_ap

    def _loudness(self, world, timings, times, nuclei, velocities) -> np.ndarray:
        """Log-power gain per frame that evens syllable loudness (half-way to the phrase
        median, so the speech's own accents survive) and follows the note velocity
        (amplitude ∝ velocity/100, so MIDI velocity 50 sings 6 dB softer than 100)."""
        energy = np.log(world.sp.mean(axis=1) + 1e-16)
        levels = []
        for tim in timings:
            a, b = int(tim.nucleus_start_s / FRAME_S), max(int(tim.nucleus_start_s / FRAME_S) + 1, int(tim.nucleus_end_s / FRAME_S))
            levels.append(float(np.median(energy[a : min(b, len(energy))])) if a < len(energy) else float(np.median(energy)))
        levels = np.array(levels)
        target = np.median(levels)
        gain_k = np.clip(0.5 * (target - levels), -np.log(4), np.log(4))
        gain_k += 2 * np.log(np.clip(np.array(velocities, float), 1, 127) / 100.0)
        centres = np.array([(n0 + n1) / 2 for n0, n1 in nuclei])
        gain = np.interp(times, centres, gain_k) if len(centres) > 1 else np.full(len(times), gain_k[0])
        return gain

    def _liveliness(self, times, in_nucleus, freqs, rng) -> np.ndarray:
        """Slow random motion of level (±0.7 dB) and spectral tilt on held vowels."""
        n = len(times)
        if n < 16:
            return np.zeros((n, len(freqs)))

        def slow_noise(cutoff_s: float) -> np.ndarray:
            width = max(1, int(cutoff_s / FRAME_S))
            kernel = np.hanning(2 * width + 1)
            x = np.convolve(rng.standard_normal(n + 2 * width), kernel / kernel.sum(), mode="same")[width:-width]
            return x / (np.std(x) + 1e-9)

        level = 0.7 / 10 * np.log(10) * np.clip(slow_noise(0.25), -2, 2) / 2
        tilt = 0.04 * np.clip(slow_noise(0.4), -2, 2)
        octaves = np.log2(np.maximum(freqs, 50.0) / 1000.0)
        motion = level[:, None] + tilt[:, None] * octaves[None, :] * np.log(2)
        return np.where(in_nucleus[:, None], motion, 0.0)


def _edge_ramps(inside: np.ndarray, frame_s: float) -> np.ndarray:
    """Amplitude 0/1 with raised-cosine ramps where sound starts and stops."""
    amp = inside.astype(float)
    n = max(1, int(RAMP_S / frame_s))
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(1, n + 1) / (n + 1)))
    edges = np.flatnonzero(np.diff(inside.astype(int)))
    for e in edges:
        if inside[e + 1]:  # rising edge at e+1
            seg = slice(e + 1, min(len(amp), e + 1 + n))
            amp[seg] *= ramp[: seg.stop - seg.start]
        else:  # falling edge after e
            seg = slice(max(0, e - n + 1), e + 1)
            amp[seg] *= ramp[::-1][-(seg.stop - seg.start) :]
    return amp


def finalize_audio(audio: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
    """Resample to the output rate and bring the peak to −1 dBFS (never clipping)."""
    y = resample(audio, sr, OUTPUT_SR)
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if peak > 0:
        y = y * (10 ** (PEAK_DBFS / 20) / peak)
    return y.astype(np.float32), OUTPUT_SR


def _name(midi: float) -> str:
    names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    m = int(round(midi))
    return f"{names[m % 12]}{m // 12 - 1}"
