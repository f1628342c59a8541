"""The composer without audio: lyrics sheets, melody, harmony, arrangement, lyrics check."""

from __future__ import annotations

import io

import mido
import numpy as np
import pytest

from yinse.compose.arrange import DRUM_CHANNEL, arrange
from yinse.compose.check import check_lyrics
from yinse.compose.harmony import Key, chord, fit_chords, parse_key
from yinse.compose.melody import UNITS_PER_BEAT, _strength
from yinse.compose.sheet import read_sheet, split_spelling
from yinse.compose.song import comfortable_range, compose, compose_on_melody
from yinse.compose.styles import STYLES
from yinse.compose.tonefit import step_score, tone_fit
from yinse.core.errors import InputError
from yinse.core.score import KeyChange, Note, Score, TempoChange

ZH = """[verse]
我站在小城的街口
雨落在青石板上
风吹过旧时的桥
你在远方等我回家

[chorus]
小城的雨下个不停
我把思念写进风里
等到春天花开的时候
我们再一起唱这首歌

[verse]
灯火照亮了窗台
茶香飘过了小巷
时光走得那么慢
我还记得你的模样

[chorus]
小城的雨下个不停
我把思念写进风里
等到春天花开的时候
我们再一起唱这首歌
"""
EN = """[verse]
Paper boats are sailing on the river
Carry every wish we made tonight
Little lights are shining in the water
Pointing all the way back home

[chorus]
Sail away, sail away
Over the silver sea
Sail away, sail away
Bring my heart back to me
"""


# ------------------------------------------------------------------------------ sheet
def test_sections_lines_tones_and_stress():
    sheet = read_sheet(ZH)
    assert sheet.language == "zh"
    assert [s.kind for s in sheet.sections] == ["verse", "chorus", "verse", "chorus"]
    first = sheet.sections[0].lines[0].syllables
    assert [s.text for s in first[:3]] == ["我", "站", "在"]
    assert [s.tone for s in first[:3]] == [3, 4, 4]
    en = read_sheet(EN)
    assert en.language == "en"
    tonight = [s for s in en.sections[0].lines[1].syllables if s.word == "tonight"]
    assert [s.stress for s in tonight] == [0, 1]
    assert "".join(s.text for s in tonight) == "tonight"


def test_untagged_blocks_repeated_one_is_the_chorus():
    sheet = read_sheet("一二三四\n五六七八\n\n春风吹过\n花开满山\n\n春风吹过\n花开满山\n")
    assert [s.kind for s in sheet.sections] == ["verse", "chorus", "chorus"]


@pytest.mark.parametrize("word,n", [("beautiful", 3), ("fire", 2), ("everything", 3), ("I", 2), ("strength", 1)])
def test_spelling_pieces_join_back(word, n):
    pieces = split_spelling(word, n)
    assert "".join(pieces) == word and all(pieces) and len(pieces) == min(n, len(word))


@pytest.mark.parametrize(
    "text,words",
    [
        ("", "no lyrics"),
        ("\n\n  \n", "no lyrics"),
        ("[verse]\n[chorus]\n", "no lyrics"),
        ("[solo]\nla la la\n", "unknown section tag"),
        ("第一行\n！！！？？\n", "line 2"),
        ("Hello there\nWe are 22\n", "digits"),
        ("Hello\n你好\n", "English in Mandarin lyrics"),
        ("啊" * 30 + "\n", "break it into two lines"),
        ("啊啊\n" * 10_000, "split it into several songs"),
    ],
)
def test_bad_lyrics_are_refused_with_a_reason(text, words):
    with pytest.raises(InputError, match=words):
        read_sheet(text)


def test_an_english_word_in_a_chinese_line_is_sung_in_mandarin_syllables():
    """Its syllables carry their pinyin as text, so the notes' lyrics read back the same."""
    from yinse.text.mandarin import lyric_syllables

    line = read_sheet("我爱你baby\n").sections[0].lines[0]
    assert [s.pinyin for s in line.syllables] == ["wo3", "ai4", "ni3", "bei1", "bi5"]
    assert [s.pinyin for s in lyric_syllables([s.text for s in line.syllables])][3:] == ["bei1", "bi5"]


