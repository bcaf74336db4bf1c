"""The ingest run: corpus folder → cleaned chunks → embeddings → Chroma + keyword index.

Incremental by content hash, and safe to kill at any moment:
- chunk ids are deterministic, so re-upserting a file's chunks never duplicates them;
- new chunks are written first and nothing is deleted until the end, so until then the
  published index (the last run's chunks and keyword index) is intact;
- a file counts as unchanged only if exactly one version is stored and all of its chunks are
  present, so a run killed half-way through a file redoes that file next time;
- the collection is marked "dirty" for the keyword index before the first write and gets the
  new fingerprint only after the keyword index is saved.

Publishing is the last step (``_publish``): the keyword index of the chunks that will remain is
built and staged while readers keep answering, then one exclusive commit step deletes the
replaced and pruned chunks, puts the keyword index in place and bumps the generation
(``ingest.generation``), so a reader in any process sees the old index or the new one whole.

With a sentence store (``ingest.sentence_vectors``) every stored chunk's sentences are embedded
too, right after the chunk, so the answer path need not embed them per question; the commit
step forgets the deleted chunks' sentences, and a run finding chunks without recorded
sentences (a data dir from before the store, a run killed between the two writes) embeds
theirs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.chunking import Chunk, chunk_article, chunking_signature
from ingest.cleaning import clean_text
from ingest.errors import BadInputError
from ingest.generation import PROCESS_TOKEN
from ingest.keyword_index import KeywordIndex
from ingest.loaders.base import Article
from ingest.loaders.files import (
    DEFAULT_MAX_FILE_BYTES,
    ArticleFile,
    FileWarning,
    SkippedFile,
    StreamedFile,
    discover,
    read_article,
)
from ingest.near_duplicates import StoryIndex, index_path
from ingest.report import IngestProgress, IngestReport
from ingest.sentence_vectors import SentenceVectorStore, store_sentences
from ingest.sources.config import ExtraRoot
from ingest.store import KEYWORD_DIRTY, ArticleStore, FileState, deletion_where

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


def article_hash(article: Article) -> str:
    """The version of one article of a multi-article file: its text, title and metadata, so
    editing one entry changes its hash and no other's."""
    payload = json.dumps([article.text, article.title, dict(article.metadata)], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class _Deletion:
    """Chunks to delete when the run publishes (``ArticleStore.delete_file``'s arguments)."""

    file: str
    keep: tuple[str, str] | None = None
    article_id: str | None = None


@dataclass
class _PendingFile:
    name: str  # the article's key: its id, or the file for a one-article file
    version: tuple[str, str]
    replaces_old: bool
    chunks_left: int
    file: str = ""


class _Writer:
    """Embeds and upserts batches on one worker thread while the caller reads and chunks the
    next files, so the model is kept busy; finishes files once all their chunks are stored."""

    def __init__(self, store: ArticleStore, encoder: Encoder, report: IngestReport,
                 progress: IngestProgress | None, deletions: list[_Deletion],
                 sentences: SentenceVectorStore | None = None) -> None:
        self.store = store
        self.sentences = sentences
        self.deletions = deletions
        self.encoder = encoder
        self.report = report
        self.progress = progress
        self.buffer: list[Chunk] = []
        self.files: dict[str, _PendingFile] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsbot-embed")
        self._in_flight: tuple[Future[tuple[int, float]], list[Chunk]] | None = None

    def add(self, pending: _PendingFile, chunks: list[Chunk]) -> None:
        self.files[pending.name] = pending
        self.buffer.extend(chunks)
        while len(self.buffer) >= EMBED_BATCH:
            batch, self.buffer = self.buffer[:EMBED_BATCH], self.buffer[EMBED_BATCH:]
            self._submit(batch)

    def _submit(self, batch: list[Chunk]) -> None:
        self._wait()
        self._in_flight = (self._pool.submit(self._write, batch), batch)

    def _write(self, batch: Sequence[Chunk]) -> tuple[int, float]:
        """Embed and store a batch; the sentences embedded for it, and the seconds that took."""
        vectors = self.encoder.encode([embedding_text(c) for c in batch])
        self.store.upsert(batch, vectors)
        if self.sentences is None:
            return 0, 0.0
        # After the upsert: a chunk stored without its sentences is found and completed by
        # the next run (``_complete_sentences``), never the other way round.
        started = time.perf_counter()
        embedded = store_sentences(self.sentences, self.encoder,
                                   [(c.id, c.text) for c in batch])
        return embedded, time.perf_counter() - started

    def _wait(self) -> None:
        if self._in_flight is None:
            return
        future, batch = self._in_flight
        self._in_flight = None
        # re-raises a failure of the worker here, in the caller's thread
        sentences, seconds = future.result()
        self.report.chunks_embedded += len(batch)
        self.report.sentences_embedded += sentences
        self.report.sentence_seconds += seconds
        if self.progress:
            self.progress.chunks_embedded(len(batch))
            self.progress.sentences_embedded(sentences)
        for chunk in batch:
            pending = self.files[chunk.key]
            pending.chunks_left -= 1
            if pending.chunks_left == 0:
                self._finish_file(pending)

    def _finish_file(self, pending: _PendingFile) -> None:
        # The old version goes when the run publishes: until then readers quote it.
        if pending.replaces_old:
            if pending.file and pending.file != pending.name:
                self.deletions.append(_Deletion(pending.file, pending.version, pending.name))
            else:
                self.deletions.append(_Deletion(pending.name, pending.version))
        del self.files[pending.name]

    def close(self) -> None:
        if self.buffer:
            batch, self.buffer = self.buffer, []
            self._submit(batch)
        self._wait()
        self._pool.shutdown()


@dataclass(frozen=True)
class _Listed:
    root: Path
    name: str  # relative to ``root``
    prefix: str  # "" for the corpus folder


def _list_files(corpus_dir: Path, extra_roots: Sequence[ExtraRoot],
                report: IngestReport) -> tuple[list[_Listed], list[str]]:
    """Every file to read, and the prefixes of missing folders whose articles are kept.

    A file of the corpus folder whose first folder has a source's name is left out with a
    warning: its name would be another source's."""
    prefixes = {root.prefix for root in extra_roots}
    listed: list[_Listed] = []
    for name in discover(corpus_dir):
        head = name.split("/", 1)[0] + "/"
        if "/" in name and head in prefixes:
            report.warnings.append(FileWarning(name, f"its folder has the name of the source "
                                               f"'{head[:-1]}'; skipped (rename one)"))
            continue
        listed.append(_Listed(corpus_dir, name, ""))
    kept: list[str] = []
    for root in extra_roots:
        if not root.path.is_dir():
            if root.missing_is_error:
                report.warnings.append(FileWarning(
                    root.prefix[:-1], f"folder {root.path} is missing; its articles are kept"))
                kept.append(root.prefix)
            continue
        listed.extend(_Listed(root.path, name, root.prefix) for name in discover(root.path))
    return listed, kept


def _read_all(listed: Sequence[_Listed],
              max_bytes: int) -> Iterator[ArticleFile | StreamedFile | SkippedFile]:
    """Read files one at a time, so memory stays flat however large the corpus."""
    for item in listed:
        yield read_article(item.root, item.name, max_bytes, prefix=item.prefix)


def _expired(entry: Article, keep_since: date | None) -> bool:
    """True when retention is on and the article is dated before ``keep_since``."""
    day = entry.metadata.get("date", "")
    return keep_since is not None and bool(day) and day < keep_since.isoformat()


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
    extra_roots: Sequence[ExtraRoot] = (),
    keep_since: date | None = None,
    sentences: SentenceVectorStore | None = None,
) -> IngestReport:
    """Bring the store in line with ``corpus_dir`` and the ``extra_roots`` (their files keyed
    ``<prefix><name>``); see the module docstring for guarantees. With ``keep_since``,
    articles dated before that day are left out, and pruned if stored (retention). With
    ``sentences``, the stored chunks' sentence vectors are kept there.
    Raises ``IngestBusyError`` if another ingest is writing the same embedded index."""
    if not corpus_dir.is_dir():
        raise BadInputError(f"corpus folder '{corpus_dir}' does not exist or is not a folder")
    coordination = store.coordination
    with coordination.single_writer() if coordination else nullcontext():
        return _run(corpus_dir, store, encoder, keyword_dir, chunk_size=chunk_size,
                    chunk_overlap=chunk_overlap, prune=prune, rebuild=rebuild,
                    max_file_bytes=max_file_bytes, progress=progress,
                    extra_roots=extra_roots, keep_since=keep_since, sentences=sentences)


