"""Lyrics in, finished song out: the song path of the pipeline.

``make_song`` runs, in order: read and check the lyrics and options (nothing is rendered
for bad input); open the voice through the consent gate (scope ``sing``); compose (or fit
the lyrics to a drawn or hummed melody); arrange; sing the vocal with the singing engine;
render the band with a SoundFont; mix, master; and write the folder.  The folder is built
beside its destination under a temporary name and renamed into place at the end, so a
failure leaves no partial folder.  Every audio file goes through the output stage
(watermark, AIGC label, C2PA, registry record) under the song's one render id.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .compose.arrange import Arrangement, arrange
from .compose.sheet import LyricSheet, read_sheet
from .compose.song import Composition, compose, compose_on_melody
from .compose.styles import get_style
from .core.audio import resample
from .core.errors import InputError
from .core.hashing import file_sha256
from .pipeline import Permit, SingRequest, _hash, _sing, _spoken_prompt, open_voice
from .provenance.explicit import with_explicit_label
from .provenance.output import Marker, Provenance, write_outputs

SONG_SR = 48000
#: Mastering leaves room under the −1 dBTP limit for the watermark added afterwards (it sits
#: 36 dB under the music: at most +0.14 dB on a peak).
MASTER_CEILING_DBTP = -1.2
TRUE_PEAK_LIMIT_DBTP = -1.0
MELODY_SUFFIXES = {".json": "curve", ".wav": "hum", ".flac": "hum", ".mp3": "hum", ".ogg": "hum",
                   ".m4a": "hum"}  # fmt: skip
Stage = Callable[[str], None]


@dataclass(frozen=True)
class SongRequest:
    lyrics: str
    voice: str
    style: str = "pop"
    key: str | None = None
    tempo_bpm: float | None = None
    seed: int = 0
    #: A drawn curve (.json) or a hummed recording to take the melody from.
    melody_path: str | None = None
    explicit_label: bool = False

    def render_id(self, melody_sha256: str | None) -> str:
        return _hash({"kind": "song", "lyrics": self.lyrics, "voice": self.voice,
                      "style": self.style, "key": self.key, "tempo_bpm": self.tempo_bpm,
                      "seed": self.seed, "melody_sha256": melody_sha256,
                      "explicit_label": self.explicit_label, "engine": __version__})  # fmt: skip

    def settings(self) -> dict:
        return {"style": self.style, "key": self.key, "tempo_bpm": self.tempo_bpm,
                "seed": self.seed, "melody": Path(self.melody_path).name if self.melody_path else None}  # fmt: skip


@dataclass(frozen=True)
class SongResult:
    folder: Path
    render_id: str
    duration_s: float
    loudness_lufs: float
    true_peak_dbtp: float
    report: dict


def check_song_folder(path: str | os.PathLike) -> Path:
    """The output folder: new, or an existing empty one, in a writable parent."""
    out = Path(path)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(
            f"'{out}' already exists and is not an empty folder; give a new folder name for the song"
        )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(f"cannot write the song folder '{out}': '{parent}' is missing or not writable")
    return out


def prepare(request: SongRequest) -> tuple[LyricSheet, Permit]:
    """Everything that can be refused before any work: lyrics, style, key, tempo, melody
    file, then the voice (the consent gate) and its language."""
    sheet = read_sheet(request.lyrics)
    style = get_style(request.style)
    if request.key is not None:
        from .compose.harmony import parse_key

        parse_key(request.key)
    if request.tempo_bpm is not None and not 40 <= request.tempo_bpm <= 220:
        raise InputError(f"--tempo {request.tempo_bpm:g} is outside 40–220 BPM")
    if request.tempo_bpm is not None and not request.melody_path:
        low, high = style.bpm_range
        if not low / 1.5 <= request.tempo_bpm <= high * 1.5:
            raise InputError(
                f"--tempo {request.tempo_bpm:g} BPM does not suit {style.name} ({low}–{high} BPM); "
                "choose a tempo near that range or another style"
            )
    if request.melody_path:
        melody = Path(request.melody_path)
        if melody.suffix.lower() not in MELODY_SUFFIXES:
            raise InputError(
                f"--melody '{melody.name}': give a drawn curve (.json) or a hummed recording "
                f"({', '.join(s for s, k in MELODY_SUFFIXES.items() if k == 'hum')})"
            )
        if not melody.is_file():
            raise InputError(f"--melody '{melody}' is not a file")
    permit = open_voice(request.voice, "sing")
    if permit.voice.language != sheet.language:
        raise InputError(
            f"the lyrics are in '{sheet.language}' but the voice '{request.voice}' sings "
            f"'{permit.voice.language}'; choose a voice for the lyrics' language"
        )
    return sheet, permit


def compose_for(request: SongRequest, sheet: LyricSheet, range_midi: tuple[int, int]) -> Composition:
    if not request.melody_path:
        return compose(sheet, style=request.style, range_midi=range_midi, key=request.key,
                       bpm=request.tempo_bpm, seed=request.seed)  # fmt: skip
    from .compose.harmony import parse_key

    key = parse_key(request.key) if request.key else None
    hint = (key.fifths, key.mode) if key else None
    path = Path(request.melody_path)
    if MELODY_SUFFIXES[path.suffix.lower()] == "curve":
        from .formats.curve import read_curve

        melody = read_curve(path.read_bytes(), source=path.name, bpm=request.tempo_bpm, key=hint)
    else:
        from .formats.hum import read_hum

        melody = read_hum(path, bpm=request.tempo_bpm, key=hint)
    return compose_on_melody(sheet, melody, style=request.style, range_midi=range_midi, seed=request.seed)


def make_song(request: SongRequest, out_dir: str | os.PathLike, *, stage: Stage | None = None) -> SongResult:
    from .formats import write_midi, write_musicxml
    from .render import master, mix, render_tracks, vocal_chain

    say = stage or (lambda _: None)
    out = check_song_folder(out_dir)
    sheet, permit = prepare(request)
    melody_sha = file_sha256(request.melody_path) if request.melody_path else None
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now

    render_id = permit.render_id(request.render_id(melody_sha))
    provenance = Provenance(render_id, "song", voice=request.voice, consent_id=permit.consent_id,
                            settings=request.settings())  # fmt: skip
    say("composing")
    comp = compose_for(request, sheet, permit.voice.info.range_midi)
    band = arrange(comp)
    lap("compose_s")
    # Every stem is watermarked (the band's while the vocal is sung), and the mix is the sum of
    # the marked stems, so the mix, any remix of the stems and each stem alone carry the
    # song's mark.  Levels, pans and ducking applied after marking are slow gains the mark
    # survives (the tests detect it in the written stems).
    with Marker(SONG_SR, provenance) as marker:
        say("playing the band")
        stems = render_tracks(band.to_midi(with_vocal=False), sr=SONG_SR)
        pending = {name: marker.submit(audio) for name, audio in stems.items()}
        lap("band_s")
        say("singing")
        render = _sing(SingRequest(comp.vocal, request.voice, seed=request.seed), permit, None)
        skip = int(round(render.offset_s * render.sr))
        vocal = resample(render.audio[skip:], render.sr, SONG_SR).astype(np.float32)
        lap("sing_s")
        say("mixing")
        length = max(len(a) for a in stems.values())
        sung = vocal_chain(np.pad(vocal, (0, max(0, length - len(vocal)))), sr=SONG_SR, style=comp.style.name)
        gains = _levels(sung, stems, comp.style.placement)
        sung = marker.submit(sung).result()
        stems = {name: future.result() for name, future in pending.items()}
    lap("mark_s")
    mixdown, placed = mix(sung, stems, sr=SONG_SR, pans={k: v[0] for k, v in comp.style.placement.items()},
                    gains_db=gains, bed_under_vocal_db=None)  # fmt: skip
    say("mastering")
    mastered, mastering = master(mixdown, sr=SONG_SR, ceiling_dbtp=MASTER_CEILING_DBTP)
    if request.explicit_label:
        mastered = with_explicit_label(mastered, SONG_SR, _spoken_prompt(permit.voice.language, SONG_SR))
    mastered, final_tp, trim_db = _under_true_peak(mastered)
    lap("mix_master_s")

    report = _report(request, comp, band, mastering, {n: _level_db(a) for n, a in placed.items()}, timings)
    report["master"].update(true_peak_dbtp=round(final_tp, 2),
                            loudness_lufs=round(mastering.loudness_lufs - trim_db, 2))  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-song-", dir=out.parent if str(out.parent) else "."))
    try:
        say("writing")
        (tmp / "score.musicxml").write_bytes(write_musicxml(comp.vocal))
        (tmp / "score.mid").write_bytes(write_midi(comp.vocal))
        (tmp / "arrangement.mid").write_bytes(band.to_midi(with_vocal=True))
        (tmp / "stems").mkdir()
        write_outputs(
            [(mastered, tmp / "song.mp3"), (mastered, tmp / "song.wav"), (mastered, tmp / "song.flac")]
            + [(audio, tmp / "stems" / f"{name}.wav") for name, audio in placed.items()],
            SONG_SR, provenance,
        )  # fmt: skip
        lap("write_s")
        report["timings"] = timings
        report["render_id"] = render_id
        (tmp / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
        (tmp / "report.md").write_text(_report_text(report), "utf-8")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    permit.audit(render_id, out.name)
    return SongResult(out, render_id, len(mastered) / SONG_SR, report["master"]["loudness_lufs"],
                      report["master"]["true_peak_dbtp"], report)  # fmt: skip


def _under_true_peak(audio: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The master, its true peak and the trim (dB) applied: a plain gain (which keeps the
    watermark) in case the limiter's margin was not enough."""
    from .render.master import true_peak_dbtp

    peak = true_peak_dbtp(audio, sr=SONG_SR)
    over = peak - (TRUE_PEAK_LIMIT_DBTP - 0.02)
    if over <= 0:
        return audio, peak, 0.0
    return audio * np.float32(10 ** (-over / 20)), peak - over, over


