"""Hybrid retrieval: dense (Chroma) and keyword (BM25) results fused by reciprocal rank.

Why not llama-index's QueryFusionRetriever: the answer path must not import llama-index (2 s),
and fusion needs each chunk's cosine similarity afterwards for the relevance floor, which
QueryFusionRetriever replaces by the fused rank score. Reciprocal rank fusion itself is a few
lines (Cormack et al., 2009, k=60, as llama-index uses).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from bot.answering.question_parts import question_parts
from bot.answering.stories import Distinct, one_copy_per_story
from bot.models import DateRange
from bot.tuning import DEFAULTS, Tuning
from ingest.chunk_days import ChunkDays
from ingest.dates import span_where
from ingest.errors import IndexFaultError, ServiceUnavailableError
from ingest.index_reader import IndexReader
from ingest.keyword_index import KeywordIndex
from ingest.store import ArticleStore, StoredChunk

if TYPE_CHECKING:
    from ingest.embedding import Encoder

# Its fusion constant and candidate counts are ``bot.tuning.Tuning``'s (rrf_k,
# candidates_per_slot, min_candidates).
RRF_K = DEFAULTS.rrf_k  # Cormack et al. (2009), as llama-index uses
# A date span matching more chunks than this is asked as a Chroma filter rather than as a list
# of ids. The list is the faster of the two up to here: at 100,000 chunks a query among 8,000
# ids took 12 ms, among 32,766 30 ms, the filter 65 ms (chromadb 1.5.9, docs/benchmarks.md).
# Embedded chromadb 1.5.9 took a list of all 100,001 ids, but SQLite caps the values of one
# statement (32,766 in a default build) and a server's may be built so: the list stays below.
# The filter fails only on a vector index older than the chunks it matches; the retry after a
# reopen then succeeds.
MAX_IDS_IN_QUERY = 30_000


@dataclass(frozen=True)
class RetrievedChunk:
    chunk: StoredChunk
    similarity: float  # cosine similarity of the question and the chunk
    keyword_score: float  # BM25 score, 0 if the keyword retriever did not find it
    fused: float  # reciprocal-rank-fusion score, what the ranking uses
    # The other copies of its story (same wire story on other sites) that the search found,
    # left out so the slots go to distinct stories (``bot/answering/stories.py``).
    copies: tuple[StoredChunk, ...] = ()


@dataclass(frozen=True)
class Retrieval:
    query_vector: np.ndarray
    chunks: list[RetrievedChunk]
    keyword_index: KeywordIndex  # the one searched: the answerability rules ask it too
    top_k: int  # how many chunks were asked for (a deeper look asks for a multiple)
    # Only chunks of articles dated in this range were searched (None: all chunks).
    dates: DateRange | None = None

    @property
    def best_similarity(self) -> float:
        return max((c.similarity for c in self.chunks), default=0.0)


def _fused(dense: list[tuple[StoredChunk, float]], keyword: list[tuple[str, float]],
           k: int) -> dict[str, float]:
    """The dense and keyword hits of one query fused by reciprocal rank (constant ``k``)."""
    return reciprocal_rank_fusion([[c.id for c, _ in dense], [i for i, _ in keyword]], k)


def _best_first(scores: dict[str, float]) -> list[str]:
    return sorted(scores, key=lambda i: -scores[i])


def take_turns(rankings: list[list[str]], k: int) -> list[str]:
    """The first ``k`` distinct ids taking each ranking's best in turn (round robin)."""
    taken: list[str] = []
    for rank in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if len(taken) >= k:
                return taken
            if rank < len(ranking) and ranking[rank] not in taken:
                taken.append(ranking[rank])
    return taken


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = RRF_K) -> dict[str, float]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank + 1)
    return scores