def _run(corpus_dir: Path, store: ArticleStore, encoder: Encoder, keyword_dir: Path, *,
         chunk_size: int, chunk_overlap: int, prune: bool, rebuild: bool, max_file_bytes: int,
         progress: IngestProgress | None, extra_roots: Sequence[ExtraRoot],
         keep_since: date | None, sentences: SentenceVectorStore | None) -> IngestReport:
    started = time.perf_counter()
    with store.lock.exclusive():  # a reader never finds the collection missing mid-rebuild
        _catch_up_writer(store)
        if rebuild:
            store.drop()
            if sentences is not None:
                sentences.clear()
        store.open(create=True)
    states = store.file_states()
    signature = chunking_signature(chunk_size, chunk_overlap)
    # Near-duplicate stories (``ingest.near_duplicates``); a rebuild starts them afresh.
    stories = StoryIndex(index_path(keyword_dir)) if rebuild \
        else StoryIndex.load(index_path(keyword_dir))
    ingested_at = int(time.time())
    report = IngestReport()
    listed, kept_prefixes = _list_files(corpus_dir, extra_roots, report)
    extra_prefixes = {root.prefix for root in extra_roots}
    if progress:
        progress.start(len(listed))

    marked_dirty = False

    def mark_dirty() -> None:
        nonlocal marked_dirty
        if not marked_dirty:
            store.set_keyword_fingerprint(KEYWORD_DIRTY)
            marked_dirty = True

    deletions: list[_Deletion] = []

    def remove(key: str) -> None:
        mark_dirty()
        file = states[key].file if key in states else key
        deletions.append(_Deletion(file, article_id=key) if file and file != key
                         else _Deletion(key))

    keys_of_file: dict[str, list[str]] = {}
    for key, key_state in states.items():
        keys_of_file.setdefault(key_state.file or key, []).append(key)

    writer = _Writer(store, encoder, report, progress, deletions, sentences)
    def _ingest_one(entry: Article, key: str, file: str, content_hash: str,
                    multi: bool) -> None:
        version = (content_hash, signature)
        state: FileState | None = states.get(key)
        url = entry.metadata.get("url", "")
        if state is not None and state.is_complete(version):
            report.files_unchanged += 1
            if not stories.knows(key, content_hash):  # stored before its signature was saved
                stories.note(key, content_hash, clean_text(entry.text).text, url, state.story)
            return
        cleaned = clean_text(entry.text)
        chunks = chunk_article(file, entry.text, cleaned, content_hash, chunk_size,
                               chunk_overlap, title=entry.title, metadata=entry.metadata,
                               article_id=key if multi else "")
        if not chunks:
            # Nothing but boilerplate: nothing to store, so it is "skipped" on every run
            # rather than "added" again each time.
            report.skipped.append(SkippedFile(key, "no article text left after removing "
                                              "boilerplate"))
            if state is not None:
                remove(key)
            return
        report.lines_dropped += cleaned.lines_dropped
        story = stories.assign(key, content_hash, cleaned.text, url)
        chunks = [replace(chunk, story=story, ingested_at=ingested_at) for chunk in chunks]
        if state is None:
            report.files_added += 1
            head = file.split("/", 1)[0] + "/"
            prefix = head if head in extra_prefixes else ""
            report.added_by_prefix[prefix] = report.added_by_prefix.get(prefix, 0) + 1
        else:
            report.files_updated += 1
        mark_dirty()
        if progress:
            progress.chunks_planned(len(chunks))
        writer.add(_PendingFile(key, version, state is not None, len(chunks), file), chunks)

    # A missing source folder keeps its articles (an unmounted disk must not empty the index).
    seen: set[str] = {key for key, key_state in states.items()
                      if (key_state.file or key).startswith(tuple(kept_prefixes))} \
        if kept_prefixes else set()
    expired: set[str] = set()
    try:
        for article in _read_all(listed, max_file_bytes):
            if isinstance(article, SkippedFile):
                # A file that cannot be read now keeps the chunks it had: a passing permission
                # problem must not lose indexed data. One read and found not to be an article
                # (emptied, binary, too large) loses them: they quote text it no longer has.
                report.skipped.append(article)
                if article.transient:
                    seen.update(keys_of_file.get(article.name, []))
                else:
                    seen.add(article.name)
                    for key in keys_of_file.get(article.name, []):
                        remove(key)
            else:
                multi = article.multi_article
                ids_in_file: set[str] = set()
                for entry in article.iter_articles():
                    report.warnings.extend(FileWarning(article.name, message)
                                           for message in entry.warnings)
                    if not entry.text.strip():
                        continue  # unreadable entry: its warning says why
                    key = entry.id if multi else article.name
                    if key in ids_in_file:
                        report.warnings.append(FileWarning(
                            article.name, f"duplicate article id '{entry.id}'; skipped"))
                        continue
                    ids_in_file.add(key)
                    if _expired(entry, keep_since):
                        expired.add(key)
                        continue
                    seen.add(key)
                    content_hash = article_hash(entry) if multi else article.content_hash
                    _ingest_one(entry, key, article.name, content_hash, multi)
            if progress:
                progress.file_done(article.name)
    finally:
        try:
            writer.close()
        finally:
            # Even a failed run saves the signatures of what it stored: their chunks already
            # name their stories.
            stories.save()

    if prune or keep_since is not None:
        for name in sorted(set(states) - seen):
            if name in expired:
                remove(name)
                report.articles_expired += 1
            elif prune:
                remove(name)
                report.files_removed += 1

    stories.keep_only(seen)
    stories.save()
    if sentences is not None:
        _complete_sentences(store, sentences, encoder, report, progress)
    _publish(store, keyword_dir, deletions, changed=marked_dirty, sentences=sentences)
    report.chunks_total = store.count()
    report.seconds = time.perf_counter() - started
    return report


