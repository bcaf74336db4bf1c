"""The article date as a number, so Chroma can select a span of days.

Chroma's ``$gte``/``$lte`` compare numbers only, so every chunk of a dated article stores the
day as the integer ``YYYYMMDD`` beside the ISO ``date`` string (the order of those integers is
the order of the days, and the value still reads as a date when one inspects the store). The
dense query and the keyword side of retrieval both select with ``span_where``, so the two
halves of hybrid retrieval always see the same chunks. A chunk without a date has no number and
is outside every span.
"""

from __future__ import annotations

from datetime import date
from typing import Any

DATE_NUMBER_KEY = "date_number"


def date_number(day: date) -> int:
    """``day`` as the integer ``YYYYMMDD``."""
    return day.year * 10_000 + day.month * 100 + day.day


def iso_date_number(iso: str) -> int | None:
    """The number of an ISO ``YYYY-MM-DD`` date, or ``None`` if it is not one."""
    try:
        return date_number(date.fromisoformat(iso))
    except ValueError:
        return None


def number_date(number: int) -> date:
    """The day of a ``YYYYMMDD`` number."""
    return date(number // 10_000, number // 100 % 100, number % 100)


def span_where(first: date | None, last: date | None) -> dict[str, Any]:
    """The Chroma ``where`` selecting chunks dated from ``first`` to ``last`` (both included);
    an open end still requires a date (undated chunks are outside every span)."""
    low = {DATE_NUMBER_KEY: {"$gte": date_number(first) if first else 0}}
    if last is None:
        return low
    return {"$and": [low, {DATE_NUMBER_KEY: {"$lte": date_number(last)}}]}
