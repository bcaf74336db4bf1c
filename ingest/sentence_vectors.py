"""Sentence vectors computed at ingest, so the answer path looks them up instead of embedding.

The extractive answer scores the sentences of the retrieved chunks by their similarity to the
question; embedding them per question was most of an answer's time. Ingest splits every chunk
it stores with the answer path's own splitter (``ingest.sentences``) and keeps each sentence's
vector here, keyed by (embedding model, hash of the sentence text); the answer path reads them
(``ingest.embedding.stored``) and embeds only what is missing.

Why SQLite (the standard library's) and not numpy files per generation: lookups are by key, a
few dozen per question, among up to millions of rows; a transaction makes a batch of vectors
visible whole or not at all to a reader in any process; and WAL mode lets readers go on while
the writer writes. Why not a second Chroma collection: the answer path needs exact-key reads,
not a nearest-neighbour index, and Chroma would build (and load into memory) an HNSW graph
of every sentence.

Consistency with the index generations (``ingest.generation``): a vector is a pure function of
(model, text), so a vector written before its chunk is published is never wrong, only early.
Only the single writer writes, under the index's exclusive lock; the references from chunks to
sentences (``chunk_sentences``) are deleted in the same commit step that deletes the chunks,
and a vector goes when no chunk refers to it any more. A data dir from before this store has
no file: the answer path then embeds as before, and the next ingest fills it in.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from ingest.sentences import split_sentences

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ingest.embedding import Encoder

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# A rowid table for the vectors: a 1.5 kB row is too large for WITHOUT ROWID (which stores
# whole rows in the key's b-tree: 4.7 kB a vector on disk against 2.1 kB, measured).
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, hash BLOB NOT NULL, "
    "vector BLOB NOT NULL, UNIQUE (model, hash))",
    "CREATE TABLE IF NOT EXISTS chunk_sentences (chunk_id TEXT NOT NULL, hash BLOB NOT NULL, "
    "PRIMARY KEY (chunk_id, hash)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS chunk_sentences_by_hash ON chunk_sentences (hash)",
)
# SQLite's default limit of host parameters per statement is 32766 (3.32+); stay well below.
_PARAMS_PER_QUERY = 900
# Sentences embedded per encoder call at ingest (the chunk batches use the same size).
SENTENCE_BATCH = 64


def sentence_hash(text: str) -> bytes:
    """The key of a sentence: 16 bytes of its SHA-256 (collisions are not a concern at this
    scale, and the key is half the size of the full digest)."""
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


def chunk_sentences(text: str) -> list[str]:
    """The sentences of a chunk as the answer path splits them (its quotable ones are a
    subset: it leaves out short ones and headings by rules of its own)."""
    return [sentence.text for sentence in split_sentences(text)]


def _chunked(items: Sequence[bytes] | Sequence[str],
             size: int = _PARAMS_PER_QUERY) -> Iterator[Sequence[bytes] | Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class SentenceVectorStore:
    """The sentence vectors of one collection, in one SQLite file, for one embedding model.

    Thread-safe (one connection behind a lock; every statement is short). A reader never
    creates the file: ``lookup`` on a data dir without it finds nothing.
    """

    def __init__(self, path: Path, model: str, dim: int) -> None:
        self.path = path
        self.model = model
        self.dim = dim
        self._connection: sqlite3.Connection | None = None
        self._prepared = False  # the schema and writer settings are in place
        self._lock = threading.Lock()

    # -- connection ------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.is_file()

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        connection = self._connection
        if connection is None:
            if not create and not self.exists():
                return None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The caller holds self._lock (this process's threads); SQLite locks processes.
            connection = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0,
                                         isolation_level=None)
            self._connection = connection
        if create and not self._prepared:
            # The writer's settings (also when this process read before it writes, e.g. the
            # bot's /reindex); WAL mode stays with the file for every reader.
            connection.execute("PRAGMA journal_mode=WAL")  # readers go on while it writes
            # A power cut may lose the last batches; the next run re-embeds them (it embeds
            # the sentences of every chunk that has none recorded).
            connection.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                connection.execute(statement)
            self._prepared = True
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            connection = self._connect(create=True)
            assert connection is not None
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection, self._prepared = None, False

    # -- reading ---------------------------------------------------------------------------

    def _read(self, query: Callable[[sqlite3.Connection], _T], empty: _T) -> _T:
        """``query`` run on the store, or ``empty`` when there is no file yet or it cannot be
        read (a read-only copy of a data dir): the answer path then embeds, as without one."""
        with self._lock:
            try:
                connection = self._connect(create=False)
                return empty if connection is None else query(connection)
            except sqlite3.Error as exc:
                log.debug("sentence store %s not read: %s", self.path, exc)
                return empty

    def lookup(self, texts: Iterable[str]) -> dict[str, NDArray[np.float32]]:
        """The stored vectors of those ``texts`` that have one (text → vector)."""
        by_hash = {sentence_hash(text): text for text in texts}

        def read(connection: sqlite3.Connection) -> dict[str, NDArray[np.float32]]:
            found: dict[str, NDArray[np.float32]] = {}
            for keys in _chunked(list(by_hash)):
                rows = connection.execute(
                    f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN "
                    f"({','.join('?' * len(keys))})", [self.model, *keys]).fetchall()
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (self.dim,):
                        found[by_hash[key]] = vector
            return found

        return self._read(read, {}) if by_hash else {}

    def count(self) -> int:
        """How many sentence vectors this model has here (0 without a file)."""
        return self._read(lambda connection: int(connection.execute(
            "SELECT COUNT(*) FROM vectors WHERE model = ?", (self.model,)).fetchone()[0]), 0)

    def chunk_ids(self) -> set[str]:
        """The chunks whose sentences are recorded."""
        return self._read(lambda connection: {row[0] for row in connection.execute(
            "SELECT DISTINCT chunk_id FROM chunk_sentences")}, set())

    def chunk_count(self) -> int:
        """How many chunks have their sentences recorded (0 without a file)."""
        return self._read(lambda connection: int(connection.execute(
            "SELECT COUNT(*) FROM (SELECT DISTINCT chunk_id FROM chunk_sentences)"
        ).fetchone()[0]), 0)

    def missing(self, hashes: Sequence[bytes]) -> set[bytes]:
        """Those of ``hashes`` without a vector of this model."""
        have: set[bytes] = set()
        with self._lock:
            connection = self._connect(create=True)
            assert connection is not None
            for keys in _chunked(hashes):
                rows = connection.execute(
                    f"SELECT hash FROM vectors WHERE model = ? AND hash IN "
                    f"({','.join('?' * len(keys))})", [self.model, *keys])
                have.update(row[0] for row in rows)
        return set(hashes) - have

    # -- writing (the single writer only) --------------------------------------------------

    def add(self, vectors: dict[bytes, NDArray[np.float32]],
            references: Iterable[tuple[str, bytes]]) -> None:
        """Store ``vectors`` (hash → vector) and which chunk holds which sentence, in one
        transaction."""
        with self._transaction() as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO vectors (model, hash, vector) VALUES (?, ?, ?)",
                [(self.model, key, np.asarray(vector, dtype=np.float32).tobytes())
                 for key, vector in vectors.items()])
            connection.executemany(
                "INSERT OR IGNORE INTO chunk_sentences (chunk_id, hash) VALUES (?, ?)",
                references)

    def remove_chunks(self, chunk_ids: Iterable[str]) -> int:
        """Forget these chunks' sentences, and the vectors no other chunk refers to; the
        number of vectors removed."""
        ids = sorted(set(chunk_ids))
        if not ids or not self.exists():
            return 0
        with self._transaction() as connection:
            hashes: set[bytes] = set()
            for batch in _chunked(ids):
                marks = ",".join("?" * len(batch))
                hashes.update(row[0] for row in connection.execute(
                    f"SELECT hash FROM chunk_sentences WHERE chunk_id IN ({marks})", batch))
                connection.execute(f"DELETE FROM chunk_sentences WHERE chunk_id IN ({marks})",
                                   batch)
            removed = 0
            for keys in _chunked(sorted(hashes)):
                marks = ",".join("?" * len(keys))
                removed += connection.execute(
                    f"DELETE FROM vectors WHERE hash IN ({marks}) AND hash NOT IN "
                    f"(SELECT hash FROM chunk_sentences WHERE hash IN ({marks}))",
                    [*keys, *keys]).rowcount
        return removed

    def clear(self) -> None:
        """Drop everything (a rebuild starts afresh)."""
        if not self.exists():
            return
        with self._transaction() as connection:
            connection.execute("DELETE FROM chunk_sentences")
            connection.execute("DELETE FROM vectors")


def store_sentences(store: SentenceVectorStore, encoder: Encoder,
                    chunks: Sequence[tuple[str, str]]) -> int:
    """Record the sentences of ``chunks`` ((chunk id, text) pairs), embedding those the store
    has no vector for; the number embedded. Sentences repeat between overlapping chunks and
    syndicated copies: each distinct one is embedded once."""
    references: list[tuple[str, bytes]] = []
    texts: dict[bytes, str] = {}
    for chunk_id, text in chunks:
        for sentence in chunk_sentences(text):
            key = sentence_hash(sentence)
            texts.setdefault(key, sentence)
            references.append((chunk_id, key))
    todo = sorted(store.missing(list(texts)))
    vectors: dict[bytes, NDArray[np.float32]] = {}
    for start in range(0, len(todo), SENTENCE_BATCH):
        keys = todo[start:start + SENTENCE_BATCH]
        for key, vector in zip(keys, encoder.encode([texts[k] for k in keys]), strict=True):
            vectors[key] = vector
    store.add(vectors, references)
    return len(vectors)


def sentence_store_path(keyword_dir: Path) -> Path:
    """Where a collection's sentence vectors live: beside its keyword index (which is
    replaced whole by renames on every publish, so the file cannot go inside it)."""
    return keyword_dir.with_name(keyword_dir.name + ".sentences.sqlite3")
