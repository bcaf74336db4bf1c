"""50 concurrent questions through ``answer()`` from one event loop, in worker threads.

All must be answered (an answer or a refusal, never an error), and the loop must never be held
for more than 100 ms by one callback (asyncio's debug slow-callback log is the check).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.loop_watch import percentile, warm_default_executor, watch_slow_callbacks
from bot.engine import NewsBot
from bot.models import Answer
from tests.reliability.conftest import SharedIndex
from tests.reliability.loadcheck import (
    check_loop,
    frozen_heap,
    golden_questions,
    measure_other_load,
    summary,
    time_callbacks,
)
from tests.reliability.support import make_settings

pytestmark = pytest.mark.slow

CONCURRENT = 50


@pytest.fixture(scope="module")
def bot(shared_index: SharedIndex) -> NewsBot:
    bot = NewsBot(make_settings(shared_index.data_dir, NEWSBOT_LLM="extractive"),
                  encoder=shared_index.encoder)
    bot.answer("warm-up: how long is the ceasefire?")  # open the store, load BM25
    return bot


async def test_50_concurrent_answers_without_stalling_the_loop(bot: NewsBot) -> None:
    questions = golden_questions(CONCURRENT)

    async def timed(question: str) -> tuple[float, Answer]:
        started = time.perf_counter()
        answer = await asyncio.to_thread(bot.answer, question)
        return time.perf_counter() - started, answer

    await warm_default_executor()
    with frozen_heap(), measure_other_load() as others, \
            watch_slow_callbacks(asyncio.get_running_loop()) as slow, time_callbacks() as times:
        started = time.perf_counter()
        results = await asyncio.gather(*(timed(q) for q in questions))
        wall = time.perf_counter() - started

    latencies = [seconds for seconds, _ in results]
    answers = [answer for _, answer in results]
    assert len(answers) == CONCURRENT
    assert [a.question for a in answers] == questions  # each got its own answer
    assert all(a.text and (a.refused or a.citations) for a in answers)
    assert sum(not a.refused for a in answers) >= CONCURRENT // 2
    loop_line = check_loop("answer()", slow, times, others)
    service = [a.timings.total / 1000 for a in answers]
    print(f"\n[load] answer() x{CONCURRENT} in {wall:.1f} s; {summary('end-to-end', latencies)};"
          f" {summary('engine time', service)}; answered "
          f"{sum(not a.refused for a in answers)}, refused {sum(a.refused for a in answers)}"
          f"\n{loop_line}")
    assert percentile(latencies, 95) < 60  # a sanity bound only; figures are in the report
