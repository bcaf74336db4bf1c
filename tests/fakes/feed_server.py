"""A real HTTP server on 127.0.0.1 serving feeds and pages, for the source tests and the poll
benchmark: ETag / Last-Modified with 304s, error statuses, slow and oversized answers,
robots.txt, and a log of every request (path, headers) and of how many were in flight at once.

Routes are plain values a test changes between polls (``server.routes["/feed"] = Route(...)``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.lifecycle import StartStop


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    etag: str = ""  # answered with 304 when the request's If-None-Match equals it
    last_modified: float = 0.0  # epoch; answered with 304 when If-Modified-Since matches
    delay: float = 0.0  # seconds before answering
    trickle: float = 0.0  # seconds between 1 KB pieces of the body (a slow server)
    send_length: bool = True  # Content-Length header (False: stream until close)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    status: int


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (a timeout, a size cap) is what some tests do.
        pass


class FeedServer(StartStop):
    """``with FeedServer() as server: server.url("/feed")``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def in_flight(self) -> int:
        """Requests being answered right now."""
        with self._lock:
            return self._in_flight

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def start(self) -> FeedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server._enter()
                try:
                    self._answer()
                finally:
                    server._leave()

            def _answer(self) -> None:
                route = server.routes.get(self.path)
                status = 404 if route is None else route.status
                if route is not None and route.delay:
                    time.sleep(route.delay)
                if route is not None and status == 200 and self._not_modified(route):
                    status = 304
                server._log(Request(self.path, dict(self.headers.items()), status))
                if route is None or status != 200:
                    body = b"" if status == 304 else f"status {status}".encode()
                    self.send_response(status)
                    if route is not None:
                        self._validators(route)
                        for name, value in route.headers.items():
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self._validators(route)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.send_length:
                    self.send_header("Content-Length", str(len(route.body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                try:
                    if route.trickle:
                        for start in range(0, len(route.body), 1024):
                            self.wfile.write(route.body[start:start + 1024])
                            self.wfile.flush()
                            time.sleep(route.trickle)
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout or a size cap): expected

            def _not_modified(self, route: Route) -> bool:
                # RFC 9110 13.2.2: with If-None-Match present, If-Modified-Since is ignored
                # (a feed edited twice within one second keeps its Last-Modified).
                match = self.headers.get("If-None-Match")
                if match is not None:
                    return bool(route.etag) and match == route.etag
                since = self.headers.get("If-Modified-Since")
                return bool(route.last_modified and since
                            and since == formatdate(route.last_modified, usegmt=True))

            def _validators(self, route: Route) -> None:
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.last_modified:
                    self.send_header("Last-Modified",
                                     formatdate(route.last_modified, usegmt=True))

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


@contextmanager
def serving(robots: str = "User-agent: *\nAllow: /\n") -> Iterator[FeedServer]:
    """A running ``FeedServer`` whose robots.txt says ``robots``."""
    with FeedServer() as running:
        running.routes["/robots.txt"] = Route(robots.encode(), content_type="text/plain")
        yield running


def rss(title: str, items: list[dict[str, str]]) -> bytes:
    """An RSS 2.0 document; each item's keys: title, link, date (RFC 822 or ISO), summary,
    content (full text, as content:encoded), guid."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>',
             '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
             f"<channel><title>{title}</title><link>http://example.invalid/</link>",
             "<description>test feed</description>"]
    for item in items:
        parts.append("<item>")
        for key, tag in (("title", "title"), ("link", "link"), ("date", "pubDate"),
                         ("guid", "guid"), ("author", "author")):
            if item.get(key):
                parts.append(f"<{tag}>{item[key]}</{tag}>")
        if item.get("summary"):
            parts.append(f"<description><![CDATA[{item['summary']}]]></description>")
        if item.get("content"):
            parts.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode()


def page(title: str, paragraphs: list[str], published: str = "") -> bytes:
    """An article page with navigation and a footer around its main text."""
    meta = f'<meta property="article:published_time" content="{published}">' \
        if published else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{title}</title>{meta}</head><body>"
            "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            f"<article><h1>{title}</h1>{body}</article>"
            "<footer>Copyright the Test Gazette. All rights reserved.</footer>"
            "</body></html>").encode()
