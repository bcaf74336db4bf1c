"""Warm query latency at 1,000 / 10,000 / 100,000 chunks: retrieval alone and a whole answer.

    python -m bench.query_bench build DATA_DIR --chunks 100000 [--base-from INGESTED_DATA_DIR]
    python -m bench.query_bench measure DATA_DIR [--repeat 1]

Embedding 100,000 chunks would take hours on this 2-core machine, so ``build`` makes the big
collections cheaply but through the real write path: the five sample articles are ingested for
real (so the golden questions have real answers), then synthetic articles are cleaned and
chunked by the real code and written with ``ArticleStore.upsert`` (full metadata), with
vectors taken from really embedded chunks (``--base-from``: a collection the ingest benchmark
built) plus small random perturbations, renormalised. The keyword index is the real one
(``refresh_keyword_index``), built once and persisted. Each size is its own collection
(``bench/run.py`` uses ``bench/out/query/<chunks>``); ``build`` on an existing one adds to it.

``measure`` runs in a fresh process: it times loading the persisted keyword index (and checks it
was not rebuilt), then after a warm-up times ``retriever.retrieve`` and ``NewsBot.answer`` for
every question (golden set + SQuAD Normans).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import (
    SAMPLE_DIR,
    bench_settings,
    emit,
    load_average,
    percentile,
    questions,
    self_maxrss_mb,
)
from bench.synthetic_corpus import make_article

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from bot.engine import NewsBot
    from ingest.chunking import Chunk

WRITE_BATCH = 2000
# Per-dimension noise on unit vectors of 384 dims: cosine to the base vector ≈ 0.85, so
# neighbours stay realistic clusters rather than 60 copies of one point.
NOISE = 0.032
_STATE_FILE = "bench_build.json"
# Synthetic articles for the query collections start here, so they never share a name with
# the ingest benchmark's corpora (which the base vectors come from).
FIRST_ARTICLE = 100_000


def base_vectors(source_data_dir: Path, limit: int = 5000) -> NDArray[np.float32]:
    """Really embedded chunk vectors from an ingested collection."""
    import numpy as np

    from bot.engine import NewsBot

    bot = NewsBot(bench_settings(source_data_dir))
    if not bot.store.open(create=False):
        raise SystemExit(f"no ingested collection under {source_data_dir}")
    got = bot.store.collection.get(include=["embeddings"], limit=limit)
    return np.asarray(got["embeddings"], dtype=np.float32)


def synthetic_batches(first: int, have: int, target_chunks: int, settings: Any,
                      base: NDArray[np.float32], rng: np.random.Generator,
                      prefix: str = "") -> Iterator[tuple[list[Chunk], NDArray[np.float32], int]]:
    """Batches of synthetic articles' chunks (articles numbered from ``first``, files named
    ``prefix + name``) until a store holding ``have`` chunks holds ``target_chunks``: each
    batch with its vectors (``base``'s real ones plus noise, renormalised) and the number of
    the next article."""
    import numpy as np

    from ingest.chunking import chunk_article
    from ingest.cleaning import clean_text

    pending: list[Chunk] = []
    number, count = first, have
    while count < target_chunks:
        article = make_article(number)
        number += 1
        content_hash = hashlib.sha256(article.text.encode()).hexdigest()
        chunks = chunk_article(prefix + article.name, article.text, clean_text(article.text),
                               content_hash, settings.chunk_size, settings.chunk_overlap)
        pending.extend(chunks)
        count += len(chunks)
        if len(pending) >= WRITE_BATCH or count >= target_chunks:
            picks = base[rng.integers(0, len(base), len(pending))]
            vectors = picks + rng.normal(0.0, NOISE, picks.shape).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            yield pending, vectors, number
            pending = []


def build(data_dir: Path, target_chunks: int, base: NDArray[np.float32]) -> dict[str, Any]:
    import numpy as np

    from bot.engine import NewsBot
    from ingest.keyword_index import refresh_keyword_index
    from ingest.store import KEYWORD_DIRTY

    bot = NewsBot(bench_settings(data_dir, SAMPLE_DIR))
    started = time.perf_counter()
    if not bot.is_indexed():
        bot.ingest(SAMPLE_DIR)  # real embeddings for the sample articles
    store = bot.store
    state_path = data_dir / _STATE_FILE
    state = json.loads(state_path.read_text()) if state_path.is_file() else {"next": 0}
    settings = bot.settings
    rng = np.random.default_rng(state["next"])
    count = store.count()
    if count < target_chunks:
        store.set_keyword_fingerprint(KEYWORD_DIRTY)
    for chunks, vectors, after in synthetic_batches(FIRST_ARTICLE + state["next"], count,
                                                    target_chunks, settings, base, rng):
        store.upsert(chunks, vectors)
        state["next"] = after - FIRST_ARTICLE
    written = time.perf_counter()
    keyword_started = time.perf_counter()
    index = refresh_keyword_index(store, bot.keyword_dir)
    keyword_seconds = time.perf_counter() - keyword_started
    state_path.write_text(json.dumps(state))
    return {"mode": "build", "chunks": store.count(), "keyword_chunks": len(index),
            "write_seconds": round(written - started, 1),
            "keyword_build_seconds": round(keyword_seconds, 1), "base_vectors": len(base)}


def _time_ms(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _timed(fn: Any, wall: list[float], cpu: list[float]) -> None:
    """Wall and CPU milliseconds of one call. CPU time counts every thread of the process
    (onnxruntime's too), so on an idle machine it bounds what two cores would need."""
    started, cpu_started = time.perf_counter(), time.process_time()
    fn()
    wall.append((time.perf_counter() - started) * 1000)
    cpu.append((time.process_time() - cpu_started) * 1000)


def measure(data_dir: Path, repeat: int = 1, answer_questions: int = 30,
            limit: int | None = None) -> dict[str, Any]:
    from ingest.keyword_index import KeywordIndex

    bot: NewsBot
    process_started = time.perf_counter()
    from bot.engine import NewsBot

    bot = NewsBot(bench_settings(data_dir, SAMPLE_DIR))
    chunks = bot.store.count() if bot.store.open(create=False) else 0
    keyword_meta = bot.keyword_dir / "newsbot_keyword.json"
    mtime_before = keyword_meta.stat().st_mtime_ns
    load_ms = _time_ms(lambda: KeywordIndex.load(bot.keyword_dir))
    first_use_ms = _time_ms(bot.retriever.keyword_index)
    rebuilt = keyword_meta.stat().st_mtime_ns != mtime_before
    asked = questions(limit=limit)
    first_answer_ms = _time_ms(lambda: bot.answer(asked[0]))
    cold_total_s = time.perf_counter() - process_started
    for question in asked[1:4]:  # warm-up
        bot.answer(question)

    load_start = load_average()
    top_k = bot.settings.top_k
    retrieve_ms: list[float] = []
    retrieve_cpu: list[float] = []
    answer_ms: list[float] = []
    answer_cpu: list[float] = []
    # Answers cost ~20x a retrieval: a spread subset of the questions keeps the run short.
    answered = asked[:: max(1, len(asked) // answer_questions)][:answer_questions]
    for _ in range(repeat):
        for question in asked:
            _timed(lambda q=question: bot.retriever.retrieve(q, top_k), retrieve_ms,
                   retrieve_cpu)
        for question in answered:
            _timed(lambda q=question: bot.answer(q), answer_ms, answer_cpu)
    return {
        "mode": "measure", "chunks": chunks, "questions": len(asked),
        "answered": len(answered), "repeat": repeat,
        "keyword_load_ms": round(load_ms, 1), "keyword_first_use_ms": round(first_use_ms, 1),
        "keyword_rebuilt": rebuilt, "first_answer_ms": round(first_answer_ms, 1),
        "process_to_first_answer_s": round(cold_total_s, 2),
        "retrieve_p50_ms": round(percentile(retrieve_ms, 50), 1),
        "retrieve_p95_ms": round(percentile(retrieve_ms, 95), 1),
        "answer_p50_ms": round(percentile(answer_ms, 50), 1),
        "answer_p95_ms": round(percentile(answer_ms, 95), 1),
        "retrieve_cpu_p50_ms": round(percentile(retrieve_cpu, 50), 1),
        "retrieve_cpu_p95_ms": round(percentile(retrieve_cpu, 95), 1),
        "answer_cpu_p50_ms": round(percentile(answer_cpu, 50), 1),
        "answer_cpu_p95_ms": round(percentile(answer_cpu, 95), 1),
        "maxrss_mb": self_maxrss_mb(), "loadavg_start": load_start, "loadavg_end": load_average(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Query latency benchmark worker.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build")
    p_build.add_argument("data_dir", type=Path)
    p_build.add_argument("--chunks", type=int, required=True)
    p_build.add_argument("--base-from", type=Path, required=True,
                         help="data dir of an ingested collection whose vectors are reused")
    p_measure = sub.add_parser("measure")
    p_measure.add_argument("data_dir", type=Path)
    p_measure.add_argument("--repeat", type=int, default=1)
    p_measure.add_argument("--answer-questions", type=int, default=30)
    p_measure.add_argument("--questions", type=int, default=None,
                           help="use a spread subset of this many questions")
    args = parser.parse_args(argv)
    # Absolute, because the keyword index's folder name is derived from the store's path.
    args.data_dir = args.data_dir.resolve()
    if args.command == "build":
        emit(build(args.data_dir, args.chunks, base_vectors(args.base_from)))
    else:
        emit(measure(args.data_dir, args.repeat, args.answer_questions, args.questions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
