"""The persisted BM25 keyword index and the word normalisation it shares with the answerer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.keyword_index import KeywordIndex, fingerprint, index_dir_for, untied_best
from ingest.text_terms import terms

PAGES = [
    (["c1", "c2"], ["Negotiations were held in Saudi Arabia last week.",
                    "Trump will speak with Putin by phone on Tuesday."]),
    (["c3"], ["The Zaporizhzhia nuclear power plant is under Russian occupation."]),
    (["c4"], [""]),
]


def test_terms_are_stemmed_lowercase_content_words() -> None:
    assert terms("The Talks were HELD in Saudi Arabia") == ["talk", "held", "saudi", "arabia"]
    assert terms("Trump’s envoy said") == ["trump", "envoy"]  # possessive and a stop word
    assert terms("What is it?") == []


def test_search_ranks_the_matching_chunk_first() -> None:
    index = KeywordIndex.build(PAGES)
    assert len(index) == 4
    assert index.search("Where were the negotiations held?", 3)[0][0] == "c1"
    assert index.search("nuclear plant", 3)[0][0] == "c3"
    hits = index.search("phone call Tuesday", 10)
    assert [chunk_id for chunk_id, _ in hits] == ["c2"]  # only positive scores are returned
    assert hits[0][1] > 0


def test_no_terms_or_no_match_gives_nothing() -> None:
    index = KeywordIndex.build(PAGES)
    assert index.search("what is the", 3) == []
    assert index.search("kangaroo", 3) == []


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = KeywordIndex.build(PAGES)
    index.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded is not None
    assert loaded.fingerprint == index.fingerprint == fingerprint(["c1", "c2", "c3", "c4"])
    assert loaded.search("Saudi Arabia", 2) == index.search("Saudi Arabia", 2)


def test_save_replaces_an_older_index_atomically(tmp_path: Path) -> None:
    KeywordIndex.build(PAGES).save(tmp_path / "kw")
    newer = KeywordIndex.build([(["n1"], ["Kangaroos live in Australia."])])
    newer.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded is not None and loaded.fingerprint == newer.fingerprint
    assert loaded.search("kangaroo", 3)[0][0] == "n1"
    assert loaded.search("Saudi", 3) == []
    # No staging or retired directories are left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kw"]


def test_an_empty_index_saves_loads_and_finds_nothing(tmp_path: Path) -> None:
    empty = KeywordIndex.build([])
    empty.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded is not None and len(loaded) == 0
    assert loaded.search("anything at all", 5) == []


def test_load_of_a_missing_or_corrupt_index_is_none(tmp_path: Path) -> None:
    assert KeywordIndex.load(tmp_path / "nothing") is None
    KeywordIndex.build(PAGES).save(tmp_path / "kw")
    (tmp_path / "kw" / "newsbot_keyword.json").write_text("{not json")
    assert KeywordIndex.load(tmp_path / "kw") is None


def test_fingerprint_is_order_independent_and_content_sensitive() -> None:
    assert fingerprint(["a", "b"]) == fingerprint(["b", "a"])
    assert fingerprint(["a", "b"]) != fingerprint(["a", "c"])
    assert fingerprint([]) != fingerprint(["a"])


def test_index_dir_is_per_store_and_collection_and_filesystem_safe(tmp_path: Path) -> None:
    local = index_dir_for(tmp_path, str(tmp_path / "chroma"), "articles")
    server = index_dir_for(tmp_path, "http://127.0.0.1:8000", "articles")
    other = index_dir_for(tmp_path, "http://127.0.0.1:8000", "other")
    assert len({local, server, other}) == 3
    for path in (local, server, other):
        assert path.parent == tmp_path / "keyword"
        assert "/" not in path.name and ":" not in path.name


def test_search_only_among_allowed_ids_finds_them_beneath_better_ones() -> None:
    # A date range: the better-matching chunk is out of range; the allowed one must still be
    # found (it is scored among the allowed, not dropped after a top-k of everything).
    pages = [(["old", "new", "other"], ["Velmora grain Velmora grain record",
                                         "Velmora shipped grain", "A flood in Brisca"])]
    index = KeywordIndex.build(pages)
    assert [i for i, _ in index.search("Velmora grain", 1)] == ["old"]
    assert [i for i, _ in index.search("Velmora grain", 1,
                                       mask=np.array([False, True, True]))] == ["new"]
    assert index.search("Velmora grain", 5, mask=np.array([False, False, True])) == []
    assert index.search("Velmora grain", 5, mask=np.zeros(3, dtype=bool)) == []


def test_search_with_a_mask_keeps_only_the_chunks_it_marks_in_index_order() -> None:
    pages = [(["old", "new", "other"], ["Velmora grain Velmora grain record",
                                         "Velmora shipped grain", "A flood in Brisca"])]
    index = KeywordIndex.build(pages)
    assert list(index.chunk_ids) == ["old", "new", "other"]
    assert [i for i, _ in index.search("Velmora grain", 1,
                                       mask=np.array([False, True, True]))] == ["new"]
    assert index.search("Velmora grain", 5, mask=np.array([True, False, True]))[0][0] == "old"
    assert index.search("Velmora grain", 5, mask=np.zeros(3, dtype=bool)) == []
    with pytest.raises(ValueError, match="a mask of 2 flags for 3 chunks"):
        index.search("Velmora grain", 5, mask=np.array([True, True]))


def test_untied_best_takes_the_best_positive_scores_and_gives_up_on_a_tie() -> None:
    scores = np.array([0.0, 2.5, 0.0, 9.0, 1.0, 0.0, 4.0], dtype=np.float32)
    assert untied_best(scores, 2).tolist() == [3, 6]
    assert untied_best(scores, 10).tolist() == [3, 6, 1, 4]  # zeros are never taken
    assert untied_best(np.zeros(5, dtype=np.float32), 3).tolist() == []
    assert untied_best(np.array([1.0, 3.0, 1.0], dtype=np.float32), 3) is None
    assert untied_best(np.array([1.0, 3.0, 1.0], dtype=np.float32), 2) is None  # at the edge
    assert untied_best(np.array([1.0, 3.0, 3.0, 0.5], dtype=np.float32), 1) is None
    # A tie below the k best does not matter.
    assert untied_best(np.array([1.0, 3.0, 1.0, 2.0], dtype=np.float32), 2).tolist() == [1, 3]


def test_search_ranks_exactly_as_bm25s_does_with_and_without_ties() -> None:
    # Mostly chunks without the query words (score 0, bm25s's slow case), copies of one text
    # (equal scores: bm25s's own order must be kept) and distinct matches.
    texts = [f"council meeting {i} about roads" for i in range(400)]
    texts += ["Velmora grain record"] * 3 + ["Velmora shipped grain", "grain port of Velmora",
                                             "Velmora grain grain Velmora harvest", "grain"]
    ids = [f"c{i:03d}" for i in range(len(texts))]
    index = KeywordIndex.build([(ids, texts)])
    rng = np.random.default_rng(3)
    masks = [None, rng.random(len(ids)) < 0.5, np.arange(len(ids)) >= 402]
    for query in ("Velmora grain", "grain harvest", "council roads", "port"):
        for k in (1, 2, 3, 4, 6, 50):
            for mask in masks:
                weights = None if mask is None else mask.astype(np.float32)
                documents, scores = index._retriever.retrieve(  # bm25s's own top k
                    [terms(query)], k=k, show_progress=False, weight_mask=weights)
                expected = [(ids[int(d)], float(s))
                            for d, s in zip(documents[0], scores[0], strict=True) if s > 0]
                assert index.search(query, k, mask=mask) == expected, (query, k)
