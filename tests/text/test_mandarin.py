import pytest

from yinse.core.errors import InputError
from yinse.text import mandarin


@pytest.mark.parametrize(
    "number, words",
    [("0", "零"), ("10", "十"), ("15", "十五"), ("110", "一百一十"), ("1001", "一千零一"),
     ("2025", "二千零二十五"), ("100000", "十万"), ("3.14", "三点一四"), ("50%", "百分之五十"),
     ("007", "零零七"), ("120000", "十二万"), ("10005", "一万零五")],
)  # fmt: skip
def test_numbers_are_read_in_chinese(number, words):
    assert mandarin.read_number(number) == words


def test_polyphones_follow_context():
    readings = [py for _, py, _ in mandarin.hanzi_to_pinyin("我去银行，他在行走")]
    assert readings[3] == "hang2"  # 银行
    assert readings[6] == "xing2"  # 行走


def test_yi_takes_its_tone_from_the_word():
    readings = dict((c, py) for c, py, _ in mandarin.hanzi_to_pinyin("一起"))
    assert readings["一"] == "yi4"


def test_erhua_folds_into_the_syllable_but_not_in_nuer():
    readings = mandarin.hanzi_to_pinyin("一点儿女儿")
    assert ("点儿", "dian3", True) in readings
    assert ("儿", "er2", False) in readings  # 女儿: 儿 is its own syllable


@pytest.mark.parametrize(
    "syllable, initial, final",
    [("zhuang", "zh", "uang"), ("yu", "", "v"), ("jun", "j", "vn"), ("qu", "q", "v"),
     ("wei", "", "uei"), ("liu", "l", "iou"), ("gui", "g", "uei"), ("lun", "l", "uen"),
     ("er", "", "er"), ("a", "", "a")],
)  # fmt: skip
def test_pinyin_splits_into_initial_and_final(syllable, initial, final):
    assert mandarin.split_pinyin(syllable) == (initial, final)


def test_lyric_syllables_accept_hanzi_and_pinyin():
    syllables = mandarin.lyric_syllables(["星", "la", "xing2", "花儿"])
    assert [s.pinyin for s in syllables] == ["xing1", "la1", "xing2", "hua1"]
    assert syllables[3].erhua and syllables[3].phones == ("h", "ua", "er")


@pytest.mark.parametrize(
    "lyrics, words",
    [(["hello"], "not a Mandarin pinyin"), (["你好"], "one syllable per note"),
     (["!!"], "nothing singable"), (["OK了"], "Latin letters")],
)  # fmt: skip
def test_bad_lyrics_are_refused_with_the_reason(lyrics, words):
    with pytest.raises(InputError, match=words):
        mandarin.lyric_syllables(lyrics)


def test_text_is_split_into_phrases_with_digits_read():
    phrases = mandarin.text_syllables("今天是2025年，天气很好！")
    assert len(phrases) == 2
    assert "".join(s.text for s in phrases[0]) == "今天是二千零二十五年"
