"""Mentions and thread follow-ups, read top to bottom:

message in → ignore bots and other channels, point DMs to the servers → ``read_question``: a
mention, a reply to the bot, any message where ``/config channel mention:off``, or (in a
thread the bot started) a message from the member who asked there becomes a ``Question`` →
the length check and the per-user cooldown → ``answer_question``: the thread's recent
messages or the reply chain become the history, the answer is a reply, and a first answer in
a channel opens a thread on it for follow-ups.

The start-up catch-up (recovery.py) takes the same steps with the same limits, reading the
cooldown at the times the questions were asked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import discord

from bot.frontends.common.errors import question_problem_text
from bot.frontends.common.limits import channel_allowed
from bot.frontends.discord.answering import deliver_answer
from bot.frontends.discord.context import BotContext
from bot.frontends.discord.formatting import (
    DM_HINT,
    NO_PINGS,
    asked_question,
    not_here_text,
    roles_only_text,
    thread_name,
)
from bot.frontends.discord.replies import AnswerPost, MessageSender
from bot.frontends.discord.server_settings import ChannelSettings
from bot.frontends.discord.threads import (
    MAX_TURNS,
    is_our_thread,
    opening,
    question_text,
    thread_history,
)
from bot.models import Turn

log = logging.getLogger(__name__)

THREAD_HINT = "Ask follow-up questions here; no need to mention me in this thread."
COOLDOWN_REACTION = "⏳"  # "asked too soon; ask again in a few seconds"


def mentions_me(message: discord.Message, me_id: int, role_id: int | None) -> bool:
    """A mention of the bot, or of its own role: Discord's autocomplete offers both for
    "@newsbot", and people often pick the role."""
    if any(user.id == me_id for user in message.mentions):
        return True
    return role_id is not None and any(role.id == role_id for role in message.role_mentions)


def own_role_id(guild: discord.Guild) -> int | None:
    role = guild.self_role
    return role.id if role is not None else None


def may_ask(ctx: BotContext, guild_id: int, member: object) -> bool:
    """The server's role allow-list (/config roles); Manage Server may always ask."""
    if not isinstance(member, discord.Member):
        return not ctx.server_settings.ask_roles(guild_id)
    return ctx.server_settings.may_ask(guild_id, {role.id for role in member.roles},
                                       member.guild_permissions.manage_guild)


def _replies_to_me(message: discord.Message, me_id: int) -> bool:
    """A Discord reply to one of the bot's messages (reply-ping on or off)."""
    reference = message.reference
    replied = reference.resolved if reference is not None else None
    return isinstance(replied, discord.Message) and replied.author.id == me_id


async def referenced(message: discord.Message) -> discord.Message | None:
    """The message ``message`` replies to (fetched when Discord did not include it)."""
    reference = message.reference
    if reference is None or reference.message_id is None:
        return None
    if isinstance(reference.resolved, discord.Message):
        return reference.resolved
    try:
        return await message.channel.fetch_message(reference.message_id)
    except discord.HTTPException:
        return None


async def reply_chain(message: discord.Message, me_id: int,
                      limit: int = MAX_TURNS) -> list[Turn]:
    """The exchanges up the chain of Discord replies ``message`` continues, oldest first:
    each of the bot's answers and the question it replied to (for an ``/ask`` answer, the
    question it quotes on its first line)."""
    turns: list[Turn] = []
    answer = await referenced(message)
    while answer is not None and answer.author.id == me_id and len(turns) < limit:
        asked = await referenced(answer)
        if asked is None:
            quoted = asked_question(answer.content)
            if quoted:
                turns.append(Turn(question=quoted, answer=answer.content.partition("\n")[2]))
            break
        turns.append(Turn(question=question_text(asked, me_id), answer=answer.content))
        answer = await referenced(asked)
    return turns[::-1]


