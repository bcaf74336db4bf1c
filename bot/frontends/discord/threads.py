"""The threads the bot opens on its answers: which exchange a thread was opened on, and the
conversation in it so far.

A thread's opening (the bot's reply it was started on, and the member's question that reply
answers) lives in the parent channel, so reading it costs a REST call when discord.py's
message cache does not have it (any thread from before a restart). Every follow-up needs it
twice (is the author the asker? what was said first?), so it is read once per handling and
kept in a small bounded cache, as llmcord keeps the messages it has parsed. An edit of either
message drops the entry (``OpeningCache.forget``), so a re-answered question is read afresh.

The thread's own recent messages come from discord.py's message cache when it provably holds
all of them (``SessionMessages``: a thread opened this session, nothing of it evicted), which
is the usual case for a conversation going on now. A thread from before a restart is read
from Discord once; the next follow-ups add the messages delivered since to that read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import discord

from bot.frontends.discord.bounded import BoundedMap
from bot.frontends.discord.mention_text import plain_mentions
from bot.models import Turn

MAX_TURNS = 6  # exchanges of history given with a follow-up


def strip_mention(content: str, me_id: int, role_id: int | None = None) -> str:
    """The question without the bot's own ``<@id>`` / ``<@!id>`` (or its role's) mention."""
    content = re.sub(rf"<@!?{me_id}>", " ", content)
    if role_id is not None:
        content = content.replace(f"<@&{role_id}>", " ")
    return content.strip()


def question_text(message: discord.Message, me_id: int, role_id: int | None = None) -> str:
    """What a member asked in ``message``: without the bot's mention, markup as plain names."""
    return plain_mentions(strip_mention(message.content, me_id, role_id), message.guild,
                          message.mentions)


def is_our_thread(channel: object, me_id: int) -> bool:
    return isinstance(channel, discord.Thread) and channel.owner_id == me_id


@dataclass(frozen=True)
class Opening:
    """The exchange a thread was opened on, and who asked it."""

    turn: Turn
    asker_id: int | None
    message_ids: frozenset[int]  # the bot's reply and the question: an edit of either drops it


class OpeningCache:
    """Thread id → its ``Opening``, for the most recent threads (a miss only costs a fetch)."""

    def __init__(self, size: int = 256) -> None:
        self._openings: BoundedMap[int, Opening] = BoundedMap(size)

    def get(self, thread_id: int) -> Opening | None:
        return self._openings.get(thread_id)

    def put(self, thread_id: int, opening: Opening) -> None:
        self._openings.put(thread_id, opening)

    def forget(self, message_id: int) -> None:
        """``message_id`` was edited: drop the openings it is part of."""
        self._openings.discard_where(lambda _, opening: message_id in opening.message_ids)


async def _starter(thread: discord.Thread) -> discord.Message | None:
    """The message the thread was started on (same id as the thread), cached or fetched."""
    starter = thread.starter_message
    if starter is not None:
        return starter
    parent = thread.parent
    if not isinstance(parent, discord.TextChannel):
        return None
    try:
        return await parent.fetch_message(thread.id)
    except discord.HTTPException:
        return None


async def read_opening(thread: discord.Thread, me_id: int) -> Opening | None:
    """Our reply the thread was opened on and the question it answers (``None`` when the
    thread was not started on a reply of ours)."""
    starter = await _starter(thread)
    if starter is None or starter.author.id != me_id:
        return None
    asked = starter.reference.resolved if starter.reference else None
    if not isinstance(asked, discord.Message):
        return Opening(Turn(question=thread.name, answer=starter.content), None,
                       frozenset({starter.id}))
    return Opening(Turn(question=question_text(asked, me_id), answer=starter.content),
                   asked.author.id, frozenset({starter.id, asked.id}))


async def opening(thread: discord.Thread, me_id: int, cache: OpeningCache) -> Opening | None:
    """``read_opening`` through ``cache`` (a thread without one is asked again next time: the
    fetch may have failed for a moment)."""
    found = cache.get(thread.id)
    if found is None:
        found = await read_opening(thread, me_id)
        if found is not None:
            cache.put(thread.id, found)
    return found


@dataclass(frozen=True)
class _ThreadRead:
    """A thread's last messages before ``before_id``, oldest first, as read for a follow-up
    in the session that began at ``since``."""

    since: int
    before_id: int
    messages: tuple[discord.Message, ...]


