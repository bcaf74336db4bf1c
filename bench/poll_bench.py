"""Polling benchmark (issue 22): what following feeds costs, and how fresh answers are.

    python -m bench.poll_bench                       # 50 feeds x 20 entries, 200 polls, 5 lags
    python -m bench.poll_bench --feeds 10 --polls 20 --lag-runs 2     # quick

Feeds are served by a separate process (``serve``: a directory of feed files over
``tests/fakes/feed_server.py``, with ETag/Last-Modified and 304s, or without validators when
``<dir>/.no-validators`` exists), so the CPU time measured here is the poller's alone.

1. polls: a cold poll (every entry new: fetched, written, ingested), a poll where every feed
   answers 304, the same poll from a server without validators (every feed re-sent in full),
   and a poll with one new entry; requests, bytes, CPU and wall time of each. Embeddings come
   from the ingest benchmark's stand-in encoder: this measures the polling, not the model.
2. memory: resident memory over many polls (304s, a new entry every 20th poll).
3. freshness: with the real local model, an entry is added to a feed at a random moment and
   the bot is asked about it until an answer cites it. The lag is the wait for the next poll
   plus the processing (fetch, ingest, answer); at the default 15-minute interval the wait is
   uniform on 0-15 min, so the lag is that plus the measured processing.

Prints one JSON object (also written to ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import REPO_ROOT, child_env, load_average

if TYPE_CHECKING:
    from bot.engine import NewsBot
    from ingest.sources.poller import Poller, PollReport

DEFAULT_INTERVAL_MINUTES = 15.0
_WORDS = ("harbour council river bridge ferry museum festival grain port storm rail school "
          "market budget dam flood lantern quarry orchard library tram clinic").split()


# -- the feed server process ---------------------------------------------------------------------

def serve(directory: Path) -> None:
    """Serve ``directory/<name>.xml`` as ``/<name>.xml`` until stdin closes."""
    from tests.fakes.feed_server import FeedServer, Route

    class DirectoryRoutes(dict[str, Route]):
        def get(self, path: str, default: Any = None) -> Route | None:  # type: ignore[override]
            if path == "/robots.txt":
                return Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")
            file = directory / path.lstrip("/")
            if "/" in path.lstrip("/") or not file.is_file():
                return default
            body = file.read_bytes()
            if (directory / ".no-validators").exists():
                return Route(body)
            stat = file.stat()
            return Route(body, etag=f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"',
                         last_modified=int(stat.st_mtime))

    server = FeedServer()
    server.routes = DirectoryRoutes()
    server.start()
    print(server.base, flush=True)
    sys.stdin.read()  # the parent closes it to stop us
    server.stop()


# -- feeds ---------------------------------------------------------------------------------------

def _entry(feed: int, number: int) -> dict[str, str]:
    rng = random.Random(feed * 100_003 + number)
    words = rng.sample(_WORDS, 6)
    sentences = [f"The {words[i]} of town {feed}-{number} reported {rng.randint(2, 999)} "
                 f"{words[i + 1]} visitors on day {number}." for i in range(0, 6, 2)]
    sentences.append(f"Officials in district {feed} said story {number} was confirmed on "
                     f"{rng.choice(('Monday', 'Tuesday', 'Friday'))}.")
    return {"title": f"Story {number} from feed {feed}",
            "link": f"https://feed{feed}.example/news/{number}",
            "date": format_datetime(datetime.now(UTC), usegmt=True),
            "content": "<p>" + " ".join(sentences) + "</p>"}


def write_feed(directory: Path, feed: int, entries: list[dict[str, str]]) -> None:
    from tests.fakes.feed_server import rss

    temp = directory / f".feed{feed}.tmp"
    temp.write_bytes(rss(f"Feed {feed}", entries))
    os.replace(temp, directory / f"feed{feed}.xml")


class Feeds:
    """The feed files and the server process serving them."""

    def __init__(self, directory: Path, feeds: int, entries: int) -> None:
        self.directory = directory
        self.entries = {f: [_entry(f, n) for n in range(entries)] for f in range(feeds)}
        directory.mkdir(parents=True, exist_ok=True)
        for feed, items in self.entries.items():
            write_feed(directory, feed, items)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.poll_bench", "serve", str(directory)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=child_env(),
            cwd=REPO_ROOT)
        assert self.process.stdout is not None
        self.base = self.process.stdout.readline().strip()

    def urls(self) -> list[str]:
        return [f"{self.base}/feed{f}.xml" for f in self.entries]

    def add_entry(self, feed: int) -> dict[str, str]:
        entry = _entry(feed, 1000 + len(self.entries[feed]))
        self.entries[feed].insert(0, entry)
        del self.entries[feed][20:]  # a feed lists only its latest items
        write_feed(self.directory, feed, self.entries[feed])
        return entry

    def validators(self, on: bool) -> None:
        flag = self.directory / ".no-validators"
        if on:
            flag.unlink(missing_ok=True)
        else:
            flag.touch()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)


# -- measuring -----------------------------------------------------------------------------------

def rss_mb() -> float:
    """Resident memory now (not the peak), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _bot(data_dir: Path, corpus: Path, urls: list[str], stub: bool,
         interval_minutes: float = DEFAULT_INTERVAL_MINUTES) -> NewsBot:
    from bench.ingest_bench import StubEncoder
    from bot.engine import NewsBot
    from bot.settings import Settings

    settings = Settings(_env_file=None, NEWSBOT_DATA_DIR=data_dir, NEWSBOT_CORPUS_DIR=corpus,
                        NEWSBOT_LLM="extractive", NEWSBOT_SOURCES=",".join(urls),
                        NEWSBOT_FETCH_HOST_DELAY=0, NEWSBOT_POLL_MINUTES=interval_minutes)
    return NewsBot(settings, encoder=StubEncoder() if stub else None)


