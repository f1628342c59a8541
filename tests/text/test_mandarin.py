import pytest

from yinse.core.errors import InputError
from yinse.text import mandarin
from yinse.text.latin_in_mandarin import LETTER_NAMES, latin_reading


@pytest.mark.parametrize(
    "number, words",
    [("0", "零"), ("10", "十"), ("15", "十五"), ("110", "一百一十"), ("1001", "一千零一"),
     ("2025", "两千零二十五"), ("100000", "十万"), ("22222", "两万两千二百二十二"), ("200000000", "两亿"), ("3.14", "三点一四"), ("50%", "百分之五十"),
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
     (["!!"], "nothing singable"), (["OK了"], "one syllable per note"),
     (["Java"], "not a Mandarin pinyin")],
)  # fmt: skip
def test_bad_lyrics_are_refused_with_the_reason(lyrics, words):
    with pytest.raises(InputError, match=words):
        mandarin.lyric_syllables(lyrics)


def test_text_is_split_into_phrases_with_digits_read():
    phrases = mandarin.text_syllables("今天是2025年，天气很好！")
    assert len(phrases) == 2
    assert "".join(s.text for s in phrases[0]) == "今天是二零二五年"  # a year, digit by digit


@pytest.mark.parametrize(
    "text, said",
    [("9:30开始，10:00结束，9:05到", "九点三十分开始，十点结束，九点零五分到"),
     ("2025-12-07和2025/12/7", "二零二五年十二月七日和二零二五年十二月七日"),
     ("¥299，$5", "两百九十九元，五美元"),
     ("-5度，3-5天，2025-2026赛季", "负五度，三到五天，二零二五到二零二六赛季"),
     ("1/3的人，电话010-12345678", "三分之一的人，电话零一零一二三四五六七八")],
)  # fmt: skip
def test_dates_times_money_fractions_and_ranges_are_read_as_speakers_do(text, said):
    assert mandarin.normalize(text) == said


def test_mobile_numbers_are_read_digit_by_digit():
    assert mandarin.normalize("请拨打13812345678") == "请拨打一三八一二三四五六七八"


def spoken(text: str, **kw) -> list[str]:
    return [s.pinyin for phrase in mandarin.text_syllables(text, **kw) for s in phrase]


def test_abbreviations_are_spelled_by_their_letters_names():
    assert spoken("下载APP") == ["xia4", "zai4", "ei2", "pi1", "pi1"]
    assert spoken("B超和x光，4G") == ["bi3", "chao1", "he2", "ai4", "ke4", "si1", "guang1", "si4", "ji2"]
    assert "".join(LETTER_NAMES) == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for letter, said in LETTER_NAMES.items():  # every name is pinyin a Mandarin voice can say
        assert all(mandarin.split_pinyin(s[:-1]) and s[-1] in "12345" for s in said.split()), letter


@pytest.mark.parametrize(
    "text, said",
    [("我学Java", ["wo3", "xue2", "zha1", "wa5"]),
     ("plus会员", ["pu5", "la1", "si5", "hui4", "yuan2"]),  # 普拉斯: a cluster's first consonant alone
     ("学JavaScript", ["xue2", "zha1", "wa5", "si5", "ke5", "li1", "pu5", "te5"]),  # a compound in its parts
     ("用iPhone打电话", ["yong4", "ai1", "feng1", "da3", "dian4", "hua4"]),
     ("Win十", ["wen1", "shi2"]),  # wi has no Mandarin syllable: wen
     ("淘宝Taobao", ["tao2", "bao3", "tao1", "bao1"]),  # not in CMUdict but pinyin
     ("Oppo手机", ["ou1", "pou1", "shou3", "ji1"])],  # neither: read from its spelling
)  # fmt: skip
def test_english_words_in_mandarin_text_are_said_in_mandarin_syllables(text, said):
    assert spoken(text) == said


def test_every_english_word_becomes_syllables_the_mandarin_voice_has():
    from yinse.voices import get_voice

    words = "the quick brown fox jumps over a lazy dog while rhythm strengths squirrel Bluetooth email WeChat xyzzy".split()
    syllables = {s for w in words for s in latin_reading(w)}
    baker = get_voice("baker")
    baker.say_syllables([mandarin.make_syllable(s, s, False, i) for i, s in enumerate(sorted(syllables))])


def test_a_transcripts_english_stretches_are_read_as_our_reading_of_their_tokens():
    """magicdata writes what is said for each Latin token in ARPAbet between slashes."""
    text, pinyin = "我们是做P to P的，VIP一对一", "wo3 men5 shi4 zuo4 / P IY1 / T UW1 / P IY1 / de5 / V EY1 . AY1 . P IY1 / yi1 dui4 yi1"
    assert spoken(text, pinyin=pinyin) == [
        "wo3", "men5", "shi4", "zuo4", "pi1", "tu1", "pi1", "de5", "wei2", "ai4", "pi1", "yi2", "dui4", "yi1",
    ]  # fmt: skip
    with pytest.raises(mandarin.PinyinMismatch):  # two stretches for one token: not paired up
        mandarin.text_syllables("我学Java", pinyin="wo3 xue2 / JH AA1 / V AH0 /")


@pytest.mark.parametrize(
    "text, tones",
    [("你好", ["ni2", "hao3"]),  # 3-3 within a word
     ("我也很好", ["wo2", "ye2", "hen2", "hao3"]),  # and across words: all but the last
     ("不对不好", ["bu2", "dui4", "bu4", "hao3"]),  # 不 before a fourth tone
     ("一天一年一起一样", ["yi4", "tian1", "yi4", "nian2", "yi4", "qi3", "yi2", "yang4"]),
     ("十一，第一，一百", ["shi2", "yi1", "di4", "yi1", "yi4", "bai3"])],  # numerals keep yi1
)  # fmt: skip
def test_speech_applies_tone_sandhi(text, tones):
    assert spoken(text) == tones


def test_lexical_tones_are_kept_when_sandhi_is_off():
    assert spoken("你好", sandhi=False) == ["ni3", "hao3"]
    # Sung lyrics follow the melody, not sandhi.
    assert [s.pinyin for s in mandarin.lyric_syllables(["你", "好"])] == ["ni3", "hao3"]


def test_a_given_pinyin_reading_is_followed():
    # magicdata_f's own transcript: colloquial 这 zhei4, erhua as -r, 6 for a third tone
    # said as a second.
    phrases = mandarin.text_syllables("这块儿懂点儿，我行。", pinyin="zhei4 kuair4 dong6 dianr3 wo3 hang2")
    got = [(s.text, s.pinyin, s.erhua) for phrase in phrases for s in phrase]
    assert got == [("这", "zhei4", False), ("块儿", "kuai4", True), ("懂", "dong2", False),
                   ("点儿", "dian3", True), ("我", "wo3", False), ("行", "hang2", False)]  # fmt: skip
    assert spoken("嗯，二十", pinyin="ng4 er4 shi2") == ["ng4", "er4", "shi2"]


@pytest.mark.parametrize(
    "pinyin, words",
    [("zhei4 kuair4", "2 syllables where the text reads"),
     ("ta1 / V EY1 /", "'/' in the pinyin is not a syllable"),
     ("zhei kuai4 er2 dong3 dian3 er2", "'zhei' in the pinyin is not a syllable with a tone")],
)  # fmt: skip
def test_a_pinyin_reading_that_does_not_line_up_is_refused(pinyin, words):
    with pytest.raises(mandarin.PinyinMismatch, match=words):
        mandarin.text_syllables("这块儿懂点儿", pinyin=pinyin)
