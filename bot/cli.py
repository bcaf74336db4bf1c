"""The ``newsbot`` command line: ingest, ask, chat, status (plus discord, feedback, eval).

Only typer, rich and the settings are imported at start-up; the engine (numpy, onnxruntime,
chromadb) loads inside the commands that need it, so ``newsbot --help`` is instant.
Expected errors print one line on stderr and exit 2 (bad input) or 1 (a fault); nothing an
operator does by mistake shows a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from bot.settings import Settings
from ingest.errors import BadInputError, NewsbotError

if TYPE_CHECKING:
    from bot.engine import NewsBot
    from bot.models import Answer, Turn
    from ingest.pipeline import IngestReport

app = typer.Typer(
    name="newsbot", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False,
    help="Answers questions from a folder of news articles, citing the files it used.")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

LlmOption = Annotated[str | None, typer.Option(
    "--llm", help="Backend: auto (openai if OPENAI_API_KEY is set), openai or extractive.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def load_settings(**overrides: Any) -> Settings:
    """Settings from env and .env; a bad value is a one-line usage error."""
    from pydantic import ValidationError

    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = first.get("loc", ("?",))[0]
        raise BadInputError(f"invalid setting {name}: {first.get('msg')}") from None
    updates = {k: v for k, v in overrides.items() if v is not None}
    if "llm" in updates and updates["llm"] not in ("auto", "openai", "extractive"):
        raise BadInputError(f"--llm must be auto, openai or extractive, not {updates['llm']!r}")
    return settings.model_copy(update=updates) if updates else settings


def make_bot(settings: Settings) -> NewsBot:
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    from bot.engine import NewsBot

    return NewsBot(settings)


@contextmanager
def expected_errors() -> Iterator[None]:
    """Turn expected failures into one line on stderr and an exit code."""
    try:
        yield
    except NewsbotError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


# -- ingest ------------------------------------------------------------------------------------

class RichIngestProgress:
    """Two bars: files read and chunks embedded (its total grows as files are chunked)."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(TextColumn("{task.description:<7}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                                 transient=False)
        self.files = self.progress.add_task("files", total=None)
        self.chunks = self.progress.add_task("chunks", total=0)

    def __enter__(self) -> RichIngestProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, files_total: int) -> None:
        # Drawn only once the run really starts, so a bad corpus path shows no empty bars.
        self.progress.start()
        self.progress.update(self.files, total=files_total)

    def file_done(self, name: str) -> None:
        self.progress.advance(self.files)

    def chunks_planned(self, count: int) -> None:
        task = self.progress.tasks[self.chunks]
        self.progress.update(self.chunks, total=(task.total or 0) + count)

    def chunks_embedded(self, count: int) -> None:
        self.progress.advance(self.chunks, count)


def run_ingest_with_progress(bot: NewsBot, corpus: Path | None, rebuild: bool, prune: bool,
                             show_progress: bool) -> IngestReport:
    if show_progress:
        with RichIngestProgress(err) as progress:
            return bot.ingest(corpus, rebuild=rebuild, prune=prune, progress=progress)
    return bot.ingest(corpus, rebuild=rebuild, prune=prune)


def print_ingest_summary(report: IngestReport) -> None:
    for skipped in report.skipped:
        err.print(f"warning: skipped {skipped.name}: {skipped.reason}", markup=False)
    err.print(
        f"{report.files_added} added, {report.files_updated} updated, "
        f"{report.files_unchanged} unchanged, {report.files_removed} removed, "
        f"{report.files_skipped} skipped; {report.chunks_embedded} chunks embedded, "
        f"{report.chunks_total} in the index; {report.lines_dropped} boilerplate or repeated "
        f"lines dropped; {report.seconds:.1f} s", markup=False)


