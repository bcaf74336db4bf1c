"""Retention (NEWSBOT_KEEP_DAYS): articles dated before a cut-off day are left out of the
index, and the fetched ones deleted from disk, so a followed feed does not grow forever."""

from __future__ import annotations

from datetime import date, timedelta

from ingest.dates import today


def keep_since(keep_days: int | None, now: date | None = None) -> date | None:
    """The oldest article day kept, or None when retention is off. ``keep_days=1`` keeps
    today's and yesterday's articles (one full day back)."""
    if keep_days is None:
        return None
    return (now or today()) - timedelta(days=keep_days)
