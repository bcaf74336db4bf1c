"""Measure the local encoder: load time and throughput at a few batch sizes.

    python -m bench.embedding_bench [--corpus data/articles] [--threads N] [--repeat 3]

Texts come from the corpus: "sentences" are its lines split at sentence ends (short texts,
like questions), "chunks" are ~150-word windows (~200 word pieces, like index chunks). Each
figure is the best of ``--repeat`` runs, since the machine may be shared.

Measured on the 2-core dev box (onnxruntime 1.31, 2 threads):
* load average ~1 (thread spinning still on): load 0.31 s; batch 16: 250 sentences/s,
  24 chunks/s; batch 32: 224 sentences/s, 20 chunks/s.
* load average ~10 (other jobs running), ``--repeat 5 --min-texts 256``: load 0.7-0.9 s;
  40-85 sentences/s and 4-8 chunks/s at any batch size; one thread did as well as two.
Single-query latency: 55-85 ms under load; constant folding is what keeps it there.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from ingest.embedding.onnx_minilm import MiniLMEncoder

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’]?\s+(?=[A-Z“\"])")


def corpus_texts(corpus: Path) -> tuple[list[str], list[str]]:
    """(sentences, ~200-token chunks) from every .txt file under ``corpus``."""
    sentences: list[str] = []
    chunks: list[str] = []
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            sentences += [s for s in _SENTENCE_END.split(line) if len(s.split()) >= 3]
        words = text.split()
        chunks += [" ".join(words[i : i + 150]) for i in range(0, len(words) - 75, 75)]
    return sentences, chunks


def best_rate(encoder: MiniLMEncoder, texts: list[str], repeat: int) -> tuple[float, float]:
    """Texts per wall-clock second and per CPU second of this process, best of ``repeat``.

    The CPU figure shows how much work other processes on a shared machine took away.
    """
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        encoder.encode(texts)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return len(texts) / wall, len(texts) / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the local MiniLM encoder.")
    parser.add_argument("--corpus", type=Path, default=Path("data/articles"))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--min-texts", type=int, default=512,
                        help="repeat the corpus texts until there are at least this many")
    args = parser.parse_args()

    start = time.perf_counter()
    encoder = MiniLMEncoder(threads=args.threads)
    load = time.perf_counter() - start
    print(f"load (imports, read + sha256, session): {load:.2f} s")

    sentences, chunks = corpus_texts(args.corpus)
    sentences = (sentences * (args.min_texts // len(sentences) + 1))[: args.min_texts]
    chunks = (chunks * (args.min_texts // 4 // len(chunks) + 1))[: args.min_texts // 4]
    encoder.encode(sentences[:8])  # first run allocates; keep it out of the figures
    print(f"{len(sentences)} sentences (~27 tokens), {len(chunks)} chunks (~190 tokens); "
          "rates per wall second [per CPU second]")
    for batch in (16, 32, 64):
        encoder.batch_size = batch
        s_wall, s_cpu = best_rate(encoder, sentences, args.repeat)
        c_wall, c_cpu = best_rate(encoder, chunks, args.repeat)
        print(f"batch {batch:3d}: {s_wall:6.0f} sentences/s [{s_cpu:4.0f}]   "
              f"{c_wall:5.1f} chunks/s [{c_cpu:5.1f}]")


if __name__ == "__main__":
    main()
