"""``SessionMessages``: when discord.py's message cache may stand in for a thread's history."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord

from bot.frontends.discord.threads import SessionMessages


def _message(message_id: int, channel_id: int) -> Any:
    return SimpleNamespace(id=message_id, channel=SimpleNamespace(id=channel_id))


def _snowflake_now() -> int:
    return discord.utils.time_snowflake(discord.utils.utcnow())


def test_a_thread_of_this_session_is_read_from_the_cache_oldest_first() -> None:
    cache: list[Any] = []
    session = SessionMessages(lambda: cache, size=10)
    assert session.thread_messages(_snowflake_now() + 1, 1 << 62, 5) is None  # no session yet
    session.session_started()
    thread = _snowflake_now() + 10
    cache += [_message(thread - 5, 42), _message(thread + 1, thread),
              _message(thread + 2, 42), _message(thread + 3, thread),
              _message(thread + 4, thread)]
    found = session.thread_messages(thread, thread + 4, limit=5)
    assert found is not None and [m.id for m in found] == [thread + 1, thread + 3]
    assert [m.id for m in session.thread_messages(thread, thread + 4, limit=1) or []] == [
        thread + 3]


def test_a_thread_from_before_the_session_or_past_the_cache_is_not() -> None:
    cache: list[Any] = []
    session = SessionMessages(lambda: cache, size=3)
    old_thread = _snowflake_now() - 1_000_000
    session.session_started()
    assert session.thread_messages(old_thread, 1 << 62, 5) is None  # a new session: not all seen
    thread = _snowflake_now() + 10
    cache += [_message(thread + 1, 7), _message(thread + 2, thread), _message(thread + 3, 7)]
    # Full, and its oldest message is newer than the thread: some of the thread was dropped.
    assert session.thread_messages(thread, 1 << 62, 5) is None
    cache[0] = _message(thread - 1, 7)
    assert [m.id for m in session.thread_messages(thread, 1 << 62, 5) or []] == [thread + 2]
    assert SessionMessages(lambda: cache, size=None).thread_messages(thread, 1, 5) is None
