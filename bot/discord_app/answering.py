"""One question, start to finish: wait for a slot, answer off the event loop (streaming into
the reply), post the answer with its sources and feedback buttons, or a short apology.

Both the slash command and mentions end up here; they only differ in where they write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import discord

from bot.discord_app.context import BotContext
from bot.discord_app.feedback_view import feedback_view
from bot.discord_app.formatting import answer_messages, queued_text, sources_embed
from bot.discord_app.replies import AnswerPost, StreamPump
from bot.models import Answer, Turn
from ingest.errors import BadInputError

log = logging.getLogger(__name__)

APOLOGY = ("Sorry, the answer service is unavailable right now; please try again in a minute.")


def error_text(exc: BaseException) -> str:
    """What the user sees for a failure: a bad input's own message, else a short apology."""
    return str(exc) if isinstance(exc, BadInputError) else APOLOGY


def log_failure(exc: BaseException, what: str, guild_id: int | None,
                channel_id: int | None) -> None:
    """The detail goes to the log only: never a traceback (or a secret) in chat."""
    if isinstance(exc, BadInputError):
        log.info("%s refused: %s", what, exc)
    else:
        log.error("%s failed (guild=%s channel=%s)", what, guild_id, channel_id, exc_info=exc)


async def _answer_off_loop(ctx: BotContext, post: AnswerPost, question: str,
                           history: Sequence[Turn]) -> Answer:
    """Run the blocking engine in a worker thread; streamed tokens edit the reply."""
    pump = StreamPump(post.show, ctx.config.edit_interval, asyncio.get_running_loop())
    try:
        return await asyncio.to_thread(
            ctx.service.answer, question, tuple(history), on_token=pump.threadsafe_feed)
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
                         channel_id: int | None = None) -> Answer | None:
    """Answer ``question`` into ``post``; ``None`` when it failed (the user saw why)."""

    async def on_queued(position: int) -> None:
        await post.show(queued_text(position))

    try:
        async with ctx.gate.slot(on_queued):
            answer = await _answer_off_loop(ctx, post, question, history)
    except Exception as exc:
        log_failure(exc, "answering", guild_id, channel_id)
        await post.show(error_text(exc))
        return None

    view = await _feedback_buttons(ctx, answer, guild_id, channel_id)
    await post.finish(answer_messages(answer), sources_embed(answer), view)
    return answer
