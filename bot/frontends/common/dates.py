"""The date range a user types (``--since``/``--until``, Discord's ``since``/``until``) as a
``DateRange``, or one line saying what is wrong with it.

Only ISO ``YYYY-MM-DD`` is accepted: it is what the sources show, and ``03/04/2025`` would be
4 March to some readers and 3 April to others. So a typed day is not read by the lenient
article-date reader (``ingest.dates.iso_date``), but by the same ISO reader as a stored date
(``ingest.dates.iso_day``). This stays a front-end concern, beside the other input checks of
``common/``: the policy and the one-line errors name the option the user typed; answering only
ever receives the ``DateRange`` (and reads a question's own time words in
``bot/answering/dates.py``).
"""

from __future__ import annotations

import re
from datetime import date

from bot.models import DateRange
from ingest.dates import iso_day
from ingest.errors import BadInputError

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(text: str, name: str) -> date:
    """``text`` as a day, or ``BadInputError`` naming the option ``name``."""
    value = text.strip()
    if not _ISO_DAY.fullmatch(value):
        raise BadInputError(f"{name} must be a date as YYYY-MM-DD, not {value[:40]!r}")
    day = iso_day(value)
    if day is None:
        raise BadInputError(f"{name} {value} is not a calendar date")
    return day


def date_range(since: str | None, until: str | None, *, since_name: str = "--since",
               until_name: str = "--until") -> DateRange | None:
    """The range of the two options (``None`` when neither is given)."""
    if not since and not until:
        return None
    dates = DateRange(parse_day(since, since_name) if since else None,
                      parse_day(until, until_name) if until else None)
    if dates.empty:
        raise BadInputError(f"{since_name} {dates.since} is after {until_name} {dates.until}")
    return dates
