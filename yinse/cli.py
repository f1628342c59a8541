"""``yinse``: the command-line front.  Thin: every command builds a request and hands it to
:mod:`yinse.pipeline`.  A user error prints one line on stderr and exits with code 2."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import typer

from .core.errors import YinseError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Yinse (音色): sing, speak and prove it, offline.",
    pretty_exceptions_enable=False,
)


def _user_errors(func):
    """One line on stderr and exit code 2 for anything the user can fix."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except YinseError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None

    return wrapper


def _progress(label: str, unit: str = "phrases"):
    """A rich progress bar on stderr; returns (context manager, callback)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total} " + unit),
        TimeElapsedColumn(), console=Console(stderr=True), transient=True,
    )  # fmt: skip
    task = progress.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return progress, update


@app.command()
@_user_errors
def voices() -> None:
    """List the voices: language, where they come from, licence."""
    from rich.console import Console
    from rich.table import Table

    from .voices import base_voice_infos

    table = Table(title="Yinse voices")
    for column in ("name", "language", "source", "licence", "commercial use", "range"):
        table.add_column(column)
    for info in base_voice_infos():
        low, high = info.range_midi
        table.add_row(
            info.name, info.language, info.source, info.licence,
            "yes" if info.commercial_use else "NO (non-commercial only)", f"MIDI {low}–{high}",
        )  # fmt: skip
    for record in _enrolled_voices():
        table.add_row(
            record.name, record.language, f"enrolled: {record.owner_name} (on {record.base_voice})",
            "the owner's consent", "per consent (yinse voice show)", "—",
        )  # fmt: skip
    Console(width=160).print(table)
    typer.echo("Any espeak-ng language works as espeak-<code> (e.g. espeak-de, espeak-ja).")


def _enrolled_voices() -> list:
    from .registry import Registry

    return Registry().list_voices()


def _echo_written(record) -> None:
    """The line every render prints, and for an output under MIN_DETECT_S a note on whether
    its watermark reads back (it does from some short clips: docs/WATERMARK.md)."""
    from .provenance.watermark import MIN_DETECT_S

    typer.echo(f"{record.path}  ({record.duration_s:.1f} s, {record.sr} Hz, payload {record.payload_hex})")
    for note in record.notes:
        typer.echo(f"note: {note}", err=True)
    if record.duration_s < MIN_DETECT_S:
        if _mark_reads_back(record):
            note = (f"the watermark reads back from this file, but under {MIN_DETECT_S:g} s a cut or "
                    "re-encoded copy may not read")  # fmt: skip
        else:
            note = (f"the watermark is in the file, but audio under {MIN_DETECT_S:g} s is too short "
                    "to read it back")  # fmt: skip
        typer.echo(f"note: {note}; its C2PA signature, AIGC label and registry record still identify it", err=True)


def _mark_reads_back(record) -> bool:
    from .provenance import watermark
    from .provenance.output import watermark_key
    from .provenance.verify import read_audio

    audio, sr = read_audio(Path(record.path))
    return watermark.detect(audio, sr, key=watermark_key()).payload == bytes.fromhex(record.payload_hex)


@app.command()
@_user_errors
def sing(
    score: Path = typer.Argument(..., help="MusicXML (.musicxml/.xml/.mxl), MIDI, UST or .notes"),
    voice: str = typer.Option(..., "--voice", "-v", help="voice name (see 'yinse voices')"),
    output: Path = typer.Option(..., "--output", "-o", help="output audio (.wav, .flac, .ogg, .mp3)"),
    key: str = typer.Option("0", "--key", help="transpose by semitones, e.g. +2, or 'auto' (where the voice sounds most like itself)"),
    tempo: float | None = typer.Option(None, "--tempo", help="tempo in BPM (scales tempo changes)"),
    plot: Path | None = typer.Option(None, "--plot", help="also write pitch over spectrogram (.png)"),
    lyrics: Path | None = typer.Option(None, "--lyrics", help="lyrics text placed one syllable per note"),
    verse: int = typer.Option(1, "--verse", help="which verse of a MusicXML score to sing"),
    vibrato: float = typer.Option(25.0, "--vibrato", help="vibrato depth in cents (0 = none)"),
    seed: int = typer.Option(0, "--seed", help="seed for the small random pitch and level motion"),
    explicit_label: bool = typer.Option(False, "--explicit-label", help="add the audible AI notice at start and end"),
) -> None:
    """Sing a score in a voice."""
    from .formats import load_score
    from .pipeline import SingRequest, sing_to_file
    from .synth.pitch import Expression

    loaded = load_score(score, lyrics_path=lyrics, verse=verse)
    request = SingRequest(
        loaded, voice, key_shift=key, tempo_bpm=tempo,
        expression=Expression(vibrato_depth_cents=vibrato), seed=seed, explicit_label=explicit_label,
    )  # fmt: skip
    bar, update = _progress("singing")
    with bar:
        record = sing_to_file(request, output, plot_path=plot, progress=update)
    _echo_written(record)
    if plot:
        typer.echo(f"{plot}  (pitch plot)")


@app.command()
@_user_errors
def speak(
    text: str = typer.Argument(..., help="what to say"),
    voice: str = typer.Option(..., "--voice", "-v", help="voice name (see 'yinse voices')"),
    output: Path = typer.Option(..., "--output", "-o", help="output audio (.wav, .flac, .ogg, .mp3)"),
    explicit_label: bool = typer.Option(False, "--explicit-label", help="add the audible AI notice at start and end"),
) -> None:
    """Say text in a voice."""
    from .pipeline import SpeakRequest, speak_to_file

    record = speak_to_file(SpeakRequest(text, voice, explicit_label=explicit_label), output)
    _echo_written(record)


@app.command()
@_user_errors
def verify(
    file: Path = typer.Argument(..., help="an audio file (WAV, FLAC, Ogg, MP3)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Say what a file is: watermark, registry record, C2PA signature, labels."""
    import json

    from .provenance.verify import format_report, verify_file

    report = verify_file(file)
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else format_report(report))


