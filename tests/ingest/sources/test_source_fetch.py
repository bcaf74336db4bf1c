"""The polite fetcher against a real HTTP server on 127.0.0.1: conditional GET, error statuses,
timeouts, the size cap, robots.txt, the User-Agent and one request at a time per host."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from ingest.sources.fetch import FetchError, PoliteFetcher, RobotsDisallowed
from tests.fakes.feed_server import FeedServer, Route, serving


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with serving("User-agent: *\nDisallow: /private/\n") as running:
        yield running


def _fetcher(**options: float) -> PoliteFetcher:
    settings = {"timeout": 2.0, "host_delay": 0.0, **options}
    return PoliteFetcher("https://ops.example/newsbot", timeout=settings["timeout"],
                         max_bytes=int(settings.get("max_bytes", 100_000)),
                         host_delay=settings["host_delay"])


def test_etag_and_last_modified_make_a_304(server: FeedServer) -> None:
    server.routes["/feed"] = Route(b"<rss/>", etag='"v1"', last_modified=1_700_000_000)
    with _fetcher() as fetcher:
        first = fetcher.get(server.url("/feed"))
        assert (first.status, first.body, first.etag) == (200, b"<rss/>", '"v1"')
        again = fetcher.get(server.url("/feed"), first.etag, first.last_modified)
        assert again.not_modified and again.body == b""
        # Only Last-Modified known (a server without ETags): still a 304.
        by_date = fetcher.get(server.url("/feed"), "", first.last_modified)
        assert by_date.not_modified
        assert fetcher.counters.not_modified == 2
    sent = [r for r in server.requests if r.path == "/feed"]
    assert [r.status for r in sent] == [200, 304, 304]
    assert sent[1].headers["If-None-Match"] == '"v1"'


def test_user_agent_names_newsbot_and_the_contact(server: FeedServer) -> None:
    server.routes["/feed"] = Route(b"x")
    with _fetcher() as fetcher:
        fetcher.get(server.url("/feed"))
    agents = {r.headers["User-Agent"] for r in server.requests}
    assert agents == {"newsbot/0.1.0 (+https://ops.example/newsbot)"}


@pytest.mark.parametrize("status", [404, 500, 410])
def test_error_statuses_raise_with_the_status(server: FeedServer, status: int) -> None:
    server.routes["/feed"] = Route(b"", status=status)
    with _fetcher() as fetcher, pytest.raises(FetchError, match=f"^HTTP {status}$"):
        fetcher.get(server.url("/feed"))


def test_retry_after_is_passed_on(server: FeedServer) -> None:
    server.routes["/feed"] = Route(status=503, headers={"Retry-After": "120"})
    with _fetcher() as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get(server.url("/feed"))
    assert caught.value.retry_after == 120.0


def test_a_silent_server_times_out(server: FeedServer) -> None:
    server.routes["/slow"] = Route(b"late", delay=3.0)
    started = time.monotonic()
    with _fetcher(timeout=0.5) as fetcher, pytest.raises(FetchError, match="timed out"):
        fetcher.get(server.url("/slow"))
    assert time.monotonic() - started < 2.5  # the server answers after 3 s


def test_a_trickling_server_is_cut_off_at_the_whole_request_timeout(server: FeedServer) -> None:
    # Every read gets a byte within the read timeout; the whole answer would take 20 s.
    server.routes["/trickle"] = Route(b"x" * 20 * 1024, trickle=0.2)
    started = time.monotonic()
    with _fetcher(timeout=1.0) as fetcher, pytest.raises(FetchError, match="timed out"):
        fetcher.get(server.url("/trickle"))
    assert time.monotonic() - started < 6.0  # the whole answer would take 20 s


@pytest.mark.parametrize("send_length", [True, False])
def test_bodies_over_the_cap_are_refused(server: FeedServer, send_length: bool) -> None:
    server.routes["/big"] = Route(b"y" * 300_000, send_length=send_length)
    with _fetcher(max_bytes=100_000) as fetcher, \
            pytest.raises(FetchError, match=r"larger than the 0\.1 MB limit"):
        fetcher.get(server.url("/big"))
    assert fetcher.counters.bytes < 300_000


def test_robots_txt_disallowing_a_path_is_obeyed(server: FeedServer) -> None:
    server.routes["/private/feed"] = Route(b"secret")
    server.routes["/feed"] = Route(b"ok")
    with _fetcher() as fetcher:
        with pytest.raises(RobotsDisallowed):
            fetcher.get(server.url("/private/feed"))
        assert fetcher.get(server.url("/feed")).body == b"ok"
        fetcher.get(server.url("/feed"))
    # robots.txt asked once and kept; the disallowed path never requested.
    assert server.paths() == ["/robots.txt", "/feed", "/feed"]


def test_missing_robots_txt_allows_everything(server: FeedServer) -> None:
    del server.routes["/robots.txt"]
    server.routes["/private/feed"] = Route(b"fine")
    with _fetcher() as fetcher:
        assert fetcher.get(server.url("/private/feed")).body == b"fine"


def test_failing_robots_txt_means_no_fetch(server: FeedServer) -> None:
    server.routes["/robots.txt"] = Route(status=500)
    server.routes["/feed"] = Route(b"ok")
    with _fetcher() as fetcher, pytest.raises(FetchError, match=r"robots\.txt unreachable"):
        fetcher.get(server.url("/feed"))
    assert "/feed" not in server.paths()


def test_one_request_at_a_time_per_host_and_the_delay_between(server: FeedServer) -> None:
    server.routes["/a"] = Route(b"a", delay=0.2)
    with _fetcher(host_delay=0.3) as fetcher:
        fetcher.get(server.url("/a"))  # robots.txt now known
        threads = [threading.Thread(target=fetcher.get, args=(server.url("/a"),))
                   for _ in range(3)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    assert server.max_in_flight == 1
    # Three requests of 0.2 s, each starting at least 0.3 s after the one before.
    assert elapsed >= 0.2 + 2 * 0.3


def test_unreachable_host_is_a_fetch_error() -> None:
    with _fetcher() as fetcher, pytest.raises(FetchError, match="unreachable"):
        fetcher.get("http://127.0.0.1:9/feed")


def test_redirects_are_followed_and_each_site_asked_for_its_robots_txt(
        server: FeedServer) -> None:
    with FeedServer() as other:
        other.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n",
                                            content_type="text/plain")
        other.routes["/moved/feed"] = Route(b"<rss/>")
        other.routes["/private/feed"] = Route(b"secret")
        server.routes["/feed"] = Route(status=301, headers={"Location": other.url("/moved/feed")})
        server.routes["/sneaky"] = Route(status=302,
                                         headers={"Location": other.url("/private/feed")})
        server.routes["/loop"] = Route(status=307, headers={"Location": "/loop"})
        with _fetcher() as fetcher:
            fetched = fetcher.get(server.url("/feed"))
            assert (fetched.url, fetched.body) == (other.url("/moved/feed"), b"<rss/>")
            with pytest.raises(RobotsDisallowed):
                fetcher.get(server.url("/sneaky"))
            with pytest.raises(FetchError, match="too many redirects"):
                fetcher.get(server.url("/loop"))
        assert other.paths() == ["/robots.txt", "/moved/feed"]  # never /private/feed
        assert server.paths().count("/loop") == 6


def test_a_redirected_robots_txt_is_followed(server: FeedServer) -> None:
    server.routes["/robots.txt"] = Route(status=301, headers={"Location": "/real-robots.txt"})
    server.routes["/real-robots.txt"] = Route(b"User-agent: *\nDisallow: /feed\n",
                                              content_type="text/plain")
    server.routes["/feed"] = Route(b"x")
    with _fetcher() as fetcher, pytest.raises(RobotsDisallowed):
        fetcher.get(server.url("/feed"))
