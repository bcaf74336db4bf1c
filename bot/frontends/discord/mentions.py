"""Mentions and thread follow-ups, read top to bottom:

message in → ignore bots, DMs and other channels → a mention, a reply to the bot, or (in a
thread the bot started) a message from the member who asked there becomes a question → the
thread's recent messages become the history → answer as a reply → a first answer in a channel
opens a thread on it for follow-ups.
"""

from __future__ import annotations

import logging
import re
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
from bot.frontends.discord.mention_text import plain_mentions
from bot.frontends.discord.replies import AnswerPost, MessageSender
from bot.frontends.discord.server_settings import ThreadReplies
from bot.models import Turn

log = logging.getLogger(__name__)

THREAD_HINT = "Ask follow-up questions here; no need to mention me in this thread."
COOLDOWN_REACTION = "⏳"  # "asked too soon; ask again in a few seconds"
MAX_TURNS = 6


def strip_mention(content: str, me_id: int, role_id: int | None = None) -> str:
    """The question without the bot's own ``<@id>`` / ``<@!id>`` (or its role's) mention."""
    content = re.sub(rf"<@!?{me_id}>", " ", content)
    if role_id is not None:
        content = content.replace(f"<@&{role_id}>", " ")
    return content.strip()


def mentions_me(message: discord.Message, me_id: int, role_id: int | None) -> bool:
    """A mention of the bot, or of its own role: Discord's autocomplete offers both for
    "@newsbot", and people often pick the role."""
    if any(user.id == me_id for user in message.mentions):
        return True
    return role_id is not None and any(role.id == role_id for role in message.role_mentions)


def _is_our_thread(channel: object, me_id: int) -> bool:
    return isinstance(channel, discord.Thread) and channel.owner_id == me_id


@dataclass(frozen=True)
class Opening:
    """The exchange a thread was opened on, and who asked it."""

    turn: Turn
    asker_id: int | None


async def _opening(thread: discord.Thread, me_id: int) -> Opening | None:
    """Our reply the thread was opened on (the starter) and the question it answers. The
    starter lives in the parent channel, so it is not in the thread's history."""
    starter = thread.starter_message
    if starter is None:
        parent = thread.parent
        if not isinstance(parent, discord.TextChannel):
            return None
        try:
            starter = await parent.fetch_message(thread.id)
        except discord.HTTPException:
            return None
    if starter.author.id != me_id:
        return None
    asked = starter.reference.resolved if starter.reference else None
    if not isinstance(asked, discord.Message):
        return Opening(Turn(question=thread.name, answer=starter.content), None)
    question = plain_mentions(strip_mention(asked.content, me_id), asked.guild, asked.mentions)
    return Opening(Turn(question=question, answer=starter.content), asked.author.id)


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


async def _addressed_in_thread(message: discord.Message, thread: discord.Thread, me_id: int,
                               replies: ThreadReplies) -> bool:
    """In the bot's own thread, without a mention: a reply to the bot, or (by default) a
    message from the member who asked the opening question. Chatter ("thanks!") from others
    is theirs, not a question to the bot."""
    if _replies_to_me(message, me_id):
        return True
    if replies != "asker":
        return False
    opening = await _opening(thread, me_id)
    return opening is not None and opening.asker_id == message.author.id


