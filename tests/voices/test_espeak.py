"""The espeak-ng fallback voice: timings that point at vowels, errors, threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import pyworld

from yinse.core.errors import VoiceError
from yinse.text import LyricSyllable
from yinse.voices.base import Utterance
from yinse.voices.espeak import (
    EspeakVoice,
    available_languages,
    cmn_token,
    for_language,
)
from yinse.voices.ipa import fit_spans, is_vowel

TWINKLE = [["twin", "kle"], ["twin", "kle"], ["lit", "tle"], ["star"]]
ZH_CHARS = "一闪一闪亮晶晶"
ZH_PINYIN = ["yi1", "shan3", "yi1", "shan3", "liang4", "jing1", "jing1"]


def english(words: list[list[str]]) -> list[LyricSyllable]:
    out = []
    for wi, pieces in enumerate(words):
        for k, piece in enumerate(pieces):
            out.append(
                LyricSyllable(
                    text=piece, language="en", phones=(), word="".join(pieces),
                    word_index=wi, index_in_word=k, word_syllables=len(pieces),
                )
            )  # fmt: skip
    return out


def mandarin(chars: str, pinyin: list[str], erhua: tuple[int, ...] = ()) -> list[LyricSyllable]:
    return [
        LyricSyllable(
            text=c, language="zh", phones=(), word=c, word_index=i, pinyin=p,
            tone=int(p[-1]), erhua=i in erhua,
        )
        for i, (c, p) in enumerate(zip(chars, pinyin))
    ]  # fmt: skip


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def check_timings(u: Utterance, n: int) -> None:
    assert u.sr == 22050
    assert u.audio.dtype == np.float32 and u.audio.ndim == 1
    assert np.abs(u.audio).max() <= 1.0
    assert len(u.syllables) == n
    duration = len(u.audio) / u.sr
    prev_end = 0.0
    for t in u.syllables:
        assert prev_end <= t.start_s <= t.nucleus_start_s < t.nucleus_end_s <= t.end_s <= duration
        prev_end = t.end_s
    # the returned audio starts with a little silence before the first syllable
    assert u.syllables[0].start_s >= 0.015
    lead = u.audio[: int(u.syllables[0].start_s * u.sr)]
    for t in u.syllables:
        nucleus = u.audio[int(t.nucleus_start_s * u.sr) : int(t.nucleus_end_s * u.sr)]
        assert rms(nucleus) > 0.02
        assert rms(nucleus) > 20 * rms(lead) + 1e-6


def voiced_midpoints(u: Utterance) -> int:
    """How many nucleus midpoints WORLD finds voiced (an independent check that the
    timings point at vowels)."""
    x = u.audio.astype(np.float64)
    period = 5.0
    f0, t = pyworld.dio(x, u.sr, frame_period=period)
    f0 = pyworld.stonemask(x, f0, t, u.sr)
    mids = [(s.nucleus_start_s + s.nucleus_end_s) / 2 for s in u.syllables]
    return sum(f0[min(int(round(m * 1000 / period)), len(f0) - 1)] > 0 for m in mids)


@pytest.fixture(scope="module")
def en_voice() -> EspeakVoice:
    return EspeakVoice("en-us")


@pytest.fixture(scope="module")
def zh_voice() -> EspeakVoice:
    return EspeakVoice("cmn")


def test_english_phrase_timings_point_at_vowels(en_voice):
    u = en_voice.say_syllables(english(TWINKLE))
    check_timings(u, 7)
    assert voiced_midpoints(u) >= 6
    assert 1.0 < len(u.audio) / u.sr < 4.0


def test_mandarin_phrase_timings_point_at_vowels(zh_voice):
    u = zh_voice.say_syllables(mandarin(ZH_CHARS, ZH_PINYIN))
    check_timings(u, 7)
    assert voiced_midpoints(u) >= 6


def test_mandarin_erhua_and_respelled_finals(zh_voice):
    # 花儿 (erhua, said "hua1 er5"), 熊 xiong2 and 穷 qiong2 (which espeak-ng cannot
    # read as pinyin), 绿 lü4
    syl = mandarin("花熊穷绿", ["hua1", "xiong2", "qiong2", "lü4"], erhua=(0,))
    assert [cmn_token(s) for s in syl] == ["hua1 er5", "xong2", "qong2", "lv4"]
    u = zh_voice.say_syllables(syl)
    check_timings(u, 4)
    assert voiced_midpoints(u) >= 3


def test_word_sung_in_more_or_fewer_pieces_than_espeak_says(en_voice):
    # "fire" is one espeak syllable sung in two; "every" is said "ev-ry", sung in three
    syl = english([["fi", "re"], ["ev", "e", "ry"], ["day"]])
    u = en_voice.say_syllables(syl)
    check_timings(u, 6)


def test_speak_returns_audio(en_voice, zh_voice):
    audio, sr = en_voice.speak("Hello there. This is the fallback voice.")
    assert sr == 22050 and audio.dtype == np.float32 and len(audio) / sr > 0.5
    assert rms(audio) > 0.01
    audio, sr = zh_voice.speak("你好，世界。")
    assert sr == 22050 and len(audio) / sr > 0.5


def test_same_phrase_gives_nearly_the_same_timings(en_voice):
    a = en_voice.say_syllables(english(TWINKLE)).syllables
    b = en_voice.say_syllables(english(TWINKLE)).syllables
    for x, y in zip(a, b):
        assert abs(x.nucleus_start_s - y.nucleus_start_s) < 0.01


def test_languages_and_info():
    langs = available_languages()
    assert {"en-us", "cmn", "de", "ja", "fr"} <= set(langs)
    assert EspeakVoice.available_languages() == langs
    zh = for_language("zh")
    assert zh.info.name == "espeak-cmn" and zh.language == "zh"
    en = for_language("en")
    assert en.info.name == "espeak-en-us" and en.language == "en"
    assert en.info.licence.startswith("GPL-3.0") and en.info.commercial_use
    assert EspeakVoice("de").language == "de"
    assert EspeakVoice.info_for("cmn") == zh.info
    assert EspeakVoice.info_for("en-us") == en.info
    assert isinstance(EspeakVoice.for_language("en"), EspeakVoice)


def test_is_vowel():
    for v in ["a", "ˈɑːɹ", "əl", "ˈaɪɚ", "n̩", "ˈiɑ", "i.", "ŋ-", "ɔ̃", "ˈe̞"]:
        assert is_vowel(v), v
    for c in ["t", "tɕ", "s.", "ŋ", "ɹ", "j", "w", "ts.h", "", "ˈ", "ʔ"]:
        assert not is_vowel(c), c


def test_fit_spans_merges_and_splits():
    spans = [(0.0, 0.1, 0.3, 0.35), (0.35, 0.4, 0.45, 0.5), (0.5, 0.55, 0.8, 0.9)]
    two = fit_spans(spans, 2)
    assert len(two) == 2 and two[0][0] == 0.0 and two[-1][3] == 0.9
    four = fit_spans(spans, 4)
    assert len(four) == 4
    assert all(a[3] <= b[0] for a, b in zip(four, four[1:]))


def test_unknown_language_is_a_voice_error():
    with pytest.raises(VoiceError, match="available_languages"):
        EspeakVoice("klingon")


def test_empty_text_is_a_voice_error(en_voice):
    with pytest.raises(VoiceError):
        en_voice.speak("   ")
    with pytest.raises(VoiceError):
        en_voice.say_syllables([])


def test_two_threads_speaking_at_once(en_voice, zh_voice):
    results: dict[str, object] = {}

    def run(key, fn):
        try:
            results[key] = fn()
        except Exception as error:  # noqa: BLE001
            results[key] = error

    jobs = [
        ("en", lambda: en_voice.say_syllables(english(TWINKLE))),
        ("zh", lambda: zh_voice.say_syllables(mandarin(ZH_CHARS, ZH_PINYIN))),
        ("speak", lambda: en_voice.speak("Two threads at once, and both of them finish.")),
    ]
    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert isinstance(results["en"], Utterance) and len(results["en"].syllables) == 7
    assert isinstance(results["zh"], Utterance) and len(results["zh"].syllables) == 7
    audio, sr = results["speak"]
    assert len(audio) / sr > 0.5
