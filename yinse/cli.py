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
    output: Path = typer.Option(..., "--output", "-o", help="output audio (.wav, .flac, .ogg)"),
    key: float = typer.Option(0.0, "--key", help="transpose by this many semitones, e.g. +2"),
    tempo: float | None = typer.Option(None, "--tempo", help="tempo in BPM (scales tempo changes)"),
    plot: Path | None = typer.Option(None, "--plot", help="also write pitch over spectrogram (.png)"),
    lyrics: Path | None = typer.Option(None, "--lyrics", help="lyrics text placed one syllable per note"),
    verse: int = typer.Option(1, "--verse", help="which verse of a MusicXML score to sing"),
    vibrato: float = typer.Option(25.0, "--vibrato", help="vibrato depth in cents (0 = none)"),
    seed: int = typer.Option(0, "--seed", help="seed for the small random pitch and level motion"),
) -> None:
    """Sing a score in a voice."""
    from .formats import load_score
    from .pipeline import SingRequest, sing_to_file
    from .synth.pitch import Expression

    loaded = load_score(score, lyrics_path=lyrics, verse=verse)
    request = SingRequest(
        loaded, voice, key_shift=key, tempo_bpm=tempo,
        expression=Expression(vibrato_depth_cents=vibrato), seed=seed,
    )  # fmt: skip
    bar, update = _progress("singing")
    with bar:
        record = sing_to_file(request, output, plot_path=plot, progress=update)
    typer.echo(f"{record.path}  ({record.duration_s:.1f} s, {record.sr} Hz, render {record.render_id[:12]})")
    if plot:
        typer.echo(f"{plot}  (pitch plot)")


@app.command()
@_user_errors
def speak(
    text: str = typer.Argument(..., help="what to say"),
    voice: str = typer.Option(..., "--voice", "-v", help="voice name (see 'yinse voices')"),
    output: Path = typer.Option(..., "--output", "-o", help="output audio (.wav, .flac, .ogg)"),
) -> None:
    """Say text in a voice."""
    from .pipeline import SpeakRequest, speak_to_file

    record = speak_to_file(SpeakRequest(text, voice), output)
    typer.echo(f"{record.path}  ({record.duration_s:.1f} s, {record.sr} Hz)")


def main() -> None:
    app(prog_name="yinse")


if __name__ == "__main__":
    sys.exit(main())
