"""A lyrics file read into a song's sections and sung syllables.

A lyrics file is plain UTF-8 text in Mandarin or English.  Section tags on their own line
(``[intro]``, ``[verse]``, ``[pre-chorus]``, ``[chorus]``, ``[bridge]``, ``[outro]``) start
a section; without tags, blank lines separate sections and a block that repeats is the
chorus.  Each line is one sung phrase.  The syllables keep what the composer needs: the
tone of each Mandarin syllable (for the tone–melody fit), the stress of each English one
(stressed syllables go on strong beats) and the text that goes under each note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.errors import InputError
from ..text.syllable import LyricSyllable

SECTION_KINDS = ("intro", "verse", "pre-chorus", "chorus", "bridge", "outro")
#: Beyond this a file is not a song (a 3-minute song has 20–40 lines).
MAX_LINES = 200
#: A line is one breath; longer ones are split by the writer, not guessed by us.
MAX_SYLLABLES_PER_LINE = 24
_TAG = re.compile(r"^\s*\[\s*([A-Za-z\- ]+?)\s*(\d*)\s*\]\s*$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ALIASES = {"prechorus": "pre-chorus", "pre chorus": "pre-chorus", "hook": "chorus",
            "refrain": "chorus", "interlude": "bridge", "ending": "outro"}  # fmt: skip


@dataclass(frozen=True)
class SungSyllable:
    """One syllable: ``text`` goes under its note; ``syllabic`` rebuilds English words."""

    text: str
    syllabic: str = "single"
    tone: int | None = None  # Mandarin 1–5
    stress: int | None = None  # English 0, 1, 2 (CMUdict); None when unknown
    word: str = ""  # the whole English word (for rhymes)
    pinyin: str | None = None  # Mandarin reading with tone digit
    erhua: bool = False

    def as_lyric_syllable(self, language: str) -> LyricSyllable:
        """The text front end's view of this syllable (what the rhyme module reads)."""
        return LyricSyllable(text=self.text, language=language, phones=(), word=self.word or self.text,
                             word_index=0, pinyin=self.pinyin, tone=self.tone, erhua=self.erhua,
                             stress=self.stress)  # fmt: skip


@dataclass(frozen=True)
class LyricLine:
    text: str
    number: int  # line number in the file, for messages
    syllables: tuple[SungSyllable, ...]


@dataclass(frozen=True)
class Section:
    kind: str
    lines: tuple[LyricLine, ...]

    @property
    def key(self) -> str:
        """Sections with the same kind and words share their melody (a repeated chorus)."""
        return self.kind + "|" + "/".join(line.text for line in self.lines)


@dataclass(frozen=True)
class LyricSheet:
    language: str
    sections: tuple[Section, ...]
    title: str = ""

    @property
    def lines(self) -> list[LyricLine]:
        return [line for s in self.sections for line in s.lines]


def read_sheet(text: str, *, source: str = "the lyrics", language: str | None = None) -> LyricSheet:
    """Parse lyrics text; ``language`` ("zh" or "en") overrides the guess from the script."""
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    content = [ln for ln in raw_lines if ln.strip() and not _TAG.match(ln)]
    if not content:
        raise InputError(f"{source} has no lyrics; write one sung line per line of text")
    if len(content) > MAX_LINES:
        raise InputError(
            f"{source} has {len(content)} lines; a song takes at most {MAX_LINES} — split it "
            "into several songs"
        )
    if language is None:
        language = "zh" if any(_CJK.search(ln) for ln in content) else "en"
    if language not in ("zh", "en"):
        raise InputError(f"lyrics language '{language}' is not supported; use zh or en")
    blocks = _blocks(raw_lines, source)
    sections = []
    for kind, lines in blocks:
        parsed = tuple(_line(text_, number, language, source) for number, text_ in lines)
        sections.append(Section(kind, parsed))
    if not any(s.lines for s in sections):
        raise InputError(f"{source} has section tags but no lines to sing")
    sections = _name_untagged(sections)
    return LyricSheet(language=language, sections=tuple(s for s in sections if s.lines))


