"""A small ingest process for the crash tests: ``NewsBot.ingest`` that reports every step.

It uses the real pipeline and a real on-disk Chroma store; only the encoder is the fast
``HashEncoder`` (``delay`` seconds per batch, so a kill can land inside the run). Each event is
reported at once, so the test can SIGKILL the process at a precise point:

    start N | file I NAME | planned N | embedded N | delete FILE | keyword-build | done JSON

``pause_after`` (event prefixes, e.g. ``delete a.txt``, ``keyword-build``) lingers a little after
a matching event, holding the process there long enough for the kill to land at that step.

The tests start it with ``multiprocessing``'s forkserver (see ``kill_support``): chromadb and
llama-index are imported once by the server, and every trial is a fresh forked process that
opens the store itself. By hand: ``python -m tests.reliability.ingest_driver DATA CORPUS``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Imported here, not lazily, so the forkserver preloads them once for every trial.
import chromadb  # noqa: F401

from bot.engine import NewsBot
from bot.settings import Settings
from ingest import chunking, keyword_index, pipeline, store
from tests.core_fixtures import HashEncoder
from tests.reliability.support import make_settings

PAUSE_SECONDS = 0.3

# Build the default splitter now (llama-index import and tokenizer load, ~2 s): forked trials
# inherit it, so the kill points lie in the ingest itself, not in start-up.
_defaults = Settings(_env_file=None)
chunking._splitter(_defaults.chunk_size, _defaults.chunk_overlap)

Emit = Callable[[str], None]


def print_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class EventProgress:
    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.files = 0

    def start(self, files_total: int) -> None:
        self.emit(f"start {files_total}")

    def file_done(self, name: str) -> None:
        self.files += 1
        self.emit(f"file {self.files} {name}")

    def chunks_planned(self, count: int) -> None:
        self.emit(f"planned {count}")

    def chunks_embedded(self, count: int) -> None:
        self.emit(f"embedded {count}")

    def sentences_embedded(self, count: int) -> None:
        pass


def instrument(emit: Emit, pause_after: tuple[str, ...]) -> None:
    """Announce (and optionally linger at) the steps that progress does not report.

    Only wraps: the store and the keyword index do exactly what they would do anyway."""
    original_delete = store.ArticleStore.delete_file
    original_build = keyword_index.KeywordIndex.build.__func__  # type: ignore[attr-defined]

    def announce(event: str) -> None:
        emit(event)
        if event.startswith(pause_after):
            time.sleep(PAUSE_SECONDS)

    def delete_file(self: store.ArticleStore, file: str, keep: Any = None,
                    article_id: str | None = None) -> None:
        original_delete(self, file, keep, article_id)
        announce(f"delete {article_id or file}")

    def build(cls: type[keyword_index.KeywordIndex], pages: Any) -> Any:
        announce("keyword-build")
        return original_build(cls, pages)

    store.ArticleStore.delete_file = delete_file  # type: ignore[method-assign]
    keyword_index.KeywordIndex.build = classmethod(build)  # type: ignore[method-assign,assignment]


def run(data_dir: Path, corpus: Path, emit: Emit, *, delay: float = 0.0,
        batch: int = pipeline.EMBED_BATCH, pause_after: tuple[str, ...] = ()) -> None:
    # Smaller batches give more intermediate states (more places for a kill to land) without
    # changing what the pipeline does per batch.
    pipeline.EMBED_BATCH = batch
    instrument(emit, pause_after)
    bot = NewsBot(make_settings(data_dir), encoder=HashEncoder(delay=delay))
    report = bot.ingest(corpus, progress=EventProgress(emit))
    emit("done " + json.dumps(report.to_json()))


def job(conn: Any, data_dir: Path, corpus: Path, options: dict[str, Any]) -> None:
    """The forked trial: events go to the parent through ``conn``."""
    run(data_dir, corpus, conn.send, **options)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("corpus_dir", type=Path)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=pipeline.EMBED_BATCH)
    parser.add_argument("--pause-after", action="append", default=[])
    args = parser.parse_args()
    run(args.data_dir, args.corpus_dir, print_line, delay=args.delay, batch=args.batch,
        pause_after=tuple(args.pause_after))


if __name__ == "__main__":
    main()