def _catch_up_writer(store: ArticleStore) -> None:
    """Reopen the store if another process published since this client loaded its vector
    index. A long-lived writer (the bot's ``/reindex``, a polling loop) would otherwise add to
    a stale in-memory index and, when it next saves it, drop that process's vectors from
    the files for good."""
    coordination = store.coordination
    current = coordination.current() if coordination else None
    if current is not None and current.writer != PROCESS_TOKEN \
            and store.opened_at_generation != current.number:
        store.reopen()


def _complete_sentences(store: ArticleStore, sentences: SentenceVectorStore, encoder: Encoder,
                        report: IngestReport, progress: IngestProgress | None) -> None:
    """Embed the sentences of the stored chunks that have none recorded: every chunk of a data
    dir from before the sentence store (so its first run fills the store), or one a killed run
    stored without them. Cheap when nothing is missing: two id listings."""
    stored = store.ids()
    recorded = sentences.chunk_ids()
    # Chunks gone without their sentences forgotten (a run killed inside its commit step).
    sentences.remove_chunks(recorded - stored)
    missing = sorted(stored - recorded)
    started = time.perf_counter()
    for start in range(0, len(missing), EMBED_BATCH):
        chunks = store.get(missing[start:start + EMBED_BATCH])
        embedded = store_sentences(sentences, encoder, [(c.id, c.text) for c in chunks])
        report.sentences_embedded += embedded
        if progress:
            progress.sentences_embedded(embedded)
    report.sentence_seconds += time.perf_counter() - started


