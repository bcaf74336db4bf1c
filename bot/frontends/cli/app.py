"""The ``newsbot`` command line: ingest, ask, chat, status (plus discord, feedback, eval, model).

Only typer, rich and the settings are imported at start-up; the engine (numpy, onnxruntime,
chromadb) loads inside the commands that need it, so ``newsbot --help`` is instant.
Expected errors print one line on stderr and exit 2 (bad input) or 1 (a fault), through
``console.report_error`` (the codes are ``ingest/errors.py``'s); nothing an operator does by
mistake shows a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.answering.headlines import shown_title
from bot.frontends.cli import discord_commands, eval_commands, model_commands, source_commands
from bot.frontends.cli.console import (
    JsonOption,
    LlmOption,
    err,
    expected_errors,
    load_settings,
    make_bot,
    out,
    report_error,
)
from bot.frontends.cli.ingest_progress import (
    ensure_index,
    print_ingest_summary,
    print_ingest_warnings,
    run_ingest_with_progress,
)
from ingest.errors import BadInputError, NewsbotError
from ingest.sources.config import is_url

if TYPE_CHECKING:
    from bot.engine import NewsBot
    from bot.models import Answer, Citation, DateRange, Turn

app = typer.Typer(
    name="newsbot", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False,
    help="Answers questions from a folder of news articles, citing the files it used.")


# -- ingest ------------------------------------------------------------------------------------

@app.command()
def ingest(
    corpus: Annotated[str | None, typer.Argument(
        help="Folder of articles (default: NEWSBOT_CORPUS_DIR), or the http(s) URL of an "
        "RSS/Atom feed or an article page to fetch once.")] = None,
    rebuild: Annotated[bool, typer.Option(
        "--rebuild", help="Drop the collection and embed everything again.")] = False,
    no_prune: Annotated[bool, typer.Option(
        "--no-prune", help="Keep chunks of files no longer in the folder.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Clean, chunk and embed the articles into Chroma (incremental by content hash); the
    followed sources' folders and fetched articles (NEWSBOT_SOURCES) are ingested too."""
    with expected_errors():
        settings = load_settings()
        bot = make_bot(settings)
        folder = Path(corpus) if corpus else None
        if corpus and is_url(corpus):
            err.print(source_commands.fetch_url_once(bot, settings, corpus), markup=False)
            folder = None
        report = run_ingest_with_progress(bot, folder, rebuild, not no_prune,
                                          show_progress=err.is_terminal or not as_json)
        if as_json:
            print_ingest_warnings(report)
            out.print(json.dumps(report.to_json()), markup=False)
        else:
            print_ingest_summary(report)


# -- ask / chat --------------------------------------------------------------------------------

def quoted(text: str) -> str:
    """Wrap in quotation marks, unless the text already is a quotation."""
    return text if text[:1] in "“\"" and text[-1:] in "”\"" else f"“{text}”"


def source_label(citation: Citation) -> str:
    """``Title · 2025-03-11 · https://…`` with what is known; where to read the article is
    its url, else its file (a plain file's first line shows only when it reads as a headline)."""
    parts = [shown_title(citation.title, citation.title_given), citation.date,
             citation.url or citation.file]
    return " · ".join(part for part in parts if part)


def print_answer(answer: Answer) -> None:
    if answer.note:
        out.print(answer.note, style="dim", markup=False)
    out.print(answer.text, markup=False)
    if answer.citations:
        out.print("\nSources:", style="bold")
        for c in answer.citations:
            out.print(f"  [{c.n}] {source_label(c)} — {quoted(c.quote)}", markup=False)
            if c.also_in:
                out.print(f"      also ran in: {', '.join(c.also_in)}", markup=False)


SinceOption = Annotated[str | None, typer.Option(
    "--since", metavar="YYYY-MM-DD",
    help="Only articles dated on or after this day (articles without a date are left out).")]
