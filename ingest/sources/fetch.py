"""The polite HTTP client every fetch of a feed or a page goes through.

- a User-Agent that names newsbot and how to reach whoever runs it (NEWSBOT_CONTACT);
- robots.txt obeyed (stdlib ``urllib.robotparser``, one copy per site, kept for a day), with
  its Crawl-delay;
- one request at a time per host, at least ``host_delay`` seconds apart;
- conditional GET (ETag / Last-Modified): an unchanged feed costs one empty 304;
- a timeout for the whole request, not only each read (a server trickling bytes is cut off);
- a size cap on the decoded body (a gzip bomb stops at the cap too).

Failures raise ``FetchError`` with a one-line reason (and the server's Retry-After, if any);
the caller records them and backs off.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

VERSION = "0.1.0"
MAX_REDIRECTS = 5
# httpx's ``is_redirect`` is true for every 3xx, 304 included: these are the ones to follow.
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# How long a site's robots.txt is trusted before it is fetched again (RFC 9309 asks crawlers
# not to cache it for more than 24 hours).
ROBOTS_TTL_SECONDS = 24 * 3600
# robots.txt larger than this is read only this far (RFC 9309: at least 500 KiB).
ROBOTS_MAX_BYTES = 512 * 1024


def user_agent(contact: str) -> str:
    """``newsbot/0.1.0 (+https://example.org/bot)``: who is fetching and how to reach them."""
    who = contact.strip() or "news question-answering bot; set NEWSBOT_CONTACT"
    return f"newsbot/{VERSION} (+{who})"


class FetchError(Exception):
    """A fetch that failed; the message is one line naming the reason."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RobotsDisallowed(FetchError):
    """robots.txt asks us not to fetch this URL."""


@dataclass(frozen=True)
class Fetched:
    """One response: 200 with a body, or 304 (``not_modified``) without one."""

    url: str  # after redirects
    status: int
    body: bytes
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    redirect_to: str | None = None  # a redirect's target (internal: ``get`` follows it)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class _Host:
    lock: threading.Lock
    next_request: float = 0.0  # monotonic time before which no request may start
    robots: RobotFileParser | None = None
    robots_fetched: float = 0.0


@dataclass
class FetchCounters:
    """What the fetcher has cost so far (the poll benchmark reports these)."""

    requests: int = 0
    not_modified: int = 0
    bytes: int = 0


class PoliteFetcher:
    """Fetches URLs politely (see the module docstring); safe to share between threads."""

    def __init__(self, contact: str = "", *, timeout: float = 20.0,
                 max_bytes: int = 5 * 1024 * 1024, host_delay: float = 1.0) -> None:
        import httpx  # loaded when something is fetched, not by `newsbot ask`

        self.user_agent = user_agent(contact)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.host_delay = host_delay
        self.counters = FetchCounters()
        self._count_lock = threading.Lock()  # feeds on different hosts are fetched at once
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._client = httpx.Client(
            headers={"User-Agent": self.user_agent}, follow_redirects=False,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the one public call ---------------------------------------------------------------

    def get(self, url: str, etag: str = "", last_modified: str = "") -> Fetched:
        """GET ``url`` (conditionally when ``etag``/``last_modified`` are given).

        Raises ``RobotsDisallowed`` when robots.txt forbids it and ``FetchError`` for any
        other failure (unreachable, timeout, too large, an HTTP error status)."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        # Redirects are followed here, not by httpx, so every hop is asked of its own site's
        # robots.txt and paced by its own host (one host's lock at a time: no deadlock).
        for _ in range(MAX_REDIRECTS + 1):
            origin = _origin(url)
            host = self._host(origin)
            with host.lock:  # one request at a time per host, robots.txt included
                robots = self._robots(origin, host)
                if not robots.can_fetch(self.user_agent, url):
                    raise RobotsDisallowed("robots.txt of the site disallows this URL")
                delay = max(self.host_delay, float(robots.crawl_delay(self.user_agent) or 0))
                fetched = self._request(url, headers, host, delay)
            if fetched.redirect_to is None:
                return fetched
            url = fetched.redirect_to
        raise FetchError("too many redirects")

    # -- internals ---------------------------------------------------------------------------

    def _host(self, origin: str) -> _Host:
        with self._hosts_lock:
            if origin not in self._hosts:
                self._hosts[origin] = _Host(threading.Lock())
            return self._hosts[origin]

    def _wait_turn(self, host: _Host, delay: float) -> None:
        wait = host.next_request - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        host.next_request = time.monotonic() + delay

    def _robots(self, origin: str, host: _Host) -> RobotFileParser:
        """The site's robots.txt, fetched at most once a day. Missing (4xx): everything is
        allowed. Unreachable or a 5xx: nothing is, for now (RFC 9309, 2.3.1.4), and it is asked
        again on the next fetch."""
        now = time.monotonic()
        if host.robots is not None and now - host.robots_fetched < ROBOTS_TTL_SECONDS:
            return host.robots
        parser = RobotFileParser(f"{origin}/robots.txt")
        try:
            fetched = self._request(f"{origin}/robots.txt", {}, host, self.host_delay,
                                    cap=ROBOTS_MAX_BYTES, truncate=True)
            for _ in range(MAX_REDIRECTS):  # RFC 9309: follow at least five redirects
                if fetched.redirect_to is None:
                    break
                fetched = self._request(fetched.redirect_to, {}, host, self.host_delay,
                                        cap=ROBOTS_MAX_BYTES, truncate=True)
        except FetchError as exc:
            status = _status_of(exc)
            if status is not None and 400 <= status < 500:
                parser.parse([])  # no robots.txt: no rules
            else:
                raise FetchError(f"robots.txt unreachable ({exc}); not fetching") from exc
        else:
            parser.parse(fetched.body.decode("utf-8", "replace").splitlines())
        host.robots, host.robots_fetched = parser, now
        return parser

    def _count(self, requests: int = 0, not_modified: int = 0, received: int = 0) -> None:
        with self._count_lock:
            self.counters.requests += requests
            self.counters.not_modified += not_modified
            self.counters.bytes += received

    def _request(self, url: str, headers: dict[str, str], host: _Host, delay: float, *,
                 cap: int | None = None, truncate: bool = False) -> Fetched:
        import httpx

        cap = cap or self.max_bytes
        self._wait_turn(host, delay)
        deadline = time.monotonic() + self.timeout
        self._count(requests=1)
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    target = urljoin(str(response.url), response.headers["location"])
                    if urlsplit(target).scheme not in ("http", "https"):
                        raise FetchError(f"redirected to a non-web address ({target[:80]})")
                    return Fetched(str(response.url), response.status_code, b"",
                                   redirect_to=target)
                if response.status_code == 304:
                    self._count(not_modified=1)
                    return Fetched(str(response.url), 304, b"",
                                   response.headers.get("etag", ""),
                                   response.headers.get("last-modified", ""))
                if response.status_code >= 400:
                    raise _HttpStatusError(response.status_code,
                                           _retry_after(response.headers.get("retry-after")))
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap and not truncate:
                    raise FetchError(_too_large(cap))
                body = bytearray()
                for block in response.iter_bytes():
                    body.extend(block)
                    self._count(received=len(block))
                    if len(body) > cap:
                        if truncate:
                            del body[cap:]
                            break
                        raise FetchError(_too_large(cap))
                    if time.monotonic() > deadline:
                        raise FetchError(f"timed out after {self.timeout:g} s")
                return Fetched(str(response.url), response.status_code, bytes(body),
                               response.headers.get("etag", ""),
                               response.headers.get("last-modified", ""),
                               response.headers.get("content-type", ""))
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"unreachable ({exc.__class__.__name__}: "
                             f"{str(exc).splitlines()[0][:120] if str(exc) else ''})") from None


class _HttpStatusError(FetchError):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}", retry_after)
        self.status = status


def _status_of(exc: FetchError) -> int | None:
    return exc.status if isinstance(exc, _HttpStatusError) else None


def _too_large(cap: int) -> str:
    return f"larger than the {cap / 1e6:.1f} MB limit (NEWSBOT_FETCH_MAX_BYTES)"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date); None if absent/odd."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
