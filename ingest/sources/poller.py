"""One poll of every source, and the loop that repeats it (``newsbot watch``, and a worker
thread of ``newsbot discord``).

A poll fetches the feeds that are due (a few at a time, never two requests at once to one
host), checks whether any folder changed, and runs the ordinary incremental ingest only when
something did (or retention has a new cut-off day): a poll where every feed answers 304 costs
a request each and nothing else. A source that fails is recorded and backed off; it never
stops the others, and a failed ingest never stops the loop.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import NewsbotError
from ingest.sources.config import WEB_DIR, Source
from ingest.sources.feeds import FeedOutcome, poll_feed, remove_expired
from ingest.sources.fetch import FetchError, PoliteFetcher
from ingest.sources.retention import keep_since
from ingest.sources.state import SourceState, StateStore

if TYPE_CHECKING:
    from ingest.report import IngestReport

log = logging.getLogger(__name__)

# State entries of the folders every poll checks besides the sources (not shown as sources).
CORPUS_STATE, WEB_STATE = "(corpus)", "(web)"
# Feeds fetched at once (on different hosts; one host is always one request at a time).
FEED_WORKERS = 4


@dataclass(frozen=True)
class SourceResult:
    """One source in one poll."""

    name: str
    kind: str
    outcome: str  # "new", "unchanged", "not modified", "failed", "waiting", "missing", …
    new: int = 0
    updated: int = 0
    error: str = ""
    warnings: tuple[str, ...] = ()


@dataclass
class PollReport:
    started: float
    results: list[SourceResult] = field(default_factory=list)
    ingest: IngestReport | None = None
    ingest_error: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> list[SourceResult]:
        return [r for r in self.results if r.outcome == "failed"]

    def line(self) -> str:
        """One line for the log or the terminal."""
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
        parts = [f"{n} {outcome}" for outcome, n in sorted(counts.items())]
        clock = time.strftime("%H:%M:%S", time.localtime(self.started))
        text = f"{clock} polled {len(self.results)} sources"
        text += f" ({', '.join(parts)})" if parts else ""
        if self.ingest is not None:
            r = self.ingest
            text += (f"; ingest +{r.files_added} ~{r.files_updated} "
                     f"-{r.files_removed + r.articles_expired}, {r.chunks_total} chunks")
        elif self.ingest_error:
            text += f"; ingest failed: {self.ingest_error}"
        else:
            text += "; nothing new to ingest"
        return f"{text} in {self.seconds:.1f} s"


def folder_signature(path: Path) -> str:
    """A fingerprint of a folder's listing (names, sizes, modification times): a folder whose
    fingerprint is unchanged needs no ingest. Empty when the folder is missing."""
    if not path.is_dir():
        return ""
    digest = hashlib.sha256()
    for folder, subdirs, files in os.walk(path):
        subdirs.sort()
        for name in sorted(files):
            try:
                info = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            digest.update(f"{folder}/{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


class Poller:
    """Polls ``sources`` (and the corpus folder) and ingests what changed."""

    def __init__(self, sources: Sequence[Source], corpus_dir: Path, data_dir: Path,
                 fetcher: PoliteFetcher, ingest: Callable[[], IngestReport], *,
                 interval_seconds: float, keep_days: int | None = None,
                 fetch_pages: bool = True, clock: Callable[[], float] = time.time) -> None:
        self.sources = list(sources)
        self.corpus_dir = corpus_dir
        self.web_dir = data_dir / WEB_DIR
        self.fetcher = fetcher
        self.ingest = ingest
        self.interval = interval_seconds
        self.keep_days = keep_days
        self.fetch_pages = fetch_pages
        self.clock = clock
        self.store = StateStore(data_dir)

    # -- one poll ----------------------------------------------------------------------------

    def poll_once(self) -> PollReport:
        started = self.clock()
        report = PollReport(started)
        states = self.store.load()
        for source in self.sources:
            state = states.setdefault(source.name, SourceState(source.name))
            state.kind, state.location = source.kind, source.location
        cutoff = keep_since(self.keep_days)
        changed = self._poll_feeds(states, started, cutoff, report)
        signatures = self._check_folders(states, started, report)
        corpus = states[CORPUS_STATE]
        retention = cutoff.isoformat() if cutoff else ""
        if retention != corpus.retention_cutoff:
            if cutoff is not None:
                self._remove_expired_files(cutoff)
            signatures = self._check_folders(states, started, report, quiet=True)
            changed = True  # a new day: articles may have aged out
        changed |= any(states[name].signature != sig for name, sig in signatures.items())
        if changed:
            self._run_ingest(states, report)
        if not changed or report.ingest is not None:
            # Remembered only once ingested: after a failed ingest the next poll tries again.
            for name, signature in signatures.items():
                states[name].signature = signature
            corpus.retention_cutoff = retention
        self.store.save(states)
        report.seconds = self.clock() - started
        return report

    def _poll_feeds(self, states: dict[str, SourceState], now: float, cutoff: date | None,
                    report: PollReport) -> bool:
        due = [s for s in self.sources if s.is_feed and states[s.name].next_attempt <= now]
        waiting = [s for s in self.sources if s.is_feed and s not in due]

        def fetch(source: Source) -> FeedOutcome | FetchError:
            state = states[source.name]
            try:
                return poll_feed(source.location, self.web_dir / source.name, self.fetcher,
                                 etag=state.etag, last_modified=state.last_modified,
                                 fetch_pages=self.fetch_pages, keep_since=cutoff)
            except FetchError as exc:
                return exc
            except Exception as exc:  # a bug or an odd feed must not stop the other sources
                log.exception("polling %s failed", source.location)
                return FetchError(f"{exc.__class__.__name__}: {exc}")

        with ThreadPoolExecutor(FEED_WORKERS, thread_name_prefix="newsbot-feed") as pool:
            outcomes = list(pool.map(fetch, due))
        changed = False
        for source, outcome in zip(due, outcomes, strict=True):
            state = states[source.name]
            if isinstance(outcome, FetchError):
                state.failed(now, str(outcome), self.interval, outcome.retry_after)
                report.results.append(SourceResult(source.name, "feed", "failed",
                                                   error=str(outcome)))
                continue
            state.succeeded(now)
            state.etag, state.last_modified = outcome.etag, outcome.last_modified
            if outcome.not_modified:
                report.results.append(SourceResult(source.name, "feed", "not modified"))
                continue
            state.articles = outcome.entries
            state.newest_article = max(state.newest_article, outcome.newest)
            if outcome.new:
                state.last_new_article = now
            changed |= outcome.changed
            report.results.append(SourceResult(
                source.name, "feed", "new" if outcome.new else
                "updated" if outcome.updated else "unchanged",
                outcome.new, outcome.updated, warnings=tuple(outcome.warnings)))
        for source in waiting:
            state = states[source.name]
            report.results.append(SourceResult(
                source.name, "feed", "waiting",
                error=f"backing off after {state.failures} failures: {state.last_error}"))
        return changed

    def _check_folders(self, states: dict[str, SourceState], now: float,
                       report: PollReport, quiet: bool = False) -> dict[str, str]:
        """The fingerprint of every folder a poll checks: the corpus folder, the managed
        folder of fetched articles (`ingest URL` in another process writes there too) and
        each folder source (reported, and failed while missing). ``quiet``: not reported
        (a second look after retention removed files)."""
        signatures = {}
        for internal, path in ((CORPUS_STATE, self.corpus_dir), (WEB_STATE, self.web_dir)):
            states.setdefault(internal, SourceState(internal, kind="internal"))
            signatures[internal] = folder_signature(path)
        for source in self.sources:
            if source.is_feed:
                continue
            state = states[source.name]
            signature = folder_signature(Path(source.location).expanduser())
            if quiet:
                if signature:
                    signatures[source.name] = signature
                continue
            if not signature:
                state.failed(now, f"folder {source.location} is missing or empty",
                             self.interval)
                report.results.append(SourceResult(source.name, "folder", "failed",
                                                   error=state.last_error))
                continue
            state.succeeded(now)
            signatures[source.name] = signature
            report.results.append(SourceResult(
                source.name, "folder", "changed" if signature != state.signature
                else "unchanged"))
        return signatures

    def _remove_expired_files(self, cutoff: date) -> None:
        """Delete fetched articles dated before ``cutoff`` from disk (the ingest leaves them
        out anyway; this keeps the folder from growing), in every feed's folder and pages/."""
        if self.web_dir.is_dir():
            for folder in self.web_dir.iterdir():
                if folder.is_dir():
                    remove_expired(folder, cutoff)

    def _run_ingest(self, states: dict[str, SourceState], report: PollReport) -> None:
        try:
            report.ingest = self.ingest()
        except NewsbotError as exc:
            report.ingest_error = str(exc)
            return
        except Exception as exc:  # the loop outlives any one ingest
            log.exception("ingest after a poll failed")
            report.ingest_error = f"{exc.__class__.__name__}: {exc}"
            return
        now = report.started
        for source in self.sources:
            if not source.is_feed and report.ingest.added_by_prefix.get(f"{source.name}/"):
                states[source.name].last_new_article = now

    # -- the loop ----------------------------------------------------------------------------

    def run(self, stop: threading.Event, on_report: Callable[[PollReport], None]) -> None:
        """Poll, report, sleep the interval; until ``stop`` is set (checked while sleeping,
        so a stop takes effect at once, or after the poll in progress)."""
        while not stop.is_set():
            report = self.poll_once()
            on_report(report)
            stop.wait(self.interval)
