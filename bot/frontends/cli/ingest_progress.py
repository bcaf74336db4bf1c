"""Ingest from the command line: progress bars, the summary, and the first-run ingest of the
sample articles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from bot.frontends.cli.console import err
from bot.settings import Settings
from ingest.errors import BadInputError

if TYPE_CHECKING:
    from bot.engine import NewsBot
    from ingest.report import IngestReport


class RichIngestProgress:
    """Bars for files read and chunks embedded (its total grows as files are chunked), and a
    count of the sentences embedded for the answer path (no total: it is known only as each
    batch is split)."""

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
        self.sentences = self.progress.add_task("sentences", total=None)

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

    def sentences_embedded(self, count: int) -> None:
        self.progress.advance(self.sentences, count)


def run_ingest_with_progress(bot: NewsBot, corpus: Path | None, rebuild: bool, prune: bool,
                             show_progress: bool) -> IngestReport:
    if show_progress:
        with RichIngestProgress(err) as progress:
            return bot.ingest(corpus, rebuild=rebuild, prune=prune, progress=progress)
    return bot.ingest(corpus, rebuild=rebuild, prune=prune)


def print_ingest_warnings(report: IngestReport) -> None:
    """One line per skipped file and per file ingested despite a problem, naming the file."""
    for skipped in report.skipped:
        err.print(f"warning: skipped {skipped.name}: {skipped.reason}", markup=False)
    for warning in report.warnings:
        err.print(f"warning: {warning.name}: {warning.message}", markup=False)


def print_ingest_summary(report: IngestReport) -> None:
    print_ingest_warnings(report)
    err.print(
        f"{report.files_added} added, {report.files_updated} updated, "
        f"{report.files_unchanged} unchanged, {report.files_removed} removed, "
        f"{report.files_skipped} skipped; {report.chunks_embedded} chunks and "
        f"{report.sentences_embedded} sentences ({report.sentence_seconds:.1f} s) embedded, "
        f"{report.chunks_total} in the index; {report.lines_dropped} boilerplate or repeated "
        f"lines dropped; {report.seconds:.1f} s", markup=False)


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