class HybridRetriever:
    """Retrieves the best chunks for a question from one ``ArticleStore``.

    Every retrieval runs inside ``IndexReader.reading()``: one published generation of the
    index, both halves, held steady while it runs (``ingest/index_reader.py``)."""

    def __init__(self, store: ArticleStore, encoder: Encoder, keyword_dir: Path,
                 tuning: Tuning = DEFAULTS) -> None:
        self.store = store
        self.encoder = encoder
        self.keyword_dir = keyword_dir
        self.tuning = tuning
        self.index = IndexReader(store, keyword_dir)
        # The days of the chunks of the keyword index they were read for: one generation's.
        self._days: tuple[KeywordIndex, ChunkDays] | None = None
        self._lock = threading.Lock()

    def keyword_index(self) -> KeywordIndex:
        """The keyword index of the published generation (reloaded after a re-ingest)."""
        with self.index.reading() as keyword_index:
            return keyword_index

    def corpus_days(self) -> list[date]:
        """The days the indexed articles are dated (none for an undated corpus); read once per
        generation of the index."""
        with self.index.reading() as keyword_index:
            return self.chunk_days(keyword_index).days()

    def chunk_days(self, keyword_index: KeywordIndex) -> ChunkDays:
        """The day of every chunk of ``keyword_index``'s generation, read from the store the
        first time that index is searched with a date span (or asked for the corpus's days).

        Keyed by the keyword index itself, not its fingerprint: the index reader loads a new one
        for every generation published (in this process or another), so a new generation's
        chunks are always read, and the mask stays in the order of the index it belongs to."""
        with self._lock:
            if self._days is None or self._days[0] is not keyword_index:
                numbers = self.store.day_numbers(within=keyword_index.ids)
                self._days = (keyword_index, ChunkDays.of(keyword_index.chunk_ids, numbers))
            return self._days[1]

    def retrieve(self, query: str, top_k: int, *, again: Retrieval | None = None,
                 dates: DateRange | None = None) -> Retrieval:
        """The ``top_k`` best chunks for ``query``, only of articles in ``dates`` if given.
        ``again``: an earlier retrieval of the same query, whose question vector, keyword index
        and dates are reused (a deeper second look).

        Embedded Chroma that fails a read is reopened and asked once more: a view gone stale
        is what a reopen fixes. A second failure is a fault waiting will not cure."""
        try:
            return self._retrieve(query, top_k, again=again, dates=dates)
        except ServiceUnavailableError as exc:
            if self.store.coordination is None:
                raise  # a Chroma server: unreachable, and it may come back
            self.index.invalidate()
            try:
                return self._retrieve(query, top_k, again=again, dates=dates)
            except ServiceUnavailableError as again_exc:
                raise IndexFaultError(
                    f"the index in {self.store.coordination.data_dir} could not be read even "
                    f"after reopening it ({again_exc}); run `newsbot ingest --rebuild` to "
                    "repair it") from exc

    def _retrieve(self, query: str, top_k: int, *, again: Retrieval | None,
                  dates: DateRange | None) -> Retrieval:
        vector = again.query_vector if again else self.encoder.encode([query])[0]
        with self.index.reading() as current:
            return self._search(query, vector, top_k,
                                again.keyword_index if again else current,
                                again.dates if again else dates)

    def _search(self, query: str, vector: np.ndarray, top_k: int, keyword_index: KeywordIndex,
                dates: DateRange | None) -> Retrieval:
        tuning = self.tuning
        candidates = max(top_k * tuning.candidates_per_slot, tuning.min_candidates)
        # The keyword index's ids are the published generation: a dense hit outside them is a
        # chunk an unfinished ingest has written, not yet part of the index, and is left out.
        published = keyword_index.ids
        # One selection of the dated chunks serves both halves: the keyword search scores only
        # the chunks it marks, and the dense query is asked among those same ids (not with a
        # Chroma filter: embedded Chroma fails a filter that matches a chunk another process
        # wrote after this one loaded its vector index). It is the generation's chunk days
        # compared in memory (``ingest/chunk_days.py``), not a Chroma read per question.
        mask: NDArray[np.bool_] | None = None
        dense_ids: list[str] | None = None
        dense_where: dict[str, Any] | None = None
        if dates is not None:
            days = self.chunk_days(keyword_index)
            mask = days.within(dates.since, dates.until)
            if np.count_nonzero(mask) <= MAX_IDS_IN_QUERY:
                dense_ids = days.sorted_ids(mask)
            else:
                dense_where = span_where(dates.since, dates.until)

        def search(text: str, text_vector: np.ndarray) -> \
                tuple[list[tuple[StoredChunk, float]], list[tuple[str, float]]]:
            dense = self.store.query(text_vector, candidates, where=dense_where, ids=dense_ids)
            return ([(c, s) for c, s in dense if c.id in published],
                    keyword_index.search(text, candidates, mask=mask))

        dense, keyword = search(query, vector)
        fused = _fused(dense, keyword, tuning.rrf_k)
        order = _best_first(fused)
        parts = question_parts(query, tuning.max_question_parts)
        if parts:
            # A compound question: its parts take turns at the slots, each ranked on its own.
            # (Fusing the parts' rankings with the whole question's instead favoured the
            # chunks every ranking half-matches over the one each part needs.)
            by_part = [_fused(*search(part, self.encoder.encode([part])[0]), tuning.rrf_k)
                       for part in parts]
            every = {i for ranking in by_part for i in ranking}
            order = take_turns([_best_first(ranking) for ranking in by_part], len(every))
            fused = {i: max(ranking.get(i, 0.0) for ranking in by_part) for i in order}

        known = {chunk.id: (chunk, similarity) for chunk, similarity in dense}
        keyword_scores = dict(keyword)
        distinct = self._distinct(order, known, vector, top_k)
        chunks = [
            RetrievedChunk(known[i][0], known[i][1], keyword_scores.get(i, 0.0), fused[i],
                           distinct.copies.get(i, ()))
            for i in distinct.ids
        ]
        return Retrieval(vector, chunks, keyword_index, top_k, dates)

    def _distinct(self, order: list[str], known: dict[str, tuple[StoredChunk, float]],
                  vector: np.ndarray, top_k: int) -> Distinct:
        """The best ``top_k`` of ``order`` with one copy per story; looks further down the
        ranking only when copies were left out or a stale keyword hit was gone from the store
        (``known`` gains the chunks it fetches)."""
        window = top_k
        asked: set[str] = set()
        while True:
            head = order[:window]
            missing = [i for i in head if i not in known and i not in asked]
            asked.update(missing)
            known.update(self._with_similarity(missing, vector))
            # A stale keyword hit may be gone from the store: it is left out.
            distinct = one_copy_per_story([known[i][0] for i in head if i in known], top_k)
            if len(distinct.ids) >= top_k or window >= len(order):
                return distinct
            window += top_k

    def _with_similarity(self, ids: list[str], vector: np.ndarray) -> \
            dict[str, tuple[StoredChunk, float]]:
        """Keyword-only hits lack a dense score: compute it from their stored vectors."""
        return {chunk.id: (chunk, float(np.dot(chunk.vector, vector)))
                for chunk in self.store.get(ids, with_vectors=True) if chunk.vector is not None}
