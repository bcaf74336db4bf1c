"""Clean restarts: answers in progress get a grace period on shutdown, and on start the bot
finishes the answers it promised to finish and catches up on questions it missed while down.

- Shutdown (``drain``): an answer still unfinished after the grace period is cut. A reply to
  a message is written down (cut_answers.py) and says "I'll finish it when I'm back"; an
  ``/ask`` answer cannot be finished after a restart (its question and its right to edit the
  reply live in the interaction, which expires), so it says "please ask again" instead: no
  promise the bot cannot keep.
- Start (``recover``): first the written-down replies, wherever they are and however long
  the bot was away; then a scan of the last 50 messages (up to an hour old) of the channels
  the bot answers in (the allow-list, else its servers' first 25 text channels) and of the
  threads it owns, oldest first across all of them. The scan finishes replies a crash left
  unfinished (still streaming ``▌`` or queued; no promise was shown, so this is best effort)
  and answers questions that got nothing, through the same steps as live questions
  (mentions.py): what counts as a question, the allow-list, roles, the length check, the
  answer gate, and the per-user cooldown, read at the times the questions were asked. A
  question that was answered, or turned away with ⏳ (a reaction Discord keeps), is left be.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime

import discord

from bot.frontends.common.limits import channel_allowed
from bot.frontends.discord.context import BotContext
from bot.frontends.discord.cut_answers import CutAnswer
from bot.frontends.discord.formatting import INTERRUPTED, NO_PINGS, QUEUED_PREFIX, WRITING_MARKER
from bot.frontends.discord.mentions import (
    answer_question,
    problem_with,
    read_question,
    referenced,
    reply_problem,
    turn_away,
    turned_away,
)
from bot.frontends.discord.replies import AnswerPost

log = logging.getLogger(__name__)

SCAN_MESSAGES = 50  # recent messages read per channel on start
MAX_CHANNELS = 25  # channels scanned when there is no allow-list
ASK_AGAIN = "⚠️ This answer was interrupted by a restart; please ask again."


def is_unfinished(content: str) -> bool:
    return (content.endswith(WRITING_MARKER.strip()) or content.startswith(QUEUED_PREFIX)
            or content == INTERRUPTED)


# -- shutdown ------------------------------------------------------------------------------------


async def drain(ctx: BotContext) -> None:
    """On shutdown: take no new questions, give answers in progress ``shutdown_grace``
    seconds, then cut the rest (promising to finish those the next start will find)."""
    ctx.closing = True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ctx.config.shutdown_grace
    while ctx.in_flight and loop.time() < deadline:
        await asyncio.sleep(0.05)
    unfinished = list(ctx.in_flight)
    for post in unfinished:
        try:
            await _cut(ctx, post)
        except discord.HTTPException:
            log.warning("could not mark an interrupted answer", exc_info=True)
    if unfinished:
        log.warning("shut down with %d answers unfinished", len(unfinished))


async def _cut(ctx: BotContext, post: AnswerPost) -> None:
    """Stop ``post``: a reply to a message is written down and promises to be finished; an
    answer the bot could not finish later (``/ask``, or no lasting store) asks to ask again."""
    promise = post.resumable and ctx.cut_answers.lasting
    await post.abandon(INTERRUPTED if promise else ASK_AGAIN)
    if not promise or post.first is None:
        return
    try:
        await asyncio.to_thread(ctx.cut_answers.add, post.first.channel.id, post.first.id,
                                time.time())
    except sqlite3.Error:
        log.exception("could not write down an interrupted answer; asking to ask again")
        await post.first.edit(content=ASK_AGAIN, allowed_mentions=NO_PINGS)


# -- start: the cooldown at the times questions were asked ----------------------------------------


class AskedAtCooldown:
    """The per-user cooldown replayed at the times questions were asked, so a catch-up after a
    restart answers what the live cooldown would have answered had the bot been running
    (reading it at catch-up time would turn away a member's second question asked minutes
    apart, and answer every question of someone who asked ten in ten seconds). As live, a
    question turned away does not restart the wait."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._asked: dict[int, list[float]] = {}  # user → times of questions let through

    def accept(self, user_id: int, at: float) -> None:
        """A question of ``user_id`` at ``at`` went through (answered before, or now)."""
        self._asked.setdefault(user_id, []).append(at)

    def retry_after(self, user_id: int, at: float) -> float:
        """Seconds the question asked at ``at`` came too soon (0: it goes through, and counts)."""
        earlier = [t for t in self._asked.get(user_id, ()) if t <= at]
        if earlier and at - max(earlier) < self.seconds:
            return self.seconds - (at - max(earlier))
        self.accept(user_id, at)
        return 0.0


# -- start ----------------------------------------------------------------------------------------


