"""What keeping a running bot current costs: the per-question check, and the catch-up after
another process publishes a new index generation.

    python -m bench.live_index --articles 2000

Builds ``--articles`` small synthetic articles (one chunk each) in a temporary folder, ingests
them in a child process, and then, in this process (the reader): times ``retrieve`` with
nothing changed (one ``stat`` and two ``flock`` calls on top of the search), the check alone,
and the first ``retrieve`` after the child has ingested one more article (the reader reopens
embedded Chroma, loads its vector index and the new keyword index). Vectors are 384-wide
like MiniLM's but come from a hashing encoder, so the numbers are the index's, not a model's.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.engine import NewsBot
from bot.settings import Settings
from tests.core_fixtures import HashEncoder
from tests.reliability.live_support import file_name, question, write_article

DIM = 384


def make_bot(data_dir: Path) -> NewsBot:
    settings = Settings(_env_file=None, NEWSBOT_DATA_DIR=data_dir, NEWSBOT_LLM="extractive")
    return NewsBot(settings, encoder=HashEncoder("bench-hash", DIM))


def ingest_in_child(data_dir: Path, corpus: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bench.live_index", "--ingest", str(data_dir),
                    str(corpus)], check=True)
    return time.perf_counter() - started


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--ingest", nargs=2, type=Path, metavar=("DATA", "CORPUS"))
    args = parser.parse_args()
    if args.ingest:
        make_bot(args.ingest[0]).ingest(args.ingest[1])
        return
    root = Path(tempfile.mkdtemp(prefix="newsbot-live-"))
    data_dir, corpus = root / "data", root / "articles"
    for i in range(args.articles):
        write_article(corpus, i, cost=10 + i % 90)
    print(f"first ingest of {args.articles} articles (child process): "
          f"{ingest_in_child(data_dir, corpus):.1f} s")

    bot = make_bot(data_dir)
    retriever = bot.retriever
    started = time.perf_counter()
    retriever.retrieve(question(1), 5)
    print(f"reader's first retrieve (opens Chroma, loads both halves): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")
    checks, retrieves = [], []
    for n in range(300):
        started = time.perf_counter()
        with retriever.index.reading():
            pass
        checks.append(time.perf_counter() - started)
        started = time.perf_counter()
        retriever.retrieve(question(n % args.articles), 5)
        retrieves.append(time.perf_counter() - started)
    print(f"per question, nothing changed: check p50 {p50_ms(checks) * 1000:.0f} µs, "
          f"retrieve p50 {p50_ms(retrieves):.1f} ms")

    write_article(corpus, args.articles, cost=55)
    print(f"ingest of one new article (child process): {ingest_in_child(data_dir, corpus):.1f} s")
    started = time.perf_counter()
    retrieval = retriever.retrieve(question(args.articles), 5)
    caught_up = (time.perf_counter() - started) * 1000
    # (Town names repeat every 8,000 articles, so the new one is looked for in the top 5.)
    found = any(c.chunk.file == file_name(args.articles) for c in retrieval.chunks)
    print(f"first retrieve after the publish (reopen + reload): {caught_up:.0f} ms; "
          f"new article retrieved: {found}")


if __name__ == "__main__":
    main()
