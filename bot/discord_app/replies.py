"""Where an answer is written: a slash command's followups or a reply to a message.

``AnswerPost`` owns the first message of an answer: a "queued" note or the streaming preview
creates it, later updates edit it, and ``finish`` puts the answer's first part in it and sends
the rest (with the sources embed and feedback buttons on the last part). ``StreamPump`` carries
streamed text from the worker thread to the event loop and edits at most once per interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord

from bot.discord_app.formatting import NO_PINGS, streaming_preview

log = logging.getLogger(__name__)


class Sender(Protocol):
    """Sends the first message of an answer and any further parts."""

    async def send_first(self, content: str, **extras: Any) -> discord.Message: ...

    async def send_more(self, content: str, **extras: Any) -> discord.Message: ...


class InteractionSender:
    """Followups of a deferred slash command (the first one replaces "thinking…")."""

    def __init__(self, interaction: discord.Interaction[Any], *, ephemeral: bool = False) -> None:
        self.interaction = interaction
        self.ephemeral = ephemeral

    async def send_first(self, content: str, **extras: Any) -> discord.Message:
        return await self.interaction.followup.send(
            content, wait=True, ephemeral=self.ephemeral, allowed_mentions=NO_PINGS, **extras)

    async def send_more(self, content: str, **extras: Any) -> discord.Message:
        return await self.send_first(content, **extras)


class MessageSender:
    """A reply to the asking message (no ping), further parts as plain messages after it."""

    def __init__(self, message: discord.Message) -> None:
        self.message = message

    async def send_first(self, content: str, **extras: Any) -> discord.Message:
        return await self.message.reply(
            content, mention_author=False, allowed_mentions=NO_PINGS, **extras)

    async def send_more(self, content: str, **extras: Any) -> discord.Message:
        return await self.message.channel.send(content, allowed_mentions=NO_PINGS, **extras)


def _extras(embed: discord.Embed | None, view: discord.ui.View | None) -> dict[str, Any]:
    # Only pass what is set: ``view=None`` on an edit would strip buttons, and webhooks do not
    # accept ``view=None`` at all.
    extras: dict[str, Any] = {}
    if embed is not None:
        extras["embed"] = embed
    if view is not None:
        extras["view"] = view
    return extras


class AnswerPost:
    """One answer's messages: created on first use, edited in place after that."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.first: discord.Message | None = None

    async def show(self, content: str) -> None:
        """Put ``content`` in the first message (a queue note, a preview, an error)."""
        if self.first is None:
            self.first = await self.sender.send_first(content)
        else:
            await self.first.edit(content=content, allowed_mentions=NO_PINGS)

    async def finish(self, parts: list[str], embed: discord.Embed | None = None,
                     view: discord.ui.View | None = None) -> None:
        """Write the finished answer; the embed and buttons go under the last part."""
        last = len(parts) - 1
        for index, part in enumerate(parts):
            extras = _extras(embed, view) if index == last else {}
            if index == 0 and self.first is not None:
                await self.first.edit(content=part, allowed_mentions=NO_PINGS, **extras)
            elif index == 0:
                self.first = await self.sender.send_first(part, **extras)
            else:
                await self.sender.send_more(part, **extras)


class StreamPump:
    """Shows the latest streamed text in the reply, at most one edit per ``interval`` seconds.

    ``feed`` must run on the event loop: the worker thread calls ``threadsafe_feed``.
    """

    def __init__(self, show: Callable[[str], Awaitable[None]], interval: float,
                 loop: asyncio.AbstractEventLoop,
                 render: Callable[[str], str] = streaming_preview) -> None:
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
