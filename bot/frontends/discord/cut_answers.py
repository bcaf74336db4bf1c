"""Answers a shutdown cut short after promising to finish them, kept in SQLite under the data
dir until the next start has finished them.

The start-up scan only reads each channel's last 50 messages of the last hour; a promise
("I'll finish it when I'm back") has to hold after a longer stop or in a busy channel too, so
the reply it was made in is written down here before the promise is shown. The rows are few
(the answers in progress at one shutdown) and each is deleted once its answer is finished.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

CUT_ANSWERS_FILE = "discord_cut_answers.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cut_answers (
    message_id INTEGER PRIMARY KEY,   -- our reply that shows the promise
    channel_id INTEGER NOT NULL,      -- where it is (a channel or a thread)
    cut_at REAL NOT NULL              -- when (Unix time), oldest finished first
);
"""


@dataclass(frozen=True)
class CutAnswer:
    channel_id: int
    message_id: int


class CutAnswers:
    """The promised replies; in memory when ``path`` is None (nothing survives a restart: the
    bot then promises nothing: see recovery.py)."""

    def __init__(self, path: Path | None) -> None:
        self.lasting = path is not None
        self._lock = threading.Lock()  # called from worker threads (asyncio.to_thread)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False)
        self._db.executescript(_SCHEMA)

    @classmethod
    def in_dir(cls, data_dir: Path) -> CutAnswers:
        return cls(data_dir / CUT_ANSWERS_FILE)

    def add(self, channel_id: int, message_id: int, cut_at: float) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO cut_answers VALUES (?, ?, ?)",
                             (message_id, channel_id, cut_at))

    def pending(self) -> list[CutAnswer]:
        with self._lock:
            rows = self._db.execute(
                "SELECT channel_id, message_id FROM cut_answers ORDER BY cut_at, message_id")
            return [CutAnswer(channel_id, message_id) for channel_id, message_id in rows]

    def done(self, message_id: int) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM cut_answers WHERE message_id = ?", (message_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
