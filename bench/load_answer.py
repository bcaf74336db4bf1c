"""Concurrent questions through ``NewsBot.answer()`` from one asyncio loop: latency and stalls.

    python -m bench.load_answer                    # 50 at once, sample corpus in a temp dir
    python -m bench.load_answer --concurrent 100 --rounds 3 --data-dir .newsbot --json

Each question runs in a worker thread (``asyncio.to_thread``, as the Discord bot does). The
loop runs in asyncio debug mode with ``slow_callback_duration = 0.1``: every "Executing ...
took" warning (a callback that held the loop over 100 ms) is counted. Figures: end-to-end
latency (queueing in the thread pool included) and the engine's own time per answer, as
p50 / p95 / max. The machine's load average is printed too: on a shared box it explains
stalls better than the code does (see docs/reliability.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import GOLDEN_FILE, SAMPLE_DIR, load_average
from bench.loop_watch import percentile, warm_default_executor, watch_slow_callbacks


def questions(count: int) -> list[str]:
    import yaml

    found = [str(case["question"]) for case in yaml.safe_load(GOLDEN_FILE.read_text("utf-8"))]
    return [found[i % len(found)] for i in range(count)]


def spread(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "max_ms": round(max(ms), 1)}


async def burst(bot: Any, batch: list[str]) -> tuple[list[float], list[Any]]:
    async def one(question: str) -> tuple[float, Any]:
        started = time.perf_counter()
        answer = await asyncio.to_thread(bot.answer, question)
        return time.perf_counter() - started, answer

    results = await asyncio.gather(*(one(q) for q in batch))
    return [r[0] for r in results], [r[1] for r in results]


async def run(bot: Any, concurrent: int, rounds: int) -> dict[str, Any]:
    # Start the pool's threads first: a running bot has them after its first burst.
    await warm_default_executor()
    latencies: list[float] = []
    answers: list[Any] = []
    started = time.perf_counter()
    with watch_slow_callbacks(asyncio.get_running_loop()) as slow:
        for _ in range(rounds):
            seconds, got = await burst(bot, questions(concurrent))
            latencies += seconds
            answers += got
    # asyncio's message ends "... took 0.123 seconds".
    stalls = [float(message.rsplit(" ", 2)[-2]) for message in slow.messages]
    return {
        "questions": len(answers), "concurrent": concurrent, "rounds": rounds,
        "wall_s": round(time.perf_counter() - started, 2),
        "answered": sum(not a.refused for a in answers),
        "refused": sum(a.refused for a in answers),
        "end_to_end": spread(latencies),
        "engine": spread([a.timings.total / 1000 for a in answers]),
        "slow_callbacks_over_100ms": len(stalls),
        "worst_callback_ms": round(max(stalls, default=0.0) * 1000, 1),
        "load_average_1m": load_average(), "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--llm", default="extractive", choices=["extractive", "openai", "auto"])
    parser.add_argument("--data-dir", type=Path, help="an ingested data dir (default: ingest "
                        "the sample corpus into a temporary one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from bot.engine import NewsBot
    from bot.settings import Settings

    temporary = None
    data_dir = args.data_dir
    if data_dir is None:
        temporary = tempfile.mkdtemp(prefix="newsbot-load-")
        data_dir = Path(temporary)
    try:
        settings = Settings(NEWSBOT_DATA_DIR=data_dir, NEWSBOT_LLM=args.llm)
        bot = NewsBot(settings)
        if temporary is not None:
            bot.ingest(SAMPLE_DIR)
        bot.answer("warm-up: how long is the ceasefire?")
        report = asyncio.run(run(bot, args.concurrent, args.rounds))
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    if args.json:
        print(json.dumps(report))
        return
    for key, value in report.items():
        print(f"{key:>26}: {value}")


if __name__ == "__main__":
    main()