@app.command()
@_user_errors
def mark(
    source: Path = typer.Argument(..., help="audio made or edited outside Yinse"),
    output: Path = typer.Option(..., "--output", "-o", help="marked output (.wav, .flac, .ogg, .mp3)"),
    payload: str | None = typer.Option(None, "--payload", help="64-bit payload as 16 hex digits"),
    explicit_label: bool = typer.Option(False, "--explicit-label", help="add the audible AI notice"),
) -> None:
    """Watermark, label, sign and record an existing audio file."""
    from .pipeline import mark_file

    record = mark_file(source, output, payload_hex=payload, explicit_label=explicit_label)
    note = " (it already carried this watermark: kept one mark)" if record.already_marked else ""
    typer.echo(f"{record.path}  payload {record.payload_hex}{note}")


@app.command()
@_user_errors
def song(
    lyrics: Path = typer.Argument(..., help="lyrics text (Mandarin or English; [verse], [chorus] … tags optional)"),
    voice: str = typer.Option(..., "--voice", "-v", help="voice name (see 'yinse voices')"),
    output: Path = typer.Option(..., "--output", "-o", help="new folder for the song"),
    style: str = typer.Option("pop", "--style", help="pop, ballad, rock, folk, guofeng or electronic"),
    key: str | None = typer.Option(None, "--key", help="key, e.g. D, Eb, F#m (default: suits the voice)"),
    tempo: float | None = typer.Option(None, "--tempo", help="tempo in BPM (default: the style's)"),
    seed: int = typer.Option(0, "--seed", help="another seed writes another melody"),
    melody: Path | None = typer.Option(None, "--melody", help="take the melody from a drawn curve (.json) or a hum (audio)"),
    explicit_label: bool = typer.Option(False, "--explicit-label", help="add the audible AI notice at start and end"),
) -> None:
    """Write, arrange, sing, mix and master a song from lyrics."""
    from rich.console import Console

    from .formats import read_lyrics_file
    from .songs import SongRequest, make_song

    request = SongRequest(
        read_lyrics_file(lyrics), voice, style=style, key=key, tempo_bpm=tempo, seed=seed,
        melody_path=str(melody) if melody else None, explicit_label=explicit_label,
    )  # fmt: skip
    console = Console(stderr=True)
    with console.status("composing") as status:
        result = make_song(request, output, stage=status.update)
    r = result.report
    typer.echo(
        f"{result.folder}/  ({result.duration_s:.1f} s, {r['style']}, key {r['key']}, "
        f"{r['tempo_bpm']:g} BPM, {result.loudness_lufs:.1f} LUFS, {result.true_peak_dbtp:.1f} dBTP, "
        f"render {result.render_id[:16]})"
    )