# ---------------------------------------------------------------------------- harmony
def test_keys_and_chords():
    assert parse_key("D") == Key(2, "major")
    assert parse_key("F#m") == Key(6, "minor")
    assert parse_key("Bb") == Key(10, "major")
    assert parse_key("A minor") == Key(9, "minor")
    assert parse_key("Eb").fifths == -3 and parse_key("E").fifths == 4
    with pytest.raises(InputError, match="unknown key 'H'"):
        parse_key("H")
    c = Key(0)
    assert chord("vi", c).pcs == {9, 0, 4}
    assert chord("bVII", c).pcs == {10, 2, 5}
    assert chord("V7", c).pcs == {7, 11, 2, 5}
    assert chord("VI", Key(9, "minor")).pcs == {5, 9, 0}


def test_fit_chords_takes_a_substitute_that_holds_the_melody():
    # C major; bar 1 melody A and E on strong beats: vi holds both, I only E.
    assert fit_chords(["I", "V"], [[69, 64], [67]], Key(0)) == ["vi", "V"]
    assert fit_chords(["I"], [[69, 64]], Key(0), locked=[True]) == ["I"]


def test_tone_fit_prefers_steps_that_follow_the_tones():
    assert step_score(1, 1, 0) == 1.0
    assert step_score(1, 4, -3) == 1.0
    assert step_score(1, 4, +3) < 0.02
    assert step_score(5, 1, 4) is None
    tones = [1, 4, 2, 3]
    good = [67, 64, 64, 60]  # 0→-3 (T1→T4), T4→T2 needs -4..-3: here 0 → halved 3 times
    assert tone_fit(tones, good) > tone_fit(tones, [60, 67, 60, 67])


# ---------------------------------------------------------------------------- melody
@pytest.fixture(scope="module")
def pop_zh():
    return compose(read_sheet(ZH), style="pop", range_midi=(48, 84), seed=3)


def test_repeated_chorus_keeps_its_melody(pop_zh):
    choruses = [[pop_zh.vocal.notes[i] for i in line.note_indexes] for line in pop_zh.lines
                if line.section == "chorus"]  # fmt: skip
    first, second = choruses[:4], choruses[4:]
    for a, b in zip(first, second):
        assert [n.pitch_midi for n in a] == [n.pitch_midi for n in b]
        assert [n.dur_beats for n in a] == [n.dur_beats for n in b]
        assert b[0].start_beats > a[0].start_beats


