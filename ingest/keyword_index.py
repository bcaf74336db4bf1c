"""The keyword (BM25) half of hybrid retrieval, persisted next to the collection.

Why bm25s directly and not llama-index's BM25Retriever: that retriever persists every node as
JSON and reloads them all at start-up, which at 100,000 chunks costs seconds per process. Here
only the sparse matrix (memory-mapped) and the chunk ids are stored; texts stay in Chroma.

The index records the fingerprint of the chunk-id set it was built from. Ingest writes the same
fingerprint into the collection's metadata when it finishes (and "dirty" while it works), so a
reader can tell a stale index from a current one without listing the collection.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ingest.store import KEYWORD_DIRTY
from ingest.text_terms import terms

if TYPE_CHECKING:
    from ingest.store import ArticleStore

_IDS_FILE = "chunk_ids.json"
_META_FILE = "newsbot_keyword.json"


def _import_bm25s() -> Any:
    import bm25s

    # bm25s sets its own logger to DEBUG on import, which would print "Building index from
    # tokens" under any application log level; give the level back to the application.
    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s


def fingerprint(chunk_ids: Iterable[str]) -> str:
    """A digest of a set of chunk ids (ids already encode file, content and chunking)."""
    digest = hashlib.sha256()
    for chunk_id in sorted(chunk_ids):
        digest.update(chunk_id.encode())
        digest.update(b"\n")
    return digest.hexdigest()[:32]


def index_dir_for(data_dir: Path, store_location: str, collection: str) -> Path:
    """Where the keyword index of one collection of one store lives (local even in server mode)."""
    key = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{store_location}__{collection}")[-120:]
    return data_dir / "keyword" / key


def untied_best(scores: NDArray[np.floating], k: int) -> NDArray[np.intp] | None:
    """The positions of the ``k`` best positive scores, best first; None if two of them are
    equal (then only bm25s's own top-k gives the order bm25s has always given).

    Why: bm25s's top-k (``BM25.retrieve``) runs ``np.argpartition`` over every chunk's score,
    and numpy's selection slows down tenfold on an array that is almost all one value, which a
    BM25 score array is (every chunk without a query word, and every chunk a date span leaves
    out, scores 0): ~14 ms a query at 100,000 chunks, against ~0.4 ms for selecting among the
    positive scores (docs/benchmarks.md). Only positive scores are ever kept. Without ties the
    best ``k`` and their order are fixed by the scores alone, so this gives exactly what bm25s
    gives; equal scores come back in whatever order its partition leaves them, which only
    running it reproduces (ordering them otherwise changed 2 of 105 RealTimeQA answers)."""
    positive = np.flatnonzero(scores > 0)
    values = scores[positive]
    if len(values) > k:
        # Everything at least as good as the k-th best: more than k means a tie at the edge.
        kept = values >= np.partition(values, len(values) - k)[len(values) - k]
        positive, values = positive[kept], values[kept]
    order = np.argsort(-values, kind="stable")
    if len(values) > 1 and np.any(values[order[1:]] == values[order[:-1]]):
        return None
    return positive[order]


class KeywordIndex:
    """A loaded BM25 index: ``search`` returns (chunk id, score) pairs, best first."""

    def __init__(self, retriever: Any, chunk_ids: list[str], index_fingerprint: str) -> None:
        self._retriever = retriever
        self._chunk_ids = chunk_ids
        self._id_set: frozenset[str] | None = None
        self.fingerprint = index_fingerprint

    def __len__(self) -> int:
        return len(self._chunk_ids)

    def knows(self, term: str) -> bool:
        """True if the (stemmed) term occurs in at least one indexed chunk."""
        vocabulary: dict[str, int] = getattr(self._retriever, "vocab_dict", None) or {}
        return term in vocabulary

    def search(self, query: str, k: int, *,
               mask: NDArray[np.bool_] | None = None) -> list[tuple[str, float]]:
        """The ``k`` best chunks for ``query``; with ``mask``, just those it marks (one flag
        per chunk of ``chunk_ids``, in that order: what ``ingest.chunk_days`` gives for a date
        span). The others score 0 before the top ``k`` are taken, so a filter never leaves
        fewer hits than the chunks it allows could give."""
        query_terms = terms(query)
        if not query_terms or not self._chunk_ids:
            return []
        k = min(k, len(self._chunk_ids))
        weights = None
        if mask is not None:
            if len(mask) != len(self._chunk_ids):
                raise ValueError(f"a mask of {len(mask)} flags for {len(self._chunk_ids)} "
                                 "chunks")
            if not mask.any():
                return []
            weights = mask.astype(np.float32)
        # bm25s scores every chunk in this thread (``retrieve``'s thread pool cost ~7 ms a
        # query on a busy machine); the best ``k`` are taken here unless scores tie.
        scores = self._retriever.get_scores(query_terms, weight_mask=weights)
        best = untied_best(scores, k)
        if best is None:
            _, best = _import_bm25s().selection.topk(scores, k=k, backend="auto", sorted=True)
        return [(self._chunk_ids[int(doc)], float(scores[doc])) for doc in best
                if scores[doc] > 0]

    @classmethod
    def build(cls, pages: Iterable[tuple[list[str], list[str]]]) -> KeywordIndex:
        bm25s = _import_bm25s()

        chunk_ids: list[str] = []
        corpus_terms: list[list[str]] = []
        for ids, texts in pages:
            chunk_ids.extend(ids)
            corpus_terms.extend(terms(text) or ["\u2205"] for text in texts)
        retriever = bm25s.BM25()
        if corpus_terms:
            retriever.index(corpus_terms, show_progress=False)
        return cls(retriever, chunk_ids, fingerprint(chunk_ids))

    @property
    def chunk_ids(self) -> Sequence[str]:
        """The chunk ids indexed, in the index's own order (a ``search`` mask's order)."""
        return self._chunk_ids

    @property
    def ids(self) -> frozenset[str]:
        """The chunk ids indexed: the manifest of the generation this index belongs to."""
        if self._id_set is None:
            self._id_set = frozenset(self._chunk_ids)
        return self._id_set

    def save(self, directory: Path) -> None:
        """Write atomically: a reader sees the old index or the new one, never half of one."""
        self.install(self.stage(directory), directory)

    def stage(self, directory: Path) -> Path:
        """Write the index beside ``directory`` (not yet in its place); see ``install``."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".kw-", dir=directory.parent))
        if self._chunk_ids:
            self._retriever.save(str(staging))
        (staging / _IDS_FILE).write_text(json.dumps(self._chunk_ids))
        (staging / _META_FILE).write_text(json.dumps({"fingerprint": self.fingerprint}))
        return staging

    @staticmethod
    def install(staging: Path, directory: Path) -> None:
        """Put a staged index in place with renames only (fast enough for a commit step)."""
        retired = directory.with_name(directory.name + f".old-{os.getpid()}")
        if directory.exists():
            os.replace(directory, retired)
        os.replace(staging, directory)
        shutil.rmtree(retired, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex | None:
        """The saved index, or None if there is none (or it is unreadable)."""
        try:
            meta = json.loads((directory / _META_FILE).read_text())
            chunk_ids = json.loads((directory / _IDS_FILE).read_text())
            # An empty index has no matrix on disk; search() and knows() need none then.
            retriever = (_import_bm25s().BM25.load(str(directory), mmap=True) if chunk_ids
                         else None)
            return cls(retriever, chunk_ids, str(meta["fingerprint"]))
        except (OSError, ValueError, KeyError):
            return None


def refresh_keyword_index(store: ArticleStore, keyword_dir: Path, force: bool = False,
                          stored: str | None = None) -> KeywordIndex:
    """Load the keyword index if it matches the collection, else rebuild and save it.

    ``stored`` is the collection's keyword fingerprint when the caller has just read it (saves
    reading the collection's metadata a second time).
    """
    if stored is None:
        stored = store.keyword_fingerprint()
    if not force and stored != KEYWORD_DIRTY:
        index = KeywordIndex.load(keyword_dir)
        if index is not None and index.fingerprint == stored:
            return index
    index = KeywordIndex.build(store.iter_texts())
    index.save(keyword_dir)
    if index.fingerprint != stored:
        store.set_keyword_fingerprint(index.fingerprint)
    return index
