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


@dataclass(frozen=True)
class _Options:
    """``run_ingest``'s settings for one run: how to chunk, what to read and what to keep."""

    chunk_size: int
    chunk_overlap: int
    prune: bool
    rebuild: bool
    max_file_bytes: int
    extra_roots: Sequence[ExtraRoot]
    keep_since: date | None


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
    options = _Options(chunk_size=chunk_size, chunk_overlap=chunk_overlap, prune=prune,
                       rebuild=rebuild, max_file_bytes=max_file_bytes,
                       extra_roots=extra_roots, keep_since=keep_since)
    coordination = store.coordination
    with coordination.single_writer() if coordination else nullcontext():
        return _run(corpus_dir, store, encoder, keyword_dir, options, progress, sentences)


def _run(corpus_dir: Path, store: ArticleStore, encoder: Encoder, keyword_dir: Path,
         options: _Options, progress: IngestProgress | None,
         sentences: SentenceVectorStore | None = None) -> IngestReport:
    """The run's steps in order; ``_IngestRun`` holds what they share."""
    started = time.perf_counter()
    _open_store(store, rebuild=options.rebuild, sentences=sentences)
    run = _IngestRun(store, encoder, keyword_dir, options, progress, sentences)
    listed = run.list_files(corpus_dir)
    run.store_files(listed)
    run.drop_unseen()
    if sentences is not None:
        _complete_sentences(store, sentences, encoder, run.report, progress)
    run.publish()
    run.report.chunks_total = store.count()
    run.report.seconds = time.perf_counter() - started
    return run.report


def _open_store(store: ArticleStore, *, rebuild: bool,
                sentences: SentenceVectorStore | None = None) -> None:
    """Open (on ``rebuild``: empty, with the sentence store) the collection, up to date with
    other writers' work."""
    with store.lock.exclusive():  # a reader never finds the collection missing mid-rebuild
        _catch_up_writer(store)
        if rebuild:
            store.drop()
            if sentences is not None:
                sentences.clear()
        store.open(create=True)


