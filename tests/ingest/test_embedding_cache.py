"""The sentence-vector cache: same vectors as the encoder it wraps, each text embedded once,
bounded memory, safe across threads, and used by the extractive backend."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from bot.engine import NewsBot
from ingest.embedding.cache import CachingEncoder
from tests.core_fixtures import SAUDI_QUESTION, HashEncoder, IndexedCorpus, RecordingEncoder


def _cache(max_entries: int | None = None) -> tuple[CachingEncoder, RecordingEncoder]:
    inner = RecordingEncoder(HashEncoder(dim=16))
    max_bytes = max_entries * 16 * 4 if max_entries else 2**20
    return CachingEncoder(inner, max_bytes=max_bytes), inner


def test_rows_match_the_inner_encoder_in_input_order() -> None:
    cache, inner = _cache()
    texts = ["beta", "alpha", "beta", "gamma"]
    np.testing.assert_array_equal(cache.encode(texts), inner.inner.encode(texts))
    assert cache.name == inner.name and cache.dim == 16


def test_each_text_is_embedded_once() -> None:
    cache, inner = _cache()
    cache.encode(["a b", "c d", "a b"])
    cache.encode(["c d", "e f"])
    cache.encode(["e f", "a b"])
    assert inner.texts == ["a b", "c d", "e f"]
    assert (cache.misses, cache.hits) == (3, 4)


def test_empty_input_and_a_bare_string() -> None:
    cache, inner = _cache()
    assert cache.encode([]).shape == (0, 16)
    with pytest.raises(TypeError):
        cache.encode("one string")
    assert inner.texts == []


def test_least_recently_used_text_is_dropped_at_the_bound() -> None:
    cache, inner = _cache(max_entries=2)
    cache.encode(["a"])
    cache.encode(["b"])
    cache.encode(["a"])  # "a" is now the most recently used
    cache.encode(["c"])  # evicts "b"
    assert len(cache) == 2
    inner.texts.clear()
    cache.encode(["a", "c", "b"])
    assert inner.texts == ["b"]


def test_a_returned_array_is_the_callers_own() -> None:
    cache, _ = _cache()
    first = cache.encode(["x"])
    first[:] = 0
    assert np.linalg.norm(cache.encode(["x"])) > 0


def test_concurrent_callers_get_their_own_rows() -> None:
    cache, _ = _cache(max_entries=50)
    reference = HashEncoder(dim=16)
    errors: list[str] = []

    def ask(seed: int) -> None:
        for round_ in range(40):
            texts = [f"text {(seed * 7 + round_ * 3 + i) % 120}" for i in range(5)]
            if not np.array_equal(cache.encode(texts), reference.encode(texts)):
                errors.append(f"thread {seed} round {round_}")

    threads = [threading.Thread(target=ask, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) <= 50


def test_the_extractive_backend_embeds_a_sentence_once(private_index: IndexedCorpus) -> None:
    # Without the sentence vectors ingest stores (tests/ingest/test_sentence_vectors.py), as
    # for an index built before them: the memory cache alone saves the second embedding.
    NewsBot(private_index.settings()).sentence_vectors.path.unlink()
    recorder = RecordingEncoder(private_index.encoder)
    bot = NewsBot(private_index.settings(), encoder=recorder)
    first = bot.answer(SAUDI_QUESTION)
    sentences_embedded = len(recorder.texts) - 1  # the rest of the first answer's texts
    recorder.texts.clear()
    second = bot.answer(SAUDI_QUESTION)
    assert sentences_embedded >= 1
    assert recorder.texts == [SAUDI_QUESTION]  # only the question: its sentences were cached
    assert second.text == first.text and second.citations == first.citations
