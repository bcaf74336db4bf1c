"""One feed into article files, against a real HTTP server on 127.0.0.1: full-text entries as
they are, summary-only entries with their page's main text, unchanged entries not fetched
again, malformed feeds refused, pages robots.txt forbids left as their summary."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ingest.loaders.json_file import JsonLoader
from ingest.sources.feeds import fetch_once, poll_feed
from ingest.sources.fetch import FetchError, PoliteFetcher
from tests.fakes.feed_server import FeedServer, Route, page, rss

PAGE_TEXT = ["The harbour authority of Velmora approved a dredging plan worth 40 million euros "
             "on Tuesday after a year of delays.",
             "Work on the outer channel starts in May and should end before the grain season."]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        running.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /members/\n",
                                              content_type="text/plain")
        running.routes["/news/dredging"] = Route(page("Velmora dredging approved", PAGE_TEXT),
                                                 content_type="text/html; charset=utf-8")
        yield running


@pytest.fixture
def fetcher() -> Iterator[PoliteFetcher]:
    with PoliteFetcher("test", timeout=3.0, host_delay=0.0) as polite:
        yield polite


def _feed(server: FeedServer, *extra: dict[str, str]) -> bytes:
    return rss("Velmora Gazette", [
        {"title": "Dredging approved", "link": server.url("/news/dredging"),
         "date": "Tue, 11 Mar 2025 09:00:00 GMT", "summary": "A plan was approved."},
        {"title": "Ferry timetable", "link": server.url("/news/ferry"),
         "date": "Wed, 12 Mar 2025 10:00:00 GMT", "summary": "Short summary.",
         "content": "<p>The ferry to Osk will run every hour from April, the operator said.</p>"},
        *extra])


def _articles(folder: Path) -> dict[str, dict[str, str]]:
    """The written files by url, as the JSON loader reads them."""
    found: dict[str, dict[str, str]] = {}
    for path in folder.glob("*.json"):
        [article] = JsonLoader().load(path.name, path.read_text(encoding="utf-8"))
        found[article.metadata["url"]] = {"text": article.text, "title": article.title or "",
                                          **article.metadata}
    return found


def test_summary_only_entries_get_their_pages_main_text(server: FeedServer,
                                                        fetcher: PoliteFetcher,
                                                        tmp_path: Path) -> None:
    server.routes["/feed"] = Route(_feed(server))
    outcome = poll_feed(server.url("/feed"), tmp_path / "gazette", fetcher)
    assert (outcome.entries, outcome.new, outcome.updated) == (2, 2, 0)
    articles = _articles(tmp_path / "gazette")
    dredging = articles[server.url("/news/dredging")]
    assert PAGE_TEXT[0] in dredging["text"] and PAGE_TEXT[1] in dredging["text"]
    assert "Copyright" not in dredging["text"] and "Home" not in dredging["text"]
    # The feed's title, date and site are kept (the feed states them on purpose).
    assert (dredging["title"], dredging["date"], dredging["site"]) == (
        "Dredging approved", "2025-03-11", "Velmora Gazette")
    ferry = articles[server.url("/news/ferry")]
    assert ferry["text"] == "The ferry to Osk will run every hour from April, the operator said."
    # An entry with its full text needs no page: only the summary-only one was fetched.
    assert "/news/ferry" not in server.paths()
    assert server.paths().count("/news/dredging") == 1


def test_unchanged_entries_are_not_fetched_or_written_again(server: FeedServer,
                                                            fetcher: PoliteFetcher,
                                                            tmp_path: Path) -> None:
    server.routes["/feed"] = Route(_feed(server))  # no validators: a 200 every time
    folder = tmp_path / "gazette"
    poll_feed(server.url("/feed"), folder, fetcher)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = poll_feed(server.url("/feed"), folder, fetcher)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert server.paths().count("/news/dredging") == 1

    # A changed entry (same link, new text) replaces its file; a new one is added.
    server.routes["/feed"] = Route(_feed(server, {
        "title": "Bridge reopens", "link": server.url("/news/bridge"),
        "date": "Thu, 13 Mar 2025 08:00:00 GMT",
        "content": "<p>The Osk bridge reopened to lorries on Thursday morning.</p>"}
    ).replace(b"every hour", b"every half hour"))
    third = poll_feed(server.url("/feed"), folder, fetcher)
    assert (third.new, third.updated, third.unchanged) == (1, 1, 1)
    assert len(list(folder.glob("*.json"))) == 3
    assert "every half hour" in _articles(folder)[server.url("/news/ferry")]["text"]


def test_etag_makes_the_second_poll_a_304(server: FeedServer, fetcher: PoliteFetcher,
                                          tmp_path: Path) -> None:
    server.routes["/feed"] = Route(_feed(server), etag='"e1"')
    first = poll_feed(server.url("/feed"), tmp_path / "g", fetcher)
    second = poll_feed(server.url("/feed"), tmp_path / "g", fetcher, etag=first.etag,
                       last_modified=first.last_modified)
    assert second.not_modified and not second.changed


@pytest.mark.parametrize(("body", "error"), [
    (b"<rss><channel><item><title>broken",
     r"^malformed feed \(line 2, column 33: no element found\)$"),
    (b"<html>no feed</html>", r"^not an RSS or Atom feed$"),
    (b"\x00\x01 binary", r"^not an RSS or Atom feed \(.*not well-formed"),
])
def test_malformed_or_not_a_feed_is_an_error(server: FeedServer, fetcher: PoliteFetcher,
                                             tmp_path: Path, body: bytes, error: str) -> None:
    server.routes["/feed"] = Route(body)
    with pytest.raises(FetchError, match=error):
        poll_feed(server.url("/feed"), tmp_path / "g", fetcher)
    assert not (tmp_path / "g").exists()


def test_a_truncated_feed_keeps_the_entries_it_has(server: FeedServer, fetcher: PoliteFetcher,
                                                   tmp_path: Path) -> None:
    whole = _feed(server)
    server.routes["/feed"] = Route(whole[:whole.index(b"<title>Ferry")])
    outcome = poll_feed(server.url("/feed"), tmp_path / "g", fetcher)
    assert outcome.new == 1
    assert outcome.warnings[-1].startswith("malformed feed (")
    assert list(_articles(tmp_path / "g")) == [server.url("/news/dredging")]


def test_a_page_robots_txt_forbids_keeps_the_summary(server: FeedServer,
                                                     fetcher: PoliteFetcher,
                                                     tmp_path: Path) -> None:
    server.routes["/members/scoop"] = Route(page("Scoop", PAGE_TEXT), content_type="text/html")
    server.routes["/feed"] = Route(rss("Gazette", [
        {"title": "Scoop", "link": server.url("/members/scoop"),
         "summary": "Members read the dredging scoop first."}]))
    outcome = poll_feed(server.url("/feed"), tmp_path / "g", fetcher)
    assert outcome.new == 1
    assert outcome.warnings == [f"{server.url('/members/scoop')}: page not fetched "
                                "(robots.txt of the site disallows this URL); summary kept"]
    [article] = _articles(tmp_path / "g").values()
    assert article["text"] == "Members read the dredging scoop first."
    assert "/members/scoop" not in server.paths()


def test_entries_older_than_retention_are_not_written(server: FeedServer,
                                                      fetcher: PoliteFetcher,
                                                      tmp_path: Path) -> None:
    server.routes["/feed"] = Route(_feed(server))
    outcome = poll_feed(server.url("/feed"), tmp_path / "g", fetcher,
                        keep_since=date(2025, 3, 12))
    assert outcome.new == 1
    assert list(_articles(tmp_path / "g")) == [server.url("/news/ferry")]
    assert "/news/dredging" not in server.paths()  # too old: its page is not fetched either


def test_fetch_once_reads_a_page_or_a_feed(server: FeedServer, fetcher: PoliteFetcher,
                                           tmp_path: Path) -> None:
    result = fetch_once(server.url("/news/dredging"), tmp_path, fetcher,
                        feed_folder=tmp_path / "feed")
    assert (result.kind, result.outcome.new) == ("page", 1)
    [(url, article)] = _articles(tmp_path / "pages").items()
    assert url == server.url("/news/dredging")
    assert article["title"] == "Velmora dredging approved" and PAGE_TEXT[0] in article["text"]

    server.routes["/feed"] = Route(_feed(server))
    feed = fetch_once(server.url("/feed"), tmp_path, fetcher, feed_folder=tmp_path / "feed")
    assert (feed.kind, feed.outcome.new) == ("feed", 2)

    server.routes["/empty"] = Route(b"<html><body></body></html>", content_type="text/html")
    with pytest.raises(FetchError, match="neither a feed nor a page"):
        fetch_once(server.url("/empty"), tmp_path, fetcher, feed_folder=tmp_path / "feed")


def test_article_files_are_what_the_json_loader_reads(server: FeedServer,
                                                      fetcher: PoliteFetcher,
                                                      tmp_path: Path) -> None:
    server.routes["/feed"] = Route(_feed(server))
    poll_feed(server.url("/feed"), tmp_path / "g", fetcher)
    for path in (tmp_path / "g").glob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        assert {"title", "date", "url", "source", "text"} <= set(record)


def test_a_body_naming_a_local_file_is_not_read_from_disk(server: FeedServer,
                                                          fetcher: PoliteFetcher,
                                                          tmp_path: Path) -> None:
    # feedparser reads a string or bytes argument as a file name or URL when it can.
    local = tmp_path / "local-feed.xml"
    local.write_bytes(rss("Local secrets", [{"title": "Secret", "link": "https://x.example/s",
                                             "content": "<p>Do not index me.</p>"}]))
    server.routes["/feed"] = Route(str(local).encode())
    with pytest.raises(FetchError, match="not an RSS or Atom feed"):
        poll_feed(server.url("/feed"), tmp_path / "g", fetcher)
    assert not (tmp_path / "g").exists()


def test_a_feed_file_naming_a_local_file_is_not_read_either(tmp_path: Path) -> None:
    from ingest.loaders.feed import FeedLoader

    local = tmp_path / "elsewhere.xml"
    local.write_bytes(rss("Elsewhere", [{"title": "Secret", "link": "https://x.example/s",
                                         "content": "<p>Do not index me.</p>"}]))
    [article] = FeedLoader().load("pointer.xml", str(local))
    assert (article.text, article.warnings) == ("", ("not an RSS or Atom feed; skipped",))
