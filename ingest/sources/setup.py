"""Build the poller from settings, and run it on a thread of its own (inside `newsbot discord`:
polling and ingesting block, so they must never run on the Discord event loop)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ingest.settings import SourceSettings, StoreSettings
from ingest.sources.config import parse_sources
from ingest.sources.fetch import PoliteFetcher
from ingest.sources.poller import Poller, PollReport

if TYPE_CHECKING:
    from ingest.report import IngestReport

log = logging.getLogger(__name__)


def make_fetcher(settings: SourceSettings) -> PoliteFetcher:
    return PoliteFetcher(settings.contact, timeout=settings.fetch_timeout,
                         max_bytes=settings.fetch_max_bytes,
                         host_delay=settings.fetch_host_delay)


def make_poller(store: StoreSettings, sources: SourceSettings,
                ingest: Callable[[], IngestReport]) -> Poller:
    """The poller of the configured sources (one ``Settings`` passes as both sections)."""
    return Poller(parse_sources(sources.sources, sources.sources_file), store.corpus_dir,
                  store.data_dir, make_fetcher(sources), ingest,
                  interval_seconds=sources.poll_minutes * 60, keep_days=sources.keep_days,
                  fetch_pages=sources.fetch_pages)


def log_report(report: PollReport) -> None:
    """A poll's line in the log, and one warning per failed source."""
    log.info("sources: %s", report.line())
    for result in report.failed:
        log.warning("source %s failed: %s", result.name, result.error)
    if report.ingest_error:
        log.warning("ingest after a poll failed: %s", report.ingest_error)


class BackgroundPoller:
    """Runs ``poller`` on a daemon thread until ``stop()``."""

    def __init__(self, poller: Poller,
                 on_report: Callable[[PollReport], None] = log_report) -> None:
        self.poller = poller
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="newsbot-poller", daemon=True)
        self._on_report = on_report

    def _run(self) -> None:
        try:
            self.poller.run(self._stop, self._on_report)
        except Exception:  # pragma: no cover - poll_once catches what it expects
            log.exception("the source poller stopped")

    def start(self) -> BackgroundPoller:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the poll in progress, waiting at most ``timeout`` seconds for it (the
        thread is a daemon and an ingest is safe to kill, so exiting sooner loses nothing)."""
        self._stop.set()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.poller.fetcher.close()
