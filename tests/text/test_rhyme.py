import pytest

from yinse.core.errors import InputError
from yinse.text import english, mandarin
from yinse.text.rhyme import (
    ZH_CLASSES,
    en_rhyme_key,
    en_rhyme_phones,
    en_slant_key,
    line_rhymes,
    rhyme_class,
    zh_rhyme_class,
    zh_rhyme_key,
)

# Every 辙 with plain, zero-initial (y-/w-) and ü spellings where the class has them.
CLASS_TABLE = {
    "发花": ["ba1", "jia1", "hua1", "ya2", "wa1"],
    "梭波": ["bo1", "mo4", "guo2", "ge1", "he2", "wo3", "e4", "yo1"],
    "乜斜": ["jie3", "xie2", "ye4", "yue4", "xue2", "nüe4", "lve4", "que4"],
    "一七": ["ji1", "yi2", "yu2", "lü4", "qu4", "xu1", "nv3", "zi1", "ci2", "si1", "zhi1",
             "chi1", "shi4", "ri4", "er2"],
    "姑苏": ["gu1", "zhu1", "wu3", "lu4"],
    "怀来": ["lai2", "huai2", "wai4"],
    "灰堆": ["bei3", "gui4", "dui4", "wei2"],
    "遥条": ["hao3", "miao4", "yao2"],
    "油求": ["tou2", "liu2", "jiu3", "you3"],
    "言前": ["shan1", "tian1", "guan1", "yan2", "wan3", "yuan2", "juan4", "xuan2"],
    "人辰": ["men2", "lin2", "lun2", "yin1", "wen2", "yun2", "jun1", "qun2"],
    "江阳": ["guang1", "xiang1", "shang4", "yang2", "wang4"],
    "中东": ["dong1", "xiong2", "feng1", "ming2", "yong3", "ying1", "weng1"],
}  # fmt: skip


@pytest.mark.parametrize("pinyin, cls", [(p, cls) for cls, ps in CLASS_TABLE.items() for p in ps])
def test_each_syllable_lands_in_its_class(pinyin, cls):
    assert zh_rhyme_class(pinyin) == cls


def test_the_table_covers_all_thirteen_classes():
    assert set(CLASS_TABLE) == set(ZH_CLASSES) and len(ZH_CLASSES) == 13
    assert all(len(ps) >= 2 for ps in CLASS_TABLE.values())


def test_jingye_si_rhymes_guang_shuang_xiang_on_jiangyang():
    lines = mandarin.text_syllables("床前明月光，疑是地上霜。举头望明月，低头思故乡。")
    last = [line[-1] for line in lines]
    assert [s.text for s in last] == ["光", "霜", "月", "乡"]
    assert [rhyme_class(s) for s in last] == ["江阳", "江阳", "乜斜", "江阳"]
    assert "".join(line_rhymes(last)) == "AABA"


def test_zi_chi_ri_are_yiqi_but_not_a_perfect_rhyme_with_xi():
    syllables = mandarin.text_syllables("资吃日西")[0]
    assert [rhyme_class(s) for s in syllables] == ["一七"] * 4
    assert [zh_rhyme_key(s.pinyin) for s in syllables] == ["-i", "-i", "-i", "i"]


@pytest.mark.parametrize(
    "spelled", ["guang1", "guāng", "GUANG", "guang"]
)  # tone digits, tone marks and case do not matter
def test_tone_and_case_do_not_change_the_class(spelled):
    assert zh_rhyme_class(spelled) == "江阳"


@pytest.mark.parametrize(
    "a, b, same",
    [("guang1", "xiang1", True), ("yue4", "lüe4", True), ("lun2", "wen2", True),
     ("men2", "lin2", False), ("feng1", "dong1", False), ("bo1", "guo2", True),
     ("ge1", "guo2", False), ("yu2", "ji1", False)],
)  # fmt: skip
def test_fine_key_is_the_final_without_medial(a, b, same):
    assert (zh_rhyme_key(a) == zh_rhyme_key(b)) is same
    assert zh_rhyme_class(a) == zh_rhyme_class(b)  # a finer key never crosses a 辙


@pytest.mark.parametrize(
    "pinyin, cls",
    [("huar", "小言前儿"), ("wanr", "小言前儿"), ("hair", "小言前儿"),
     ("menr", "小人辰儿"), ("jir", "小人辰儿"), ("huir", "小人辰儿"),
     ("hour", "油求"), ("niaor", "遥条")],
)  # fmt: skip
def test_erhua_merges_into_the_two_small_classes(pinyin, cls):
    assert zh_rhyme_class(pinyin) == cls
    assert zh_rhyme_class(pinyin[:-1], erhua=True) == cls


