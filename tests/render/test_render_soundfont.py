"""SoundFont rendering: one stem per track, timing from the tempo map, MIDI controls heard."""

from pathlib import Path

import numpy as np
import pytest

from tests.render.midi_util import Part, build_midi
from yinse.core import InputError
from yinse.render import default_soundfont, render_tracks

SR = 48000
CHORDS = [[60, 64, 67], [57, 60, 64], [53, 57, 60], [55, 59, 62]]


def rms_db(x):
    return 10 * np.log10(np.mean(np.asarray(x, dtype=np.float64) ** 2) + 1e-20)


@pytest.fixture(scope="module")
def song():
    """Piano chords, bass and drums over a tempo change (120 bpm, then 60 bpm at beat 4),
    and an instrument track without notes."""
    parts = [
        Part("piano", 0, 0, [(b, 0.9, k, 80) for b in range(8) for k in CHORDS[b % 4]]),
        Part("bass", 1, 33, [(b, 0.9, CHORDS[b % 4][0] - 24, 100) for b in range(8)]),
        Part("drums", 9, None, [(b / 2, 0.1, 36 if b % 2 == 0 else 42, 110) for b in range(16)]),
        Part("strings", 2, 48, []),
    ]
    midi = build_midi(parts, tempos=[(0, 120), (4, 60)])
    return render_tracks(midi, sr=SR, tail_s=1.5)


def test_each_track_is_its_own_stem_of_song_length_plus_tail(song):
    assert list(song) == ["piano", "bass", "drums"]  # track order; empty track skipped
    # The last note ends at beat 7.9: 4 beats at 120 bpm (2 s) + 3.9 at 60 bpm, + 1.5 s tail
    expected = round((2.0 + 3.9 + 1.5) * SR) + 1
    for name, stem in song.items():
        assert stem.shape == (expected, 2), name
        assert stem.dtype == np.float32
        assert np.all(np.isfinite(stem))
        assert rms_db(stem) > -50, f"{name} is silent"
        assert np.abs(stem).max() < 1.0
    assert not np.allclose(song["piano"], song["bass"])


def test_drums_play_on_channel_10_with_kick_and_hat(song):
    drums = song["drums"].mean(axis=1)
    # The kick on every beat and the hat between: energy at each half beat of the 120 bpm part.
    for t in (0.0, 0.25, 0.5, 0.75):
        seg = drums[int(t * SR) : int((t + 0.1) * SR)]
        assert rms_db(seg) > -45, t


def centroid_hz(x, *, sr=SR):
    mag = np.abs(np.fft.rfft(x[:, 0]))
    return float(np.sum(mag * np.fft.rfftfreq(len(x), 1 / sr)) / np.sum(mag))


def test_channel_10_is_the_drum_kit():
    # Key 42 is a closed hi-hat on channel 10 but a low F# on a piano channel.
    hat = Part("hat", 9, None, [(0, 0.2, 42, 110)])
    piano = Part("piano", 0, 0, [(0, 0.2, 42, 110)])
    stems = render_tracks(build_midi([hat, piano]), sr=SR, tail_s=0.3)
    assert centroid_hz(stems["hat"]) > 4000
    assert centroid_hz(stems["piano"]) < 1500


