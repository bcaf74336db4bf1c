"""Clean restarts: answers in progress get a grace period on shutdown, and on start the bot
finishes its own unfinished replies and answers the mentions it missed while it was down.

What counts as unfinished: a reply still showing the streaming marker (the process was
killed mid-answer), a "queued" note, or the interrupted note a graceful shutdown leaves. The
scan reads the recent history of the channels the bot answers in (the allow-list, else its
servers' text channels, capped) and the threads it owns that Discord sent on connect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from datetime import datetime

import discord

from bot.frontends.common.limits import channel_allowed
from bot.frontends.discord.context import BotContext
from bot.frontends.discord.formatting import INTERRUPTED, NO_PINGS, QUEUED_PREFIX, WRITING_MARKER
from bot.frontends.discord.mentions import handle_message, mentions_me, referenced

log = logging.getLogger(__name__)

SCAN_MESSAGES = 50  # recent messages read per channel on start
MAX_CHANNELS = 25  # channels scanned when there is no allow-list
ASK_AGAIN = "⚠️ This answer was interrupted by a restart; please ask again."


def is_unfinished(content: str) -> bool:
    return (content.endswith(WRITING_MARKER.strip()) or content.startswith(QUEUED_PREFIX)
            or content == INTERRUPTED)


async def drain(ctx: BotContext) -> None:
    """On shutdown: take no new questions, give answers in progress ``shutdown_grace``
    seconds, then mark the rest interrupted (the restart finishes them)."""
    ctx.closing = True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ctx.config.shutdown_grace
    while ctx.in_flight and loop.time() < deadline:
        await asyncio.sleep(0.05)
    for post in list(ctx.in_flight):
        try:
            await post.abandon(INTERRUPTED)
        except discord.HTTPException:
            log.warning("could not mark an interrupted answer", exc_info=True)
    if ctx.in_flight:
        log.warning("shut down with %d answers unfinished; marked for the restart",
                    len(ctx.in_flight))


def _channels(client: discord.Client, ctx: BotContext) -> Iterator[discord.abc.Messageable]:
    if ctx.config.channels:
        for channel_id in sorted(ctx.config.channels):
            channel = client.get_channel(channel_id)
            if isinstance(channel, discord.TextChannel | discord.Thread):
                yield channel
    else:
        texts = [c for guild in client.guilds for c in guild.text_channels
                 if c.permissions_for(guild.me).read_message_history]
        yield from texts[:MAX_CHANNELS]
    me_id = client.user.id if client.user else 0
    for guild in client.guilds:
        for thread in guild.threads:
            if thread.owner_id == me_id and channel_allowed(
                    thread.id, thread.parent_id, ctx.config.channels):
                yield thread


async def recover(client: discord.Client, ctx: BotContext, connected_at: datetime) -> None:
    """Finish our unfinished replies and answer missed mentions, oldest first. Only messages
    from before ``connected_at`` count: later ones reach ``on_message`` as usual."""
    me = client.user
    if me is None:
        return
    cutoff = time.time() - ctx.config.recovery_window
    finished = caught_up = 0
    for channel in _channels(client, ctx):
        try:
            recent = [m async for m in channel.history(limit=SCAN_MESSAGES,
                                                       before=connected_at)]
        except discord.HTTPException:
            log.info("could not read the history of channel %s", getattr(channel, "id", "?"))
            continue
        recent = [m for m in reversed(recent) if m.created_at.timestamp() >= cutoff]
        replied_to = {m.reference.message_id for m in recent
                      if m.author.id == me.id and m.reference is not None}
        for message in recent:
            if ctx.closing:
                return
            if message.author.id == me.id:
                if is_unfinished(message.content):
                    await _finish(ctx, message, me)
                    finished += 1
            elif (message.id not in replied_to and message.id not in ctx.handled
                  and not message.author.bot
                  and message.guild is not None
                  and mentions_me(message, me.id, _role_id(message.guild))):
                await handle_message(ctx, message, me, recovering=True)
                caught_up += 1
    if finished or caught_up:
        log.info("after the restart: finished %d replies, answered %d missed mentions",
                 finished, caught_up)


def _role_id(guild: discord.Guild) -> int | None:
    role = guild.self_role
    return role.id if role is not None else None


async def _finish(ctx: BotContext, reply: discord.Message, me: discord.abc.User) -> None:
    """Answer the question ``reply`` was for into ``reply``; without one (an ``/ask`` answer,
    whose question lives in the expired interaction), say to ask again."""
    question = await referenced(reply)
    if question is not None and question.author.id != me.id:
        await handle_message(ctx, question, me, recovering=True, replacing=reply)
        return
    with contextlib.suppress(discord.HTTPException):
        await reply.edit(content=ASK_AGAIN, allowed_mentions=NO_PINGS)