@app.command()
@_user_errors
def compose(
    lyrics: Path = typer.Argument(..., help="lyrics text (Mandarin or English)"),
    output: Path = typer.Option(..., "--output", "-o", help="the vocal score (.musicxml, .mxl, .mid or .notes)"),
    voice: str | None = typer.Option(None, "--voice", "-v", help="write for this voice's range (default baker or joe)"),
    style: str = typer.Option("pop", "--style", help="pop, ballad, rock, folk, guofeng or electronic"),
    key: str | None = typer.Option(None, "--key", help="key, e.g. D, Eb, F#m"),
    tempo: float | None = typer.Option(None, "--tempo", help="tempo in BPM"),
    seed: int = typer.Option(0, "--seed", help="another seed writes another melody"),
    melody: Path | None = typer.Option(None, "--melody", help="take the melody from a drawn curve (.json) or a hum"),
) -> None:
    """Write only the vocal score of a song, to edit and sing later."""
    from .formats import SAVE_EXTENSIONS, read_lyrics_file, save_score
    from .songs import SongRequest, compose_for, prepare

    if output.suffix.lower() not in SAVE_EXTENSIONS:
        raise _usage(f"cannot write '{output.name}': use one of {', '.join(SAVE_EXTENSIONS)}")
    text = read_lyrics_file(lyrics)
    if voice is None:
        from .compose.sheet import read_sheet

        voice = "baker" if read_sheet(text).language == "zh" else "joe"
    request = SongRequest(text, voice, style=style, key=key, tempo_bpm=tempo, seed=seed,
                          melody_path=str(melody) if melody else None)  # fmt: skip
    sheet, permit = prepare(request)
    composition = compose_for(request, sheet, permit.voice.info.range_midi)
    save_score(composition.vocal, output)
    typer.echo(f"{output}  ({len(composition.vocal.notes)} notes, key {composition.key.name}, "
               f"{composition.bpm:g} BPM)")  # fmt: skip


@app.command()
@_user_errors
def convert(
    source: Path = typer.Argument(..., help="a dry vocal: a cappella singing or speech (any format, up to 10 min)"),
    to: str = typer.Option(..., "--to", help="the target voice (enrolled with convert consent, or baker/joe)"),
    output: Path = typer.Option(..., "--output", "-o", help="output audio (.wav, .flac, .ogg, .mp3)"),
    key: str = typer.Option("0", "--key", help="semitones, e.g. +3, or 'auto' (to the target's speaking pitch)"),
    keep_breath: bool = typer.Option(False, "--keep-breath", help="keep the singer's own breaths"),
    lyrics: Path | None = typer.Option(None, "--lyrics", help="the words it says or sings (UTF-8 text, up to 2 min of audio): baker or joe says them itself on the input's timing; an enrolled voice's own phones play them"),
    clarity: float = typer.Option(0.0, "--clarity", help="0 to 0.5: share of the input's own articulation kept where no lyrics guide the frames; clearer words, less of the target's timbre (at 0.5: pocketsphinx's word errors on 20 English sentences 100 % -> 31 %, likeness to the target 0.69 -> 0.65)"),
    explicit_label: bool = typer.Option(False, "--explicit-label", help="add the audible AI notice at start and end"),
) -> None:
    """Sing or say a recording again in another (consented) voice, keeping melody and timing."""
    from .formats import read_lyrics_file
    from .pipeline import ConvertRequest, convert_to_file

    words = read_lyrics_file(lyrics) if lyrics is not None else None
    bar, update = _progress("converting", "parts")
    with bar:
        request = ConvertRequest(str(source), to, key, keep_breath, explicit_label, words, clarity)
        record = convert_to_file(request, output, progress=update)
    _echo_written(record)


lyrics_app = typer.Typer(help="Lyrics tools.", no_args_is_help=True)
app.add_typer(lyrics_app, name="lyrics")


