"""English text read out: numbers, money, times and abbreviations become words, never vanish."""

import re

import pytest

from yinse.text import english
from yinse.text.english_readout import cardinal, ordinal, read_out, year


@pytest.mark.parametrize(
    "n, words",
    [(0, "zero"), (7, "seven"), (13, "thirteen"), (40, "forty"), (99, "ninety nine"),
     (100, "one hundred"), (101, "one hundred one"), (1000, "one thousand"),
     (1_250_000, "one million two hundred fifty thousand"), (10**9, "one billion"), (-3, "minus three")],
)  # fmt: skip
def test_cardinals(n, words):
    assert cardinal(n) == words


@pytest.mark.parametrize("n, words", [(1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (12, "twelfth"),
                                      (20, "twentieth"), (21, "twenty first"), (100, "one hundredth")])  # fmt: skip
def test_ordinals(n, words):
    assert ordinal(n) == words


@pytest.mark.parametrize("n, words", [(1999, "nineteen ninety nine"), (2005, "two thousand five"),
                                      (2025, "twenty twenty five"), (1900, "nineteen hundred"),
                                      (1905, "nineteen oh five")])  # fmt: skip
def test_years(n, words):
    assert year(n) == words


@pytest.mark.parametrize(
    "text, said",
    [("Dr. Smith paid $5.50 at 3:30 pm, i.e. 20% off.",
      "Doctor Smith paid five dollars fifty cents at three thirty P M, that is twenty percent off."),
     ("In 1999 we sold 1,250,000 units, up 12.5%.",
      "In nineteen ninety nine we sold one million two hundred fifty thousand units, up twelve point five percent."),
     ("Meet me on May 5th at 10:00, pages 10-20, room #4.",
      "Meet me on May fifth at ten o'clock, pages ten to twenty, room number four."),
     ("It costs $1 or £3.50, and $5 million in 2005.",
      "It costs one dollar or three pounds fifty pence, and five million dollars in two thousand five."),
     ("Call 555-1234 at 9am & ask for agent 007.",
      "Call five five five, one two three four at nine A M and ask for agent zero zero seven.")],
)  # fmt: skip
def test_numbers_money_times_and_abbreviations_are_read_out(text, said):
    assert re.sub(r" ([,.;])", r"\1", read_out(text)) == said


@pytest.mark.parametrize(
    "text, said",
    [("In 1999, 1500 people and 1234 users came.",  # a year after "in"; counts before counted nouns
      "In nineteen ninety nine, one thousand five hundred people and one thousand two hundred thirty four users came."),
     ("The 1990s, the '80s and 1990-1995.", "The nineteen nineties, the eighties and nineteen ninety to nineteen ninety five."),
     ("Due 2025-12-07, 12/7/2025 or Dec. 7, 2025.",
      "Due December seventh, twenty twenty five, December seventh, twenty twenty five or December seventh, twenty twenty five."),
     ("Caesar died in 44 BC.", "Caesar died in forty four B C."),
     ("Henry VIII wrote Chapter IV after World War II.", "Henry the eighth wrote Chapter four after World War two."),
     ("I live on Main St. Then St. Louis and Mt. Fuji.", "I live on Main Street. Then Saint Louis and Mount Fuji."),
     ("Visit www.example.com/help or write to ann.lee@mail.co.uk.",
      "Visit w w w dot example dot com slash help or write to ann dot lee at mail dot co dot uk."),
     ("Add 3/4 cup, then 1/2 of it, open 24/7.", "Add three quarters cup, then one half of it, open twenty four / seven.")],
)  # fmt: skip
def test_years_dates_names_and_addresses_are_read_as_people_say_them(text, said):
    assert re.sub(r"\s+([,.;])", r"\1", read_out(text)) == said


def test_no_digit_is_left_for_the_word_splitter_to_drop():
    text = "v2.0 of app 3 costs $0.99 at 12:05 a.m. on the 31st, -4 degrees, 3 + 4 = 7"
    words = [w for phrase in english.text_words(text) for w in phrase]
    assert not any(re.search(r"\d", w) for w in words)
    assert {"ninety", "nine", "cents", "twelve", "oh", "five", "thirty", "first", "minus", "plus", "equals"} <= set(words)


def test_typographic_apostrophes_keep_words_whole():
    assert english.text_words("I’m sure it’s “fine” — don’t worry…") == [["I'm", "sure", "it's", "fine", "don't", "worry"]]


def test_hyphenated_words_are_said_as_words():
    assert english.text_words("a well-known, first-rate app") == [["a", "well", "known"], ["first", "rate", "app"]]


def test_the_english_voice_says_the_numbers():
    """joe saying a sentence with money, a time and a percentage, heard by pocketsphinx
    (its bundled English model): every number comes out as its words."""
    from benchmarks.bench_clone import Recogniser
    from yinse.voices import get_voice

    audio, sr = get_voice("joe").speak("The ticket was $5.50 at 3:30, twenty percent off.")
    heard = Recogniser().words(audio, sr)
    assert {"five", "dollars", "fifty", "three", "thirty"} <= set(heard), heard
