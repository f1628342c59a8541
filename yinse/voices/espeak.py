"""``espeak-<code>``: the fallback voice for every language, from espeak-ng.

The espeak-ng shared library and its data come from the ``espeakng-loader`` wheel and
are driven through ctypes; nothing is downloaded and no system espeak is needed.

A phrase is said in one synthesis call, so words run into each other naturally.  The
library is initialised with phoneme events in IPA: every phoneme it speaks comes back
with the sample where it starts, and every word with the character where it starts in
the text, which tells which of our words (or Mandarin syllables) it belongs to.  A word's
phonemes are split into syllables around their vowel phonemes and fitted onto the pieces
the score sings the word in.

Mandarin is said from the syllables' pinyin (``xing1``), one word per syllable, which
espeak's ``cmn`` voice reads with the tone we were given; the few finals it cannot read
are respelled.  Other languages are said word by word from ``LyricSyllable.word``.

espeak-ng keeps one global state (voice, parameters, callback), so every use of the
library in this process goes through one lock.
"""

from __future__ import annotations

import bisect
import ctypes
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

import numpy as np

from ..core.errors import VoiceError
from ..text import LyricSyllable
from .base import SyllableTiming, Utterance, Voice, VoiceInfo
from .ipa import _STRESS, Span, fit_spans, word_spans

# --- speak_lib.h -----------------------------------------------------------------
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
INITIALIZE_PHONEME_IPA = 0x0002
INITIALIZE_DONT_EXIT = 0x8000
CHARS_UTF8 = 1
POS_CHARACTER = 1
EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EVENT_END = 5
EVENT_MSG_TERMINATED = 6
EVENT_PHONEME = 7
PARAM_RATE = 1
PARAM_PITCH = 3
EE_OK = 0


class _EventId(ctypes.Union):
    _fields_ = [
        ("number", ctypes.c_int),  # WORD and SENTENCE events
        ("name", ctypes.c_char_p),  # MARK and PLAY events
        ("string", ctypes.c_char * 8),  # PHONEME events: UTF-8, NUL-terminated unless 8 bytes
    ]


class _Event(ctypes.Structure):
    """``espeak_EVENT``: 6 ints, a pointer, an 8-byte union (40 bytes on 64-bit)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based character position in the text
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms
        ("sample", ctypes.c_int),  # samples since the start of this synthesis
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _VoiceStruct(ctypes.Structure):
    """``espeak_VOICE``."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, NUL-terminated code)*, then 0
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)

# --- tuning ------------------------------------------------------------------------
#: Silence before the first and after the last syllable of a returned utterance.
PAD_S = 0.02
#: Default speaking rate (words per minute; espeak's own default is 175).  A little
#: slower than speech gives longer, steadier vowels for the engine to stretch.
DEFAULT_RATE = 150
#: Frame used to find silence (stop closures) next to phoneme boundaries.
_FRAME_S = 0.002
#: yinse language -> espeak voice code, and back.
YINSE_TO_ESPEAK = {"zh": "cmn", "en": "en-us"}


@dataclass(frozen=True)
class _Ev:
    kind: int
    pos: int  # text_position (1-based character)
    sample: int
    name: str  # phoneme name for PHONEME events


@dataclass(frozen=True)
class _VoiceEntry:
    name: str
    identifier: str
    languages: tuple[tuple[int, str], ...]  # (priority, code); lower priority is better