def _poller(bot: NewsBot) -> Poller:
    from ingest.sources.setup import make_poller

    return make_poller(bot.settings, bot.settings, bot.ingest)


def measure_poll(poller: Poller) -> dict[str, Any]:
    counters = poller.fetcher.counters
    requests, bytes_, not_modified = counters.requests, counters.bytes, counters.not_modified
    cpu, wall = time.process_time(), time.perf_counter()
    report = poller.poll_once()
    result: dict[str, Any] = {
        "requests": counters.requests - requests, "not_modified": counters.not_modified -
        not_modified, "body_bytes": counters.bytes - bytes_,
        "cpu_s": round(time.process_time() - cpu, 3),
        "wall_s": round(time.perf_counter() - wall, 3),
        "new_articles": sum(r.new for r in report.results),
        "failed": len(report.failed), "ingested": report.ingest is not None}
    if report.ingest is not None:
        result["ingest_s"] = round(report.ingest.seconds, 3)
        result["chunks_embedded"] = report.ingest.chunks_embedded
    return result


def polls_and_memory(root: Path, feeds: int, entries: int, polls: int) -> dict[str, Any]:
    served = Feeds(root / "feeds", feeds, entries)
    try:
        corpus = root / "corpus"
        corpus.mkdir()
        bot = _bot(root / "data", corpus, served.urls(), stub=True)
        poller = _poller(bot)
        out: dict[str, Any] = {"feeds": feeds, "entries_per_feed": entries,
                               "loadavg_start": load_average()}
        out["cold"] = measure_poll(poller)
        out["all_304"] = measure_poll(poller)
        served.validators(False)
        out["no_validators"] = measure_poll(poller)
        served.validators(True)
        measure_poll(poller)  # validators learnt again
        served.add_entry(0)
        out["one_new_entry"] = measure_poll(poller)

        # Memory: polls that fetch only 304s, then polls with a new entry every 20th (each
        # of those runs an ingest), so a leak in polling shows apart from the store's growth.
        out["memory_304_only"] = _memory(poller, served, polls, new_every=0)
        out["memory_with_ingests"] = _memory(poller, served, polls, new_every=20)
        out["loadavg_end"] = load_average()
        poller.fetcher.close()
        return out
    finally:
        served.close()


