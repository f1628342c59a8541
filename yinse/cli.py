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


def _progress(label: str):
    """A rich progress bar on stderr; returns (context manager, callback)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total} phrases"),
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
    Console(width=160).print(table)
    typer.echo("Any espeak-ng language works as espeak-<code> (e.g. espeak-de, espeak-ja).")


@app.command()
@_user_errors
def sing(
    score: Path = typer.Argument(..., help="MusicXML (.musicxml/.xml/.mxl), MIDI, UST or .notes"),
    voice: str = typer.Option(..., "--voice", "-v", help="voice name (see 'yinse voices')"),
    output: Path = typer.Option(..., "--output", "-o", help="output audio (.wav, .flac, .ogg, .mp3)"),
    key: float = typer.Option(0.0, "--key", help="transpose by this many semitones, e.g. +2"),
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
    typer.echo(f"{record.path}  ({record.duration_s:.1f} s, {record.sr} Hz, payload {record.payload_hex})")
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
    typer.echo(f"{record.path}  ({record.duration_s:.1f} s, {record.sr} Hz, payload {record.payload_hex})")


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