class _Engine:
    """The process-wide espeak-ng library.  Use only while holding ``_LOCK``."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as error:
            raise VoiceError(
                "the espeak voices need the package espeakng-loader; install it with "
                f"'pip install espeakng-loader' ({error})"
            ) from error
        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data = espeakng_loader.get_data_path()
        except (OSError, RuntimeError) as error:
            raise VoiceError(f"could not load espeak-ng from espeakng-loader ({error})") from error
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_ng_SetPhonemeEvents.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.espeak_ng_SetPhonemeEvents.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_ng_SetRandSeed.restype = None
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_VoiceStruct))

        options = INITIALIZE_PHONEME_EVENTS | INITIALIZE_PHONEME_IPA | INITIALIZE_DONT_EXIT
        sr = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(), options)
        if sr <= 0:
            raise VoiceError(f"espeak-ng failed to initialise with its data at {data} (code {sr})")
        self.lib = lib
        self.sr = int(sr)
        self._chunks: list[np.ndarray] = []
        self._events: list[_Ev] = []
        self._error: BaseException | None = None
        self._callback = _SynthCallback(self._on_synth)  # kept referenced for the process
        lib.espeak_SetSynthCallback(self._callback)
        self.voices = self._list_voices()

    def _list_voices(self) -> list[_VoiceEntry]:
        found = self.lib.espeak_ListVoices(None)
        voices = []
        i = 0
        while found and found[i]:
            v = found[i].contents
            langs = []
            p = v.languages
            while p:
                priority = ctypes.c_ubyte.from_address(p).value
                if priority == 0:
                    break
                code = ctypes.string_at(p + 1)
                langs.append((priority, code.decode("utf-8", "replace").lower()))
                p += 2 + len(code)
            voices.append(
                _VoiceEntry(
                    name=(v.name or b"").decode("utf-8", "replace"),
                    identifier=(v.identifier or b"").decode("utf-8", "replace"),
                    languages=tuple(langs),
                )
            )
            i += 1
        return voices

    def _on_synth(self, wav, n, events) -> int:
        try:
            if n > 0 and wav:
                self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
            i = 0
            while events:
                ev = events[i]
                if ev.type == EVENT_LIST_TERMINATED:
                    break
                name = ""
                if ev.type == EVENT_PHONEME:
                    name = bytes(ev.id.string).split(b"\0", 1)[0].decode("utf-8", "ignore")
                self._events.append(_Ev(ev.type, ev.text_position, ev.sample, name))
                i += 1
            return 0
        except BaseException as error:  # noqa: BLE001 - must not unwind through C
            self._error = error
            return 1  # abort synthesis

    def synth(
        self, identifier: str, text: str, rate: int, pitch: int
    ) -> tuple[np.ndarray, list[_Ev]]:
        lib = self.lib
        # Re-assert the global state each time: another voice may have changed it.
        if lib.espeak_SetVoiceByName(identifier.encode()) != EE_OK:
            raise VoiceError(f"espeak-ng could not load its voice '{identifier}'")
        lib.espeak_SetSynthCallback(self._callback)
        lib.espeak_ng_SetPhonemeEvents(1, 1)
        lib.espeak_SetParameter(PARAM_RATE, int(rate), 0)
        lib.espeak_SetParameter(PARAM_PITCH, int(pitch), 0)
        # Fix espeak's random choices.  Timings still differ by about a millisecond from
        # call to call: the waveform generator carries its pitch phase over.
        lib.espeak_ng_SetRandSeed(1)
        self._chunks, self._events, self._error = [], [], None
        data = text.encode("utf-8") + b"\0"
        buf = ctypes.create_string_buffer(data, len(data))
        status = lib.espeak_Synth(buf, len(data), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        chunks, events, error = self._chunks, self._events, self._error
        self._chunks, self._events, self._error = [], [], None
        if error is not None:
            raise VoiceError(f"espeak-ng synthesis failed in its callback ({error})") from error
        if status != EE_OK:
            raise VoiceError(f"espeak-ng could not synthesise the text (status {status})")
        audio = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
        return audio, events


_LOCK = threading.Lock()
_ENGINE: _Engine | None = None


def _engine_locked() -> _Engine:
    """The engine, created on first use.  Call with ``_LOCK`` held."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


def _voices() -> list[_VoiceEntry]:
    with _LOCK:
        return _engine_locked().voices


def available_languages() -> list[str]:
    """Every language code the shipped espeak-ng voices speak (``en-us``, ``cmn``, ...)."""
    return sorted({code for v in _voices() for _, code in v.languages})


