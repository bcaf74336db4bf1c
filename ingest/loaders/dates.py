"""A publication date, as written by people or pages, turned into ISO ``YYYY-MM-DD``.

dateutil (already installed with htmldate, which trafilatura uses for HTML dates) reads the
forms news files use: ``2025-03-11``, ``2025-03-11T18:42:00+00:00``, ``11 March 2025``,
``Tue, 11 Mar 2025 18:42:00 GMT``. A datetime keeps the calendar date it was written with (no
time-zone conversion: the day the article says is the day shown). Numeric day/month forms are
read month first (``03/04/2025`` is 4 March), as dateutil does; ISO dates avoid the ambiguity.
"""

from __future__ import annotations

from datetime import date, datetime

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