def onsets_s(x, *, sr, threshold=0.1, gap_s=0.15):
    """Times where a 1 ms envelope crosses threshold*max after at least gap_s below it."""
    hop = sr // 1000
    env = np.sqrt(np.mean(x[: len(x) // hop * hop].reshape(-1, hop) ** 2, axis=1))
    above = env > threshold * env.max()
    found, quiet = [], int(gap_s * 1000)
    for i in np.flatnonzero(above):
        if not above[max(0, i - quiet) : i].any():
            found.append(i * hop / sr)
    return np.array(found)


def test_tempo_map_places_notes_within_20_ms():
    beats = [0, 1, 2, 3, 4, 5, 6, 7.5]
    midi = build_midi(
        [Part("sticks", 9, None, [(b, 0.05, 37, 120) for b in beats])],  # side stick
        tempos=[(0, 120), (4, 60), (7, 240)],
    )
    stem = render_tracks(midi, sr=SR, tail_s=0.5)["sticks"].mean(axis=1)
    expected = [0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0 + 0.5 * 0.25]
    found = onsets_s(stem, sr=SR)
    assert len(found) == len(expected), found
    assert np.max(np.abs(found - expected)) < 0.02, found


def test_velocity_volume_expression_and_program_are_heard():
    notes = [(0, 1, 60, 110)]
    midi = build_midi(
        [
            Part("loud", 0, 0, notes),
            Part("soft velocity", 1, 0, [(0, 1, 60, 30)]),
            Part("low volume", 2, 0, notes, controls=[(0, 7, 30)]),
            Part("low expression", 3, 0, notes, controls=[(0, 11, 30)]),
            Part("flute", 4, 73, notes),
        ]
    )
    stems = render_tracks(midi, sr=SR, tail_s=0.5)
    loud = rms_db(stems["loud"])
    assert loud - rms_db(stems["soft velocity"]) > 6
    assert loud - rms_db(stems["low volume"]) > 10
    assert loud - rms_db(stems["low expression"]) > 10
    # Another program is another instrument: a different spectrum, not just a level.
    spec = [np.abs(np.fft.rfft(stems[n][: SR // 2, 0])) for n in ("loud", "flute")]
    spec = [s / np.linalg.norm(s) for s in spec]
    assert float(np.dot(spec[0], spec[1])) < 0.9


def test_sustain_pedal_holds_released_notes():
    notes = [(0, 0.25, 60, 100)]  # released after 125 ms
    midi = build_midi(
        [
            Part("dry", 0, 0, notes),
            Part("pedal", 1, 0, notes, controls=[(0, 64, 127), (3, 64, 0)]),
        ]
    )
    stems = render_tracks(midi, sr=SR, tail_s=0.5)
    window = slice(int(0.8 * SR), int(1.2 * SR))  # after the key is up, pedal still down
    assert rms_db(stems["pedal"][window]) - rms_db(stems["dry"][window]) > 10


def test_track_names_default_and_repeat():
    notes = [(0, 0.5, 60, 90)]
    midi = build_midi(
        [Part(None, 0, 0, notes), Part("keys", 1, 0, notes), Part("keys", 2, 0, notes)]
    )
    assert list(render_tracks(midi, sr=SR, tail_s=0.1)) == ["track 1", "keys", "keys 2"]


def test_sample_rate_and_tail_set_the_length():
    midi = build_midi([Part("p", 0, 0, [(0, 2, 60, 90)])])  # 2 beats at 120 bpm = 1 s
    stems = render_tracks(midi, sr=22050, tail_s=0.25)
    assert stems["p"].shape == (round(1.25 * 22050) + 1, 2)


def test_default_soundfont_is_an_installed_sf2(monkeypatch):
    monkeypatch.delenv("YINSE_SOUNDFONT", raising=False)
    path = default_soundfont()
    assert path.is_file() and path.suffix == ".sf2"
    monkeypatch.setenv("YINSE_SOUNDFONT", str(path))
    assert default_soundfont() == path


def test_bad_soundfont_override_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("YINSE_SOUNDFONT", str(tmp_path / "nope.sf2"))
    with pytest.raises(InputError, match="YINSE_SOUNDFONT.*nope.sf2"):
        default_soundfont()


def test_missing_soundfont_path(tmp_path):
    midi = build_midi([Part("p", 0, 0, [(0, 1, 60, 90)])])
    with pytest.raises(InputError, match="missing.sf2.*does not exist"):
        render_tracks(midi, soundfont=tmp_path / "missing.sf2")


def test_unreadable_soundfont(tmp_path):
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"RIFF0000sfbk" + b"\0" * 64)
    midi = build_midi([Part("p", 0, 0, [(0, 1, 60, 90)])])
    with pytest.raises(InputError, match="junk.sf2.*could not be loaded"):
        render_tracks(midi, soundfont=junk)


@pytest.mark.parametrize("data", [b"", b"not a midi file at all", b"MThd\x00\x00\x00\x06\x00"])
def test_invalid_midi_bytes(data):
    with pytest.raises(InputError, match="MIDI data"):
        render_tracks(data)


def test_midi_without_notes():
    midi = build_midi([Part("strings", 2, 48, [])])
    with pytest.raises(InputError, match="no notes"):
        render_tracks(midi)


@pytest.mark.parametrize(
    "kwargs", [{"sr": 0}, {"sr": 44100.0}, {"tail_s": -1.0}, {"tail_s": float("nan")}]
)
def test_bad_options(kwargs):
    midi = build_midi([Part("p", 0, 0, [(0, 1, 60, 90)])])
    with pytest.raises(InputError):
        render_tracks(midi, **kwargs)


def test_soundfont_given_as_path(tmp_path):
    midi = build_midi([Part("p", 0, 0, [(0, 1, 60, 90)])])
    stems = render_tracks(midi, soundfont=Path(default_soundfont()), tail_s=0.1)
    assert rms_db(stems["p"]) > -50