@lyrics_app.command("check")
@_user_errors
def lyrics_check(
    lyrics: Path = typer.Argument(..., help="lyrics text (Mandarin or English)"),
    score: Path | None = typer.Option(None, "--score", help="a score of these lyrics: also judge its tone–melody fit"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Syllables per line, rhyme and rhyme scheme, and the tone–melody fit of a score."""
    import json
    from dataclasses import asdict

    from .compose.check import check_lyrics, format_check
    from .compose.sheet import read_sheet
    from .formats import load_score, read_lyrics_file

    sheet = read_sheet(read_lyrics_file(lyrics), source=str(lyrics))
    checks = check_lyrics(sheet, load_score(score) if score else None)
    if as_json:
        typer.echo(json.dumps([asdict(c) for c in checks], ensure_ascii=False, indent=2))
    else:
        typer.echo(format_check(sheet, checks))


voice_app = typer.Typer(
    help="Enrolled voices: clone a person's voice with their verified consent.", no_args_is_help=True
)
app.add_typer(voice_app, name="voice")


@voice_app.command("script")
@_user_errors
def voice_script(
    lang: str = typer.Option(..., "--lang", help="zh or en"),
    output: Path | None = typer.Option(None, "--output", "-o", help="write the script here (.txt)"),
) -> None:
    """The guided reading script (about 4–5 minutes) that covers what a voice needs."""
    import os

    from .core.atomic import temp_beside
    from .enroll.script import coverage, format_script, reading_seconds, script_lines

    text = format_script(lang)
    if output is None:
        typer.echo(text)
        return
    if not output.parent.is_dir() or output.is_dir():
        raise _usage(f"cannot write the script to '{output}': give a file in an existing folder")
    with temp_beside(output) as tmp:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, output)
    lines = [line.text for line in script_lines(lang)]
    typer.echo(f"{output}  ({len(lines)} lines, about {reading_seconds(lines, lang) / 60:.1f} min to read)")
    typer.echo(coverage(lines, lang).summary())


@voice_app.command("enroll")
@_user_errors
def voice_enroll(
    name: str = typer.Argument(..., help="name of the new voice (2–32 of a-z 0-9 - _)"),
    lang: str = typer.Option(..., "--lang", help="zh or en"),
    audio: list[Path] = typer.Option(..., "--audio", help="recordings: files or folders (repeatable)"),
    owner: str = typer.Option(..., "--owner", help="the person whose voice this is"),
    transcripts: Path | None = typer.Option(None, "--transcripts", help="TSV: file<TAB>text[<TAB>pinyin]; a file over 30 s with its whole text (a passage) is matched sentence by sentence"),
    min_speech: float = typer.Option(30.0, "--min-speech", help="least speech to accept (seconds)"),
) -> None:
    """Build a voice from 2–5 minutes of recordings; consent is recorded next."""
    from rich.console import Console
    from rich.progress import Progress

    from .enroll.build import enroll

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("enrolling", total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        result = enroll(name, language=lang, inputs=audio, owner=owner, transcripts=transcripts,
                        min_speech_s=min_speech, progress=update)  # fmt: skip
    typer.echo(result.quality.table())
    typer.echo(result.coverage.summary())
    for rec, why in result.dropped.items():
        typer.echo(f"dropped {rec}: {why}")
    if result.unread_pinyin:
        names = list(result.unread_pinyin)
        typer.echo(f"pinyin not followed for {len(names)} recordings (their text was read as written; "
                   f"see the manifest for why): {', '.join(names[:8])}{' …' if len(names) > 8 else ''}")  # fmt: skip
    typer.echo(f"voice '{name}' built from {len(result.used)} recordings ({result.speech_s:.0f} s of "
               f"speech) in {result.seconds['total']:.0f} s; quality plot: {result.bank_folder / 'quality.png'}")  # fmt: skip
    typer.echo(f"next: the owner records their consent — yinse voice consent {name}")


@voice_app.command("consent")
@_user_errors
def voice_consent(
    name: str = typer.Argument(..., help="the enrolled voice"),
    audio: Path | None = typer.Option(None, "--audio", help="the owner's recording of the statement"),
    challenge: str | None = typer.Option(None, "--challenge", help="the challenge id the recording answers"),
    attested_by: str | None = typer.Option(None, "--attested-by", help="operator attesting a consent (lower trust)"),
    scopes: str = typer.Option("sing,speak,convert", "--scopes", help="what the consent allows"),
    commercial: bool = typer.Option(False, "--commercial", help="the owner allows commercial use"),
    expires: str | None = typer.Option(None, "--expires", help="last day of the consent, YYYY-MM-DD"),
    document: Path | None = typer.Option(None, "--document", help="signed licence (with --attested-by)"),
    record: bool = typer.Option(False, "--record", help="record the statement from the microphone now"),
) -> None:
    """Record the owner's consent: without options, show the statement and a fresh challenge
    to read; with --audio and --challenge, verify the recording and store the consent;
    with --record, show a challenge, record the owner from the microphone and verify it."""
    from .enroll import consent as c

    until = _end_of_day(expires) if expires else None
    if attested_by is not None:
        if audio or challenge:
            raise _usage("--attested-by does not go with --audio/--challenge; choose one kind of consent")
        record = c.attest_consent(name, attested_by=attested_by, scopes=scopes, commercial_use=commercial,
                                  expires_at=until, document=document)  # fmt: skip
        typer.echo(f"consent {record.id} attested by {attested_by} for '{name}': {', '.join(record.scopes)}"
                   " (attested, not verified by recording: reports show it as such)")  # fmt: skip
        return
    if record:
        if audio or challenge:
            raise _usage("--record makes its own recording; leave out --audio and --challenge")
        c.check_microphone()
        issued = c.start_consent(name)
        typer.echo("Read this aloud after pressing Enter, then press Enter again (in the room and with the "
                   f"microphone of the enrollment recordings):\n\n    {issued.statement}\n")
        audio = c.record_from_microphone(wait=lambda: input())
        challenge = issued.id
    if audio is None and challenge is None:
        issued = c.start_consent(name)
        typer.echo("The owner reads this aloud, in one recording, in the room and with the microphone of the "
                   "enrollment recordings (the speaker check compares the two):\n")
        typer.echo(f"    {issued.statement}\n")
        typer.echo(f"challenge {issued.id} (valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC); then run:")
        typer.echo(f"    yinse voice consent {name} --audio consent.wav --challenge {issued.id}")
        return
    if audio is None or challenge is None:
        raise _usage("give both --audio and --challenge (run 'yinse voice consent NAME' to get a challenge)")
    record = c.record_consent(name, audio_path=audio, challenge_id=challenge, scopes=scopes,
                              commercial_use=commercial, expires_at=until)  # fmt: skip
    typer.echo(f"consent {record.id} recorded for '{name}': {', '.join(record.scopes)}; speaker "
               f"{record.speaker_score:.2f} (≥ {record.speaker_threshold:.2f}), text "
               f"{record.text_score:.1f} (≥ {record.text_threshold:.1f})")  # fmt: skip


def _usage(message: str):
    from .core.errors import InputError

    return InputError(message)


def _end_of_day(day: str):
    from datetime import UTC, datetime, timedelta

    try:
        start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise _usage(f"--expires '{day}' is not a date; write it as YYYY-MM-DD") from None
    if start + timedelta(days=1) <= datetime.now(UTC):
        raise _usage(f"--expires {day} is in the past; give a future date")
    return start + timedelta(days=1) - timedelta(microseconds=1)


@voice_app.command("revoke")
@_user_errors
def voice_revoke(
    name: str = typer.Argument(..., help="the enrolled voice"),
    reason: str = typer.Option("", "--reason", help="why (kept in the record)"),
) -> None:
    """Withdraw every consent of the voice, at once: no further renders."""
    from .enroll.manage import revoke

    count = revoke(name, reason=reason)
    typer.echo(f"revoked {count} consent(s) of '{name}'; it renders nothing until a new consent is recorded")


@voice_app.command("list")
@_user_errors
def voice_list() -> None:
    """The enrolled voices and whether they may render now."""
    from .registry import SCOPES, Registry

    registry = Registry()
    for record in registry.list_voices():
        allowed = []
        for scope in SCOPES:
            try:
                allowed.append(f"{scope} ({registry.active_consent(voice_name=record.name, scope=scope).kind})")
            except Exception:
                continue
        state = ", ".join(allowed) if allowed else "no valid consent"
        typer.echo(f"{record.name:<20} {record.language}  owner {record.owner_name}  base {record.base_voice}  {state}")


@voice_app.command("show")
@_user_errors
def voice_show(
    name: str = typer.Argument(..., help="the enrolled voice"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Owner, recordings, coverage, consents (with their state and evidence), renders."""
    import json

    from .enroll.manage import describe

    info = describe(name)
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    v = info["voice"]
    m = v.get("manifest") or {}
    typer.echo(f"{v['name']}: {v['language']}, owner {v.get('owner')}, base voice {v['base_voice']}, "
               f"created {v['created_at']}")  # fmt: skip
    typer.echo(f"  built from {len(m.get('sources', []))} recordings, {m.get('speech_s', 0):.0f} s of speech; "
               f"bank {info['bank']}")  # fmt: skip
    for cat, (got, total) in (m.get("coverage") or {}).items():
        typer.echo(f"  coverage {cat}: {got}/{total}")
    if info["speaking_hz"]:
        from .voices.enrolled import home_midi

        typer.echo(f"  speaks at {info['speaking_hz']:.0f} Hz; --key auto sings a song's middle note "
                   f"at MIDI {home_midi(info['speaking_hz']):.0f}")  # fmt: skip
    check = info["speaker_check"]
    typer.echo(f"  consent recordings are checked with speaker embedding version {check['embedding_version']} "
               f"(same speaker at ≥ {check['consent_threshold']:.2f})"
               + ("" if check["current"] else "; an older embedding whose score moves with the recording's level: "
                  "record the consent at the enrollment's level, or enroll the voice again"))  # fmt: skip
    if not info["consents"]:
        typer.echo("  consents: none (it cannot render)")
    for c in info["consents"]:
        evidence = (f"speaker {c['speaker_score']:.2f}, text {c['text_score']:.1f}" if c["kind"] == "recorded"
                    else f"attested by {c['attested_by']}")  # fmt: skip
        typer.echo(f"  consent {c['id']}: {c['state']}, {c['kind']} ({evidence}), scopes {', '.join(c['scopes'])}, "
                   f"commercial {'yes' if c['commercial_use'] else 'no'}, expires {c['expires_at'] or 'never'}")  # fmt: skip
    typer.echo(f"  renders audited: {info['renders']}")
    if info["quality_plot"]:
        typer.echo(f"  quality plot: {info['quality_plot']}")


@voice_app.command("export")
@_user_errors
def voice_export(
    name: str = typer.Argument(..., help="the enrolled voice"),
    output: Path = typer.Option(..., "--output", "-o", help="archive to write (.tar.gz)"),
) -> None:
    """Bank, manifest, consents and render audit in one archive."""
    from .enroll.manage import export

    typer.echo(f"{export(name, output)}")


@voice_app.command("delete")
@_user_errors
def voice_delete(
    name: str = typer.Argument(..., help="the enrolled voice"),
    yes: bool = typer.Option(False, "--yes", help="do not ask"),
) -> None:
    """Delete the voice: its bank is removed, its consents revoked, its audit kept."""
    from .enroll.manage import delete

    if not yes and not typer.confirm(f"delete the voice '{name}' and its bank?"):
        raise typer.Exit(1)
    bank = delete(name)
    typer.echo(f"deleted '{name}' (bank {bank} removed; consents revoked; audit kept)")


keys_app = typer.Typer(help="The local signing identity for C2PA manifests.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("init")
@_user_errors
def keys_init(
    owner: str = typer.Option("Yinse local", "--owner", help="name in the signing certificate"),
    force: bool = typer.Option(False, "--force", help="replace existing keys"),
) -> None:
    """Make a local root and signing certificate (owner-only permissions)."""
    from .core.paths import data_home
    from .provenance.keys import init_keys

    typer.echo(_describe_keys(init_keys(data_home(), owner=owner, force=force)))


@keys_app.command("show")
@_user_errors
def keys_show() -> None:
    """Show the signing identity."""
    from .core.paths import data_home
    from .provenance.keys import load_keys

    typer.echo(_describe_keys(load_keys(data_home())))


def _describe_keys(info) -> str:
    return "\n".join(f"{k}: {v}" for k, v in info.describe().items())


def main() -> None:
    app(prog_name="yinse")


if __name__ == "__main__":
    sys.exit(main())
