"""Regenerate every benchmark figure, the tables in docs/benchmarks.md and the plot.

    python bench/run.py [--sizes 100,1000,10000] [--query-sizes 1000,10000,100000] [--quick]
                        [--only ingest,query,startup,report] [--force]

Each measurement runs in its own process and is cached as bench/out/results/<stage>.json, so
an interrupted run resumes where it stopped; ``--force`` measures again. Corpus sizes up to
``--real-max`` articles are ingested with the real model; larger ones (10,000 articles would
take hours of embedding on this 2-core machine) run the pipeline with a stand-in encoder, the
model alone on a 1,000-chunk sample, and a real re-ingest (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench`, `bot`, `ingest` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import OUT_DIR, REPO_ROOT, run_worker
from bench.synthetic_corpus import write_corpus

RAW_SAMPLE_CHUNKS = 500


class Runner:
    """Runs stages once, caching each stage's JSON result under ``out/results``."""

    def __init__(self, out: Path, force: bool) -> None:
        self.out = out
        self.results_dir = out / "results"
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.force = force

    def stage(self, name: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        path = self.results_dir / f"{name}.json"
        if path.is_file() and path.stat().st_size and not self.force:
            cached: dict[str, Any] = json.loads(path.read_text())
            return cached
        print(f"[{time.strftime('%H:%M:%S')}] {name} …", flush=True)
        result = measure()
        result["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
        path.write_text(json.dumps(result))
        print(f"    {json.dumps(result)[:300]}", flush=True)
        return result


def job(module: str, args: list[str], fresh: Path | None = None) -> Callable[[], dict[str, Any]]:
    """A stage body: run a worker module; ``fresh`` is emptied first (only if the stage runs)."""
    def measure() -> dict[str, Any]:
        if fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)
        return run_worker(module, args)
    return measure


def ingest_stages(runner: Runner, sizes: list[int], real_max: int,
                  limit: list[str], vanilla_max: int) -> None:
    out = runner.out
    for size in sizes:
        corpus = str(write_corpus(out / "corpus" / str(size), size))
        data = out / "ingest" / str(size)
        stub_data = out / "ingest_stub" / str(size)
        vanilla_dir = out / "vanilla" / str(size)
        if size <= real_max:
            runner.stage(f"ingest_raw_{size}", job("bench.ingest_bench", ["raw", corpus]))
            runner.stage(f"ingest_pipeline_{size}", job(
                "bench.ingest_bench", ["pipeline", corpus, str(data)], fresh=data))
            runner.stage(f"ingest_reingest_{size}", job(
                "bench.ingest_bench", ["pipeline", corpus, str(data)]))
            if size <= vanilla_max:
                runner.stage(f"ingest_vanilla_{size}", job(
                    "bench.vanilla", ["ingest", corpus, str(vanilla_dir)], fresh=vanilla_dir))
                runner.stage(f"query_vanilla_{size}", job(
                    "bench.vanilla", ["query", str(vanilla_dir), *limit]))
            runner.stage(f"query_ingested_{size}", job(
                "bench.query_bench", ["measure", str(data), "--answer-questions", "10", *limit]))
        else:
            runner.stage(f"ingest_raw_{size}", job(
                "bench.ingest_bench", ["raw", corpus, "--max-chunks", str(RAW_SAMPLE_CHUNKS)]))
        # The pipeline without the model, at every size: what it adds to the embedding.
        runner.stage(f"ingest_stub_{size}", job(
            "bench.ingest_bench", ["pipeline", corpus, str(stub_data), "--stub-encoder"],
            fresh=stub_data))
        if size > real_max:
            # A real re-ingest (real model loaded) of the collection the stub run wrote.
            runner.stage(f"ingest_reingest_{size}", job(
                "bench.ingest_bench", ["pipeline", corpus, str(stub_data)]))


def query_stages(runner: Runner, sizes: list[int], answer_questions: int,
                 limit: list[str]) -> None:
    out = runner.out
    bases = sorted((p for p in (out / "ingest").glob("*") if (p / "chroma").is_dir()),
                   key=lambda p: int(p.name))
    if not bases:
        raise SystemExit("query benchmarks reuse vectors of an ingested corpus: run the "
                         "ingest stage first")
    for size in sorted(sizes):
        data = str(out / "query" / str(size))  # one collection per size
        runner.stage(f"build_{size}", job(
            "bench.query_bench", ["build", data, "--chunks", str(size),
                                  "--base-from", str(bases[-1])]))
        runner.stage(f"query_{size}", job(
            "bench.query_bench", ["measure", data, "--answer-questions", str(answer_questions),
                                  *limit]))


def startup_stage(runner: Runner, runs: int) -> None:
    runner.stage("startup", job("bench.startup_bench", ["--runs", str(runs)]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the newsbot benchmarks.")
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="corpus sizes in articles for the ingest benchmark")
    parser.add_argument("--query-sizes", default="1000,10000,100000",
                        help="collection sizes in chunks for the query benchmark")
    parser.add_argument("--real-max", type=int, default=1000,
                        help="largest corpus ingested with the real model")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes only: --sizes 100 --query-sizes 1000, 3 start-ups")
    parser.add_argument("--vanilla-max", type=int, default=1000,
                        help="largest corpus also ingested by the vanilla pipeline")
    parser.add_argument("--startup-runs", type=int, default=10)
    parser.add_argument("--answer-questions", type=int, default=30,
                        help="questions answered per query measurement (all are retrieved)")
    parser.add_argument("--questions", type=int, default=None,
                        help="limit the question set (the smoke test uses a handful)")
    parser.add_argument("--only", default="ingest,query,startup,report")
    parser.add_argument("--force", action="store_true", help="ignore cached results")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--docs", type=Path, default=REPO_ROOT / "docs",
                        help="where benchmarks.md and the plot go")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.query_sizes, args.startup_runs = "100", "1000", 3
    sizes = [int(s) for s in args.sizes.split(",") if s]
    query_sizes = [int(s) for s in args.query_sizes.split(",") if s]
    only = set(args.only.split(","))

    limit = ["--questions", str(args.questions)] if args.questions else []
    runner = Runner(args.out, args.force)
    if "ingest" in only:
        ingest_stages(runner, sizes, args.real_max, limit, args.vanilla_max)
    if "query" in only:
        query_stages(runner, query_sizes, args.answer_questions, limit)
    if "startup" in only:
        startup_stage(runner, args.startup_runs)
    if "report" in only:
        from bench.report import write_report

        doc = write_report(runner.results_dir, args.docs, sizes, query_sizes)
        print(f"wrote {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