def test_erhua_syllable_from_the_front_end():
    (line,) = mandarin.text_syllables("一点儿")
    assert line[-1].erhua and rhyme_class(line[-1]) == "小言前儿"
    assert zh_rhyme_key("huar") == zh_rhyme_key("dianr") == "a+r"


@pytest.mark.parametrize(
    "bad, words",
    [("", "empty"), ("   ", "empty"), ("xyz", "not a Mandarin pinyin syllable"),
     ("hello", "not a Mandarin pinyin syllable"), ("ja", "'j' is followed only by i or ü"),
     ("gi", "'i' does not follow 'g'"), ("uan", "spelled with y- or w-"),
     ("光", "it is hanzi"), ("guang7", "tone digit"), ("ber2", "'e' does not follow 'b'")],
)  # fmt: skip
def test_not_a_pinyin_syllable_is_refused_with_the_reason(bad, words):
    with pytest.raises(InputError, match=words):
        zh_rhyme_class(bad)


# --- English -------------------------------------------------------------------------


def test_light_night_bright_share_a_key():
    assert en_rhyme_key("light") == en_rhyme_key("night") == en_rhyme_key("bright") == "AY T"


def test_love_and_move_only_look_alike():
    assert en_rhyme_key("love") == "AH V" and en_rhyme_key("move") == "UW V"


def test_cat_hat_and_a_multisyllable_rhyme():
    assert en_rhyme_key("cat") == en_rhyme_key("hat") == "AE T"
    assert en_rhyme_key("nation") == en_rhyme_key("station") == "EY SH AH N"
    assert en_rhyme_key("television") == en_rhyme_key("vision")  # last stressed, secondary


def test_slant_key_is_looser():
    assert en_rhyme_key("time") != en_rhyme_key("line")
    assert en_slant_key("time") == en_slant_key("line") == "AY+nasal"
    assert en_slant_key("cat") == en_slant_key("cap") == "AE+stop"
    assert en_slant_key("high") == "AY"


def test_word_outside_cmudict_is_guessed_from_its_spelling():
    assert english.word_phones("blorpight") == ()
    assert en_rhyme_phones("blorpight") == (("AY", "T"), False)
    assert en_rhyme_key("blorpight") == en_rhyme_key("light")
    assert en_rhyme_key("zorbnation") == en_rhyme_key("nation")
    assert en_rhyme_phones("light") == (("AY", "T"), True)


def test_word_without_a_vowel_has_no_rhyme():
    assert en_rhyme_key("hmm") is None and en_slant_key("brrr") is None


@pytest.mark.parametrize("bad", ["", "  ", "123", "!!"])
def test_empty_english_word_is_refused(bad):
    with pytest.raises(InputError, match="empty|no Latin letters"):
        en_rhyme_key(bad)


def _last_words(lines: list[str]) -> list:
    words = [line.split()[-1] for line in lines]
    return english.lyric_syllables(words, ["single"] * len(words))


def test_english_stanza_schemes():
    twinkle = _last_words([
        "Twinkle twinkle little star,", "How I wonder what you are,",
        "Up above the world so high,", "Like a diamond in the sky.",
    ])  # fmt: skip
    assert "".join(line_rhymes(twinkle)) == "AABB"
    ours = _last_words([
        "We walk the road tonight", "the river running long",
        "the window burning bright", "and we forget the song",
    ])  # fmt: skip
    assert "".join(line_rhymes(ours)) == "ABAB"


def test_slant_mode_joins_near_rhymes():
    lines = _last_words(["all the time", "down the line", "into the night"])
    assert line_rhymes(lines) == ["A", "B", "C"]
    assert line_rhymes(lines, mode="slant") == ["A", "A", "B"]


def test_fine_mode_splits_a_class():
    lines = [line[-1] for line in mandarin.text_syllables("天上的星，心里的人，路上的风")]
    assert line_rhymes(lines) == ["A", "B", "A"]  # xing 中东, ren 人辰, feng 中东
    assert line_rhymes(lines, mode="fine") == ["A", "B", "C"]  # ing vs eng


def test_line_rhymes_edge_cases():
    assert line_rhymes([]) == []
    (other,) = english.lyric_syllables(["bonjour"], ["single"], language="fr")
    assert rhyme_class(other) is None and line_rhymes([other]) == ["-"]
    with pytest.raises(InputError, match="rhyme mode 'loose' is unknown"):
        line_rhymes([], mode="loose")
