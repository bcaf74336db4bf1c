"""One question, start to finish: wait for a slot, answer off the event loop (streaming into
the reply), post the answer with its sources and feedback buttons, or a short apology.

Both the slash command and mentions end up here; they only differ in where they write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import discord

from bot.frontends.common.errors import error_text, log_failure
from bot.frontends.common.streaming import StreamPump
from bot.frontends.discord.context import BotContext
from bot.frontends.discord.feedback_view import feedback_view
from bot.frontends.discord.formatting import (
    answer_messages,
    queued_text,
    sources_embed,
    streaming_preview,
)
from bot.frontends.discord.replies import AnswerPost
from bot.models import Answer, DateRange, Turn

log = logging.getLogger(__name__)

async def _answer_off_loop(ctx: BotContext, post: AnswerPost, question: str,
                           history: Sequence[Turn], dates: DateRange | None) -> Answer:
    """Run the blocking engine in a worker thread; streamed tokens edit the reply."""
    pump = StreamPump(post.show, ctx.config.edit_interval, asyncio.get_running_loop(),
                      render=streaming_preview)
    try:
        return await asyncio.to_thread(
            ctx.service.answer, question, tuple(history), on_token=pump.threadsafe_feed,
            dates=dates)
    finally:
        await pump.stop()


async def _feedback_buttons(ctx: BotContext, answer: Answer, guild_id: int | None,
                            channel_id: int | None) -> discord.ui.View | None:
    """Store the answer for later votes and build its 👍/👎 buttons (none if storing fails)."""
    if ctx.feedback is None:
        return None
    try:
        answer_id = await asyncio.to_thread(
            ctx.feedback.record_answer, question=answer.question, answer=answer.text,
            cited_files=[c.file for c in answer.citations], backend=answer.backend,
            refused=answer.refused, guild_id=guild_id, channel_id=channel_id)
    except Exception:
        log.exception("could not store an answer for feedback")
        return None
    return feedback_view(answer_id)


async def deliver_answer(ctx: BotContext, post: AnswerPost, question: str,
                         history: Sequence[Turn] = (), *, guild_id: int | None = None,
                         channel_id: int | None = None,
                         quote_question: bool = False,
                         dates: DateRange | None = None) -> Answer | None:
    """Answer ``question`` into ``post`` (from articles in ``dates`` if given); ``None`` when
    it failed (the user saw why)."""

    async def on_queued(position: int) -> None:
        await post.show(queued_text(position))

    ctx.in_flight.add(post)
    try:
        try:
            async with ctx.gate.slot(on_queued):
                answer = await _answer_off_loop(ctx, post, question, history, dates)
        except Exception as exc:
            log_failure(exc, "answering", guild_id, channel_id)
            await post.show(error_text(exc))
            return None
        if post.abandoned:
            return None  # shut down meanwhile: the restart finishes this answer
        # A refusal has nothing to vote on (and opens no thread: see mentions.py).
        view = (None if answer.refused
                else await _feedback_buttons(ctx, answer, guild_id, channel_id))
        await post.finish(answer_messages(answer, quote_question=quote_question),
                          sources_embed(answer), view)
        return answer
    finally:
        ctx.in_flight.discard(post)