def _resolve(code: str) -> _VoiceEntry:
    """The espeak voice for a language code, a voice identifier (``gmw/en-US``) or its
    file name (``en-US``); case does not matter."""
    want = code.strip().lower()
    voices = _voices()
    best: tuple[int, int, _VoiceEntry] | None = None
    for order, v in enumerate(voices):
        for priority, lang in v.languages:
            if lang == want and (best is None or (priority, order) < best[:2]):
                best = (priority, order, v)
    if best is not None:
        return best[2]
    for v in voices:
        ident = v.identifier.lower()
        if want in (ident, ident.rsplit("/", 1)[-1]):
            return v
    raise VoiceError(
        f"espeak-ng has no voice for language '{code}'; see the codes with "
        "yinse.voices.espeak.available_languages() (e.g. en-us, cmn, de, fr, ja)"
    )


def for_language(lang: str, **kwargs) -> EspeakVoice:
    """The espeak voice for a yinse language (``zh`` -> ``cmn``, ``en`` -> ``en-us``);
    any other code is taken as an espeak-ng code."""
    return EspeakVoice(YINSE_TO_ESPEAK.get(lang.strip().lower(), lang), **kwargs)


# --- phonetics --------------------------------------------------------------------
#: Pinyin that espeak-ng's ``cmn`` cannot read, respelled to the nearest it can.
_CMN_RESPELL = {"m": "mu", "hm": "hen", "hng": "heng", "ê": "ei", "wong": "weng"}
_PINYIN = re.compile(r"^([a-zêü:]+?)([1-5]?)$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def cmn_token(s: LyricSyllable) -> str:
    """What espeak's ``cmn`` voice is given for one Mandarin syllable: its pinyin with
    the tone digit (``xing1``; ü as ``v``), plus ``er5`` for an erhua syllable."""
    if not s.pinyin:
        return s.text
    match = _PINYIN.match(s.pinyin.strip().lower())
    if not match:
        return s.text if _CJK.search(s.text) else s.pinyin
    base, tone = match.group(1).replace("u:", "v").replace("ü", "v"), match.group(2) or "1"
    base = _CMN_RESPELL.get(base, base)
    if base[:1] in "jqx" and base[1:] == "iong":
        base = base[0] + "ong"  # espeak-ng reads xiong/qiong/jiong as English
    token = f"{base}{tone}"
    return f"{token} er5" if s.erhua and not base.endswith("r") else token


# --- the voice --------------------------------------------------------------------
class EspeakVoice(Voice):
    """espeak-ng speaking one language; see the module docstring."""

    def __init__(self, lang: str, *, rate: int = DEFAULT_RATE, pitch: int = 50) -> None:
        if not lang or not lang.strip():
            raise VoiceError("give an espeak-ng language code such as 'en-us' or 'cmn'")
        self._voice = _resolve(YINSE_TO_ESPEAK.get(lang.strip().lower(), lang))
        self.code = lang.strip().lower()
        #: The espeak-ng voice used, e.g. "English (America)" (gmw/en-US).
        self.espeak_voice = f"{self._voice.name} ({self._voice.identifier})"
        self._rate = rate
        self._pitch = pitch
        self.info = self.info_for(self.code)
        self._mandarin = self.info.language == "zh"

    @staticmethod
    def info_for(code: str) -> VoiceInfo:
        """What ``yinse voices`` lists for the espeak voice ``code``, without loading
        espeak-ng (the code is not checked here)."""
        code = code.strip().lower()
        base = code.rsplit("/", 1)[-1]
        if base in ("zh", "cmn") or base.startswith(("cmn-", "zh-cmn")):
            language = "zh"
        elif base == "en" or base.startswith("en-"):
            language = "en"
        else:
            language = code
        return VoiceInfo(
            name=f"espeak-{code}",
            language=language,
            source="espeak-ng (espeakng-loader wheel)",
            licence="GPL-3.0-or-later (espeak-ng)",
            commercial_use=True,
            range_midi=(40, 79),
        )

    available_languages = staticmethod(available_languages)
    for_language = staticmethod(for_language)

    @property
    def sr(self) -> int:
        with _LOCK:
            return _engine_locked().sr

    def _synth(self, text: str) -> tuple[np.ndarray, list[_Ev], int]:
        with _LOCK:
            engine = _engine_locked()
            audio, events = engine.synth(self._voice.identifier, text, self._rate, self._pitch)
            return audio, events, engine.sr

    # ------------------------------------------------------------------ speak
    def speak(self, text: str) -> tuple[np.ndarray, int]:
        if not text or not text.strip():
            raise VoiceError(f"the {self.name} voice was given no text to say")
        audio, _, sr = self._synth(text.strip())
        x = audio.astype(np.float32) / 32768.0
        loud = np.flatnonzero(np.abs(x) > 1e-4)
        if not len(loud):
            raise VoiceError(f"the {self.name} voice said nothing for {text[:40]!r}")
        pad = int(PAD_S * sr)
        return x[max(0, loud[0] - pad) : loud[-1] + 1 + pad], sr

    # ------------------------------------------------------------------ syllables
    def _tokens(self, syllables: Sequence[LyricSyllable]) -> list[tuple[str, int]]:
        """(text to say, number of syllables it covers), in order: one token per
        Mandarin syllable, one per word otherwise.  An erhua syllable is said as its
        syllable plus ``er5`` and sung on the first vowel, the ``er`` closing it."""
        tokens: list[tuple[str, int]] = []
        runs = groupby(syllables, key=lambda s: (s.language == "zh", s.word_index))
        for (mandarin, _), run in runs:
            run = list(run)
            if mandarin:
                tokens += [(cmn_token(s) if self._mandarin else s.text, 1) for s in run]
            else:
                tokens.append((run[0].word or "".join(s.text for s in run), len(run)))
        tokens = [(" ".join(t.split()), n) for t, n in tokens]
        empty = next((i for i, (t, _) in enumerate(tokens) if not t), None)
        if empty is not None:
            raise VoiceError(
                f"word {empty + 1} of the phrase has no text for the {self.name} voice to say"
            )
        return tokens

    def say_syllables(self, syllables: Sequence[LyricSyllable]) -> Utterance:
        if not syllables:
            raise VoiceError(f"the {self.name} voice was given no syllables to say")
        tokens = self._tokens(syllables)
        starts, pos = [], 0
        for t, _ in tokens:
            starts.append(pos)
            pos += len(t) + 1
        text = " ".join(t for t, _ in tokens)
        audio, events, sr = self._synth(text)
        x = audio.astype(np.float32) / 32768.0
        phones, words = _timed_phones(events, len(x), sr)
        if not phones:
            raise VoiceError(f"the {self.name} voice said nothing for {text[:40]!r}")
        _move_boundaries_over_silence(phones, x, sr)

        # Which token each phone belongs to, through the word it was said in.
        token_of = [
            min(max(bisect.bisect_right(starts, max(words[w] - 1, 0)) - 1, 0), len(tokens) - 1)
            for w in range(len(words))
        ]
        # Tokens said together: a token with no word of its own (espeak read it as part
        # of the word before, as with a Chinese compound) joins the group before it.
        groups: list[list] = []  # [first token, last token, phones]
        for name, a, b, w in phones:
            tok = token_of[w] if w >= 0 else 0
            if groups and tok <= groups[-1][1]:
                groups[-1][2].append((name, a, b))
                continue
            if groups:
                groups[-1][1] = tok - 1
            groups.append([tok if groups else 0, tok, [(name, a, b)]])
        groups[-1][1] = len(tokens) - 1

        spans: list[Span] = []
        for first, last, ph in groups:
            pieces = sum(n for _, n in tokens[first : last + 1])
            erhua = any(t.endswith(" er5") for t, _ in tokens[first : last + 1])
            spans.extend(fit_spans(word_spans(ph), pieces, keep_first=erhua))
        spans = _clean(spans, 1.0 / sr)

        # The audio keeps PAD_S before the first and after the last syllable (zeros
        # are added where espeak's own silence is shorter), timings relative to it.
        pad = int(round(PAD_S * sr))
        a = int(np.floor(min(spans[0][0] * sr, _first_loud(x)))) - pad
        b = int(np.ceil(max(spans[-1][3] * sr, _last_loud(x)))) + pad
        before = np.zeros(max(0, -a), np.float32)
        after = np.zeros(max(0, b - len(x)), np.float32)
        audio = np.concatenate([before, x[max(0, a) : b], after])
        off = a / sr
        timings = [SyllableTiming(s - off, ns - off, ne - off, e - off) for s, ns, ne, e in spans]
        return Utterance(audio=audio, sr=sr, syllables=timings)


def _timed_phones(events: list[_Ev], n_samples: int, sr: int) -> tuple[list, list[int]]:
    """Phones ``[name, start_s, end_s, word]`` from the events (a phone lasts until the
    next phoneme or pause starts) and each word's 1-based text position."""
    phones: list[list] = []
    words: list[int] = []
    marks: list[tuple[float, str | None]] = []  # (time, phone name or None for a pause/end)
    for ev in events:
        t = min(max(ev.sample, 0), n_samples) / sr
        if ev.kind == EVENT_WORD:
            words.append(ev.pos)
        elif ev.kind == EVENT_PHONEME:
            if ev.name.startswith("("):  # a language switch, e.g. "(en)"
                continue
            if ev.name.strip(_STRESS):
                phones.append([ev.name, t, t, len(words) - 1])
                marks.append((t, ev.name))
            else:
                marks.append((t, None))  # a pause
        elif ev.kind in (EVENT_END, EVENT_MSG_TERMINATED):
            marks.append((t, None))
    marks.append((n_samples / sr, None))
    k = 0
    for i, (_, name) in enumerate(marks):
        if name is not None:
            phones[k][2] = marks[i + 1][0]
            k += 1
    return [(p[0], p[1], p[2], p[3]) for p in phones], words


def _frame_rms(x: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
    hop = max(1, int(_FRAME_S * sr))
    n = len(x) // hop
    frames = x[: n * hop].reshape(n, hop) if n else np.zeros((0, hop), x.dtype)
    return np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1)), hop