class SessionMessages:
    """The messages the gateway delivered this session, as discord.py caches them (edits
    applied in place, deleted ones removed), read as a thread's history when they provably
    hold every message of it that is needed:

    - a thread begun after the session did (a new session starts with an empty cache, and
      events while disconnected are lost): all its messages were delivered;
    - an older thread (from before a restart) whose history was read for a follow-up ``B``
      posted this session: that read (kept, as llmcord keeps the messages it parsed, for the
      most recent ``threads``), then the messages delivered from ``B`` on. An edit or delete
      of a message older than ``B`` drops the read (``forget``): it may have that message's
      old text.

    Either way the cache, which drops its oldest messages beyond ``size``, must still reach
    back to where the delivered part begins.
    """

    def __init__(self, cached: Callable[[], Sequence[discord.Message]],
                 size: int | None, threads: int = 256) -> None:
        self._cached = cached
        self._size = size
        self._since: int | None = None  # snowflake of the session's start
        self._reads: BoundedMap[int, _ThreadRead] = BoundedMap(threads)

    def session_started(self) -> None:
        """A new gateway session (``on_ready``): only later threads are wholly cached."""
        self._since = discord.utils.time_snowflake(discord.utils.utcnow())

    def thread_messages(self, thread_id: int, before_id: int,
                        limit: int) -> list[discord.Message] | None:
        """The thread's last ``limit`` messages before ``before_id``, oldest first; ``None``
        when the cache may be missing some. (A thread started on a message has its id.)"""
        if not self._size or self._since is None:
            return None
        earlier: list[discord.Message] = []
        delivered_from = thread_id  # the first id whose messages all came by the gateway
        if thread_id <= self._since:
            read = self._reads.get(thread_id)
            if read is None or read.since != self._since or read.before_id > before_id:
                return None
            earlier, delivered_from = list(read.messages), read.before_id
        cached = self._cached()
        if len(cached) >= self._size and cached[0].id > delivered_from:
            return None  # full, and it has dropped messages from the thread's time
        found = earlier + [m for m in cached if m.channel.id == thread_id
                           and delivered_from <= m.id < before_id]
        return found[-limit:] if limit > 0 else []

    def remember(self, thread_id: int, before_id: int,
                 messages: Sequence[discord.Message]) -> None:
        """Keep an older thread's history read for the follow-up ``before_id``, when that
        follow-up was posted this session (so it and every later message are delivered)."""
        if self._since is not None and thread_id <= self._since < before_id:
            self._reads.put(thread_id, _ThreadRead(self._since, before_id, tuple(messages)))

    def forget(self, channel_id: int, message_id: int) -> None:
        """Message ``message_id`` of ``channel_id`` was edited or deleted."""
        self._reads.discard_where(lambda thread_id, read: thread_id == channel_id
                                  and message_id < read.before_id)


async def thread_history(thread: discord.Thread, before: discord.Message, me_id: int,
                         limit: int, first: Opening | None = None,
                         session: SessionMessages | None = None) -> list[Turn]:
    """The thread's recent exchanges, oldest first, after its opening ``first``: people's
    messages are questions, our messages after a question are its answer. The messages come
    from ``session``'s cache when it holds them all, else from Discord."""
    turns: list[Turn] = [first.turn] if first is not None else []
    recent = session.thread_messages(thread.id, before.id, limit) if session else None
    if recent is None:
        recent = [m async for m in thread.history(limit=limit, before=before)][::-1]
    if session:
        session.remember(thread.id, before.id, recent)
    turns.extend(_exchanges(recent, me_id))
    return turns[-MAX_TURNS:]


def _exchanges(messages: Iterable[discord.Message], me_id: int) -> list[Turn]:
    """Pair each member's question with the bot's messages that follow it (oldest first)."""
    turns: list[Turn] = []
    current: list[str] | None = None  # [question, answer parts...] being collected
    for msg in messages:
        if msg.author.id == me_id:
            if current is not None and msg.content:
                current.append(msg.content)
        elif not msg.author.bot:
            if current is not None:
                turns.append(Turn(question=current[0], answer="\n".join(current[1:])))
            question = question_text(msg, me_id)
            current = [question] if question else None
    if current is not None:
        turns.append(Turn(question=current[0], answer="\n".join(current[1:])))
    return turns
