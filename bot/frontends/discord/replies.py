"""Where an answer is written: a slash command's followups or a reply to a message.

``AnswerPost`` owns the first message of an answer: a "queued" note or the streaming preview
creates it, later updates edit it, and ``finish`` puts the answer's first part in it and sends
the rest (with the sources embed and feedback buttons on the last part).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import discord

from bot.frontends.discord.formatting import NO_PINGS

log = logging.getLogger(__name__)


class Sender(Protocol):
    """Sends the first message of an answer and any further parts."""

    # Whether a restart can finish an answer it started: it knows the question again from
    # the message the answer replies to.
    resumable: bool

    async def send_first(self, content: str, **extras: Any) -> discord.Message: ...

    async def send_more(self, content: str, **extras: Any) -> discord.Message: ...


class InteractionSender:
    """Followups of a deferred slash command (the first one replaces "thinking…")."""

    resumable = False  # the question lived in the interaction, which a restart does not see

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

    resumable = True

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
        self.abandoned = False  # marked interrupted by a shutdown: write nothing more

    @property
    def resumable(self) -> bool:
        return self.sender.resumable

    async def abandon(self, content: str) -> None:
        """Put ``content`` in the first message (sent now if there is none yet, so the asker
        sees what became of the question) and write nothing after."""
        if self.abandoned:
            return
        self.abandoned = True  # from now on the answer's own updates are dropped
        if self.first is None:
            self.first = await self.sender.send_first(content)
        else:
            await self.first.edit(content=content, allowed_mentions=NO_PINGS)

    async def show(self, content: str) -> None:
        """Put ``content`` in the first message (a queue note, a preview, an error)."""
        if self.abandoned:
            return
        if self.first is None:
            self.first = await self.sender.send_first(content)
        else:
            await self.first.edit(content=content, allowed_mentions=NO_PINGS)

    async def finish(self, parts: list[str], embed: discord.Embed | None = None,
                     view: discord.ui.View | None = None) -> None:
        """Write the finished answer; the embed and buttons go under the last part."""
        if self.abandoned:
            return
        last = len(parts) - 1
        for index, part in enumerate(parts):
            extras = _extras(embed, view) if index == last else {}
            if index == 0 and self.first is not None:
                await self.first.edit(content=part, allowed_mentions=NO_PINGS, **extras)
            elif index == 0:
                self.first = await self.sender.send_first(part, **extras)
            else:
                await self.sender.send_more(part, **extras)
