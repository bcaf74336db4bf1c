"""Watching an asyncio loop under load: nearest-rank percentiles, a warmed thread pool, and
asyncio's own report of callbacks that held the loop too long. Used by ``bench.load_answer`` and
the load tests (tests/reliability/loadcheck.py)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

SLOW_CALLBACK_SECONDS = 0.1


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(math.ceil(p / 100 * len(ordered)), 1)
    return ordered[rank - 1]


async def warm_default_executor(workers: int = 32) -> None:
    """Start the default executor's threads before measuring.

    ``asyncio.to_thread`` starts a new worker thread inside the loop's callback the first few
    times; on a CPU-starved machine ``Thread.start()`` (which waits for the thread to run) has
    been seen to take 240 ms. A running bot pays that once, at its first burst; the check is
    about serving questions, so the threads are started first (and the cost is reported)."""
    await asyncio.gather(*(asyncio.to_thread(time.sleep, 0.05) for _ in range(workers)))


@dataclass
class SlowCallbacks:
    """asyncio's own debug report of callbacks that held the loop too long."""

    records: list[logging.LogRecord] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]


class _Collector(logging.Handler):
    def __init__(self, sink: SlowCallbacks) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Executing ") and " took " in message:
            self.sink.records.append(record)


@contextmanager
def watch_slow_callbacks(loop: asyncio.AbstractEventLoop,
                         threshold: float = SLOW_CALLBACK_SECONDS) -> Iterator[SlowCallbacks]:
    """Debug mode on the running loop: every callback over ``threshold`` is logged by asyncio
    ("Executing <Handle ...> took 0.123 seconds") and collected here."""
    sink = SlowCallbacks()
    handler = _Collector(sink)
    asyncio_log = logging.getLogger("asyncio")
    previous = (loop.get_debug(), loop.slow_callback_duration, asyncio_log.level)
    asyncio_log.addHandler(handler)
    asyncio_log.setLevel(logging.WARNING)
    loop.set_debug(True)
    loop.slow_callback_duration = threshold
    try:
        yield sink
    finally:
        loop.set_debug(previous[0])
        loop.slow_callback_duration = previous[1]
        asyncio_log.setLevel(previous[2])
        asyncio_log.removeHandler(handler)