def _blocks(raw_lines: list[str], source: str) -> list[tuple[str, list[tuple[int, str]]]]:
    """Sections as (kind or '' when untagged, [(line number, text)])."""
    blocks: list[tuple[str, list[tuple[int, str]]]] = []
    current: tuple[str, list[tuple[int, str]]] | None = None
    tagged = False
    for number, line in enumerate(raw_lines, start=1):
        tag = _TAG.match(line)
        if tag:
            kind = tag.group(1).strip().lower()
            kind = _ALIASES.get(kind, kind)
            if kind not in SECTION_KINDS:
                raise InputError(
                    f"{source}, line {number}: unknown section tag '[{tag.group(1)}]'; use one "
                    f"of {', '.join('[' + k + ']' for k in SECTION_KINDS)}"
                )
            current = (kind, [])
            blocks.append(current)
            tagged = True
        elif not line.strip():
            if not tagged and current is not None and current[1]:
                current = None  # a blank line ends an untagged block
        else:
            if current is None:
                current = ("", [])
                blocks.append(current)
            current[1].append((number, line.strip()))
    return blocks


def _name_untagged(sections: list[Section]) -> list[Section]:
    """Untagged blocks: one that repeats is the chorus, the others verses."""
    texts = [s.key for s in sections]
    out = []
    for s in sections:
        if s.kind:
            out.append(s)
            continue
        repeated = texts.count(s.key) > 1
        out.append(Section("chorus" if repeated else "verse", s.lines))
    return out


def _line(text: str, number: int, language: str, source: str) -> LyricLine:
    where = f"{source}, line {number} ('{text[:30]}')"
    syllables = _zh_syllables(text, where) if language == "zh" else _en_syllables(text, where)
    if not syllables:
        raise InputError(f"{where} has nothing singable; write words or remove the line")
    if len(syllables) > MAX_SYLLABLES_PER_LINE:
        raise InputError(
            f"{where} has {len(syllables)} syllables; at most {MAX_SYLLABLES_PER_LINE} fit one "
            "sung line — break it into two lines"
        )
    return LyricLine(text=text, number=number, syllables=tuple(syllables))


def _zh_syllables(text: str, where: str) -> list[SungSyllable]:
    from ..text.latin_in_mandarin import LATIN_TOKEN
    from ..text.mandarin import hanzi_to_pinyin, normalize

    if not _CJK.search(text) and LATIN_TOKEN.search(text):
        raise InputError(
            f"{where} is English in Mandarin lyrics; write one language per song (an English "
            "word inside a Chinese line is sung in Mandarin syllables)"
        )
    try:
        readings = hanzi_to_pinyin(normalize(text))
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    return [SungSyllable(text=char, tone=int(py[-1]) if py[-1].isdigit() else 5, pinyin=py,
                         erhua=erhua) for char, py, erhua in readings]  # fmt: skip


def _en_syllables(text: str, where: str) -> list[SungSyllable]:
    from ..text.english import clean_word, count_syllables, is_vowel, word_phones

    if _CJK.search(text):
        raise InputError(f"{where} mixes Chinese into English lyrics; write one language per song")
    if re.search(r"\d", text):
        raise InputError(f"{where} has digits; write the number as words")
    out: list[SungSyllable] = []
    for token in text.split():
        word = clean_word(token)
        if not word:
            continue
        phones = word_phones(word)
        stresses = [int(p[-1]) for p in phones if is_vowel(p)] or [None] * count_syllables(word)
        pieces = split_spelling(word, len(stresses))
        if len(pieces) < len(stresses):  # "I've" said in more syllables than letters
            stresses = [max((x or 0) for x in stresses)] * len(pieces)
        for k, (piece, stress) in enumerate(zip(pieces, stresses)):
            if len(pieces) == 1:
                syllabic = "single"
            else:
                syllabic = "begin" if k == 0 else "end" if k == len(pieces) - 1 else "middle"
            out.append(SungSyllable(text=piece, syllabic=syllabic, stress=stress, word=word))
    return out


def split_spelling(word: str, n: int) -> list[str]:
    """The spelling of ``word`` cut into ``n`` pieces for the notes ("beau-ti-ful"): before
    the consonant that precedes each later vowel group, or evenly when the spelling has too
    few vowel groups.  The pieces always join back into the word; a word with fewer letters
    than syllables gets one piece per letter."""
    n = max(1, min(n, len(word)))
    groups = [m.start() for m in re.finditer(r"[aeiouyAEIOUY]+", word)]
    cuts: list[int] = []
    if len(groups) >= n:
        for start in groups[1:n]:
            cuts.append(start - 1 if start - 1 > (cuts[-1] if cuts else 0) else start)
    if len(cuts) != n - 1 or sorted(set(cuts)) != cuts or (cuts and cuts[0] <= 0):
        cuts = [round(len(word) * k / n) for k in range(1, n)]
    bounds = [0] + cuts + [len(word)]
    return [word[a:b] for a, b in zip(bounds, bounds[1:])]