def _memory(poller: Poller, served: Feeds, polls: int, new_every: int) -> dict[str, Any]:
    import gc

    gc.collect()
    memory: list[dict[str, float]] = [{"poll": 0, "rss_mb": rss_mb()}]
    started = time.perf_counter()
    ingests = 0
    for number in range(1, polls + 1):
        if new_every and number % new_every == 0:
            served.add_entry(number % len(served.entries))
        ingests += poller.poll_once().ingest is not None
        if number in (1, 10, 50, 100, 200, 500, 1000) or number == polls:
            memory.append({"poll": number, "rss_mb": rss_mb()})
    return {"polls": polls, "ingests": ingests,
            "seconds": round(time.perf_counter() - started, 1), "rss": memory}


def freshness(root: Path, runs: int, interval_s: float) -> dict[str, Any]:
    """Publish → first answer citing it, with the real model and a short poll interval."""
    served = Feeds(root / "fresh-feeds", 5, 20)
    try:
        corpus = root / "fresh-corpus"
        corpus.mkdir()
        bot = _bot(root / "fresh-data", corpus, served.urls(), stub=False,
                   interval_minutes=interval_s / 60)
        poller = _poller(bot)
        poll_starts: list[float] = []
        stop = threading.Event()

        def noted(report: PollReport) -> None:
            poll_starts.append(report.started)

        poller.poll_once()  # the initial fill, not measured
        thread = threading.Thread(target=poller.run, args=(stop, noted), daemon=True)
        thread.start()
        lags: list[dict[str, float]] = []
        rng = random.Random(7)
        for run in range(runs):
            time.sleep(rng.uniform(0, interval_s))
            entry = served.add_entry(run % 5)
            published = time.time()
            town = entry["content"].split("town ")[1].split(" ")[0]
            question = f"How many visitors did town {town} report?"
            while True:
                answer = bot.answer(question)
                if any(c.url == entry["link"] for c in answer.citations):
                    break
                if time.time() - published > interval_s * 3 + 120:
                    raise RuntimeError(f"entry {entry['link']} never answered")
                time.sleep(0.2)
            found = time.time()
            poll = min((s for s in poll_starts if s >= published), default=published)
            lags.append({"lag_s": round(found - published, 2),
                         "wait_for_poll_s": round(poll - published, 2),
                         "processing_s": round(found - poll, 2)})
        stop.set()
        thread.join(30)
        poller.fetcher.close()
        processing = sorted(lag["processing_s"] for lag in lags)
        mean_processing = sum(processing) / len(processing)
        default = DEFAULT_INTERVAL_MINUTES * 60
        return {"runs": runs, "interval_s": interval_s, "lags": lags,
                "processing_mean_s": round(mean_processing, 2),
                "processing_max_s": processing[-1],
                "at_default_interval": {
                    "interval_min": DEFAULT_INTERVAL_MINUTES,
                    "mean_lag_min": round((default / 2 + mean_processing) / 60, 2),
                    "max_lag_min": round((default + processing[-1]) / 60, 2)}}
    finally:
        served.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Polling benchmark (issue 22).")
    sub = parser.add_subparsers(dest="command")
    serve_parser = sub.add_parser("serve", help="(internal) serve a directory of feeds")
    serve_parser.add_argument("directory", type=Path)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--lag-runs", type=int, default=5)
    parser.add_argument("--lag-interval", type=float, default=10.0,
                        help="seconds between polls in the freshness runs")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "out" / "poll.json")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.directory)
        return 0
    with tempfile.TemporaryDirectory(prefix="newsbot-poll-") as temp:
        root = Path(temp)
        result = {"polls": polls_and_memory(root, args.feeds, args.entries, args.polls)}
        if args.lag_runs:
            result["freshness"] = freshness(root, args.lag_runs, args.lag_interval)
    text = json.dumps(result, indent=1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
