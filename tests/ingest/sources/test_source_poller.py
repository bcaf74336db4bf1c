"""The poller with the real ingest (a fast hash encoder) and a real HTTP server on 127.0.0.1:
new entries reach the index, a 304 costs no ingest, failing sources are reported and backed
off without stopping the others, folder sources and retention work through the pipeline, and
status shows every source."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from bot.engine import NewsBot
from ingest.dates import today
from ingest.sources.setup import make_poller
from ingest.sources.state import StateStore
from tests.core_fixtures import HashEncoder, make_settings
from tests.fakes.feed_server import FeedServer, Route, rss, serving


def _day(days_ago: int) -> str:
    """An RFC 822 date ``days_ago`` days before now (feeds' pubDate)."""
    return format_datetime(datetime.now(UTC) - timedelta(days=days_ago), usegmt=True)


def _item(server: FeedServer, slug: str, text: str, days_ago: int = 0) -> dict[str, str]:
    return {"title": slug.replace("-", " ").title(), "link": server.url(f"/news/{slug}"),
            "date": _day(days_ago), "content": f"<p>{text}</p>"}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with serving() as running:
        yield running


def _bot(tmp_path: Path, sources: list[str], **env: Any) -> NewsBot:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "local.txt").write_text("Local notes about the harbour festival in June.\n",
                                      encoding="utf-8")
    settings = make_settings(tmp_path / "data", corpus, NEWSBOT_SOURCES=",".join(sources),
                             NEWSBOT_FETCH_HOST_DELAY=0, NEWSBOT_FETCH_TIMEOUT=1,
                             NEWSBOT_FETCH_MAX_BYTES=50_000, **env)
    return NewsBot(settings, encoder=HashEncoder())


def _articles(bot: NewsBot) -> set[str]:
    return {source.file for source in bot.sources()}


def test_new_entries_are_ingested_and_failing_feeds_do_not_stop_the_others(
        server: FeedServer, tmp_path: Path) -> None:
    good = [_item(server, "dam-opens", "The Marsh dam opened its gates on Monday.")]
    server.routes["/good.xml"] = Route(rss("Good", good), etag='"g1"')
    server.routes["/gone.xml"] = Route(status=404)
    server.routes["/broken.xml"] = Route(status=500)
    server.routes["/slow.xml"] = Route(rss("Slow", good), delay=3.0)
    server.routes["/huge.xml"] = Route(b"<rss>" + b"x" * 200_000)
    server.routes["/bad.xml"] = Route(b"<html>not a feed</html>")
    urls = [server.url(f"/{name}.xml") for name in ("gone", "broken", "slow", "huge", "bad",
                                                     "good")]
    bot = _bot(tmp_path, urls)
    poller = make_poller(bot.settings, bot.settings, bot.ingest)

    first = poller.poll_once()
    url_of = {s.name: s.location for s in poller.sources}
    result = {url_of[r.name]: (r.outcome, r.error) for r in first.results}
    assert result == {
        urls[0]: ("failed", "HTTP 404"), urls[1]: ("failed", "HTTP 500"),
        urls[2]: ("failed", "timed out after 1 s"),
        urls[3]: ("failed", "larger than the 0.1 MB limit (NEWSBOT_FETCH_MAX_BYTES)"),
        urls[4]: ("failed", "not an RSS or Atom feed"), urls[5]: ("new", "")}
    assert first.ingest is not None and first.ingest.files_added == 2  # the entry + local.txt
    assert any(name.startswith("web/") for name in _articles(bot))

    # Second poll: the good feed answers 304, the failed ones are backing off: no request to
    # them, no ingest at all.
    before = len(server.requests)
    second = poller.poll_once()
    assert [r.outcome for r in second.results if r.kind == "feed"].count("waiting") == 5
    assert second.ingest is None and "nothing new to ingest" in second.line()
    assert [r.path for r in server.requests[before:]] == ["/good.xml"]
    assert server.requests[-1].status == 304

    # A new entry in the feed: the next poll ingests it.
    good.append(_item(server, "ferry-resumes", "The Osk ferry resumed service on Tuesday."))
    server.routes["/good.xml"] = Route(rss("Good", good), etag='"g2"')
    third = poller.poll_once()
    assert third.ingest is not None and third.ingest.files_added == 1
    assert len([a for a in _articles(bot) if a.startswith("web/")]) == 2

    # The entry corrected in the feed (same link): its new text replaces the old one.
    good[1] = _item(server, "ferry-resumes", "The Osk ferry resumed service on Wednesday.")
    server.routes["/good.xml"] = Route(rss("Good", good), etag='"g3"')
    fourth = poller.poll_once()
    assert fourth.ingest is not None
    assert (fourth.ingest.files_added, fourth.ingest.files_updated) == (0, 1)
    bot.store.open(create=False)
    texts = " ".join(bot.store.collection.get(include=["documents"])["documents"] or [])
    assert "Wednesday" in texts and "Tuesday" not in texts