def _move_boundaries_over_silence(phones: list, x: np.ndarray, sr: int) -> None:
    """espeak reports a stop at its burst, so the silent closure before it is counted in
    the phone before.  Where two phones touch and the earlier one ends in silence, move
    the boundary back to where the silence starts (keeping 10 ms of the earlier phone)."""
    rms, hop = _frame_rms(x, sr)
    if not len(rms):
        return
    quiet = max(1e-4, 0.03 * float(np.percentile(rms, 95)))
    for i in range(len(phones) - 1):
        name, a, b, w = phones[i]
        nxt = phones[i + 1]
        if abs(nxt[1] - b) > 1e-9:  # a pause lies between them
            continue
        f = int(b * sr) // hop - 1
        keep = int((a + 0.01) * sr) // hop
        g = f
        while g >= keep and g < len(rms) and rms[g] < quiet:
            g -= 1
        if f - g >= 3:  # at least 6 ms of silence
            t = (g + 1) * hop / sr
            phones[i] = (name, a, t, w)
            phones[i + 1] = (nxt[0], t, nxt[2], nxt[3])


def _first_loud(x: np.ndarray) -> int:
    loud = np.flatnonzero(np.abs(x) > 1e-4)
    return int(loud[0]) if len(loud) else 0


def _last_loud(x: np.ndarray) -> int:
    loud = np.flatnonzero(np.abs(x) > 1e-4)
    return int(loud[-1]) + 1 if len(loud) else len(x)


def _clean(spans: list[Span], eps: float) -> list[Span]:
    """Monotonic, non-overlapping spans with ``start <= ns < ne <= end``."""
    out: list[Span] = []
    prev_end = 0.0
    for s, ns, ne, e in spans:
        s = max(s, prev_end)
        e = max(e, s + 4 * eps)
        ns = min(max(ns, s), e - 2 * eps)
        ne = min(max(ne, ns + eps), e)
        if ne - ns < eps:  # degenerate: the middle half of the syllable
            q = (e - s) / 4
            ns, ne = s + q, e - q
        out.append((s, ns, ne, e))
        prev_end = e
    return out
