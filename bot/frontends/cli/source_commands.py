"""``newsbot watch`` (poll every source on an interval, in the foreground) and the URL form of
``newsbot ingest`` (fetch one feed or one page once), added to the CLI by ``register``.

Nothing slow at import: the engine, httpx and feedparser load inside the commands.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from bot.frontends.cli.console import JsonOption, err, expected_errors, load_settings, make_bot, out
from ingest.errors import ServiceUnavailableError

if TYPE_CHECKING:
    from bot.engine import NewsBot
    from bot.settings import Settings
    from ingest.sources.poller import PollReport


def fetch_url_once(bot: NewsBot, settings: Settings, url: str) -> str:
    """Fetch the feed or page at ``url`` into the managed folder; one line saying what came.
    The caller ingests afterwards (the ordinary run, which reads that folder)."""
    from ingest.sources.config import WEB_DIR, feed_name
    from ingest.sources.feeds import fetch_once
    from ingest.sources.fetch import FetchError
    from ingest.sources.retention import keep_since
    from ingest.sources.setup import make_fetcher

    web_dir = settings.data_dir / WEB_DIR
    with make_fetcher(settings) as fetcher:
        try:
            result = fetch_once(url, web_dir, fetcher, feed_folder=web_dir / feed_name(url),
                                fetch_pages=settings.fetch_pages,
                                keep_since=keep_since(settings.keep_days))
        except FetchError as exc:
            raise ServiceUnavailableError(f"{url}: {exc}") from None
    for warning in result.outcome.warnings:
        err.print(f"warning: {warning}", markup=False)
    o = result.outcome
    what = f"{o.entries} entries" if result.kind == "feed" else "1 page"
    return f"Fetched {result.kind} {url}: {what}, {o.new} new, {o.updated} updated"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _print_poll(report: PollReport, as_json: bool) -> None:
    if as_json:
        out.print(json.dumps({
            "started": report.started, "seconds": round(report.seconds, 3),
            "sources": [{"name": r.name, "kind": r.kind, "outcome": r.outcome, "new": r.new,
                         "updated": r.updated, "error": r.error} for r in report.results],
            "ingest": report.ingest.to_json() if report.ingest else None,
            "ingest_error": report.ingest_error}), markup=False)
        return
    out.print(report.line(), markup=False)
    for result in report.results:
        if result.outcome == "failed":
            err.print(f"  failed: {result.name}: {result.error}", markup=False)
        for warning in result.warnings:
            err.print(f"  warning: {result.name}: {warning}", markup=False)


def watch_command(
    once: Annotated[bool, typer.Option("--once", help="Poll once and exit.")] = False,
    minutes: Annotated[float | None, typer.Option(
        "--minutes", min=0.01, help="Minutes between polls (default NEWSBOT_POLL_MINUTES).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Poll the sources (NEWSBOT_SOURCES: folders and RSS/Atom feeds) and the corpus folder,
    ingesting what is new; one line per poll. Ctrl+C stops."""
    with expected_errors():
        settings = load_settings(poll_minutes=minutes)
        from ingest.sources.setup import make_poller

        bot = make_bot(settings)
        poller = make_poller(settings, settings, bot.ingest)
        if not as_json:
            feeds = sum(1 for s in poller.sources if s.is_feed)
            folders = len(poller.sources) - feeds
            err.print(f"Watching {settings.corpus_dir}, {_count(feeds, 'feed')} and "
                      f"{_count(folders, 'more folder')} every {settings.poll_minutes:g} min"
                      f"{'' if once else ' (Ctrl+C to stop)'}…", markup=False)
        stop = threading.Event()
        previous = signal.signal(signal.SIGINT, _stop_on_interrupt(stop))
        try:
            if once:
                _print_poll(poller.poll_once(), as_json)
            else:
                poller.run(stop, lambda report: _print_poll(report, as_json))
        finally:
            signal.signal(signal.SIGINT, previous)
            interrupted = stop.is_set()
            stop.set()
            poller.fetcher.close()
        if interrupted:
            # Ctrl+C landed where a library turned the KeyboardInterrupt into an error of its
            # own (Chroma's native code does), which the loop outlives: stop all the same.
            raise KeyboardInterrupt


def _stop_on_interrupt(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    """A SIGINT handler that marks the loop stopped before raising KeyboardInterrupt, so a
    Ctrl+C is never lost, even when the interrupt itself is swallowed mid-ingest."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()
        raise KeyboardInterrupt

    return handler


def register(app: typer.Typer) -> None:
    """Add ``watch`` to the ``newsbot`` CLI."""
    app.command("watch")(watch_command)
