"""Ingest throughput: the whole pipeline against the embedding model alone, same chunk texts.

    python -m bench.ingest_bench raw CORPUS [--max-chunks N]
    python -m bench.ingest_bench pipeline CORPUS DATA_DIR [--stub-encoder]
    python -m bench.ingest_bench parse CORPUS

``parse`` reads every article (streaming JSONL line by line), cleans and chunks it, embeds
nothing: its peak RSS is the streaming memory figure, and ``articles`` is counted too.

Each mode prints one JSON line: chunks, wall seconds, CPU seconds, chunks/s, the process's
peak RSS and the load average (the machine is shared, so it says how noisy the figure is).
Model load and warm-up are outside the timed part in both modes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

from bench.common import bench_settings, emit, load_average, self_maxrss_mb

# Texts per encoder call in the raw measurement: large enough that the encoder's own
# length-sorted batching pads as little as it can (the best the model does on these texts).
RAW_CALL = 512


def chunk_texts(corpus: Path, max_chunks: int | None = None) -> list[str]:
    """The texts the pipeline embeds for ``corpus`` (same cleaning, chunking and headline)."""
    from ingest.chunking import chunk_article
    from ingest.cleaning import clean_text
    from ingest.loaders.files import ArticleFile, discover, iter_articles
    from ingest.pipeline import embedding_text

    settings = bench_settings(corpus)
    texts: list[str] = []
    for article in iter_articles(corpus, discover(corpus)):
        if not isinstance(article, ArticleFile):
            continue
        chunks = chunk_article(article.name, article.text, clean_text(article.text),
                               article.content_hash, settings.chunk_size, settings.chunk_overlap)
        texts.extend(embedding_text(c) for c in chunks)
        if max_chunks is not None and len(texts) >= max_chunks:
            return texts[:max_chunks]
    return texts


def parse(corpus: Path) -> dict[str, Any]:
    from ingest.chunking import chunk_article
    from ingest.cleaning import clean_text
    from ingest.loaders.files import SkippedFile, discover, iter_articles

    settings = bench_settings(corpus)
    started, cpu = time.perf_counter(), time.process_time()
    articles = chunks = 0
    for read in iter_articles(corpus, discover(corpus)):
        if isinstance(read, SkippedFile):
            continue
        for article in read.iter_articles():
            if not article.text:
                continue
            articles += 1
            chunks += len(chunk_article(read.name, article.text, clean_text(article.text),
                                        "h", settings.chunk_size, settings.chunk_overlap,
                                        article_id=article.id))
    seconds = time.perf_counter() - started
    return {"mode": "parse", "articles": articles, "chunks": chunks,
            "seconds": round(seconds, 3), "cpu_seconds": round(time.process_time() - cpu, 3),
            "articles_per_s": round(articles / seconds, 1), "maxrss_mb": self_maxrss_mb(),
            "loadavg": load_average()}


def raw(corpus: Path, max_chunks: int | None = None) -> dict[str, Any]:
    from ingest.embedding import make_encoder

    texts = chunk_texts(corpus, max_chunks)
    encoder = make_encoder("local")
    encoder.encode(texts[:8])
    load_start = load_average()
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), RAW_CALL):
        encoder.encode(texts[i : i + RAW_CALL])
    seconds = time.perf_counter() - started
    return {"mode": "raw", "chunks": len(texts), "seconds": round(seconds, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3),
            "chunks_per_s": round(len(texts) / seconds, 2), "maxrss_mb": self_maxrss_mb(),
            "loadavg_start": load_start, "loadavg_end": load_average()}


class StubEncoder:
    """Stands in for the model where embedding 10,000 articles would take hours on this
    machine: instant vectors (seeded by the text), under the real model's name so the real
    encoder accepts the collection afterwards. Measures everything *but* the model."""

    dim = 384

    def __init__(self) -> None:
        from ingest.embedding.onnx_minilm import DEFAULT_NAME

        self.name = DEFAULT_NAME

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        import numpy as np

        rng = np.random.default_rng(abs(hash(tuple(texts))) % 2**32)
        vectors = rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def pipeline(corpus: Path, data_dir: Path, stub: bool = False) -> dict[str, Any]:
    from bot.engine import NewsBot

    bot = NewsBot(bench_settings(data_dir, corpus), encoder=StubEncoder() if stub else None)
    bot.encoder.encode(["warm up"])
    bot.store.open(create=True)
    load_start = load_average()
    started, cpu = time.perf_counter(), time.process_time()
    report = bot.ingest(corpus)
    seconds = time.perf_counter() - started
    embedded = report.chunks_embedded
    return {"mode": "pipeline_stub" if stub else "pipeline", "chunks": embedded,
            "articles": report.files_added + report.files_updated,
            "articles_per_s": round((report.files_added + report.files_updated) / seconds, 2),
            "chunks_total": report.chunks_total,
            "files_unchanged": report.files_unchanged, "files_added": report.files_added,
            "seconds": round(seconds, 3), "cpu_seconds": round(time.process_time() - cpu, 3),
            "chunks_per_s": round(embedded / seconds, 2) if embedded else None,
            # The sentence vectors for the answer path (``ingest.sentence_vectors``); absent
            # from a run of a checkout before them.
            "sentences_embedded": getattr(report, "sentences_embedded", None),
            "sentence_seconds": round(getattr(report, "sentence_seconds", 0.0), 3),
            "maxrss_mb": self_maxrss_mb(), "loadavg_start": load_start,
            "loadavg_end": load_average()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ingest throughput benchmark worker.")
    parser.add_argument("mode", choices=["raw", "pipeline", "parse"])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("data_dir", type=Path, nargs="?")
    parser.add_argument("--max-chunks", type=int, default=None)
    parser.add_argument("--stub-encoder", action="store_true",
                        help="pipeline with instant stand-in vectors: its cost without the model")
    args = parser.parse_args(argv)
    if args.data_dir is not None:  # the keyword index's folder name derives from this path
        args.data_dir = args.data_dir.resolve()
    if args.mode == "raw":
        emit(raw(args.corpus, args.max_chunks))
    elif args.mode == "parse":
        emit(parse(args.corpus))
    else:
        if args.data_dir is None:
            parser.error("pipeline needs DATA_DIR")
        emit(pipeline(args.corpus, args.data_dir, args.stub_encoder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