def test_backoff_doubles_and_a_recovered_feed_resets(server: FeedServer,
                                                     tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(status=503)
    clock = [1_000_000.0]
    bot = _bot(tmp_path, [server.url("/feed.xml")], NEWSBOT_POLL_MINUTES=1)
    poller = make_poller(bot.settings, bot.settings, bot.ingest)
    poller.clock = lambda: clock[0]
    name = poller.sources[0].name
    waits = []
    for _ in range(3):
        poller.poll_once()
        state = StateStore(bot.settings.data_dir).load()[name]
        waits.append(state.next_attempt - clock[0])
        clock[0] = state.next_attempt  # the next poll when it is due again
    assert waits == [60.0, 120.0, 240.0]
    server.routes["/feed.xml"] = Route(rss("Back", [_item(server, "a", "Back again.")]))
    poller.poll_once()
    state = StateStore(bot.settings.data_dir).load()[name]
    assert (state.failures, state.last_error, state.next_attempt) == (0, "", 0.0)
    assert state.last_new_article == clock[0]


def test_retry_after_longer_than_the_backoff_is_honoured(server: FeedServer,
                                                         tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(status=429, headers={"Retry-After": "3600"})
    bot = _bot(tmp_path, [server.url("/feed.xml")], NEWSBOT_POLL_MINUTES=1)
    poller = make_poller(bot.settings, bot.settings, bot.ingest)
    poller.clock = lambda: 5_000.0
    poller.poll_once()
    assert StateStore(bot.settings.data_dir).load()[poller.sources[0].name].next_attempt == 8_600.0


def test_folder_sources_are_cited_by_name_and_a_missing_one_keeps_its_articles(
        tmp_path: Path) -> None:
    wire = tmp_path / "wire"
    wire.mkdir()
    (wire / "flood.md").write_text("---\ntitle: Brisca flood\ndate: 2025-03-10\n---\n"
                                   "The Brisca river flooded two villages.\n", encoding="utf-8")
    bot = _bot(tmp_path, [str(wire)])
    poller = make_poller(bot.settings, bot.settings, bot.ingest)
    report = poller.poll_once()
    assert _articles(bot) == {"local.txt", "wire/flood.md"}
    assert [(r.name, r.outcome) for r in report.results] == [("wire", "changed")]

    assert poller.poll_once().ingest is None  # nothing changed anywhere: no ingest

    (wire / "flood.md").unlink()
    wire.rmdir()
    report = poller.poll_once()
    assert [(r.name, r.outcome) for r in report.results] == [("wire", "failed")]
    # The corpus changed too (a new file), so the ingest ran, and kept the missing folder's
    # article (an unmounted disk must not empty the index).
    (tmp_path / "corpus" / "more.txt").write_text("More local notes.\n", encoding="utf-8")
    report = poller.poll_once()
    assert report.ingest is not None
    assert [f"{w.name}: {w.message}" for w in report.ingest.warnings] == [
        f"wire: folder {wire} is missing; its articles are kept"]
    assert _articles(bot) == {"local.txt", "more.txt", "wire/flood.md"}
    # What chat members see of it names the source, never the server's path.
    [operator] = bot.status().to_json()["sources"]
    [public] = bot.status().public_json()["sources"]
    assert operator["last_error"] == f"folder {wire} is missing or empty"
    assert "location" not in public and public["last_error"] == "folder wire is missing or empty"


def test_retention_prunes_old_articles_on_ingest_and_poll(server: FeedServer,
                                                          tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(rss("Feed", [
        _item(server, "fresh", "A fresh story about the lantern festival.", days_ago=1),
        _item(server, "stale", "A stale story about the old bridge.", days_ago=40)]),
        etag='"same"')
    bot = _bot(tmp_path, [server.url("/feed.xml")])
    old = tmp_path / "corpus" / "old.md"
    old.write_text(f"---\ndate: {today() - timedelta(days=60)}\n---\nOld news.\n",
                   encoding="utf-8")
    make_poller(bot.settings, bot.settings, bot.ingest).poll_once()  # retention off
    web = bot.settings.data_dir / "web"
    assert len(list(web.glob("*/*.json"))) == 2
    assert len(_articles(bot)) == 4  # local.txt, old.md, both entries

    kept = make_settings(bot.settings.data_dir, bot.settings.corpus_dir,
                         NEWSBOT_SOURCES=server.url("/feed.xml"), NEWSBOT_KEEP_DAYS=30,
                         NEWSBOT_FETCH_HOST_DELAY=0)
    bot = NewsBot(kept, encoder=HashEncoder())
    poller = make_poller(kept, kept, bot.ingest)
    report = poller.poll_once()
    assert [r.outcome for r in report.results] == ["not modified"]  # nothing new fetched...
    # ...but pruned: old.md as expired, the stale entry as removed (its file was deleted first)
    assert report.ingest is not None
    assert (report.ingest.articles_expired, report.ingest.files_removed) == (1, 1)
    articles = _articles(bot)
    assert "old.md" not in articles and "local.txt" in articles  # undated: kept
    assert len([a for a in articles if a.startswith("web/")]) == 1
    assert len(list(web.glob("*/*.json"))) == 1  # the stale entry's file deleted too
    # The operator's file stays in their folder, and out of the index on a plain ingest.
    assert old.exists() and bot.ingest().files_added == 0 and "old.md" not in _articles(bot)
    assert poller.poll_once().ingest is None  # the same day: nothing more to prune


def test_status_shows_each_source(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/feed.xml"] = Route(rss("Feed", [_item(server, "a", "Story A.")]))
    server.routes["/gone.xml"] = Route(status=404)
    bot = _bot(tmp_path, [server.url("/feed.xml"), server.url("/gone.xml")])
    before = time.time()
    make_poller(bot.settings, bot.settings, bot.ingest).poll_once()
    info = bot.status()
    assert info.newest_article_age == "today"
    rows = {row["location"]: row for row in info.to_json()["sources"]}
    ok, gone = rows[server.url("/feed.xml")], rows[server.url("/gone.xml")]
    assert ok["last_check"] and ok["last_new_article"] and ok["last_error"] == ""
    assert ok["newest_article"] == today().isoformat()
    assert (gone["last_error"], gone["failures"], gone["last_new_article"]) == ("HTTP 404", 1, "")
    stamp = datetime.strptime(ok["last_check"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert stamp.timestamp() >= int(before)
    assert info.public_json()["sources"][0]["location"] == server.url("/feed.xml")
