import re

import pytest

from yinse.core.errors import InputError
from yinse.enroll.script import (
    EN_PHONES,
    ZH_FINALS,
    ZH_INITIALS,
    ScriptLine,
    coverage,
    format_script,
    reading_seconds,
    script_lines,
)
from yinse.text import english


def _texts(language: str) -> list[str]:
    return [line.text for line in script_lines(language)]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_scripts_load_with_unique_sequential_ids(language):
    lines = script_lines(language)
    assert 45 <= len(lines) <= 60
    assert all(isinstance(line, ScriptLine) and line.text for line in lines)
    assert [line.id for line in lines] == [f"{language}-{i:03d}" for i in range(1, len(lines) + 1)]


def test_mandarin_script_is_hanzi_and_chinese_punctuation_only():
    for line in script_lines("zh"):
        assert not re.search(r"[A-Za-z0-9０-９Ａ-Ｚａ-ｚ]", line.text), line
        assert re.fullmatch(r"[\u4e00-\u9fff，。？！、；：]+", line.text), line


def test_english_script_has_only_dictionary_words():
    for line in script_lines("en"):
        assert not re.search(r"\d", line.text), line
        for phrase in english.text_words(line.text):
            for word in phrase:
                assert english.word_phones(word), f"{word!r} ({line.id}) is not in CMUdict"
    assert coverage(_texts("en"), "en").unknown == []


def test_mandarin_script_covers_everything():
    cov = coverage(_texts("zh"), "zh")
    assert cov.skipped == 0
    assert cov.categories == {
        "initials": (22, 22), "finals": (38, 38), "tones": (5, 5), "tone pairs": (25, 25),
    }  # fmt: skip
    assert cov.fraction == 1.0
    # Each initial and final is heard at least twice, so one slip does not lose a unit.
    assert min(cov.counts["initials"].values()) >= 2
    assert min(cov.counts["finals"].values()) >= 2
    assert len(ZH_INITIALS) == 22 and len(ZH_FINALS) == 38


def test_english_script_covers_all_phones_and_clusters():
    cov = coverage(_texts("en"), "en")
    assert cov.skipped == 0
    assert cov.categories["phones"] == (39, 39) and len(EN_PHONES) == 39
    assert cov.missing["clusters"] == []
    assert min(cov.counts["phones"].values()) >= 2


@pytest.mark.parametrize("language", ["zh", "en"])
def test_reading_takes_three_to_five_minutes(language):
    assert 180 <= reading_seconds(_texts(language), language) <= 300


def test_a_tiny_text_covers_little_and_names_what_is_missing():
    cov = coverage(["你好"], "zh")
    assert cov.fraction < 0.2
    assert cov.categories["tones"] == (1, 5)
    assert "zh" in cov.missing["initials"] and "ueng" in cov.missing["finals"]
    assert "missing" in cov.summary() and "initials 2/22" in cov.summary()
    en = coverage("The cat.", "en")
    assert en.spoken == 2 and "ZH" in en.missing["phones"] and en.fraction < 0.2


def test_texts_the_front_end_refuses_are_skipped():
    cov = coverage(["Hello there", "你好"], "zh")
    assert cov.skipped == 1 and cov.spoken == 2
    assert coverage(["你好", "Hello"], "en").skipped == 1


def test_format_script_has_instructions_and_numbered_lines():
    text = format_script("zh")
    assert "zh-001.wav" in text and "安静" in text
    body = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert body[0] == f"zh-001\t{script_lines('zh')[0].text}"
    assert len(body) == len(script_lines("zh"))
    assert "en-001.wav" in format_script("en") and "quiet room" in format_script("en")


@pytest.mark.parametrize("call", [script_lines, format_script, lambda x: coverage([], x)])
def test_unknown_language_is_refused(call):
    with pytest.raises(InputError, match="'fr'.*zh, en"):
        call("fr")
