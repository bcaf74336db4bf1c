"""``newsbot discord`` and ``newsbot feedback``, added to the main CLI by ``register``.

Nothing slow at import: discord.py and the engine load inside ``discord`` only.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Annotated

import typer

from bot.feedback.store import FeedbackSummary, read_summary
from bot.frontends.cli.console import load_settings, report_error
from bot.frontends.discord.token import bot_token
from ingest.errors import EXIT_FAILURE, EXIT_INTERRUPTED, NewsbotError


def discord_command() -> None:
    """Run the Discord bot (token from DISCORD_TOKEN; see docs/discord.md)."""
    try:
        settings = load_settings()
        bot_token(settings)  # fail fast, before discord.py and the engine load (~0.3 s)
        from bot.frontends.discord.run import run_discord
        typer.echo("Starting the Discord bot (Ctrl+C to stop)…", err=True)
        run_discord(settings)
    except NewsbotError as exc:
        raise typer.Exit(report_error(exc)) from None
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_summary(summary: FeedbackSummary) -> None:
    """The human-readable summary: totals, then the worst answers."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    rate = summary.approval_rate
    console.print(f"votes: {summary.votes} on {summary.answers_voted} answers · "
                  f"👍 {summary.up} · 👎 {summary.down} · "
                  f"approval: {'—' if rate is None else f'{rate:.0%}'}", markup=False)
    if not summary.worst:
        console.print("no answers with a thumbs-down yet", markup=False)
        return
    table = Table(title="Worst answers", show_lines=True)
    for column in ("👎", "👍", "question", "answer", "cited files", "backend"):
        table.add_column(column)
    for item in summary.worst:
        table.add_row(str(item.down), str(item.up), _shorten(item.question, 80),
                      _shorten(item.answer, 160), ", ".join(item.cited_files), item.backend)
    console.print(table)


def feedback_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many worst answers.")] = 10,
) -> None:
    """Summarize the 👍/👎 votes from Discord and list the worst-rated answers."""
    try:
        data_dir = load_settings().data_dir
        summary = read_summary(data_dir, worst_limit=limit)
    except NewsbotError as exc:
        raise typer.Exit(report_error(exc)) from None
    except sqlite3.Error as exc:
        typer.echo(f"error: cannot read the feedback store in {data_dir}: {exc}", err=True)
        raise typer.Exit(EXIT_FAILURE) from None
    if as_json:
        typer.echo(json.dumps(summary.to_json(), ensure_ascii=False))
    else:
        print_summary(summary)


def register(app: typer.Typer) -> None:
    """Add ``discord`` and ``feedback`` to the ``newsbot`` CLI."""
    app.command("discord")(discord_command)
    app.command("feedback")(feedback_command)