def test_melody_stays_in_the_voice_range_and_on_chord_tones(pop_zh):
    low, high = comfortable_range((48, 84))
    pitches = [n.pitch_midi for n in pop_zh.vocal.notes]
    assert low <= min(pitches) and max(pitches) <= high
    strong = [n for n in pop_zh.vocal.notes if n.start_beats % 2 == 0]
    bars = pop_zh.bars
    share = np.mean([pop_zh.chord(bars[int(n.start_beats // 4)]).contains(n.pitch_midi) for n in strong])
    assert share >= 0.8, share


def test_closing_lines_end_on_the_tonic_and_sections_cadence(pop_zh):
    chorus_ends = [line for line in pop_zh.lines if line.section == "chorus"][3::4]
    for line in chorus_ends:
        assert pop_zh.vocal.notes[line.note_indexes[-1]].pitch_midi % 12 == pop_zh.key.tonic_pc
    numerals = [b.numeral for b in pop_zh.bars]
    assert numerals[-1] == "I" and numerals[-2] == "V"
    kinds = [b.section for b in pop_zh.bars]
    assert kinds[0] == "intro" and kinds[-1] == "outro" and "interlude" in kinds


def test_english_stressed_syllables_land_on_stronger_beats():
    comp = compose(read_sheet(EN), style="folk", range_midi=(38, 74), seed=1)
    syllables = [s for line in comp.sheet.lines for s in line.syllables]
    strengths = {0: [], 1: []}
    for syl, note in zip(syllables, [n for n in comp.vocal.notes if n.lyric is not None]):
        if syl.stress in (0, 1):
            strengths[syl.stress].append(_strength(round(note.start_beats * UNITS_PER_BEAT)))
    assert np.mean(strengths[1]) > np.mean(strengths[0]) + 0.5


def test_seed_changes_the_tune_and_repeats_it():
    sheet = read_sheet(EN)
    a, b, c = (compose(sheet, seed=s).vocal for s in (1, 1, 2))
    assert a == b
    assert [n.pitch_midi for n in a.notes] != [n.pitch_midi for n in c.notes]


def test_style_key_and_tempo_options():
    comp = compose(read_sheet(EN), style="electronic", key="F#m", bpm=128)
    assert comp.key == Key(6, "minor") and comp.bpm == 128
    assert comp.vocal.keys[0].fifths == 3 and comp.vocal.keys[0].mode == "minor"
    with pytest.raises(InputError, match="unknown style 'polka'"):
        compose(read_sheet(EN), style="polka")
    with pytest.raises(InputError, match="outside 40–220"):
        compose(read_sheet(EN), bpm=500)


# -------------------------------------------------------------------------- arrangement
@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_style_arranges_a_band_in_midi(style):
    comp = compose(read_sheet(ZH), style=style, seed=2)
    band = arrange(comp)
    names = [t.name for t in band.tracks]
    assert {"drums", "bass", "chords", "lead"} <= set(names)
    midi = mido.MidiFile(file=io.BytesIO(band.to_midi()))
    tracks = {t.name: t for t in midi.tracks}
    assert "vocal" in tracks and set(names) <= set(tracks)
    drum_channels = {m.channel for m in tracks["drums"] if m.type == "note_on"}
    assert drum_channels == {DRUM_CHANNEL}
    bass = [n.pitch for n in band.track("bass").notes]
    assert 28 <= min(bass) and max(bass) <= 52
    # dynamics follow the sections: the chorus plays louder than the verse
    chords = band.track("chords").notes

    def mean_velocity(kind):
        return np.mean([n.velocity for n in chords if comp.bars[int(n.start_beats // 4)].section == kind])

    assert mean_velocity("chorus") > mean_velocity("verse")
    end = max(n.start_beats + n.dur_beats for t in band.tracks for n in t.notes)
    assert end <= comp.duration_beats + 0.01
    if style == "guofeng":
        assert band.track("chords").program == 107  # koto, the SoundFont's nearest to a guzheng
        grid = {(comp.key.tonic_pc + i) % 12 for i in (0, 2, 4, 7, 9)}
        assert all(n.pitch_midi % 12 in grid for n in comp.vocal.notes)


# --------------------------------------------------------------------- given melodies
def _melody(n_notes: int, dur: float = 1.0) -> Score:
    notes = tuple(Note(i * dur, dur * 0.9, 60 + (i % 5), "la") for i in range(n_notes))
    return Score(notes, (TempoChange(0, 90),), (KeyChange(0, 0),))


def test_lyrics_go_onto_a_given_melody():
    sheet = read_sheet("春风吹过\n花开满山\n")  # 8 syllables
    comp = compose_on_melody(sheet, _melody(8), style="folk")
    assert [n.lyric for n in comp.vocal.notes] == list("春风吹过花开满山")
    assert comp.bpm == 90 and comp.bars[0].section == "intro"
    split = compose_on_melody(sheet, _melody(4, 2.0), style="folk")  # long notes are split
    assert len(split.vocal.notes) == 8
    longer = compose_on_melody(sheet, _melody(11), style="folk")  # tied notes carry the last word
    assert [n.lyric for n in longer.vocal.notes][8:] == [None, None, None]
    with pytest.raises(InputError, match="too few"):
        compose_on_melody(sheet, _melody(3, 0.25), style="folk")


# ------------------------------------------------------------------------ lyrics check
def test_lyrics_check_reports_rhymes_and_tone_fit(pop_zh):
    sheet = read_sheet(ZH)
    checks = check_lyrics(sheet, pop_zh.vocal)
    assert [c.syllables for c in checks[:4]] == [8, 7, 7, 8]
    assert checks[1].rhyme == "江阳" and checks[11].rhyme == "江阳"
    assert checks[9].scheme == checks[11].scheme == "B"
    assert all(c.tone_fit is not None and 0 <= c.beats_random <= 1 for c in checks)
    assert np.mean([c.beats_random for c in checks]) > 0.8
    en = check_lyrics(read_sheet(EN))
    assert [c.scheme for c in en[4:]] == ["A", "B", "A", "B"]
    with pytest.raises(InputError, match="the score sings 8 syllables but the lyrics have 127"):
        check_lyrics(sheet, _melody(8))
