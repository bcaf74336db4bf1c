"""Hybrid retrieval: dense (Chroma) and BM25 ranks fused by reciprocal rank, each chunk keeping
its cosine similarity to the question (the relevance floor and the extractive rules use it).

Most tests read the shared sample index; the keyword-only case builds a small corpus with an
encoder that places each text on purpose, so one chunk is found by BM25 and not by Chroma.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from bot.answering.question_parts import question_parts
from bot.answering.retrieval import (
    RRF_K,
    HybridRetriever,
    reciprocal_rank_fusion,
    take_turns,
)
from bot.engine import NewsBot
from bot.tuning import DEFAULTS
from ingest.keyword_index import KeywordIndex
from tests.core_fixtures import SAUDI_QUESTION, IndexedCorpus, RecordingEncoder, make_settings


def _retriever(indexed_corpus: IndexedCorpus) -> tuple[HybridRetriever, RecordingEncoder]:
    """A retriever over the shared index whose encoder records what it was asked to embed."""
    bot = indexed_corpus.bot()
    assert bot.store.open(create=False)
    encoder = RecordingEncoder(indexed_corpus.encoder)
    return HybridRetriever(bot.store, encoder, bot.keyword_dir), encoder


def _stored_vectors(retriever: HybridRetriever, ids: Sequence[str]) -> dict[str, np.ndarray]:
    vectors: dict[str, np.ndarray] = {}
    for chunk in retriever.store.get(ids, with_vectors=True):
        assert chunk.vector is not None
        vectors[chunk.id] = chunk.vector
    return vectors


# -- reciprocal rank fusion --------------------------------------------------------------------


def test_rrf_sums_one_over_k_plus_rank_per_ranking() -> None:
    scores = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]])
    assert scores == pytest.approx({
        "a": 1 / (RRF_K + 1) + 1 / (RRF_K + 2),
        "b": 1 / (RRF_K + 2),
        "c": 1 / (RRF_K + 3) + 1 / (RRF_K + 1),
    })
    assert RRF_K == 60  # Cormack et al. (2009), as llama-index uses


def test_rrf_k_and_edge_cases() -> None:
    assert reciprocal_rank_fusion([["a", "b"]], k=0) == pytest.approx({"a": 1.0, "b": 0.5})
    assert reciprocal_rank_fusion([]) == {}
    assert reciprocal_rank_fusion([[], []]) == {}
    # Found by both retrievers beats first place in one of them.
    both = reciprocal_rank_fusion([["x", "y"], ["z", "y"]])
    assert both["y"] > both["x"] == both["z"]


def test_take_turns_round_robin_without_repeats() -> None:
    assert take_turns([["a", "b", "c"], ["b", "d"]], 3) == ["a", "b", "d"]
    assert take_turns([["a"], ["a"], ["c", "e"]], 9) == ["a", "c", "e"]
    assert take_turns([], 3) == [] and take_turns([["a"]], 0) == []


# -- retrieve ----------------------------------------------------------------------------------


@pytest.mark.parametrize("top_k", [1, 3, 5])
def test_retrieve_returns_top_k_best_fused_first_with_cosine_similarity(
        indexed_corpus: IndexedCorpus, top_k: int) -> None:
    retriever, encoder = _retriever(indexed_corpus)
    retrieval = retriever.retrieve(SAUDI_QUESTION, top_k)
    assert encoder.texts == [SAUDI_QUESTION]
    assert retrieval.top_k == top_k and len(retrieval.chunks) == top_k

    # The ranking is the fusion of the two retrievers' own candidate lists.
    vector = indexed_corpus.encoder.encode([SAUDI_QUESTION])[0]
    np.testing.assert_allclose(retrieval.query_vector, vector, rtol=1e-6)
    candidates = max(top_k * DEFAULTS.candidates_per_slot, DEFAULTS.min_candidates)
    dense = [chunk.id for chunk, _ in retriever.store.query(vector, candidates)]
    keyword = retriever.keyword_index().search(SAUDI_QUESTION, candidates)
    fused = reciprocal_rank_fusion([dense, [i for i, _ in keyword]])
    best = sorted(fused.values(), reverse=True)[:top_k]
    assert [c.fused for c in retrieval.chunks] == pytest.approx(best)
    assert all(a.fused >= b.fused for a, b in pairwise(retrieval.chunks))

    keyword_scores = dict(keyword)
    vectors = _stored_vectors(retriever, [c.chunk.id for c in retrieval.chunks])
    for c in retrieval.chunks:
        assert c.fused == pytest.approx(fused[c.chunk.id])
        assert c.similarity == pytest.approx(float(np.dot(vectors[c.chunk.id], vector)), abs=1e-4)
        assert c.keyword_score == pytest.approx(keyword_scores.get(c.chunk.id, 0.0))
        assert c.chunk.text and c.chunk.file
    assert retrieval.best_similarity == max(c.similarity for c in retrieval.chunks)


def test_retrieve_never_returns_more_than_the_collection_holds(
        indexed_corpus: IndexedCorpus) -> None:
    retriever, _ = _retriever(indexed_corpus)
    total = retriever.store.count()
    retrieval = retriever.retrieve(SAUDI_QUESTION, total + 10)
    assert len(retrieval.chunks) == total
    assert len({c.chunk.id for c in retrieval.chunks}) == total


def test_again_reuses_the_earlier_query_vector_and_keyword_index(
        indexed_corpus: IndexedCorpus) -> None:
    retriever, encoder = _retriever(indexed_corpus)
    # An earlier retrieval for *another* question: if `again` were ignored, the similarities
    # below would be those of SAUDI_QUESTION's own vector.
    # Its keyword index is swapped for one that finds nothing (the same chunks, no words: it
    # is also the generation's list of chunks, which dense hits must be in), which the deeper
    # look must search too.
    other = retriever.retrieve("Who leads the coalition of the willing?", 2)
    assert any(c.keyword_score > 0 for c in retriever.retrieve(SAUDI_QUESTION, 6).chunks)
    ids = sorted(retriever.keyword_index().ids)
    empty_index = KeywordIndex.build([(ids, [""] * len(ids))])
    earlier = replace(other, keyword_index=empty_index)
    encoder.texts.clear()

    deeper = retriever.retrieve(SAUDI_QUESTION, 6, again=earlier)
    assert encoder.texts == [], "no second embedding of the question"
    assert deeper.query_vector is other.query_vector
    assert deeper.keyword_index is empty_index
    assert all(c.keyword_score == 0.0 for c in deeper.chunks)
    assert deeper.top_k == 6 and len(deeper.chunks) == 6
    vectors = _stored_vectors(retriever, [c.chunk.id for c in deeper.chunks])
    for c in deeper.chunks:
        assert c.similarity == pytest.approx(
            float(np.dot(vectors[c.chunk.id], other.query_vector)), abs=1e-4)


# -- a keyword-only hit ------------------------------------------------------------------------

QUERY = "quokka"
FILLERS = 15  # more than the dense candidates of top_k=3 (12), so the dense list is all filler


def _unit(*pairs: tuple[int, float], dim: int = 8) -> NDArray[np.float32]:
    vector = np.zeros(dim, dtype=np.float32)
    for axis, value in pairs:
        vector[axis] = value
    return vector / np.linalg.norm(vector)


class PlacingEncoder:
    """Puts the query on axis 0, every filler article close to it and the quokka article far
    from it (cosine 0.3), so only BM25 can find the quokka article."""

    name = "test-placing"
    dim = 8

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        rows = []
        for text in texts:
            if text == QUERY:
                rows.append(_unit((0, 1.0)))
            elif QUERY in text.lower():
                rows.append(_unit((0, 0.3), (1, math.sqrt(1 - 0.3**2))))
            else:
                rows.append(_unit((0, 0.9), (2, math.sqrt(1 - 0.9**2))))
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)


def test_a_keyword_only_hit_gets_its_similarity_from_its_stored_vector(tmp_path: Path) -> None:
    corpus = tmp_path / "articles"
    corpus.mkdir()
    (corpus / "quokka.txt").write_text(
        "Rottnest Island counts its animals\n\nThe quokka population on the island grew "
        "again this year, rangers said on Monday.\n", encoding="utf-8")
    for i in range(FILLERS):
        (corpus / f"filler_{i:02d}.txt").write_text(
            f"Council meeting number {i}\n\nThe town council of district {i} voted on road "
            f"repairs and the budget for item {i} at its meeting.\n", encoding="utf-8")
    bot = NewsBot(make_settings(tmp_path / "data", corpus), encoder=PlacingEncoder())
    report = bot.ingest()
    assert report.files_added == FILLERS + 1 and not report.skipped

    retriever = bot.retriever
    retrieval = retriever.retrieve(QUERY, 3)
    vector = retrieval.query_vector
    dense_ids = {chunk.id for chunk, _ in
                 retriever.store.query(vector, 3 * DEFAULTS.candidates_per_slot)}
    [hit] = [c for c in retrieval.chunks if c.chunk.file == "quokka.txt"]
    assert hit.chunk.id not in dense_ids, "the setup must make it a keyword-only hit"
    assert hit.keyword_score > 0
    assert hit.similarity == pytest.approx(0.3, abs=1e-3)
    [stored] = _stored_vectors(retriever, [hit.chunk.id]).values()
    assert hit.similarity == pytest.approx(float(np.dot(stored, vector)), abs=1e-6)
    # The dense hits keep Chroma's cosine similarity.
    for c in retrieval.chunks:
        if c is not hit:
            assert c.similarity == pytest.approx(0.9, abs=1e-3) and c.keyword_score == 0.0


# -- a compound question -----------------------------------------------------------------------

COMPOUND = ("Where did US delegates negotiate with the Ukrainians, and where did the US envoy "
            "hold talks with the Russian side?")


def test_the_parts_of_a_compound_question_take_turns_at_the_slots(
        indexed_corpus: IndexedCorpus) -> None:
    retriever, encoder = _retriever(indexed_corpus)
    first, second = question_parts(COMPOUND)
    own_best = [retriever.retrieve(part, 1).chunks[0].chunk.id for part in (first, second)]
    assert own_best[0] != own_best[1], "the setup needs parts with different best chunks"

    encoder.texts.clear()
    retrieval = retriever.retrieve(COMPOUND, 2)
    assert [c.chunk.id for c in retrieval.chunks] == own_best
    assert encoder.texts == [COMPOUND, first, second]
    # Similarity stays the whole question's (the relevance floor judges the question asked).
    vectors = _stored_vectors(retriever, own_best)
    for c in retrieval.chunks:
        assert c.similarity == pytest.approx(
            float(np.dot(vectors[c.chunk.id], retrieval.query_vector)), abs=1e-4)


def test_a_compound_question_finds_what_each_part_asks(indexed_corpus: IndexedCorpus) -> None:
    """On the sample corpus the whole question alone retrieves no chunk naming the second
    place (Moscow, where the envoy held talks); its parts looked up in turn find both."""
    retriever, _ = _retriever(indexed_corpus)
    texts = " ".join(c.chunk.text for c in retriever.retrieve(COMPOUND, 5).chunks)
    assert "Saudi Arabia" in texts and "held talks in Moscow" in texts
