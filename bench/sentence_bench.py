"""Extractive answer latency with and without the sentence vectors stored at ingest, on a news
quiz corpus (RealTimeQA) at its own size and grown to 100,000 chunks.

    python -m bench.sentence_bench fill DATA_DIR --quiz QUESTIONS.json
    python -m bench.sentence_bench grow DATA_DIR --quiz QUESTIONS.json --chunks 100000
    python -m bench.sentence_bench measure DATA_DIR --quiz QUESTIONS.json [--answers OUT]

``DATA_DIR`` is a data dir holding the quiz corpus's eval index (``newsbot eval --set
QUESTIONS.json`` builds it under ``<data dir>/eval/<digest>``; copy it rather than write to
someone's own). The corpus is the ``corpus`` folder beside the questions.

``fill`` runs the real ingest (the real model): the corpus is unchanged, so it only embeds the
sentences of every stored chunk into the sentence store (what the first ingest after upgrading
does) and reports how long that took.

``grow`` adds synthetic chunks (``bench/synthetic_corpus.py`` articles, cleaned and chunked by
the real code) until the collection holds ``--chunks``. Embedding them for real would take
about 50 minutes per 100,000 chunks on this 2-core machine, so their *chunk* vectors are the
collection's own real chunk vectors plus small noise, renormalised (as ``bench/query_bench.py``
does), and their *sentence* vectors come from a fast deterministic hashing encoder stored under
the real model's name. The quiz's own chunks and sentences keep their real vectors; the
synthetic ones only make the collection, the keyword index and the sentence store as large as
the real thing would be. The keyword index is rebuilt for real and a generation published.

``measure`` answers every quiz question as ``newsbot eval`` asks it (open-ended, retrieving
articles dated on or before the question's day), after a warm-up of 3, and reports wall and CPU
p50/p95 of ``NewsBot.answer`` and how many texts the model embedded per answer. Run it with this
checkout on a data dir with the sentence store for "after"; for "before", run it on the same
data dir with the store file moved aside, or with an older checkout (``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import emit, load_average, percentile, self_maxrss_mb
from bench.query_bench import synthetic_batches

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from bot.engine import NewsBot
    from ingest.embedding import Encoder

# Synthetic article numbers start here, far from the other benchmarks' corpora.
FIRST_ARTICLE = 500_000
WARM_UP = 3


class HashingEncoder:
    """A fast deterministic stand-in for the model (for synthetic sentences only): token
    hashes into ``dim`` buckets with signs, L2-normalised. Similar texts get similar vectors,
    which is all a latency benchmark needs; the quiz's own sentences keep real vectors."""

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = dim

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in text.lower().split():
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dim] += 1.0 if value & (1 << 63) else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


