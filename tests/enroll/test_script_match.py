"""A one-take reading matched to the script's lines by content, on real Mandarin speech:
magicdata_f's own recordings stand in for a reading, their transcripts for the script."""

import csv

import numpy as np
import pytest
import soundfile as sf

from yinse.core.audio import resample
from yinse.core.errors import InputError
from yinse.enroll.recordings import speech_probabilities, split_at_pauses
from yinse.enroll.script_match import check_reading, match_reading, matching_cepstra
from yinse.voices import get_voice

SR = 16000


def sentences(shared_data, language: str, who: str, n: int) -> list[tuple[np.ndarray, str]]:
    folder = shared_data / "speech" / language / who
    rows = list(csv.reader(open(folder / "transcripts.tsv", encoding="utf-8"), delimiter="\t"))
    out = []
    for row in rows[:n]:
        audio, sr = sf.read(folder / row[0], dtype="float32")
        out.append((resample(audio, sr, SR).astype(np.float32), row[1]))
    return out


@pytest.fixture(scope="module")
def baker_lines(shared_data):
    """magicdata_f's first 8 sentences, her recordings and baker saying them."""
    said = sentences(shared_data, "zh", "magicdata_f", 8)
    baker = get_voice("baker")
    return said, [matching_cepstra(*baker.speak(text)) for _, text in said]


def pieces_of(parts: list[np.ndarray]) -> list[np.ndarray]:
    """The take of ``parts`` (1 s of near-silence after each), cut as enrollment cuts it."""
    rng = np.random.default_rng(0)
    pause = lambda: rng.normal(0, 1e-4, SR).astype(np.float32)  # noqa: E731
    take = np.concatenate([pause()] + [x for part in parts for x in (part, pause())])
    bounds = split_at_pauses(take, SR, speech_probabilities([take], [SR])[0])
    return [matching_cepstra(take[a:b], SR) for a, b in bounds]


def test_a_take_with_a_pause_inside_a_line_a_false_start_and_a_skipped_line(baker_lines):
    (said, lines) = baker_lines
    audio = [a for a, _ in said]
    cut = len(audio[2]) // 2 + int(np.argmin(np.abs(audio[2][len(audio[2]) // 2 : len(audio[2]) // 2 + 8000])))
    parts = [audio[0], audio[1], audio[2][:cut], audio[2][cut:], audio[3][: len(audio[3]) * 2 // 5], audio[3],
             audio[4], audio[6], audio[7]]  # fmt: skip
    pieces = pieces_of(parts)
    assert len(pieces) == 9  # the counting rule before would have refused: 9 pieces, 8 lines
    matches = match_reading(pieces, lines)
    assert [(m.pieces, m.line) for m in matches] == [
        ((0,), 0), ((1,), 1), ((2, 3), 2), ((5,), 3), ((6,), 4), ((7,), 6), ((8,), 7),
    ]  # fmt: skip  # the false start (piece 4) and line 5 (not read) left out
    check_reading(matches, len(pieces), "not the zh script", "read it")


def test_a_reading_in_another_language_matches_no_line(shared_data, baker_lines):
    _, lines = baker_lines
    english = pieces_of([a for a, _ in sentences(shared_data, "en", "cathy", 6)])
    matches = match_reading(english, lines)
    with pytest.raises(InputError, match=f"not the zh script: only [0-{len(english) // 2 - 1}] of {len(english)} pieces matched one of its lines; read it"):
        check_reading(matches, len(english), "not the zh script", "read it")


def test_matching_cepstra_do_not_depend_on_the_recordings_rate(baker_lines):
    """The coding warps frequency by the sampling rate: both sides are taken to 16 kHz
    first (before that, the right line was cheapest for a third of cathy's sentences)."""
    (said, _) = baker_lines
    audio = said[0][0]
    a = matching_cepstra(audio, SR)
    b = matching_cepstra(resample(audio, SR, 44100).astype(np.float32), 44100)
    n = min(len(a), len(b))
    # 0.047 against a typical size of 0.40; coded at each file's own rate they differed by 0.87.
    assert np.median(np.abs(a[:n, 1:9] - b[:n, 1:9])) < 0.25 * np.median(np.abs(a[:n, 1:9]))
