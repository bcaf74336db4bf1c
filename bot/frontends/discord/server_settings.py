"""Per-server and per-channel controls, set with ``/config`` and kept in SQLite under the data
dir so they survive restarts.

- Per server: the roles allowed to ask (empty: everyone). Members with Manage Server may
  always ask. (llmcord's allow lists, by role.)
- Per channel: whether a question needs a mention (off: every message there is a question),
  whether answers open a thread, and which thread messages are questions (``asker`` or
  ``mention``, as ``NEWSBOT_DISCORD_THREAD_REPLIES``). (Onyx's per-channel settings.) A thread
  follows its parent channel.

Reads are served from memory (the handlers ask on every message); writes go to the file first.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

SETTINGS_FILE = "discord_settings.sqlite3"

ThreadReplies = Literal["asker", "mention"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS servers (
    guild_id INTEGER PRIMARY KEY,
    ask_roles TEXT NOT NULL DEFAULT '[]'     -- JSON list of role ids; [] = everyone
);
CREATE TABLE IF NOT EXISTS channels (
    channel_id INTEGER PRIMARY KEY,
    mention_required INTEGER,                -- NULL = the default
    threads INTEGER,
    thread_replies TEXT
);
"""


@dataclass(frozen=True)
class ChannelSettings:
    """How the bot behaves in one channel (and its threads)."""

    mention_required: bool = True
    threads: bool = True
    thread_replies: ThreadReplies = "asker"


class ServerSettingsStore:
    """The ``/config`` choices of every server, in memory and in ``path``."""

    def __init__(self, path: Path | None, default_thread_replies: ThreadReplies = "asker") -> None:
        self._lock = threading.Lock()
        self._default = ChannelSettings(thread_replies=default_thread_replies)
        self._roles: dict[int, frozenset[int]] = {}
        self._channels: dict[int, ChannelSettings] = {}
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False)
            self._db.executescript(_SCHEMA)
            self._load()

    @classmethod
    def in_dir(cls, data_dir: Path,
               default_thread_replies: ThreadReplies = "asker") -> ServerSettingsStore:
        return cls(data_dir / SETTINGS_FILE, default_thread_replies)

    def _load(self) -> None:
        assert self._db is not None
        for guild_id, roles in self._db.execute("SELECT guild_id, ask_roles FROM servers"):
            self._roles[guild_id] = frozenset(int(r) for r in json.loads(roles))
        for channel_id, mention, threads, replies in self._db.execute(
                "SELECT channel_id, mention_required, threads, thread_replies FROM channels"):
            self._channels[channel_id] = ChannelSettings(
                mention_required=self._default.mention_required if mention is None
                else bool(mention),
                threads=self._default.threads if threads is None else bool(threads),
                thread_replies=replies or self._default.thread_replies)

    # -- reads -----------------------------------------------------------------------------

    def ask_roles(self, guild_id: int) -> frozenset[int]:
        return self._roles.get(guild_id, frozenset())

    def channel(self, channel_id: int, parent_id: int | None = None) -> ChannelSettings:
        """The settings of ``channel_id``; a thread (``parent_id`` given) uses its parent's."""
        return self._channels.get(parent_id or channel_id, self._default)

    def may_ask(self, guild_id: int, role_ids: set[int], manages_server: bool) -> bool:
        allowed = self.ask_roles(guild_id)
        return manages_server or not allowed or bool(allowed & role_ids)

    # -- writes ----------------------------------------------------------------------------

    def set_ask_roles(self, guild_id: int, role_ids: frozenset[int]) -> None:
        with self._lock:
            if self._db is not None:
                with self._db:
                    self._db.execute(
                        "INSERT INTO servers (guild_id, ask_roles) VALUES (?, ?) "
                        "ON CONFLICT(guild_id) DO UPDATE SET ask_roles = excluded.ask_roles",
                        (guild_id, json.dumps(sorted(role_ids))))
            self._roles[guild_id] = role_ids

    def set_channel(self, channel_id: int, *, mention_required: bool | None = None,
                    threads: bool | None = None,
                    thread_replies: ThreadReplies | None = None) -> ChannelSettings:
        """Change the given settings of ``channel_id`` (the others stay); returns them all."""
        with self._lock:
            current = self._channels.get(channel_id, self._default)
            updated = replace(
                current,
                mention_required=current.mention_required if mention_required is None
                else mention_required,
                threads=current.threads if threads is None else threads,
                thread_replies=thread_replies or current.thread_replies)
            if self._db is not None:
                with self._db:
                    self._db.execute(
                        "INSERT OR REPLACE INTO channels VALUES (?, ?, ?, ?)",
                        (channel_id, int(updated.mention_required), int(updated.threads),
                         updated.thread_replies))
            self._channels[channel_id] = updated
            return updated

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
