"""The ingest run: corpus folder → cleaned chunks → embeddings → Chroma + keyword index.

Incremental by content hash, and safe to kill at any moment:
- chunk ids are deterministic, so re-upserting a file's chunks never duplicates them;
- a file's new chunks are all written *before* its old version's chunks are deleted, so a
  reader always finds some version of every file;
- a file counts as unchanged only if exactly one version is stored and all of its chunks are
  present, so a run killed half-way through a file redoes that file next time;
- the collection is marked "dirty" for the keyword index before the first write and gets the
  new fingerprint only after the keyword index is saved.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.chunking import Chunk, chunk_article, chunking_signature
from ingest.cleaning import clean_text
from ingest.errors import BadInputError
from ingest.keyword_index import refresh_keyword_index
from ingest.loaders.files import DEFAULT_MAX_FILE_BYTES, SkippedFile, discover, iter_articles
from ingest.report import IngestProgress, IngestReport
from ingest.store import KEYWORD_DIRTY, ArticleStore, FileState

if TYPE_CHECKING:
    from ingest.embedding import Encoder

# Chunks embedded per call: large enough to keep the model busy, small enough that memory
# stays flat and progress moves.
EMBED_BATCH = 64


def embedding_text(chunk: Chunk) -> str:
    """What gets embedded: chunks carry the headline, so they keep the article's topic. The
    first chunk of a plain file starts with it already; a title from the format (front
    matter, a page's metadata) is often not in the text."""
    if chunk.index == 0 and (not chunk.title_given or chunk.text.startswith(chunk.title)):
        return chunk.text
    return f"{chunk.title}\n{chunk.text}"


@dataclass
class _PendingFile:
    name: str
    version: tuple[str, str]
    replaces_old: bool
    chunks_left: int


class _Writer:
    """Embeds and upserts batches on one worker thread while the caller reads and chunks the
    next files, so the model is kept busy; finishes files once all their chunks are stored."""

    def __init__(self, store: ArticleStore, encoder: Encoder, report: IngestReport,
                 progress: IngestProgress | None) -> None:
        self.store = store
        self.encoder = encoder
        self.report = report
        self.progress = progress
        self.buffer: list[Chunk] = []
        self.files: dict[str, _PendingFile] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsbot-embed")
        self._in_flight: tuple[Future[None], list[Chunk]] | None = None

    def add(self, pending: _PendingFile, chunks: list[Chunk]) -> None:
        self.files[pending.name] = pending
        self.buffer.extend(chunks)
        while len(self.buffer) >= EMBED_BATCH:
            batch, self.buffer = self.buffer[:EMBED_BATCH], self.buffer[EMBED_BATCH:]
            self._submit(batch)

    def _submit(self, batch: list[Chunk]) -> None:
        self._wait()
        self._in_flight = (self._pool.submit(self._write, batch), batch)

    def _write(self, batch: Sequence[Chunk]) -> None:
        vectors = self.encoder.encode([embedding_text(c) for c in batch])
        self.store.upsert(batch, vectors)

    def _wait(self) -> None:
        if self._in_flight is None:
            return
        future, batch = self._in_flight
        self._in_flight = None
        future.result()  # re-raises a failure of the worker here, in the caller's thread
        self.report.chunks_embedded += len(batch)
        if self.progress:
            self.progress.chunks_embedded(len(batch))
        for chunk in batch:
            pending = self.files[chunk.file]
            pending.chunks_left -= 1
            if pending.chunks_left == 0:
                self._finish_file(pending)

    def _finish_file(self, pending: _PendingFile) -> None:
        if pending.replaces_old:
            self.store.delete_file(pending.name, keep=pending.version)
        del self.files[pending.name]

    def close(self) -> None:
        if self.buffer:
            batch, self.buffer = self.buffer, []
            self._submit(batch)
        self._wait()
        self._pool.shutdown()


def run_ingest(
    corpus_dir: Path,
    store: ArticleStore,
    encoder: Encoder,
    keyword_dir: Path,
    *,
    chunk_size: int,
    chunk_overlap: int,
    prune: bool = True,
    rebuild: bool = False,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    progress: IngestProgress | None = None,
) -> IngestReport:
    """Bring the store in line with ``corpus_dir``; see the module docstring for guarantees."""
    started = time.perf_counter()
    if not corpus_dir.is_dir():
        raise BadInputError(f"corpus folder '{corpus_dir}' does not exist or is not a folder")
    if rebuild:
        store.drop()
    store.open(create=True)
    states = store.file_states()
    names = discover(corpus_dir)
    signature = chunking_signature(chunk_size, chunk_overlap)
    report = IngestReport()
    if progress:
        progress.start(len(names))

    marked_dirty = False

    def mark_dirty() -> None:
        nonlocal marked_dirty
        if not marked_dirty:
            store.set_keyword_fingerprint(KEYWORD_DIRTY)
            marked_dirty = True

    def remove(name: str) -> None:
        mark_dirty()
        store.delete_file(name)

    writer = _Writer(store, encoder, report, progress)
    seen: set[str] = set()
    try:
        for article in iter_articles(corpus_dir, names, max_file_bytes):
            seen.add(article.name)
            if isinstance(article, SkippedFile):
                # A file that cannot be read now keeps the chunks it had: a passing permission
                # problem must not lose indexed data. One read and found not to be an article
                # (emptied, binary, too large) loses them: they quote text it no longer has.
                report.skipped.append(article)
                if not article.transient and article.name in states:
                    remove(article.name)
            else:
                report.warnings.extend(article.warnings)
                version = (article.content_hash, signature)
                state: FileState | None = states.get(article.name)
                if state is not None and state.is_complete(version):
                    report.files_unchanged += 1
                else:
                    cleaned = clean_text(article.text)
                    chunks = chunk_article(article.name, article.text, cleaned,
                                           article.content_hash, chunk_size, chunk_overlap,
                                           title=article.title, metadata=article.metadata)
                    if not chunks:
                        # Nothing but boilerplate: nothing to store, so it is "skipped" on
                        # every run rather than "added" again each time.
                        report.skipped.append(SkippedFile(article.name, "no article text "
                                                          "left after removing boilerplate"))
                        if state is not None:
                            remove(article.name)
                    else:
                        report.lines_dropped += cleaned.lines_dropped
                        if state is None:
                            report.files_added += 1
                        else:
                            report.files_updated += 1
                        mark_dirty()
                        if progress:
                            progress.chunks_planned(len(chunks))
                        writer.add(_PendingFile(article.name, version, state is not None,
                                                len(chunks)), chunks)
            if progress:
                progress.file_done(article.name)
    finally:
        writer.close()

    if prune:
        for name in sorted(set(states) - seen):
            remove(name)
            report.files_removed += 1

    refresh_keyword_index(store, keyword_dir, force=marked_dirty)
    report.chunks_total = store.count()
    report.seconds = time.perf_counter() - started
    return report
