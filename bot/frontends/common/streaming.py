"""Streamed text from the engine's worker thread to a chat reply, without flooding the chat.

``StreamPump`` carries the text so far onto the event loop and shows it at most once per
interval; any front-end that edits a message as an answer streams uses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class StreamPump:
    """Shows the latest streamed text in the reply, at most one edit per ``interval`` seconds.

    ``feed`` must run on the event loop: the worker thread calls ``threadsafe_feed``.
    """

    def __init__(self, show: Callable[[str], Awaitable[None]], interval: float,
                 loop: asyncio.AbstractEventLoop,
                 render: Callable[[str], str]) -> None:
        self._show = show
        self._render = render
        self._interval = interval
        self._loop = loop
        self._latest = ""
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: asyncio.Future[None] | None = None

    def threadsafe_feed(self, text: str) -> None:
        """The ``on_token`` / ``on_progress`` callback given to the engine (runs in its worker
        thread): ``text`` is everything so far (the engine streams cumulative text)."""
        with contextlib.suppress(RuntimeError):  # the loop closed while a stream was running
            self._loop.call_soon_threadsafe(self.feed, text)

    def feed(self, text: str) -> None:
        self._latest = text
        self._dirty.set()
        if self._task is None:
            self._task = self._loop.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            # Shielded so stopping never abandons a half-sent first message (which would
            # leave a stray preview next to the final answer).
            self._inflight = asyncio.ensure_future(
                self._show(self._render(self._latest)))
            try:
                await asyncio.shield(self._inflight)
            except Exception:  # a lost preview edit is harmless: the final edit follows
                log.warning("could not update a streaming reply", exc_info=True)
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        """Stop editing; waits for an edit already on its way."""
        # ``asyncio.wait`` neither raises the tasks' errors nor swallows our own cancellation.
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
        if self._inflight is not None:
            await asyncio.wait([self._inflight])
