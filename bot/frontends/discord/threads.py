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
is the usual case for a conversation going on now; otherwise from a REST read as before.
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


class SessionMessages:
    """The messages the gateway delivered this session, as discord.py caches them (edits
    applied in place, deleted ones removed), read as a thread's history when the cache
    provably holds every message of the thread: the thread began after the session did
    (a new session starts with an empty cache, and events while disconnected are lost), and
    the cache, which drops its oldest messages beyond ``size``, still reaches back before it.
    """

    def __init__(self, cached: Callable[[], Sequence[discord.Message]],
                 size: int | None) -> None:
        self._cached = cached
        self._size = size
        self._since: int | None = None  # snowflake of the session's start

    def session_started(self) -> None:
        """A new gateway session (``on_ready``): only later threads are wholly cached."""
        self._since = discord.utils.time_snowflake(discord.utils.utcnow())

    def thread_messages(self, thread_id: int, before_id: int,
                        limit: int) -> list[discord.Message] | None:
        """The thread's last ``limit`` messages before ``before_id``, oldest first; ``None``
        when the cache may be missing some. (A thread started on a message has its id.)"""
        if not self._size or self._since is None or thread_id <= self._since:
            return None
        cached = self._cached()
        if len(cached) >= self._size and cached[0].id >= thread_id:
            return None  # full, and it has dropped messages from the thread's time
        found = [m for m in cached if m.channel.id == thread_id and m.id < before_id]
        return found[-limit:] if limit > 0 else []


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
