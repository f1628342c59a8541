"""A passage cut into the lines a reader pauses between (yinse.text.sentences)."""

from yinse.text.sentences import passage_sentences


def test_english_sentences_end_at_their_marks_not_at_titles_or_initials():
    text = 'Dr. Lee met J. K. Rowling on Main St. in 1990.  "Hello there!" she said.\nWhy not? It rained; we stayed home.'
    assert passage_sentences(text, "en") == [
        "Dr. Lee met J. K. Rowling on Main St. in 1990.",
        '"Hello there!" she said.',
        "Why not? It rained; we stayed home.",  # "Why not?" alone is too short: it joins the next
    ]


def test_a_long_sentence_is_cut_at_clauses_into_as_few_lines_as_fit():
    long = ("When the train finally pulled into the station after a long night of delays and cold "
            "coffee, the passengers, tired and hungry, poured onto the platform, and some of them "
            "ran for taxis while others simply sat down on their suitcases and waited.")  # fmt: skip
    lines = passage_sentences(f"{long} The end came soon.", "en")
    assert " ".join(lines) == f"{long} The end came soon."  # nothing lost or reordered
    assert len(lines) == 3 and all(len(line.split()) <= 24 for line in lines)
    assert lines[0].endswith("the passengers, tired and hungry,") and lines[-1] == "The end came soon."


def test_mandarin_sentences_keep_their_marks_and_quotes():
    text = "他说：“今天天气很好。”我们去公园吧！好吗？明天再说，因为今天太晚了，我们还有很多事情要做，而且外面已经开始下雨了，路上也不太安全。"
    lines = passage_sentences(text, "zh")
    assert "".join(lines) == text
    assert lines[:2] == ["他说：“今天天气很好。”", "我们去公园吧！"]
    assert lines[2].startswith("好吗？明天再说，")  # 好吗？ alone is too short
    assert len(lines) == 4 and all(len(line) <= 40 for line in lines)  # the long one in two
