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


def test_an_older_threads_read_plus_what_was_delivered_since_stands_in_for_the_history() -> None:
    cache: list[Any] = []
    session = SessionMessages(lambda: cache, size=10)
    old_thread = _snowflake_now() - 1_000_000
    session.session_started()
    read = [_message(old_thread + 1, old_thread), _message(old_thread + 2, old_thread)]
    follow_up = _snowflake_now() + 10
    # A follow-up caught up from the downtime (older than the session) is not remembered:
    # messages posted then never reach the cache.
    session.remember(old_thread, old_thread + 3, read)
    assert session.thread_messages(old_thread, follow_up + 5, 10) is None
    session.remember(old_thread, follow_up, read)
    cache += [_message(follow_up, old_thread), _message(follow_up + 1, old_thread),
              _message(follow_up + 2, 42), _message(follow_up + 3, old_thread)]
    found = session.thread_messages(old_thread, follow_up + 3, limit=10)
    assert [m.id for m in found or []] == [old_thread + 1, old_thread + 2, follow_up,
                                           follow_up + 1]
    assert [m.id for m in session.thread_messages(old_thread, follow_up + 3, limit=2) or []
            ] == [follow_up, follow_up + 1]
    # An earlier follow-up than the read's (an edited question answered again): not held.
    assert session.thread_messages(old_thread, follow_up - 1, 10) is None
    # Our streamed answer after the follow-up is edited: that comes from the cache anyway.
    session.forget(old_thread, follow_up + 1)
    assert session.thread_messages(old_thread, follow_up + 3, 10) is not None
    session.forget(42, old_thread + 1)  # another channel
    assert session.thread_messages(old_thread, follow_up + 3, 10) is not None
    # A message of the read edited or deleted: its text there may be stale.
    session.forget(old_thread, old_thread + 1)
    assert session.thread_messages(old_thread, follow_up + 3, 10) is None


def test_an_older_threads_read_lapses_with_its_session_or_the_cache() -> None:
    cache: list[Any] = []
    session = SessionMessages(lambda: cache, size=2)
    old_thread = _snowflake_now() - 1_000_000
    session.session_started()
    follow_up = _snowflake_now() + 10
    session.remember(old_thread, follow_up, [_message(old_thread + 1, old_thread)])
    cache += [_message(follow_up + 1, 42), _message(follow_up + 2, 42)]
    # Full, and the follow-up itself (the first delivered message) has been dropped.
    assert session.thread_messages(old_thread, follow_up + 3, 10) is None
    cache[0] = _message(follow_up, old_thread)
    assert [m.id for m in session.thread_messages(old_thread, follow_up + 3, 10) or []] == [
        old_thread + 1, follow_up]
    session._since = follow_up + 100  # a new session: events while away were lost
    assert session.thread_messages(old_thread, follow_up + 3, 10) is None
