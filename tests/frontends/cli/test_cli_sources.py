"""Sources end to end through the `newsbot` console script (subprocesses, the real local
model) and a real HTTP server on 127.0.0.1: `watch --once` picks up a feed, an entry added
after a poll is answered by `newsbot ask` after the next one, `ingest URL` fetches a page,
`status` shows the sources, and bad input is one line with a non-zero exit."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.core_fixtures import clean_env, error_lines, newsbot_executable, run_newsbot
from tests.fakes.feed_server import FeedServer, Route, page, rss, serving

# Each run loads the local model (~2-4 s); the module makes a dozen.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

DAM = ("The Marsh dam on the Brisca river opened its floodgates on Monday after three days of "
       "heavy rain, the water authority said.")
FERRY = ("The ferry between Osk and Velmora resumed service on Tuesday with four crossings a "
         "day, the operator said.")
MUSEUM = ["The Velmora maritime museum reopened on Saturday after a two-year restoration.",
          "Its new wing shows the harbour's nineteenth-century lighthouse lens."]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with serving() as running:
        yield running


def _entry(server: FeedServer, slug: str, text: str) -> dict[str, str]:
    return {"title": slug.replace("-", " ").title(), "link": server.url(f"/news/{slug}"),
            "date": format_datetime(datetime.now(UTC), usegmt=True), "content": f"<p>{text}</p>"}


def _run(tmp_path: Path, server: FeedServer, *args: str,
         **env: str) -> subprocess.CompletedProcess[str]:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    variables: dict[str, Any] = {
        "NEWSBOT_DATA_DIR": str(tmp_path / "data"), "NEWSBOT_CORPUS_DIR": str(corpus),
        "NEWSBOT_SOURCES": server.url("/feed.xml"), "NEWSBOT_FETCH_HOST_DELAY": "0",
        "NEWSBOT_LLM": "extractive", **env}
    return run_newsbot(*args, cwd=tmp_path, **variables)


def _ask(tmp_path: Path, server: FeedServer, question: str) -> dict[str, Any]:
    result = _run(tmp_path, server, "ask", "--json", question)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_an_entry_added_after_a_poll_is_answered_after_the_next(server: FeedServer,
                                                                tmp_path: Path) -> None:
    entries = [_entry(server, "dam-opens", DAM)]
    server.routes["/feed.xml"] = Route(rss("Brisca Courier", entries), etag='"v1"')

    first = _run(tmp_path, server, "watch", "--once")
    assert first.returncode == 0, first.stderr
    assert "polled 1 sources (1 new); ingest +1 ~0 -0" in first.stdout
    answer = _ask(tmp_path, server, "When did the Marsh dam open its floodgates?")
    assert not answer["refused"]
    assert [c["url"] for c in answer["citations"]] == [server.url("/news/dam-opens")]
    assert answer["citations"][0]["site"] == "Brisca Courier"

    # Not in the index yet: refused.
    ferry_question = "When did the ferry between Osk and Velmora resume service?"
    before = _ask(tmp_path, server, ferry_question)
    assert server.url("/news/ferry-resumes") not in [c["url"] for c in before["citations"]]

    entries.append(_entry(server, "ferry-resumes", FERRY))
    server.routes["/feed.xml"] = Route(rss("Brisca Courier", entries), etag='"v2"')
    second = _run(tmp_path, server, "watch", "--once", "--json")
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["sources"][0]["outcome"] == "new" and report["ingest"]["files_added"] == 1
    after = _ask(tmp_path, server, ferry_question)
    assert not after["refused"]
    assert after["citations"][0]["url"] == server.url("/news/ferry-resumes")
    assert "Tuesday" in after["answer"]

    # The feed is unchanged now: a 304 and no ingest.
    third = _run(tmp_path, server, "watch", "--once")
    assert "(1 not modified); nothing new to ingest" in third.stdout
    assert server.requests[-1].status == 304

    status = _run(tmp_path, server, "status", "--json")
    [row] = json.loads(status.stdout)["sources"]
    assert row["location"] == server.url("/feed.xml") and row["last_error"] == ""
    assert row["last_check"] and row["last_new_article"]
    assert json.loads(status.stdout)["newest_article_age"] == "today"
    text = _run(tmp_path, server, "status").stdout
    assert f"(feed {server.url('/feed.xml')}): checked " in text


def test_ingest_url_fetches_a_page_once(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/museum"] = Route(page("Maritime museum reopens", MUSEUM,
                                          "2025-03-15T09:00:00Z"),
                                     content_type="text/html; charset=utf-8")
    result = _run(tmp_path, server, "ingest", server.url("/museum"), NEWSBOT_SOURCES="")
    assert result.returncode == 0, result.stderr
    assert f"Fetched page {server.url('/museum')}: 1 page, 1 new, 0 updated" in result.stderr
    answer = _ask(tmp_path, server, "When did the Velmora maritime museum reopen?")
    assert answer["citations"][0]["url"] == server.url("/museum")
    assert answer["citations"][0]["date"] == "2025-03-15"


def test_bad_sources_and_unreachable_urls_are_one_line(server: FeedServer,
                                                       tmp_path: Path) -> None:
    bad = _run(tmp_path, server, "watch", "--once", NEWSBOT_SOURCES="ftp://files.example/x")
    assert bad.returncode == 2
    assert error_lines(bad.stderr) == [
        "error: source 'ftp://files.example/x': only http(s) feed URLs and folders can be "
        "followed"]
    gone = _run(tmp_path, server, "ingest", server.url("/nothing"))
    assert gone.returncode == 1
    assert error_lines(gone.stderr) == [f"error: {server.url('/nothing')}: HTTP 404"]


def test_watch_runs_until_interrupted(server: FeedServer, tmp_path: Path) -> None:
    """The foreground loop polls on its interval and stops on Ctrl+C with exit 130."""
    server.routes["/feed.xml"] = Route(rss("Courier", [_entry(server, "dam-opens", DAM)]),
                                       etag='"v1"')
    (tmp_path / "corpus").mkdir()
    env = clean_env(NEWSBOT_DATA_DIR=str(tmp_path / "data"),
                    NEWSBOT_CORPUS_DIR=str(tmp_path / "corpus"),
                    NEWSBOT_SOURCES=server.url("/feed.xml"), NEWSBOT_FETCH_HOST_DELAY="0")
    process = subprocess.Popen([str(newsbot_executable()), "watch", "--minutes", "0.02"],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and \
                [r.path for r in server.requests].count("/feed.xml") < 3:
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    lines = [line for line in out.splitlines() if "polled 1 sources" in line]
    assert len(lines) >= 3
    assert "(1 new)" in lines[0] and "(1 not modified); nothing new to ingest" in lines[2]


def test_watch_stops_on_ctrl_c_during_its_first_ingest(tmp_path: Path) -> None:
    """Ctrl+C while the first poll ingests the sample articles stops the loop with exit 130.
    (The hang this guards against — the interrupt swallowed mid-ingest and the loop polling on,
    seen in two full-suite runs and by hand — depends on where the signal lands; this timing
    does not hit it every time, so it checks the behaviour, not that one spot.)"""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for article in sorted((Path(__file__).parents[3] / "data" / "articles").glob("*.txt")):
        (corpus / article.name).write_text(article.read_text(encoding="utf-8"), encoding="utf-8")
    env = clean_env(NEWSBOT_DATA_DIR=str(tmp_path / "data"), NEWSBOT_CORPUS_DIR=str(corpus))
    process = subprocess.Popen([str(newsbot_executable()), "watch", "--minutes", "0.02"],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    assert process.stderr.readline().startswith("Watching")  # the first poll starts now
    time.sleep(1.5)  # into the ingest (embedding the five articles takes ~2 s)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, (out, err)
    assert "interrupted" in err