UntilOption = Annotated[str | None, typer.Option(
    "--until", metavar="YYYY-MM-DD",
    help="Only articles dated on or before this day (articles without a date are left out).")]


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in quotes.")],
    as_json: JsonOption = False,
    top_k: Annotated[int | None, typer.Option("--top-k", min=1, max=50,
                                              help="Chunks to retrieve.")] = None,
    llm: LlmOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
) -> None:
    """Answer one question from the articles, with sources. Time words ("this week",
    "latest") are read against the articles' own dates, not today's."""
    with expected_errors():
        settings = load_settings(llm=llm, top_k=top_k)
        bot = make_bot(settings)
        from bot.answering.questions import clean_question
        from bot.frontends.common.dates import date_range

        # Fail fast, before any loading.
        clean_question(question, settings.max_question_chars)
        dates = date_range(since, until)
        ensure_index(bot)
        answer = bot.answer(question, dates=dates)
        if as_json:
            out.print(json.dumps(answer.to_json(), ensure_ascii=False), markup=False)
        else:
            print_answer(answer)


class _StreamPrinter:
    """Prints a streamed reply as it grows (``on_token`` gives the whole text so far)."""

    def __init__(self) -> None:
        self.shown = ""

    def __call__(self, text_so_far: str) -> None:
        if not text_so_far.startswith(self.shown):  # the stream was restarted
            out.print("\n[retrying]", markup=False)
            self.shown = ""
        out.print(text_so_far[len(self.shown):], end="", markup=False)
        self.shown = text_so_far


@app.command()
def chat(llm: LlmOption = None, since: SinceOption = None, until: UntilOption = None) -> None:
    """Ask questions in a loop; follow-up questions use the conversation so far."""

    with expected_errors():
        settings = load_settings(llm=llm)
        bot = make_bot(settings)
        from bot.frontends.common.dates import date_range

        dates = date_range(since, until)
        ensure_index(bot)
        scope = f", articles {dates.describe()}" if dates else ""
        out.print(f"newsbot chat ({bot.backend}{scope}). Empty line or Ctrl-D to quit, /reset "
                  "to start over.", markup=False)
        history: list[Turn] = []
        while True:
            try:
                question = input("\nyou> ").strip()
            except EOFError:
                break
            if not question:
                break
            if question == "/reset":
                history.clear()
                continue
            history = _chat_turn(bot, question, history, dates)


def _chat_turn(bot: NewsBot, question: str, history: list[Turn],
               dates: DateRange | None) -> list[Turn]:
    from bot.models import Turn

    printer = _StreamPrinter()
    try:
        answer = bot.answer(question, history, on_token=printer, dates=dates)
    except BadInputError as exc:
        report_error(exc)  # the chat goes on: the line, not the exit
        return history
    if printer.shown:
        out.print("\n")
    print_answer(answer)
    return [*history, Turn(question, answer.text)][-6:]


# -- status ------------------------------------------------------------------------------------

@app.command()
def status(as_json: JsonOption = False) -> None:
    """Show the corpus, the store, the collection, what `auto` resolves to, and how many
    files have a date (with the oldest and newest)."""
    with expected_errors():
        settings = load_settings()
        info = make_bot(settings).status().to_json()
        if as_json:
            out.print(json.dumps(info), markup=False)
            return
        for key, value in info.items():
            if key == "sources":
                continue
            shown = "—" if value == "" else value  # a date span that is not known
            out.print(f"{key.replace('_', ' '):>18}: {shown}", markup=False)
        from ingest.sources.status import describe_source

        out.print(f"{'sources':>18}: {len(info['sources']) or '— (NEWSBOT_SOURCES unset)'}",
                  markup=False)
        for row in info["sources"]:
            out.print(f"  {describe_source(row)}", markup=False)


# Commands that live beside their feature (Discord, evaluation, local models): one line each.
discord_commands.register(app)
eval_commands.register(app)
model_commands.register(app)
source_commands.register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except NewsbotError as exc:  # raised outside a command's own handler
        sys.exit(report_error(exc))