class _IngestRun:
    """One run's shared state, with a method per step: what is stored (``states``), the
    report, the keys seen in the corpus (kept when pruning), and the deletions that
    ``publish`` applies at the end. Nothing is deleted before then (kill-safety)."""

    def __init__(self, store: ArticleStore, encoder: Encoder, keyword_dir: Path,
                 options: _Options, progress: IngestProgress | None,
                 sentences: SentenceVectorStore | None = None) -> None:
        self.store = store
        self.sentences = sentences
        self.keyword_dir = keyword_dir
        self.options = options
        self.progress = progress
        self.states = store.file_states()
        self.signature = chunking_signature(options.chunk_size, options.chunk_overlap)
        # Near-duplicate stories (``ingest.near_duplicates``); a rebuild starts them afresh.
        self.stories = StoryIndex(index_path(keyword_dir)) if options.rebuild \
            else StoryIndex.load(index_path(keyword_dir))
        self.ingested_at = int(time.time())
        self.report = IngestReport()
        self.extra_prefixes = {root.prefix for root in options.extra_roots}
        self.keys_of_file: dict[str, list[str]] = {}
        for key, key_state in self.states.items():
            self.keys_of_file.setdefault(key_state.file or key, []).append(key)
        self.deletions: list[_Deletion] = []
        self.marked_dirty = False
        self.seen: set[str] = set()  # stored keys that stay (the rest are pruned)
        self.expired: set[str] = set()  # keys left out by retention
        # No thread starts before the first batch is submitted.
        self.writer = _Writer(store, encoder, self.report, progress, self.deletions,
                              sentences)

    # -- the steps, in the order ``_run`` takes them -----------------------------------------

    def list_files(self, corpus_dir: Path) -> list[_Listed]:
        """Every file to read; the progress protocol's ``start`` with their number."""
        listed, kept_prefixes = _list_files(corpus_dir, self.options.extra_roots, self.report)
        if self.progress:
            self.progress.start(len(listed))
        # A missing source folder keeps its articles (an unmounted disk must not empty the
        # index).
        if kept_prefixes:
            self.seen = {key for key, key_state in self.states.items()
                         if (key_state.file or key).startswith(tuple(kept_prefixes))}
        return listed

    def store_files(self, listed: Sequence[_Listed]) -> None:
        """Read, chunk and store every listed file, one at a time (the writer embeds in the
        background); ``file_done`` after each."""
        try:
            for article in _read_all(listed, self.options.max_file_bytes):
                if isinstance(article, SkippedFile):
                    self._skip_file(article)
                else:
                    self._store_file(article)
                if self.progress:
                    self.progress.file_done(article.name)
        finally:
            try:
                self.writer.close()
            finally:
                # Even a failed run saves the signatures of what it stored: their chunks
                # already name their stories.
                self.stories.save()

    def drop_unseen(self) -> None:
        """Remove the stored articles no longer in the corpus (``prune``) or now too old
        (retention), and forget their stories."""
        if self.options.prune or self.options.keep_since is not None:
            for name in sorted(set(self.states) - self.seen):
                if name in self.expired:
                    self._remove(name)
                    self.report.articles_expired += 1
                elif self.options.prune:
                    self._remove(name)
                    self.report.files_removed += 1
        self.stories.keep_only(self.seen)
        self.stories.save()

    def publish(self) -> None:
        _publish(self.store, self.keyword_dir, self.deletions, changed=self.marked_dirty,
                 sentences=self.sentences)

    # -- one file, one article ---------------------------------------------------------------

    def _skip_file(self, skipped: SkippedFile) -> None:
        """A file that cannot be read now keeps the chunks it had: a passing permission
        problem must not lose indexed data. One read and found not to be an article (emptied,
        binary, too large) loses them: they quote text it no longer has."""
        self.report.skipped.append(skipped)
        if skipped.transient:
            self.seen.update(self.keys_of_file.get(skipped.name, []))
        else:
            self.seen.add(skipped.name)
            for key in self.keys_of_file.get(skipped.name, []):
                self._remove(key)

    def _store_file(self, article: ArticleFile | StreamedFile) -> None:
        """Each article of the file (one, or a feed's entries keyed by their ids)."""
        multi = article.multi_article
        ids_in_file: set[str] = set()
        for entry in article.iter_articles():
            self.report.warnings.extend(FileWarning(article.name, message)
                                        for message in entry.warnings)
            if not entry.text.strip():
                continue  # unreadable entry: its warning says why
            key = entry.id if multi else article.name
            if key in ids_in_file:
                self.report.warnings.append(FileWarning(
                    article.name, f"duplicate article id '{entry.id}'; skipped"))
                continue
            ids_in_file.add(key)
            if _expired(entry, self.options.keep_since):
                self.expired.add(key)
                continue
            self.seen.add(key)
            content_hash = article_hash(entry) if multi else article.content_hash
            self._store_article(entry, key, article.name, content_hash, multi)

    def _store_article(self, entry: Article, key: str, file: str, content_hash: str,
                       multi: bool) -> None:
        """Chunk a new or changed article and hand its chunks to the writer; an unchanged
        one only counts (and gets its story signature if it had none)."""
        version = (content_hash, self.signature)
        state: FileState | None = self.states.get(key)
        url = entry.metadata.get("url", "")
        if state is not None and state.is_complete(version):
            self.report.files_unchanged += 1
            if not self.stories.knows(key, content_hash):  # stored before its signature was saved
                self.stories.note(key, content_hash, clean_text(entry.text).text, url,
                                  state.story)
            return
        cleaned = clean_text(entry.text)
        chunks = chunk_article(file, entry.text, cleaned, content_hash,
                               self.options.chunk_size, self.options.chunk_overlap,
                               title=entry.title, metadata=entry.metadata,
                               article_id=key if multi else "")
        if not chunks:
            # Nothing but boilerplate: nothing to store, so it is "skipped" on every run
            # rather than "added" again each time.
            self.report.skipped.append(SkippedFile(key, "no article text left after removing "
                                                   "boilerplate"))
            if state is not None:
                self._remove(key)
            return
        self.report.lines_dropped += cleaned.lines_dropped
        story = self.stories.assign(key, content_hash, cleaned.text, url)
        chunks = [replace(chunk, story=story, ingested_at=self.ingested_at) for chunk in chunks]
        self._count_change(file, is_new=state is None)
        self._mark_dirty()
        if self.progress:
            self.progress.chunks_planned(len(chunks))
        self.writer.add(_PendingFile(key, version, state is not None, len(chunks), file), chunks)

    def _count_change(self, file: str, *, is_new: bool) -> None:
        """An added article counts towards its source (its prefix; "" for the corpus folder)."""
        if not is_new:
            self.report.files_updated += 1
            return
        self.report.files_added += 1
        head = file.split("/", 1)[0] + "/"
        prefix = head if head in self.extra_prefixes else ""
        self.report.added_by_prefix[prefix] = self.report.added_by_prefix.get(prefix, 0) + 1

    # -- what the run changes ------------------------------------------------------------------

    def _mark_dirty(self) -> None:
        """Before the first write: the keyword index no longer matches the collection."""
        if not self.marked_dirty:
            self.store.set_keyword_fingerprint(KEYWORD_DIRTY)
            self.marked_dirty = True

    def _remove(self, key: str) -> None:
        """Delete ``key``'s chunks when the run publishes (a feed entry by its article id)."""
        self._mark_dirty()
        file = self.states[key].file if key in self.states else key
        self.deletions.append(_Deletion(file, article_id=key) if file and file != key
                              else _Deletion(key))


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
    stored without them. Cheap when nothing is missing: two counts (listing every id takes
    ~5 s at 100,000 chunks, too much for every poll of a feed)."""
    if sentences.chunk_count() == store.count():
        # Every run records a chunk's sentences right after storing it, and forgets them in
        # the step that deletes it: equal counts mean the same chunks (a killed run leaves
        # one side larger, which the listing below then repairs).
        return
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
