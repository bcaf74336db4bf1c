"""`newsbot ask --since/--until` and `newsbot status` on a dated corpus, through the console
script (tests/answering/fixtures/dated: seven dated Markdown articles, 2025-02-10 to
2025-03-14, and one undated)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.engine import NewsBot
from ingest.embedding.cache import CachingEncoder
from tests.core_fixtures import clean_env, make_settings, newsbot_executable, run_newsbot
from tests.frontends.cli.test_cli import assert_one_line_error

DATED_CORPUS = Path(__file__).resolve().parents[2] / "answering" / "fixtures" / "dated"
GRAIN_QUESTION = "How much grain did the port of Velmora ship?"


@pytest.fixture(scope="module")
def dated_env(tmp_path_factory: pytest.TempPathFactory,
              local_encoder: CachingEncoder) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("cli-dates")
    corpus = shutil.copytree(DATED_CORPUS, root / "news")
    # Ingested in-process (same model, same data dir) to save one slow start-up.
    NewsBot(make_settings(root / "state", corpus), encoder=local_encoder).ingest()
    return root, {"NEWSBOT_DATA_DIR": str(root / "state"), "NEWSBOT_CORPUS_DIR": str(corpus)}


def _run(dated_env: tuple[Path, dict[str, str]], *args: str) -> subprocess.CompletedProcess[str]:
    root, env = dated_env
    return run_newsbot(*args, cwd=root, **env)


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_since_and_until_include_and_exclude(dated_env: tuple[Path, dict[str, str]]) -> None:
    inside = _json(_run(dated_env, "ask", "--json", "--since", "2025-02-01", "--until",
                        "2025-02-20", GRAIN_QUESTION))
    assert inside["refused"] is False and "2.1 million tonnes" in inside["answer"]
    assert [c["date"] for c in inside["citations"]] == ["2025-02-17"]

    outside = _run(dated_env, "ask", "--since", "2025-03-01", GRAIN_QUESTION)
    assert outside.returncode == 0, outside.stderr
    assert "don't cover" in outside.stdout and "dated 2025-03-01 or later" in outside.stdout
    assert "Sources" not in outside.stdout


def test_bad_dates_exit_2_with_one_line(dated_env: tuple[Path, dict[str, str]]) -> None:
    assert_one_line_error(_run(dated_env, "ask", "--since", "March", GRAIN_QUESTION), 2,
                          "--since must be a date as YYYY-MM-DD")
    assert_one_line_error(_run(dated_env, "ask", "--until", "2025-02-30", GRAIN_QUESTION), 2,
                          "--until 2025-02-30 is not a calendar date")
    assert_one_line_error(_run(dated_env, "ask", "--since", "2025-03-10", "--until",
                               "2025-03-01", GRAIN_QUESTION), 2,
                          "--since 2025-03-10 is after --until 2025-03-01")


def test_this_week_and_status(dated_env: tuple[Path, dict[str, str]]) -> None:
    shown = _run(dated_env, "ask", "What did the central bank do with interest rates this week?")
    assert shown.returncode == 0, shown.stderr
    assert "“this week” is read as 2025-03-08 to 2025-03-14" in shown.stdout
    _, sources = shown.stdout.split("Sources:", 1)
    assert "2025-03-14" in sources and "2025-02-21" not in sources

    status = _json(_run(dated_env, "status", "--json"))
    assert (status["files"], status["dated_files"]) == (8, 7)
    assert (status["oldest_date"], status["newest_date"]) == ("2025-02-10", "2025-03-14")
    text = _run(dated_env, "status").stdout
    assert "dated files: 7" in text and "newest date: 2025-03-14" in text


def test_help_explains_the_date_options() -> None:
    result = run_newsbot("ask", "--help", cwd=Path.cwd())
    assert result.returncode == 0
    flat = " ".join(result.stdout.split())
    assert "--since" in flat and "--until" in flat and "without a date are left out" in flat


def test_chat_keeps_its_range_for_every_question(dated_env: tuple[Path, dict[str, str]]) -> None:
    root, env = dated_env
    result = subprocess.run(
        [str(newsbot_executable()), "chat", "--until", "2025-02-20"], cwd=root,
        env=clean_env(**env), capture_output=True, text=True, timeout=120,
        input=f"{GRAIN_QUESTION}\nWhat did the central bank do with interest rates?\n")
    assert result.returncode == 0, result.stderr
    assert "articles dated 2025-02-20 or earlier" in result.stdout  # the banner says so
    assert "2.1 million tonnes" in result.stdout
    # The February decision is after the range: refused, not the held rate of 2025-02-21.
    assert "4.25 percent" not in result.stdout and "4.5 percent" not in result.stdout