async def recover(client: discord.Client, ctx: BotContext, connected_at: datetime) -> None:
    """Finish the promised answers, then scan for unfinished replies and missed questions,
    oldest first. Only messages from before ``connected_at`` count: later ones reach
    ``on_message`` as usual."""
    me = client.user
    if me is None:
        return
    cooldown = AskedAtCooldown(ctx.config.cooldown_seconds)
    promised = await _finish_promised(client, ctx, me.id, cooldown)
    recent = await _recent_messages(client, ctx, connected_at)
    answered = {m.reference.message_id for m in recent
                if m.author.id == me.id and m.reference is not None}
    finished = caught_up = 0
    for message in recent:
        if ctx.closing:
            return
        try:
            if message.author.id == me.id:
                if is_unfinished(message.content) and message.id not in promised:
                    finished += await _finish(ctx, message, me.id, cooldown)
            else:
                caught_up += await _catch_up(ctx, message, me.id, cooldown, answered)
        except discord.HTTPException:  # as live: one message's failure, not the whole scan's
            log.warning("could not catch up on message %s", message.id, exc_info=True)
    if promised or finished or caught_up:
        log.info("after the restart: finished %d promised and %d other replies, answered %d "
                 "missed questions", len(promised), finished, caught_up)


async def _finish_promised(client: discord.Client, ctx: BotContext, me_id: int,
                           cooldown: AskedAtCooldown) -> set[int]:
    """Finish the replies a shutdown promised to finish; the ids of those it took up."""
    taken: set[int] = set()
    for cut in await asyncio.to_thread(ctx.cut_answers.pending):
        if ctx.closing:
            break
        try:
            reply = await _fetch_reply(client, cut)
        except discord.HTTPException:  # Discord unreachable for a moment: next start
            log.info("could not read interrupted answer %s", cut.message_id, exc_info=True)
            continue
        # Crossed off first: if this start is stopped too, the shutdown writes it down again.
        await asyncio.to_thread(ctx.cut_answers.done, cut.message_id)
        taken.add(cut.message_id)
        if reply is not None and reply.author.id == me_id and is_unfinished(reply.content):
            try:
                await _finish(ctx, reply, me_id, cooldown)
            except discord.HTTPException:
                log.warning("could not finish interrupted answer %s", reply.id, exc_info=True)
    return taken


async def _fetch_reply(client: discord.Client, cut: CutAnswer) -> discord.Message | None:
    """The reply ``cut`` names; None when it or its channel is gone or out of reach."""
    try:
        channel = (client.get_channel(cut.channel_id)
                   or await client.fetch_channel(cut.channel_id))
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return None
        return await channel.fetch_message(cut.message_id)
    except (discord.NotFound, discord.Forbidden):
        return None


async def _finish(ctx: BotContext, reply: discord.Message, me_id: int,
                  cooldown: AskedAtCooldown) -> int:
    """Answer the question ``reply`` was for into ``reply`` (1), or say to ask again (0): an
    ``/ask`` answer (its question lived in the interaction), a deleted question, or one that
    may no longer be asked there."""
    asked = await referenced(reply)
    question = (await read_question(ctx, asked, me_id, quiet=True)
                if asked is not None else None)
    if asked is None or question is None or problem_with(ctx, question):
        with contextlib.suppress(discord.HTTPException):
            await reply.edit(content=ASK_AGAIN, allowed_mentions=NO_PINGS)
        return 0
    if question.cooled:  # it went through the cooldown when it was asked
        cooldown.accept(asked.author.id, asked.created_at.timestamp())
    ctx.handled.put(asked.id, True)
    # The answer was cut before its thread was opened (unless it was a re-answer).
    await answer_question(ctx, question, replacing=reply, opens_thread=reply.thread is None)
    return 1


async def _catch_up(ctx: BotContext, message: discord.Message, me_id: int,
                    cooldown: AskedAtCooldown, answered: set[int | None]) -> int:
    """Answer ``message`` if it is a question the bot missed (1), as it would have live."""
    if message.id in ctx.handled:
        return 0
    question = await read_question(ctx, message, me_id, quiet=True)
    if question is None:
        return 0
    asked_at = message.created_at.timestamp()
    if message.id in answered or turned_away(message):
        if question.cooled and message.id in answered and not problem_with(ctx, question):
            cooldown.accept(message.author.id, asked_at)  # it went through when asked
        return 0
    ctx.handled.put(message.id, True)
    if await reply_problem(ctx, question):
        return 0
    if question.cooled and cooldown.retry_after(message.author.id, asked_at):
        await turn_away(message)  # as live: the member sees it came too soon
        return 0
    await answer_question(ctx, question)
    return 1


async def _recent_messages(client: discord.Client, ctx: BotContext,
                           connected_at: datetime) -> list[discord.Message]:
    """The scanned channels' recent messages from before ``connected_at``, oldest first."""
    cutoff = time.time() - ctx.config.recovery_window
    found: list[discord.Message] = []
    for channel in _channels(client, ctx):
        try:
            found += [m async for m in channel.history(limit=SCAN_MESSAGES, before=connected_at)]
        except discord.HTTPException:
            log.info("could not read the history of channel %s", getattr(channel, "id", "?"))
    return sorted((m for m in found if m.created_at.timestamp() >= cutoff),
                  key=lambda m: m.id)  # ids grow with time, across channels too


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