@app.command()
def ingest(
    corpus: Annotated[Path | None, typer.Argument(
        help="Folder of .txt/.md/.html articles (default: NEWSBOT_CORPUS_DIR).")] = None,
    rebuild: Annotated[bool, typer.Option(
        "--rebuild", help="Drop the collection and embed everything again.")] = False,
    no_prune: Annotated[bool, typer.Option(
        "--no-prune", help="Keep chunks of files no longer in the folder.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Clean, chunk and embed the articles into Chroma (incremental by content hash)."""
    with expected_errors():
        settings = load_settings()
        bot = make_bot(settings)
        report = run_ingest_with_progress(bot, corpus, rebuild, not no_prune,
                                          show_progress=err.is_terminal or not as_json)
        if as_json:
            for skipped in report.skipped:
                err.print(f"warning: skipped {skipped.name}: {skipped.reason}", markup=False)
            out.print(json.dumps(report.to_json()), markup=False)
        else:
            print_ingest_summary(report)


# -- ask / chat --------------------------------------------------------------------------------

def ensure_index(bot: NewsBot) -> None:
    """First run on the default corpus: ingest it, so the very first `ask` works."""
    if bot.is_indexed():
        return
    default_corpus = Settings.model_fields["corpus_dir"].default
    if bot.settings.corpus_dir != default_corpus:
        raise BadInputError(
            f"the index is empty; run `newsbot ingest {bot.settings.corpus_dir}` first")
    err.print(f"The index is empty: ingesting the sample articles in {default_corpus} first…")
    print_ingest_summary(run_ingest_with_progress(bot, None, False, True, err.is_terminal))


def quoted(text: str) -> str:
    """Wrap in quotation marks, unless the text already is a quotation."""
    return text if text[:1] in "“\"" and text[-1:] in "”\"" else f"“{text}”"


def print_answer(answer: Answer) -> None:
    out.print(answer.text, markup=False)
    if answer.citations:
        out.print("\nSources:", style="bold")
        for c in answer.citations:
            out.print(f"  [{c.n}] {c.file} — {quoted(c.quote)}", markup=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in quotes.")],
    as_json: JsonOption = False,
    top_k: Annotated[int | None, typer.Option("--top-k", min=1, max=50,
                                              help="Chunks to retrieve.")] = None,
    llm: LlmOption = None,
) -> None:
    """Answer one question from the articles, with sources."""
    with expected_errors():
        settings = load_settings(llm=llm, top_k=top_k)
        bot = make_bot(settings)
        from bot.engine import clean_question

        clean_question(question, settings.max_question_chars)  # fail fast, before any loading
        ensure_index(bot)
        answer = bot.answer(question)
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
def chat(llm: LlmOption = None) -> None:
    """Ask questions in a loop; follow-up questions use the conversation so far."""

    with expected_errors():
        settings = load_settings(llm=llm)
        bot = make_bot(settings)
        ensure_index(bot)
        out.print(f"newsbot chat ({bot.backend}). Empty line or Ctrl-D to quit, /reset to "
                  "start over.", markup=False)
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
            history = _chat_turn(bot, question, history)


def _chat_turn(bot: NewsBot, question: str, history: list[Turn]) -> list[Turn]:
    from bot.models import Turn

    printer = _StreamPrinter()
    try:
        answer = bot.answer(question, history, on_token=printer)
    except BadInputError as exc:
        err.print(f"error: {exc}", markup=False)
        return history
    if printer.shown:
        out.print("\n")
    print_answer(answer)
    return [*history, Turn(question, answer.text)][-6:]


# -- status ------------------------------------------------------------------------------------

@app.command()
def status(as_json: JsonOption = False) -> None:
    """Show the corpus, the store, the collection and what `auto` resolves to."""
    with expected_errors():
        settings = load_settings()
        info = make_bot(settings).status()
        if as_json:
            out.print(json.dumps(info), markup=False)
            return
        for key, value in info.items():
            out.print(f"{key.replace('_', ' '):>18}: {value}", markup=False)


def _register_optional_commands() -> None:
    """Commands that live beside their feature (Discord, evaluation)."""
    from importlib import import_module

    for module in ("bot.discord_app.cli_commands", "bot.evaluation.cli_commands"):
        try:
            import_module(module).register(app)
        except ModuleNotFoundError as exc:
            if not exc.name or not module.startswith(exc.name):  # a real missing dependency
                raise


_register_optional_commands()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except NewsbotError as exc:  # raised outside a command's own handler
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
