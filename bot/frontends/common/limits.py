"""Load and safety limits: per-user cooldown, a cap on answers in progress, the channel
allow-list. Pure Python (no discord import) so they test in isolation.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager


class Cooldown:
    """At most one question per user every ``seconds``; a refused try does not reset the clock."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float:
        """Seconds until ``user_id`` may ask again (0 if now); asking now starts a new wait."""
        now = self._clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[user_id] = now
        if len(self._last) > 10_000:  # keep the map from growing without bound
            self._last = {uid: t for uid, t in self._last.items() if now - t < self.seconds}
        return 0.0


class AnswerGate:
    """Caps answers in progress; callers beyond the cap wait in line and learn their position."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._waiting = 0
        self.active = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    @asynccontextmanager
    async def slot(
        self, on_queued: Callable[[int], Awaitable[None]] | None = None
    ) -> AsyncIterator[None]:
        """Hold one slot for the body; ``on_queued(position)`` runs first if all are taken."""
        if self._slots.locked() or self._waiting:
            self._waiting += 1
            try:
                if on_queued is not None:
                    await on_queued(self._waiting)
                await self._slots.acquire()
            finally:
                self._waiting -= 1
        else:
            await self._slots.acquire()
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1
            self._slots.release()


def channel_allowed(channel_id: int, parent_id: int | None, allowed: Collection[int]) -> bool:
    """Empty allow-list means every channel; a thread counts as its parent channel."""
    if not allowed:
        return True
    return channel_id in allowed or (parent_id is not None and parent_id in allowed)