# -- which messages are questions ------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A member's message the bot answers, and where it was asked."""

    message: discord.Message
    text: str  # without the bot's mention, markup as plain names
    me_id: int
    here: ChannelSettings  # the channel's /config settings (a thread's are its parent's)
    in_our_thread: bool
    continues_chain: bool  # a reply to one of our answers outside our threads

    @property
    def cooled(self) -> bool:
        """Under the per-user cooldown: a follow-up in the bot's own thread is a
        conversation, not a flood, so it is exempt (the answer gate still caps the work)."""
        return not self.in_our_thread

    @property
    def opens_thread(self) -> bool:
        """A new question in a channel gets a thread for its follow-ups; a reply chain is
        already a conversation."""
        return (self.here.threads and not isinstance(self.message.channel, discord.Thread)
                and not self.continues_chain)


async def _addressed(ctx: BotContext, message: discord.Message, me_id: int,
                     here: ChannelSettings) -> bool:
    """Whether ``message`` is for the bot: a mention (of it or its role), a Discord reply to
    it, any message in a channel set to ``mention: off``, or in the bot's own thread a
    message from the member who asked the opening question (unless the channel is set to
    ``replies: mention``). Chatter ("thanks!") from others there is theirs."""
    channel = message.channel
    assert message.guild is not None
    if mentions_me(message, me_id, own_role_id(message.guild)) or _replies_to_me(message, me_id):
        return True
    if not isinstance(channel, discord.Thread):
        return not here.mention_required
    if not is_our_thread(channel, me_id) or here.thread_replies != "asker":
        return False
    first = await opening(channel, me_id, ctx.openings)
    return first is not None and first.asker_id == message.author.id


async def read_question(ctx: BotContext, message: discord.Message, me_id: int, *,
                        quiet: bool = False) -> Question | None:
    """``message`` as a question to the bot; ``None`` when it is not one, or is asked where
    or by whom the bot does not answer (said once per member and channel, unless ``quiet``)."""
    guild = message.guild
    if message.author.bot or message.author.id == me_id or guild is None:
        return None
    channel = message.channel
    parent_id = channel.parent_id if isinstance(channel, discord.Thread) else None
    here = ctx.server_settings.channel(channel.id, parent_id)
    if not await _addressed(ctx, message, me_id, here):
        return None
    if not channel_allowed(channel.id, parent_id, ctx.config.channels):
        if not quiet:
            await _tell_where_once(ctx, message, not_here_text(ctx.config.channels))
        return None
    if not may_ask(ctx, guild.id, message.author):
        if not quiet:
            await _tell_where_once(ctx, message, roles_only_text(
                ctx.server_settings.ask_roles(guild.id)))
        return None
    in_our_thread = is_our_thread(channel, me_id)
    return Question(message=message, text=question_text(message, me_id, own_role_id(guild)),
                    me_id=me_id, here=here, in_our_thread=in_our_thread,
                    continues_chain=not in_our_thread and _replies_to_me(message, me_id))


def problem_with(ctx: BotContext, question: Question) -> str | None:
    """What is wrong with the question's text (empty, too long), or None."""
    return question_problem_text(question.text, ctx.config.max_question_chars)


async def reply_problem(ctx: BotContext, question: Question) -> bool:
    """Reply with what is wrong with the question, if anything; whether it did."""
    problem = problem_with(ctx, question)
    if problem:
        await question.message.reply(problem, mention_author=False, allowed_mentions=NO_PINGS)
    return bool(problem)


def turned_away(message: discord.Message) -> bool:
    """The bot marked ``message`` as asked too soon (its own ⏳ reaction, which Discord keeps
    on the message across restarts)."""
    return any(reaction.me and str(reaction.emoji) == COOLDOWN_REACTION
               for reaction in message.reactions)


async def turn_away(message: discord.Message) -> None:
    """Asked too soon: a ⏳ reaction, never a public "slow down" message in the channel."""
    await _react(message, COOLDOWN_REACTION)


# -- answering ---------------------------------------------------------------------------------


async def _history(ctx: BotContext, question: Question) -> list[Turn]:
    """What was said before: the thread's recent exchanges in our thread, else the chain of
    replies the question continues."""
    channel = question.message.channel
    if question.in_our_thread:
        assert isinstance(channel, discord.Thread)
        first = await opening(channel, question.me_id, ctx.openings)
        return await thread_history(channel, question.message, question.me_id,
                                    ctx.config.history_messages, first, ctx.session_messages)
    if question.continues_chain:
        return await reply_chain(question.message, question.me_id)
    return []


