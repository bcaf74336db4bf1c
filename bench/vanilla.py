"""The "vanilla LlamaIndex" pipeline the benchmarks compare against, with the same embedding.

``SimpleDirectoryReader`` over the raw files, ``VectorStoreIndex`` with its default
transformations (``SentenceSplitter``, 1024 tokens, overlap 200) and default in-memory vector
store persisted to JSON, dense top-2 retrieval. No LLM runs here (none is available offline),
so its "answer" is the top-2 retrieval an LLM would be given.

    python -m bench.vanilla ingest CORPUS PERSIST_DIR
    python -m bench.vanilla ask PERSIST_DIR "question"     # a cold `ask`, for start-up timing
    python -m bench.vanilla query PERSIST_DIR              # warm latency over the question set
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import emit, load_average, percentile, questions, self_maxrss_mb

if TYPE_CHECKING:
    from llama_index.core.indices.base import BaseIndex

TOP_K = 2


def _embed_model() -> Any:
    from ingest.embedding import make_encoder
    from ingest.embedding.llama_adapter import EncoderEmbedding

    return EncoderEmbedding(make_encoder("local"))


def ingest(corpus: Path, persist_dir: Path, embed_model: Any | None = None) -> dict[str, Any]:
    """Build and persist the index; the figures exclude imports and the model load."""
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

    embed_model = embed_model or _embed_model()
    embed_model.get_text_embedding("warm up")
    shutil.rmtree(persist_dir, ignore_errors=True)
    load_start = load_average()
    started, cpu = time.perf_counter(), time.process_time()
    documents = SimpleDirectoryReader(str(corpus)).load_data()
    index = VectorStoreIndex.from_documents(documents, embed_model=embed_model)
    index.storage_context.persist(persist_dir=str(persist_dir))
    seconds = time.perf_counter() - started
    chunks = len(index.docstore.docs)
    return {"mode": "vanilla", "files": len(documents), "chunks": chunks,
            "seconds": round(seconds, 3), "cpu_seconds": round(time.process_time() - cpu, 3),
            "chunks_per_s": round(chunks / seconds, 2), "maxrss_mb": self_maxrss_mb(),
            "loadavg_start": load_start, "loadavg_end": load_average()}


def load(persist_dir: Path, embed_model: Any | None = None) -> BaseIndex[Any]:
    from llama_index.core import StorageContext, load_index_from_storage

    storage = StorageContext.from_defaults(persist_dir=str(persist_dir))
    return load_index_from_storage(storage, embed_model=embed_model or _embed_model())


def ask(persist_dir: Path, question: str) -> str:
    nodes = load(persist_dir).as_retriever(similarity_top_k=TOP_K).retrieve(question)
    return nodes[0].get_content() if nodes else ""


def query_latency(persist_dir: Path, repeat: int = 1, limit: int | None = None) -> dict[str, Any]:
    """Warm dense top-2 retrieval latency over the question set (ms)."""
    retriever = load(persist_dir).as_retriever(similarity_top_k=TOP_K)
    asked = questions(limit=limit)
    for question in asked[:3]:
        retriever.retrieve(question)
    samples: list[float] = []
    for _ in range(repeat):
        for question in asked:
            started = time.perf_counter()
            retriever.retrieve(question)
            samples.append((time.perf_counter() - started) * 1000)
    return {"mode": "vanilla_query", "n": len(samples), "p50_ms": round(percentile(samples, 50), 1),
            "p95_ms": round(percentile(samples, 95), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The vanilla LlamaIndex baseline pipeline.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_ingest = sub.add_parser("ingest")
    p_ingest.add_argument("corpus", type=Path)
    p_ingest.add_argument("persist_dir", type=Path)
    p_ask = sub.add_parser("ask")
    p_ask.add_argument("persist_dir", type=Path)
    p_ask.add_argument("question")
    p_query = sub.add_parser("query")
    p_query.add_argument("persist_dir", type=Path)
    p_query.add_argument("--repeat", type=int, default=1)
    p_query.add_argument("--questions", type=int, default=None)
    args = parser.parse_args(argv)
    if args.command == "ingest":
        emit(ingest(args.corpus, args.persist_dir))
    elif args.command == "ask":
        print(ask(args.persist_dir, args.question)[:300])
    else:
        emit(query_latency(args.persist_dir, args.repeat, args.questions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
