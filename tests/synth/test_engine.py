"""The singing engine with the real built-in voices, judged by an independent tracker (pYIN)."""

import numpy as np
import pytest

from tests.conftest import note_centre_errors_cents, pyin_f0
from yinse.core import Note, Score, TempoChange, VoiceError
from yinse.synth.engine import OUTPUT_SR, SingingEngine
from yinse.voices import get_voice


def build(pitches, beats, lyrics, *, bpm=80, syllabic=None, start=0.0):
    notes, at = [], start
    for i, (p, b, lyric) in enumerate(zip(pitches, beats, lyrics)):
        notes.append(Note(at, b, p, lyric, (syllabic or ["single"] * len(lyrics))[i]))
        at += b
    return Score(tuple(notes), (TempoChange(0, bpm),))


@pytest.fixture(scope="module")
def baker():
    return get_voice("baker")


@pytest.fixture(scope="module")
def joe():
    return get_voice("joe")


ZH = build([65, 67, 69, 72, 69, 67, 65, 64], [1, 1, 1, 2, 1, 1, 1, 2], list("我们一起唱歌吧好"))
EN = build(
    [55, 57, 59, 62, 59, 57, 55, 57], [1, 1, 1, 2, 1, 1, 1, 2],
    ["Sing", "a", "lit", "tle", "song", "of", "hap", "py"],
    syllabic=["single", "single", "begin", "end", "single", "single", "begin", "end"],
)  # fmt: skip


@pytest.mark.parametrize("voice_name, score", [("baker", ZH), ("joe", EN)])
def test_notes_are_sung_in_tune(voice_name, score):
    render = SingingEngine(get_voice(voice_name)).render(score)
    errors = note_centre_errors_cents(score, render.audio, render.sr, offset_s=render.offset_s)
    assert not np.isnan(errors).any(), f"unvoiced note middles: {errors}"
    # Target of the foundation issue: median within 10 cents of the written pitch.
    assert np.median(np.abs(errors)) <= 10, errors
    pitches = [n.pitch_midi for n in score.notes]
    times, f0 = pyin_f0(render.audio, render.sr, low_midi=min(pitches), high_midi=max(pitches))
    within, total = 0, 0
    for note in score.notes:
        start, end = (t + render.offset_s for t in score.note_span_s(note))
        quarter = (end - start) / 4
        mid = (times >= start + quarter) & (times <= end - quarter) & ~np.isnan(f0)
        cents = 1200 * np.log2(f0[mid] / (440 * 2 ** ((note.pitch_midi - 69) / 12)))
        within += int((np.abs(cents) <= 50).sum())
        total += int(mid.sum())
    assert within / total >= 0.95


def test_output_format_and_level(joe):
    render = SingingEngine(joe).render(EN)
    assert render.sr == OUTPUT_SR
    assert render.audio.dtype == np.float32 and np.isfinite(render.audio).all()
    peak = np.abs(render.audio).max()
    assert 0.88 <= peak <= 10 ** (-1 / 20) + 1e-6  # peak normalised to −1 dBFS, never clipping
    assert abs(len(render.audio) / render.sr - (render.offset_s + EN.duration_s + 0.5)) < 0.05


def test_same_snapshot_same_audio_with_joe(joe):
    a = SingingEngine(joe, seed=3).render(EN).audio
    b = SingingEngine(joe, seed=3).render(EN).audio
    assert np.array_equal(a, b)


def test_melisma_glides_over_its_notes(baker):
    score = build([65, 67, 69, 67, 65], [1, 0.5, 0.5, 0.5, 1.5], ["啊", None, None, None, "好"])
    assert len(score.phrases()[0]) == 2  # two syllables, five notes
    render = SingingEngine(baker).render(score)
    errors = note_centre_errors_cents(score, render.audio, render.sr, offset_s=render.offset_s)
    assert np.nanmax(np.abs(errors)) < 35 and not np.isnan(errors).any(), errors


@pytest.mark.parametrize("voice_name, lyric, pitch", [("baker", "三", 67)])
def test_vowel_onset_lands_on_the_note_start(voice_name, lyric, pitch):
    # 三 (san1) after a 1.5 s rest: /s/ is unvoiced and must sound before the note start,
    # the vowel (voicing) must begin at the note start.  (baker's model has active dropout,
    # so its phone durations vary a little from render to render.)  Not yet for joe: DIO
    # hears voicing inside its /s/ of "sun", which is sung voiced 0.14 s early (see notes).
    score = build([pitch], [2], [lyric], bpm=60, start=1.5)
    render = SingingEngine(get_voice(voice_name)).render(score)
    times, f0 = pyin_f0(
        render.audio, render.sr, low_midi=pitch - 7, high_midi=pitch + 5, frame_length=1024,
        hop_length=64,
    )
    times = times - render.offset_s  # score time
    voiced = ~np.isnan(f0) & (times > 1.0)
    # The first frame of sustained voicing (58 ms): pYIN now and then calls a frame of the
    # breath before the phrase voiced, and a breath is noise, not the vowel.
    run = np.convolve(voiced, np.ones(20), mode="full")[19:] == 20
    first_voiced = times[np.flatnonzero(run)[0]]
    # pYIN's 46 ms window calls a frame voiced once about half of it is periodic, so its first
    # voiced centre lies within ±23 ms of the true onset; plus the 5 ms frame grid.
    assert abs(first_voiced - 1.5) < 0.03
    hop = int(0.02 * render.sr)
    energy = [np.sqrt(np.mean(render.audio[i : i + hop] ** 2)) for i in range(0, len(render.audio) - hop, hop)]
    onset = np.flatnonzero(np.array(energy) > 0.01)
    assert onset.size and onset[0] * 0.02 - render.offset_s < 1.5 - 0.03  # /s/ before the note


def test_rests_are_quiet_apart_from_the_breath(joe):
    score = Score(
        (Note(0, 1, 57, "Hold"), Note(4, 1, 57, "on")), (TempoChange(0, 60),)
    )  # a 3 s rest between two phrases
    render = SingingEngine(joe).render(score)
    sr = render.sr
    a = render.audio[int(render.offset_s * sr) :]  # from score time 0
    rest = a[int(1.3 * sr) : int(3.4 * sr)]  # after the release, before the breath
    breath = a[int(3.55 * sr) : int(3.8 * sr)]
    sung = a[int(0.2 * sr) : int(0.8 * sr)]

    def rms(x):
        return np.sqrt(np.mean(x**2)) + 1e-12

    assert 20 * np.log10(rms(rest) / rms(sung)) < -60
    assert -45 < 20 * np.log10(rms(breath) / rms(sung)) < -10  # audible, well below the voice


def test_notes_outside_the_voice_range_are_refused(baker):
    with pytest.raises(VoiceError, match="--key"):
        SingingEngine(baker).render(build([30], [1], ["啊"]))