def _levels(vocal: np.ndarray, stems: dict[str, np.ndarray], placement: dict) -> dict[str, float]:
    """Gain per stem that puts its loudness where the style wants it relative to the vocal
    (SoundFont presets differ in level by 20 dB and more)."""
    from .render.master import loudness_lufs

    def level(audio: np.ndarray) -> float:
        # mono at a quarter of the rate: a level to balance by, ten times cheaper than full
        return loudness_lufs(audio.mean(axis=1)[::4] if audio.ndim == 2 else audio[::4], sr=SONG_SR // 4)

    vocal_lufs = level(vocal)
    gains = {}
    for name, audio in stems.items():
        stem_lufs = level(audio)
        if np.isfinite(stem_lufs) and name in placement:
            gains[name] = float(np.clip(placement[name][1] + vocal_lufs - stem_lufs, -40, 24))
    return gains


def _level_db(audio: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return round(20 * np.log10(max(rms, 1e-10)), 1)


def _report(request, comp: Composition, band: Arrangement, mastering, stem_levels, timings) -> dict:
    fits = [x.score.tone_fit for x in comp.lines if x.score.tone_fit is not None]
    strong = [x.score.chord_tones for x in comp.lines]
    return {
        "title": comp.vocal.title, "voice": request.voice, "style": comp.style.name,
        "language": comp.sheet.language, "key": comp.key.name, "tempo_bpm": comp.bpm,
        "seed": comp.seed, "melody": request.settings()["melody"] or "composed",
        "bars": len(comp.bars), "duration_s": round(comp.vocal.seconds_at(comp.duration_beats), 2),
        "form": _form(comp),
        "lines": [{"text": x.line.text, "section": x.section, "syllables": len(x.line.syllables),
                   "start_beats": x.start_beats, "tone_fit": _round(x.score.tone_fit),
                   "strong_beat_chord_tones": round(x.score.chord_tones, 2)} for x in comp.lines],
        "tone_fit_mean": _round(float(np.mean(fits)) if fits else None),
        "strong_beat_chord_tones": round(float(np.mean(strong)), 3) if strong else None,
        "chords": [b.numeral for b in comp.bars],
        "tracks": {t.name: {"program": t.program, "notes": len(t.notes)} for t in band.tracks},
        "stems_rms_db": stem_levels,
        "master": {"loudness_lufs": round(mastering.loudness_lufs, 2),
                   "true_peak_dbtp": round(mastering.true_peak_dbtp, 2),
                   "gain_db": round(mastering.gain_db, 2), "limited_db": round(mastering.limited_db, 2)},
        "timings": timings,
    }  # fmt: skip


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def _form(comp: Composition) -> list[dict]:
    form: list[dict] = []
    for bar in comp.bars:
        if form and form[-1]["section"] == bar.section and not bar.first_of_section:
            form[-1]["bars"] += 1
        else:
            form.append({"section": bar.section, "bars": 1})
    return form


def _report_text(report: dict) -> str:
    form = " · ".join(f"{f['section']} {f['bars']}" for f in report["form"])
    lines = [
        f"# {report['title']}", "",
        f"- voice {report['voice']}, style {report['style']}, key {report['key']}, "
        f"{report['tempo_bpm']:g} BPM, seed {report['seed']}, melody {report['melody']}",
        f"- {report['duration_s']:.1f} s, {report['bars']} bars: {form}",
        f"- loudness {report['master']['loudness_lufs']} LUFS, true peak "
        f"{report['master']['true_peak_dbtp']} dBTP",
        f"- strong-beat melody notes on chord tones: {report['strong_beat_chord_tones']}",
    ]  # fmt: skip
    if report["tone_fit_mean"] is not None:
        lines.append(f"- tone–melody fit (0–1, mean over lines): {report['tone_fit_mean']}")
    lines += ["", "| line | section | syllables | tone fit |", "|---|---|---|---|"]
    lines += [f"| {x['text']} | {x['section']} | {x['syllables']} | {x['tone_fit'] if x['tone_fit'] is not None else '–'} |"
              for x in report["lines"]]  # fmt: skip
    lines += ["", "Timings (s): " + ", ".join(f"{k} {v}" for k, v in report["timings"].items()),
              f"Render id: {report.get('render_id', '')}", ""]  # fmt: skip
    return "\n".join(lines)
