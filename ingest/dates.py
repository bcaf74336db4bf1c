"""Article dates, the one home of date logic on the indexing side.

Two jobs, both about the date an article carries:

- **Reading it** (``iso_date``): a publication date as written by people or pages, turned into
  ISO ``YYYY-MM-DD``. dateutil (already installed with htmldate, which trafilatura uses for
  HTML dates) reads the forms news files use: ``2025-03-11``, ``2025-03-11T18:42:00+00:00``,
  ``11 March 2025``, ``Tue, 11 Mar 2025 18:42:00 GMT``. A datetime keeps the calendar date it
  was written with (no time-zone conversion: the day the article says is the day shown).
  Numeric day/month forms are read month first (``03/04/2025`` is 4 March), as dateutil does;
  ISO dates avoid the ambiguity. ``iso_day`` reads back a stored ISO date.
- **Selecting by it** (``date_number``, ``span_where``): Chroma's ``$gte``/``$lte`` compare
  numbers only, so every chunk of a dated article stores the day as the integer ``YYYYMMDD``
  beside the ISO ``date`` string (the order of those integers is the order of the days, and the
  value still reads as a date when one inspects the store). ``span_where`` is what a span of
  days selects; retrieval evaluates the same selection in memory over the generation's chunk
  days (``ingest/chunk_days.py``) and hands both halves of hybrid retrieval its result, so they
  always see the same chunks. A chunk without a date has no number and is outside every span.

The answering side's dates (a question's time words, the asker's typed range) build on these:
``bot/answering/dates.py`` and ``bot/frontends/common/dates.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

DATE_NUMBER_KEY = "date_number"

# Two different fill-in dates: dateutil takes missing parts (a year alone, a weekday) from its
# ``default``, so a date that parses differently against the two was incomplete. Such a date
# would be invented, not read, and is refused.
_FILL_INS = (datetime(2001, 1, 1), datetime(2002, 2, 2))


def iso_date(value: str | date) -> str | None:
    """``value`` as ``YYYY-MM-DD``, or ``None`` if it is not a complete calendar date."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    from dateutil import parser  # only ingest reads dates; not on the answer path's start-up

    text = value.strip()
    if not text:
        return None
    try:
        readings = {parser.parse(text, default=fill_in).date() for fill_in in _FILL_INS}
    except (ValueError, OverflowError):  # ParserError is a ValueError
        return None
    if len(readings) != 1:
        return None
    return readings.pop().isoformat()


def today() -> date:
    """Today in UTC, the day article dates are compared with (retention, an index's age):
    article dates carry no time zone, and every host must agree on the day."""
    return datetime.now(UTC).date()


def iso_day(iso: str) -> date | None:
    """The day of an ISO date (``YYYY-MM-DD``), or ``None`` if it is not one."""
    try:
        return date.fromisoformat(iso)
    except ValueError:
        return None


def date_number(day: date) -> int:
    """``day`` as the integer ``YYYYMMDD``."""
    return day.year * 10_000 + day.month * 100 + day.day


def iso_date_number(iso: str) -> int | None:
    """The number of an ISO ``YYYY-MM-DD`` date, or ``None`` if it is not one."""
    day = iso_day(iso)
    return None if day is None else date_number(day)


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