class CountingEncoder:
    """Passes through to the model and counts the texts it embeds (below every cache and
    store: what an answer really costs in model calls)."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.texts = 0

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.texts += len(texts)
        return self.inner.encode(texts)


def quiz_bot(data_dir: Path, quiz: Path, encoder: Encoder | None = None) -> NewsBot:
    """The bot ``newsbot eval --set QUIZ`` would answer with, on ``data_dir``."""
    from bot.engine import NewsBot
    from bot.evaluation.runner import eval_settings
    from bot.settings import Settings

    corpus = quiz.parent / "corpus"
    # The product's chunking (not bench_settings' older one), as `newsbot eval` indexes.
    settings = Settings(_env_file=None, NEWSBOT_DATA_DIR=data_dir, NEWSBOT_LLM="extractive")
    return NewsBot(eval_settings(settings, corpus), encoder=encoder)


def fill(data_dir: Path, quiz: Path) -> dict[str, Any]:
    bot = quiz_bot(data_dir, quiz)
    before = bot.sentence_vectors.count()
    report = bot.ingest()
    return {"mode": "fill", "chunks": report.chunks_total,
            "chunks_embedded": report.chunks_embedded,
            "sentences_before": before, "sentences_embedded": report.sentences_embedded,
            "sentence_seconds": round(report.sentence_seconds, 1),
            "ingest_seconds": round(report.seconds, 1),
            "sentence_vectors": bot.sentence_vectors.count(), "loadavg": load_average()}


def grow(data_dir: Path, quiz: Path, target_chunks: int) -> dict[str, Any]:
    import numpy as np

    from ingest.keyword_index import KeywordIndex
    from ingest.sentence_vectors import store_sentences
    from ingest.store import KEYWORD_DIRTY

    bot = quiz_bot(data_dir, quiz)
    store, sentences, settings = bot.store, bot.sentence_vectors, bot.settings
    if not store.open(create=False):
        raise SystemExit(f"no quiz index under {data_dir}: run `newsbot eval --set {quiz}` "
                         "with NEWSBOT_DATA_DIR set to it first")
    got = store.collection.get(include=["embeddings"], limit=5000)
    base = np.asarray(got["embeddings"], dtype=np.float32)
    hashing = HashingEncoder(bot.encoder.name, bot.encoder.dim)
    rng = np.random.default_rng(7)
    started = time.perf_counter()
    count, number, sentence_seconds, synthetic_sentences = store.count(), FIRST_ARTICLE, 0.0, 0
    with store.coordination.single_writer() if store.coordination else nullcontext():
        store.set_keyword_fingerprint(KEYWORD_DIRTY)
        for chunks, vectors, after in synthetic_batches(
                FIRST_ARTICLE, count, target_chunks, settings, base, rng, prefix="synthetic/"):
            number = after
            store.upsert(chunks, vectors)
            sentence_started = time.perf_counter()
            synthetic_sentences += store_sentences(sentences, hashing,
                                                   [(c.id, c.text) for c in chunks])
            sentence_seconds += time.perf_counter() - sentence_started
        written = time.perf_counter()
        index = KeywordIndex.build(store.iter_texts())
        staged = index.stage(bot.keyword_dir)
        with store.lock.exclusive():
            KeywordIndex.install(staged, bot.keyword_dir)
            store.set_keyword_fingerprint(index.fingerprint)
            if store.coordination:
                store.coordination.publish(index.fingerprint)
    return {"mode": "grow", "chunks": store.count(), "synthetic_articles": number - FIRST_ARTICLE,
            "synthetic_sentences": synthetic_sentences,
            "sentence_vectors": sentences.count(),
            "write_seconds": round(written - started, 1),
            "hashing_sentence_seconds": round(sentence_seconds, 1),
            "keyword_build_seconds": round(time.perf_counter() - written, 1)}


def measure(data_dir: Path, quiz: Path, repeat: int = 1,
            answers_out: Path | None = None) -> dict[str, Any]:
    from bot.evaluation.news_quiz import load_quiz
    from bot.models import DateRange
    from ingest.embedding import make_encoder

    counter = CountingEncoder(make_encoder("local"))
    bot = quiz_bot(data_dir, quiz, counter)
    cases = load_quiz(quiz)
    chunks = bot.store.count() if bot.store.open(create=False) else 0
    stored = bot.sentence_vectors.count()

    texts: list[str] = []

    def ask(case: Any) -> None:
        texts.append(bot.answer(case.question, top_k=bot.settings.top_k,
                                dates=DateRange(until=case.day)).text)

    for case in cases[:WARM_UP]:
        ask(case)
    counted_from = counter.texts
    load_start = load_average()
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeat):
        for case in cases:
            started, cpu_started = time.perf_counter(), time.process_time()
            ask(case)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
    if answers_out is not None:  # the measured answers' texts, to compare two runs
        answers_out.write_text(json.dumps(texts[WARM_UP:WARM_UP + len(cases)], indent=1))
    return {
        "mode": "measure", "chunks": chunks, "sentence_vectors": stored,
        "answers": len(wall),
        "answer_p50_ms": round(percentile(wall, 50), 1),
        "answer_p95_ms": round(percentile(wall, 95), 1),
        "answer_cpu_p50_ms": round(percentile(cpu, 50), 1),
        "answer_cpu_p95_ms": round(percentile(cpu, 95), 1),
        "model_texts_per_answer": round((counter.texts - counted_from) / max(1, len(wall)), 2),
        "maxrss_mb": self_maxrss_mb(), "loadavg_start": load_start,
        "loadavg_end": load_average(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sentence-vector answer latency benchmark.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("fill", "grow", "measure"):
        command = sub.add_parser(name)
        command.add_argument("data_dir", type=Path)
        command.add_argument("--quiz", type=Path, required=True)
        if name == "grow":
            command.add_argument("--chunks", type=int, required=True)
        if name == "measure":
            command.add_argument("--repeat", type=int, default=1)
            command.add_argument("--answers", type=Path,
                                 help="write the answers' texts here (JSON list)")
    args = parser.parse_args(argv)
    data_dir, quiz = args.data_dir.resolve(), args.quiz.resolve()
    if args.command == "fill":
        emit(fill(data_dir, quiz))
    elif args.command == "grow":
        emit(grow(data_dir, quiz, args.chunks))
    else:
        emit(measure(data_dir, quiz, args.repeat, args.answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