async def answer_question(ctx: BotContext, question: Question, *,
                          replacing: discord.Message | None = None,
                          opens_thread: bool | None = None) -> None:
    """Answer ``question`` as a reply (into ``replacing``, our earlier reply, if given) and
    open a thread on a new answer. ``opens_thread`` defaults to "a new reply"."""
    message = question.message
    assert message.guild is not None
    history = await _history(ctx, question)
    post = AnswerPost(MessageSender(message))
    post.first = replacing
    async with _typing(message.channel):
        answer = await deliver_answer(ctx, post, question.text, history,
                                      guild_id=message.guild.id, channel_id=message.channel.id)
    if post.first is not None:
        ctx.answered.put(message.id, (post.first, time.time()))
    if replacing is not None:
        ctx.openings.forget(replacing.id)  # a thread opened on it must read the new answer
    if opens_thread is None:
        opens_thread = replacing is None
    # A refusal has nothing to follow up.
    if answer is not None and not answer.refused and opens_thread and question.opens_thread:
        await _open_thread(post.first, question.text)


@asynccontextmanager
async def _typing(channel: Any) -> AsyncIterator[None]:
    """Show "newsbot is typing…" while answering; answering matters more than the indicator."""
    indicator = channel.typing()
    entered = False
    try:
        await indicator.__aenter__()
        entered = True
    except discord.HTTPException:
        log.debug("could not show the typing indicator", exc_info=True)
    try:
        yield
    finally:
        if entered:
            await indicator.__aexit__(None, None, None)


async def _react(message: discord.Message, emoji: str) -> None:
    """Add ``emoji`` to ``message``; without Add Reactions the note is skipped (logged)."""
    try:
        await message.add_reaction(emoji)
    except discord.HTTPException:
        log.info("could not react to a message (Add Reactions permission?)", exc_info=True)


async def _open_thread(reply: object, question: str) -> None:
    """Open a thread on our reply so follow-ups stay together (needs Create Public Threads)."""
    if not isinstance(reply, discord.Message):
        return
    try:
        thread = await reply.create_thread(name=thread_name(question))
        await thread.send(THREAD_HINT, allowed_mentions=NO_PINGS)
    except discord.HTTPException:
        log.warning("could not open a thread for an answer", exc_info=True)


async def _tell_where_once(ctx: BotContext, message: discord.Message, text: str) -> None:
    """Say where the bot answers, once per user and channel (a hint, not a nag)."""
    key = (message.author.id, message.channel.id)
    if key in ctx.told_where:
        return
    ctx.told_where.put(key, True)
    try:
        await message.reply(text, mention_author=False, allowed_mentions=NO_PINGS)
    except discord.HTTPException:
        log.info("could not say where the bot answers", exc_info=True)


# -- the handler -------------------------------------------------------------------------------


def _edit_target(ctx: BotContext,
                 message: discord.Message) -> tuple[bool, discord.Message | None]:
    """For an edited message: whether to answer it again (only within the edit window), and
    our earlier reply to write the new answer into (None: it had none, e.g. the edit added
    the mention)."""
    if time.time() - message.created_at.timestamp() > ctx.config.edit_window:
        return False, None
    prior = ctx.answered.get(message.id)
    return True, prior[0] if prior is not None else None


async def handle_message(ctx: BotContext, message: discord.Message,
                         me: discord.abc.User, *, edited: bool = False) -> None:
    """``on_message`` (and ``on_message_edit`` with ``edited``): answer mentions, replies to
    the bot and follow-ups in threads the bot started; re-answer a recently edited question
    (into the same reply, without the cooldown)."""
    if message.author.bot or message.author.id == me.id or ctx.closing:
        return
    ctx.handled.put(message.id, True)  # the start-up catch-up leaves it alone
    if message.guild is None:
        if not edited:
            await _tell_where_once(ctx, message, DM_HINT)
        return
    question = await read_question(ctx, message, me.id)
    if question is None:
        return
    replacing = None
    if edited:
        again, replacing = _edit_target(ctx, message)
        if not again:
            return
    if await reply_problem(ctx, question):
        return
    if question.cooled and not edited and ctx.cooldown.retry_after(message.author.id):
        await turn_away(message)
        return
    await answer_question(ctx, question, replacing=replacing)