async def thread_history(thread: discord.Thread, before: discord.Message, me_id: int,
                         limit: int) -> list[Turn]:
    """The thread's recent exchanges, oldest first: people's messages are questions, our
    messages after a question are its answer."""
    turns: list[Turn] = []
    opening = await _opening(thread, me_id)
    if opening is not None:
        turns.append(opening.turn)
    current: list[str] | None = None  # [question, answer parts...] being collected
    recent = [m async for m in thread.history(limit=limit, before=before)]
    for msg in reversed(recent):  # history() gives newest first
        if msg.author.id == me_id:
            if current is not None and msg.content:
                current.append(msg.content)
        elif not msg.author.bot:
            if current is not None:
                turns.append(Turn(question=current[0], answer="\n".join(current[1:])))
            question = plain_mentions(strip_mention(msg.content, me_id), msg.guild, msg.mentions)
            current = [question] if question else None
    if current is not None:
        turns.append(Turn(question=current[0], answer="\n".join(current[1:])))
    return turns[-MAX_TURNS:]


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
        question = plain_mentions(strip_mention(asked.content, me_id), asked.guild,
                                  asked.mentions)
        turns.append(Turn(question=question, answer=answer.content))
        answer = await referenced(asked)
    return turns[::-1]


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
                         me: discord.abc.User, *, edited: bool = False,
                         recovering: bool = False,
                         replacing: discord.Message | None = None) -> None:
    """``on_message`` (and ``on_message_edit`` with ``edited``): answer mentions, replies to
    the bot and follow-ups in threads the bot started; re-answer a recently edited question.

    ``recovering``: a question from before a restart (recovery.py), answered into our
    unfinished reply ``replacing`` if there is one; no cooldown, no hints.
    """
    if message.author.bot or message.author.id == me.id or ctx.closing:
        return
    ctx.handled.put(message.id, True)
    if message.guild is None:
        if not (edited or recovering):
            await _tell_where_once(ctx, message, DM_HINT)
        return
    channel = message.channel
    in_our_thread = _is_our_thread(channel, me.id)
    own_role = message.guild.self_role
    role_id = own_role.id if own_role is not None else None
    parent_id = channel.parent_id if isinstance(channel, discord.Thread) else None
    here = ctx.server_settings.channel(channel.id, parent_id)
    continues_chain = _replies_to_me(message, me.id) and not in_our_thread
    # A channel set to "mention: off" (/config channel) takes every message as a question.
    asked_openly = not isinstance(channel, discord.Thread) and not here.mention_required
    if not (mentions_me(message, me.id, role_id) or continues_chain or asked_openly):
        if not in_our_thread:
            return
        assert isinstance(channel, discord.Thread)
        if not await _addressed_in_thread(message, channel, me.id, here.thread_replies):
            return
    if not channel_allowed(channel.id, parent_id, ctx.config.channels):
        if not recovering:
            await _tell_where_once(ctx, message, not_here_text(ctx.config.channels))
        return
    if not may_ask(ctx, message.guild.id, message.author):
        if not recovering:
            roles = ctx.server_settings.ask_roles(message.guild.id)
            await _tell_where_once(ctx, message, roles_only_text(roles))
        return
    if edited:
        again, replacing = _edit_target(ctx, message)
        if not again:
            return

    question = plain_mentions(strip_mention(message.content, me.id, role_id), message.guild,
                              message.mentions)
    problem = question_problem_text(question, ctx.config.max_question_chars)
    if problem:
        await message.reply(problem, mention_author=False, allowed_mentions=NO_PINGS)
        return
    # A follow-up in the bot's own thread is a conversation, not a flood: no cooldown (the
    # answer gate still caps the work in progress). Elsewhere, a question too soon gets a
    # reaction, not a public "slow down" message in the channel.
    if (not (in_our_thread or edited or recovering)
            and ctx.cooldown.retry_after(message.author.id)):
        await _react(message, COOLDOWN_REACTION)
        return

    history: list[Turn] = []
    if in_our_thread:
        assert isinstance(channel, discord.Thread)
        history = await thread_history(channel, message, me.id, ctx.config.history_messages)
    elif continues_chain:
        history = await reply_chain(message, me.id)
    post = AnswerPost(MessageSender(message))
    post.first = replacing  # a re-answer goes into the old reply
    async with _typing(channel):
        answer = await deliver_answer(ctx, post, question, history,
                                      guild_id=message.guild.id, channel_id=channel.id)
    if post.first is not None:
        ctx.answered.put(message.id, (post.first, time.time()))
    # A new question in a channel gets a thread for its follow-ups; a reply chain is already
    # a conversation, and a refusal has nothing to follow up.
    opens_thread = (here.threads and not isinstance(channel, discord.Thread)
                    and not continues_chain and replacing is None)
    if answer is not None and not answer.refused and opens_thread:
        await _open_thread(post.first, question)
