import pytest

from yinse.core.errors import InputError
from yinse.text import english


def test_syllabify_keeps_legal_onsets():
    assert english.syllabify(english.word_phones("instrument")) == [
        ("IH1", "N"), ("S", "T", "R", "AH0"), ("M", "AH0", "N", "T")
    ]
    assert len(english.syllabify(english.word_phones("abnormally"))) == 4


def test_sung_pieces_rebuild_their_words():
    syllables = english.lyric_syllables(
        ["Twin", "kle", "lit-", "tle", "star,"], ["begin", "end", "single", "single", "single"]
    )
    assert [s.word for s in syllables] == ["Twinkle", "Twinkle", "little", "little", "star"]
    assert [s.index_in_word for s in syllables] == [0, 1, 0, 1, 0]
    assert [s.word_index for s in syllables] == [0, 0, 1, 1, 2]
    assert syllables[0].stress == 1 and syllables[1].stress == 0


def test_unknown_word_still_sings_without_phones():
    (syllable,) = english.lyric_syllables(["Yinsey"], ["single"])
    assert syllable.word == "Yinsey" and syllable.phones == ()
    assert english.count_syllables("Yinsey") == 2


@pytest.mark.parametrize(
    "lyric, words", [("42", "digits"), ("星", "Mandarin voice"), ("!!", "no letters")]
)
def test_bad_english_lyrics_are_refused(lyric, words):
    with pytest.raises(InputError, match=words):
        english.lyric_syllables([lyric], ["single"])


def test_other_alphabetic_languages_keep_their_letters_and_words():
    syllables = english.lyric_syllables(["Grü-", "ße", "schön"], ["single"] * 3, language="de")
    assert [s.word for s in syllables] == ["Grüße", "Grüße", "schön"]
    assert all(s.language == "de" and s.phones == () for s in syllables)
