"""Styles: what makes a pop song sound like pop and a guofeng song like 国风.

A style fixes the default tempo and mode, the chord loops of each section, the cadence, the
drum, bass and chord patterns the arranger plays, the General MIDI instruments, and how the
mixer treats the vocal.  Adding a style means adding one entry here; the patterns are
named in :mod:`yinse.compose.arrange`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.errors import InputError


@dataclass(frozen=True)
class Style:
    name: str
    description: str
    bpm: int
    bpm_range: tuple[int, int]
    mode: str
    #: Chord loops (one chord per bar) per section kind; "default" for the rest.
    loops: dict[str, tuple[tuple[str, ...], ...]]
    #: The last two bars of a closing section (chorus, outro).
    cadence: tuple[str, str]
    drums: str
    bass: str
    comp: str
    #: role -> General MIDI program (0-based); drums are always channel 10.
    programs: dict[str, int]
    #: The melody keeps to do re mi sol la (guofeng's pentatonic colour).
    pentatonic: bool = False
    #: role -> (pan −1..1, loudness in LU relative to the vocal) in the mix.
    placement: dict[str, tuple[float, float]] = field(default_factory=dict)


_PLACEMENT = {"drums": (0.0, -6.0), "bass": (0.0, -7.0), "chords": (-0.35, -7.0),
              "pad": (0.35, -12.0), "lead": (0.45, -9.0)}  # fmt: skip

STYLES: dict[str, Style] = {
    s.name: s
    for s in (
        Style(
            "pop", "mid-tempo pop: piano and strings, straight drums, eighth-note bass",
            bpm=96, bpm_range=(80, 120), mode="major",
            loops={"verse": (("I", "V", "vi", "IV"), ("vi", "IV", "I", "V")),
                   "pre-chorus": (("IV", "V", "iii", "vi"),),
                   "chorus": (("I", "V", "vi", "IV"), ("IV", "V", "iii", "vi")),
                   "default": (("vi", "IV", "I", "V"),)},
            cadence=("V", "I"), drums="pop", bass="eighths", comp="piano_pop",
            programs={"chords": 0, "pad": 48, "bass": 33, "lead": 73},
            placement=_PLACEMENT,
        ),
        Style(
            "ballad", "slow ballad: broken piano chords, strings, half-time drums",
            bpm=70, bpm_range=(56, 84), mode="major",
            loops={"verse": (("I", "V", "vi", "iii"), ("IV", "I", "ii", "V")),
                   "chorus": (("IV", "V", "iii", "vi"), ("ii", "V", "I", "I")),
                   "default": (("I", "vi", "IV", "V"),)},
            cadence=("V", "I"), drums="ballad", bass="whole", comp="piano_arpeggio",
            programs={"chords": 0, "pad": 49, "bass": 32, "lead": 40},
            placement={**_PLACEMENT, "pad": (0.3, -9.0)},
        ),
        Style(
            "rock", "driving rock: distorted power chords, eighth-note bass, big drums",
            bpm=124, bpm_range=(100, 160), mode="major",
            loops={"verse": (("I", "bVII", "IV", "I"), ("vi", "IV", "I", "V")),
                   "chorus": (("I", "V", "vi", "IV"), ("IV", "I", "V", "V")),
                   "default": (("I", "IV", "vi", "V"),)},
            cadence=("V", "I"), drums="rock", bass="driving", comp="power",
            programs={"chords": 30, "pad": 29, "bass": 34, "lead": 27},
            placement={**_PLACEMENT, "drums": (0.0, -4.0), "chords": (-0.6, -6.0), "pad": (0.6, -13.0)},
        ),
        Style(
            "folk", "acoustic folk: strummed steel guitar, root–fifth bass, light percussion",
            bpm=100, bpm_range=(80, 126), mode="major",
            loops={"verse": (("I", "IV", "I", "V"), ("I", "vi", "IV", "V")),
                   "chorus": (("IV", "I", "V", "I"), ("IV", "V", "I", "vi")),
                   "default": (("I", "IV", "V", "I"),)},
            cadence=("IV", "I"), drums="folk", bass="root_fifth", comp="strum",
            programs={"chords": 25, "pad": 21, "bass": 32, "lead": 22},
            placement={**_PLACEMENT, "pad": (0.4, -14.0)},
        ),
        Style(
            "guofeng", "国风: pentatonic melody, guzheng (koto) arpeggios, strings and flute",
            bpm=76, bpm_range=(60, 96), mode="major", pentatonic=True,
            loops={"verse": (("vi", "iii", "IV", "I"), ("IV", "V", "iii", "vi")),
                   "chorus": (("IV", "V", "iii", "vi"), ("ii", "V", "I", "I")),
                   "default": (("vi", "IV", "V", "I"),)},
            cadence=("V", "I"), drums="guofeng", bass="whole", comp="zheng",
            programs={"chords": 107, "pad": 48, "bass": 32, "lead": 73},
            placement={**_PLACEMENT, "chords": (-0.4, -6.0), "pad": (0.3, -10.0),
                       "lead": (0.5, -8.0)},
        ),
        Style(
            "electronic", "electronic dance: four-on-the-floor, offbeat bass, pads and plucks",
            bpm=124, bpm_range=(110, 140), mode="minor",
            loops={"verse": (("i", "VI", "III", "VII"),),
                   "chorus": (("VI", "VII", "i", "i"), ("i", "VI", "III", "VII")),
                   "default": (("i", "iv", "VI", "v"),)},
            cadence=("VII", "i"), drums="electronic", bass="offbeat", comp="pluck",
            programs={"chords": 81, "pad": 89, "bass": 38, "lead": 80},
            placement={**_PLACEMENT, "drums": (0.0, -3.0), "bass": (0.0, -5.0), "chords": (-0.3, -11.0),
                       "pad": (0.0, -10.0)},
        ),
    )
}


def get_style(name: str) -> Style:
    style = STYLES.get((name or "").strip().lower())
    if style is None:
        raise InputError(f"unknown style '{name}'; choose one of {', '.join(STYLES)}")
    return style


def loop_for(style: Style, kind: str, index: int) -> tuple[str, ...]:
    """The chord loop of a section: its kind's loops in turn (the second verse may take
    the second loop)."""
    loops = style.loops.get(kind) or style.loops["default"]
    return loops[index % len(loops)]
