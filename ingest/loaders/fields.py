"""An article's title and metadata from whatever its format gives, under one set of rules.

Each loader maps its format's names to ours (front matter's ``link`` to ``url``, trafilatura's
``sitename`` to ``site``) and hands the raw values here, so every format gets the same result:
one-line text, dates as ISO ``YYYY-MM-DD``, urls only when they are http(s) addresses, several
authors joined with commas. A value that is there but cannot be used is left out with a
warning for the ingest report; nothing here raises for bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from ingest.dates import iso_date
from ingest.loaders.base import ARTICLE_FIELDS

# Our field name → the keys formats use for it, preferred first: one table for front matter and
# scraper/news-API exports alike, so an article reads the same whichever way it was saved.
FIELD_KEYS: Mapping[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "url": ("url", "link"),
    "date": ("date", "published", "publishedAt", "published_at", "pubDate", "datetime"),
    "author": ("author", "authors", "byline", "creator"),
    "site": ("source", "site", "site_name", "sitename", "publisher"),
}

# How much of a bad value a warning quotes: enough to find it in the file, one line at most.
_QUOTED_MAX_CHARS = 60
# Characters that never occur in a usable address and would break the markdown link a chat
# front-end builds from it (``<@id>`` mention markup, quotes, spaces).
_NOT_IN_URLS = frozenset('<>"`\\ ')


@dataclass(frozen=True)
class ArticleFields:
    title: str | None
    metadata: dict[str, str]
    warnings: tuple[str, ...] = ()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def text_of(value: object) -> str:
    """A scalar (or a list of scalars, e.g. several authors) as one line; "" for the rest."""
    if isinstance(value, str):
        return _one_line(value)
    if isinstance(value, bool) or value is None:  # ``draft: true`` is no title or author
        return ""
    if isinstance(value, int | float | date):
        return str(value)
    if isinstance(value, list | tuple):
        parts = (text_of(item) for item in value if not isinstance(item, list | tuple))
        return ", ".join(part for part in parts if part)
    return ""


def is_web_url(text: str) -> bool:
    """True for an absolute http(s) address a reader can open."""
    if any(char in _NOT_IN_URLS for char in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. a malformed IPv6 host
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _quoted(value: str) -> str:
    shown = value if len(value) <= _QUOTED_MAX_CHARS else value[: _QUOTED_MAX_CHARS - 1] + "…"
    return f"'{shown}'"


def article_fields(raw: Mapping[str, object]) -> ArticleFields:
    """Title and ``ARTICLE_FIELDS`` metadata from ``raw`` (keys ``title`` and those fields)."""
    warnings: list[str] = []
    metadata: dict[str, str] = {}
    for key in ARTICLE_FIELDS:
        value = raw.get(key)
        text = text_of(value)
        if not text:
            continue
        if key == "date":
            iso = iso_date(value if isinstance(value, date) else text)
            if iso is None:
                warnings.append(f"date {_quoted(text)} is not a calendar date; left out")
                continue
            text = iso
        elif key == "url" and not is_web_url(text):
            warnings.append(f"url {_quoted(text)} is not an http(s) address; left out")
            continue
        metadata[key] = text
    return ArticleFields(text_of(raw.get("title")) or None, metadata, tuple(warnings))
