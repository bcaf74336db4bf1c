"""What `newsbot status` and Discord's `/status` show of the sources: for each, its last
check, its last new article and its last error, from the state the poller keeps; and how old
the newest indexed article is."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ingest.dates import iso_day, today
from ingest.sources.config import Source
from ingest.sources.state import StateStore


def _stamp(epoch: float) -> str:
    """ISO 8601 UTC to the second; "" for never."""
    if not epoch:
        return ""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def source_rows(sources: Sequence[Source], data_dir: Path) -> list[dict[str, Any]]:
    """One row per configured source (never checked yet: empty times)."""
    states = StateStore(data_dir).load()
    rows: list[dict[str, Any]] = []
    for source in sources:
        state = states.get(source.name)
        rows.append({
            "name": source.name, "kind": source.kind, "location": source.location,
            "last_check": _stamp(state.last_check) if state else "",
            "last_new_article": _stamp(state.last_new_article) if state else "",
            "newest_article": state.newest_article if state else "",
            "last_error": state.last_error if state else "",
            "failures": state.failures if state else 0,
            "next_attempt": _stamp(state.next_attempt) if state else "",
        })
    return rows


def age_text(newest_day: str, now: date | None = None) -> str:
    """``today``, ``1 day``, ``12 days``: how old the newest article is ("" with no date)."""
    if not newest_day:
        return ""
    day = iso_day(newest_day[:10])
    if day is None:
        return ""
    days = ((now or today()) - day).days
    if days <= 0:
        return "today"
    return "1 day" if days == 1 else f"{days} days"


def _ago(stamp: str, now: float) -> str:
    if not stamp:
        return "never"
    then = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    minutes = max(0, int((now - then) // 60))
    if minutes < 60:
        return f"{stamp[11:16]} UTC ({minutes} min ago)"
    if minutes < 48 * 60:
        return f"{stamp[11:16]} UTC ({minutes // 60} h ago)"
    return f"{stamp[:10]} ({minutes // (24 * 60)} days ago)"


def describe_source(row: Mapping[str, Any], now: float | None = None,
                    show_location: bool = True) -> str:
    """One line of text for a source row (the CLI and Discord show the same)."""
    now = time.time() if now is None else now
    where = f" {row['location']}" if show_location and row.get("location") else ""
    text = (f"{row['name']} ({row['kind']}{where}): checked {_ago(row['last_check'], now)}, "
            f"new article {_ago(row['last_new_article'], now)}")
    if row.get("newest_article"):
        text += f", newest dated {row['newest_article']}"
    if row.get("last_error"):
        text += f"; last error: {row['last_error']}"
        if row.get("failures"):
            text += f" ({row['failures']} in a row"
            text += f", next try {row['next_attempt']})" if row.get("next_attempt") else ")"
    return text
