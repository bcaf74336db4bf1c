"""Thumbs-up / thumbs-down votes on answers, kept in SQLite under the data dir.

An answer is stored when it is posted (so a vote cast days later, after a restart, still knows
what it voted on); each vote refers to it. Users are stored only as a salted SHA-256 of their
id: enough to keep one vote per person per answer, not enough to say who voted. Answers that
never got a vote are pruned after ``UNVOTED_RETENTION_DAYS`` so questions are not kept forever.

No Discord import here: the CLI's ``newsbot feedback`` reads the same store.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

FEEDBACK_FILE = "feedback.sqlite3"
UNVOTED_RETENTION_DAYS = 30

Vote = Literal[1, -1]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    cited_files TEXT NOT NULL,          -- JSON list, in citation order
    backend TEXT NOT NULL,
    refused INTEGER NOT NULL,
    guild_id TEXT,
    channel_id TEXT,
    created_at TEXT NOT NULL            -- ISO 8601, UTC
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    user_hash TEXT NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    voted_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, user_hash)  -- one vote per person per answer; a new one replaces it
);
"""


@dataclass(frozen=True)
class RatedAnswer:
    """One answer with its vote counts, as the summary lists it."""

    answer_id: int
    question: str
    answer: str
    cited_files: list[str]
    backend: str
    up: int
    down: int


@dataclass(frozen=True)
class FeedbackSummary:
    """What ``newsbot feedback`` prints."""

    answers_voted: int = 0
    votes: int = 0
    up: int = 0
    down: int = 0
    worst: list[RatedAnswer] = field(default_factory=list)

    @property
    def approval_rate(self) -> float | None:
        """Share of votes that are thumbs-up; ``None`` before the first vote."""
        return self.up / self.votes if self.votes else None

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema of ``newsbot feedback``."""
        rate = self.approval_rate
        return {
            "answers_voted": self.answers_voted,
            "votes": self.votes,
            "up": self.up,
            "down": self.down,
            "approval_rate": None if rate is None else round(rate, 4),
            "worst": [asdict(item) for item in self.worst],
        }


def _now() -> datetime:
    return datetime.now(UTC)


class FeedbackStore:
    """Answers and their votes in one SQLite file; safe to call from worker threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # One connection guarded by a lock: writes are tiny and rare, and the Discord bot
        # calls in from ``asyncio.to_thread`` workers, so a connection must cross threads.
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.execute("PRAGMA foreign_keys = ON")
        with self._conn:
            self._conn.executescript(_SCHEMA)
        self._salt = self._load_salt()

    @classmethod
    def in_dir(cls, data_dir: Path) -> FeedbackStore:
        return cls(data_dir / FEEDBACK_FILE)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._conn:
            yield self._conn

    def _load_salt(self) -> str:
        with self._tx() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
            if row:
                return str(row[0])
            salt = secrets.token_hex(16)
            conn.execute("INSERT INTO meta (key, value) VALUES ('salt', ?)", (salt,))
            return salt

    def hash_user(self, user_id: int) -> str:
        """The stored stand-in for a user id: salted, so it cannot be looked up in a table."""
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()

    def record_answer(
        self,
        *,
        question: str,
        answer: str,
        cited_files: Sequence[str],
        backend: str,
        refused: bool = False,
        guild_id: int | None = None,
        channel_id: int | None = None,
    ) -> int:
        """Keep a posted answer so later votes can refer to it; returns its id."""
        with self._tx() as conn:
            cursor = conn.execute(
                "INSERT INTO answers (question, answer, cited_files, backend, refused, guild_id,"
                " channel_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (question, answer, json.dumps(list(cited_files)), backend, int(refused),
                 None if guild_id is None else str(guild_id),
                 None if channel_id is None else str(channel_id), _now().isoformat()),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def record_vote(self, answer_id: int, user_id: int, vote: Vote) -> bool:
        """Store (or change) ``user_id``'s vote; ``False`` when the answer is unknown."""
        with self._tx() as conn:
            if conn.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                return False
            conn.execute(
                "INSERT INTO votes (answer_id, user_hash, vote, voted_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (answer_id, user_hash) DO UPDATE SET vote = excluded.vote,"
                " voted_at = excluded.voted_at",
                (answer_id, self.hash_user(user_id), vote, _now().isoformat()),
            )
            return True

    def prune_unvoted(self, older_than_days: int = UNVOTED_RETENTION_DAYS) -> int:
        """Forget answers nobody voted on after a while; returns how many went."""
        cutoff = (_now() - timedelta(days=older_than_days)).isoformat()
        with self._tx() as conn:
            cursor = conn.execute(
                "DELETE FROM answers WHERE created_at < ?"
                " AND id NOT IN (SELECT DISTINCT answer_id FROM votes)",
                (cutoff,),
            )
            return cursor.rowcount

    def summary(self, worst_limit: int = 10) -> FeedbackSummary:
        """Vote totals and the answers with the most thumbs-down (ties: fewest thumbs-up)."""
        with self._tx() as conn:
            up, down, answers_voted = conn.execute(
                "SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0),"
                " COUNT(DISTINCT answer_id) FROM votes"
            ).fetchone()
            rows = conn.execute(
                "SELECT a.id, a.question, a.answer, a.cited_files, a.backend,"
                " SUM(v.vote = 1) AS up, SUM(v.vote = -1) AS down"
                " FROM answers a JOIN votes v ON v.answer_id = a.id"
                " GROUP BY a.id HAVING down > 0"
                " ORDER BY down - up DESC, down DESC, a.id DESC LIMIT ?",
                (worst_limit,),
            ).fetchall()
        worst = [
            RatedAnswer(answer_id=row[0], question=row[1], answer=row[2],
                        cited_files=json.loads(row[3]), backend=row[4], up=row[5], down=row[6])
            for row in rows
        ]
        return FeedbackSummary(answers_voted=answers_voted, votes=up + down, up=up, down=down,
                               worst=worst)


def read_summary(data_dir: Path, worst_limit: int = 10) -> FeedbackSummary:
    """The summary of the store under ``data_dir``; empty (and nothing created) if none yet."""
    path = data_dir / FEEDBACK_FILE
    if not path.exists():
        return FeedbackSummary()
    store = FeedbackStore(path)
    try:
        return store.summary(worst_limit)
    finally:
        store.close()
