"""The feedback store (SQLite) and the `newsbot feedback` / `newsbot discord` commands."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.feedback.store import FEEDBACK_FILE, FeedbackStore, read_summary


def _answer(store: FeedbackStore, question: str = "q?", files: tuple[str, ...] = ("a.txt",)
            ) -> int:
    return store.record_answer(question=question, answer=f"answer to {question}",
                               cited_files=files, backend="extractive", guild_id=1,
                               channel_id=2)


def test_votes_are_stored_with_the_answer_and_a_salted_user_hash(tmp_path: Path) -> None:
    store = FeedbackStore.in_dir(tmp_path)
    answer_id = _answer(store, "who called?", ("x.txt", "y.txt"))
    assert store.record_vote(answer_id, user_id=1234, vote=-1)

    row = sqlite3.connect(tmp_path / FEEDBACK_FILE).execute(
        "SELECT a.question, a.answer, a.cited_files, a.backend, a.guild_id, a.channel_id,"
        " v.vote, v.user_hash, v.voted_at FROM votes v JOIN answers a ON a.id = v.answer_id"
    ).fetchone()
    question, answer, files, backend, guild, channel, vote, user_hash, voted_at = row
    assert (question, answer, json.loads(files), backend, guild, channel, vote) == (
        "who called?", "answer to who called?", ["x.txt", "y.txt"], "extractive", "1", "2", -1)
    assert "1234" not in user_hash and user_hash != hashlib.sha256(b"1234").hexdigest()
    assert user_hash == store.hash_user(1234)
    assert datetime.fromisoformat(voted_at).tzinfo is not None
    store.close()


def test_one_vote_per_user_per_answer_and_unknown_answers(tmp_path: Path) -> None:
    store = FeedbackStore.in_dir(tmp_path)
    answer_id = _answer(store)
    store.record_vote(answer_id, 1, 1)
    store.record_vote(answer_id, 1, -1)  # changed their mind
    store.record_vote(answer_id, 2, 1)
    summary = store.summary()
    assert (summary.votes, summary.up, summary.down, summary.answers_voted) == (2, 1, 1, 1)
    assert summary.approval_rate == 0.5
    assert store.record_vote(9999, 1, 1) is False
    store.close()


def test_salt_survives_reopening(tmp_path: Path) -> None:
    first = FeedbackStore.in_dir(tmp_path)
    digest = first.hash_user(42)
    first.close()
    again = FeedbackStore.in_dir(tmp_path)
    assert again.hash_user(42) == digest
    again.close()
    other = FeedbackStore.in_dir(tmp_path / "elsewhere")
    assert other.hash_user(42) != digest
    other.close()


def test_worst_answers_come_first(tmp_path: Path) -> None:
    store = FeedbackStore.in_dir(tmp_path)
    good, bad, mixed = _answer(store, "good"), _answer(store, "bad"), _answer(store, "mixed")
    store.record_vote(good, 1, 1)
    for user in (1, 2, 3):
        store.record_vote(bad, user, -1)
    store.record_vote(mixed, 1, -1)
    store.record_vote(mixed, 2, 1)
    summary = store.summary()
    assert [w.question for w in summary.worst] == ["bad", "mixed"]
    assert (summary.worst[0].down, summary.worst[0].up) == (3, 0)
    data = summary.to_json()
    assert data["votes"] == 6 and data["approval_rate"] == round(2 / 6, 4)
    assert data["worst"][0]["cited_files"] == ["a.txt"]
    store.close()


def test_unvoted_answers_are_pruned_after_a_while(tmp_path: Path) -> None:
    store = FeedbackStore.in_dir(tmp_path)
    old, voted, fresh = _answer(store), _answer(store), _answer(store)
    store.record_vote(voted, 1, 1)
    long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    with sqlite3.connect(tmp_path / FEEDBACK_FILE) as conn:
        conn.execute("UPDATE answers SET created_at = ? WHERE id IN (?, ?)",
                     (long_ago, old, voted))
    assert store.prune_unvoted(older_than_days=30) == 1
    assert store.record_vote(old, 1, 1) is False
    assert store.record_vote(fresh, 1, 1) and store.record_vote(voted, 2, 1)
    store.close()


def test_read_summary_without_a_store_creates_nothing(tmp_path: Path) -> None:
    summary = read_summary(tmp_path / "nowhere")
    assert summary.votes == 0 and summary.approval_rate is None
    assert not (tmp_path / "nowhere").exists()


# -- the CLI -----------------------------------------------------------------------------------

@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def test_feedback_command_json_and_table(cli: CliRunner, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.frontends.cli.app import app

    store = FeedbackStore.in_dir(tmp_path)
    bad = _answer(store, "why is the sky green?")
    store.record_vote(bad, 1, -1)
    store.close()
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path))

    result = cli.invoke(app, ["feedback", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["votes"], data["down"]) == (1, 1)
    assert data["worst"][0]["question"] == "why is the sky green?"

    table = cli.invoke(app, ["feedback"])
    assert table.exit_code == 0
    assert "approval: 0%" in table.stdout and "Worst answers" in table.stdout
    assert "sky" in table.stdout and "a.txt" in table.stdout  # (the table wraps long cells)


def test_discord_command_without_token_exits_2_with_one_line(
        cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.frontends.cli.app import app

    monkeypatch.chdir(tmp_path)  # no stray .env with a real token
    result = cli.invoke(app, ["discord"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN is not set" in lines[0]
    assert "Traceback" not in result.output