def _publish(store: ArticleStore, keyword_dir: Path, deletions: Sequence[_Deletion], *,
             changed: bool, sentences: SentenceVectorStore | None = None) -> None:
    """Make the run's work visible at once: see the module docstring."""
    coordination = store.coordination
    stored = store.keyword_fingerprint()
    if not deletions and not changed and stored != KEYWORD_DIRTY:
        saved = KeywordIndex.load(keyword_dir)
        published = coordination.current() if coordination else None
        if saved is not None and saved.fingerprint == stored and (
                coordination is None or (published and published.fingerprint == stored)):
            return  # nothing written, and the last run published completely
    doomed: set[str] = set()
    for deletion in deletions:
        doomed |= store.ids_where(deletion_where(deletion.file, deletion.keep,
                                                 deletion.article_id))
    # Built from the chunks that will remain, while readers still answer from the old index.
    index = KeywordIndex.build(_without(store.iter_texts(), doomed))
    staged = index.stage(keyword_dir)
    try:
        with store.lock.exclusive():
            for deletion in deletions:
                store.delete_file(deletion.file, keep=deletion.keep,
                                  article_id=deletion.article_id)
            if sentences is not None:
                sentences.remove_chunks(doomed)
            KeywordIndex.install(staged, keyword_dir)
            if index.fingerprint != stored:
                store.set_keyword_fingerprint(index.fingerprint)
            if coordination:
                coordination.publish(index.fingerprint)
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def _without(pages: Iterable[tuple[list[str], list[str]]],
             doomed: set[str]) -> Iterator[tuple[list[str], list[str]]]:
    for ids, texts in pages:
        kept = [(i, t) for i, t in zip(ids, texts, strict=True) if i not in doomed]
        yield [i for i, _ in kept], [t for _, t in kept]
