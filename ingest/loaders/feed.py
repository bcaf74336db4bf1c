"""RSS and Atom feeds, read by feedparser: each entry is an article (its content, else its
summary, HTML turned into text as the HTML loader's fallback does), with its link, date and
author, and the feed's title as the site. An ``.xml`` file that is no feed is skipped."""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from datetime import date
from typing import Any

from ingest.loaders.base import Article
from ingest.loaders.fields import article_fields, is_web_url, text_of
from ingest.loaders.html_text import html_to_text
from ingest.loaders.records import entry_id


def _entry_text(entry: Mapping[str, Any]) -> str:
    parts = entry.get("content") or []
    value = " ".join(str(part.get("value", "")) for part in parts) if parts else ""
    if not value.strip():
        value = str(entry.get("summary", "") or "")
    # Feeds carry HTML (escaped or in CDATA); plain text goes through unchanged.
    return html_to_text(value) if "<" in value else value.strip()


def _entry_date(entry: Mapping[str, Any]) -> object:
    # feedparser's parsed struct_time when it could read the date; else the raw text, which
    # ``article_fields`` reads or reports.
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if isinstance(parsed, time.struct_time):
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    return entry.get("published") or entry.get("updated")


def has_content(entry: Mapping[str, Any]) -> bool:
    """True when the entry carries its article's text (``content``), not only a summary."""
    parts = entry.get("content") or []
    return any(str(part.get("value", "")).strip() for part in parts)


def is_feed(parsed: Mapping[str, Any]) -> bool:
    """True when feedparser recognised RSS or Atom (or found entries) in what it read."""
    return bool(parsed.get("version") or parsed.get("entries"))


def feed_site(parsed: Mapping[str, Any]) -> str:
    return text_of(parsed["feed"].get("title"))


def entry_article(name: str, number: int, entry: Mapping[str, Any], site: str) -> Article:
    """The article of the feed's ``number``-th entry (an empty text with a warning when it
    has neither content nor summary)."""
    where = f"entry {number}"
    body = _entry_text(entry)
    if not body:
        return Article(id=f"{name}#{where}", text="", warnings=(
            f"{where}: no content or summary; skipped",))
    # feedparser fills ``link`` from a permalink guid when an item has none, so a
    # non-address there is the feed's id, not a url someone got wrong: not reported.
    link = text_of(entry.get("link"))
    fields = article_fields({
        "title": entry.get("title"), "url": link if is_web_url(link) else None,
        "date": _entry_date(entry), "author": entry.get("author"), "site": site})
    return Article(
        id=entry_id(name, text_of(entry.get("id")), fields.metadata.get("url", ""),
                    fields.title or "", body),
        text=body, title=fields.title, metadata=fields.metadata,
        warnings=tuple(f"{where}: {warning}" for warning in fields.warnings))


class FeedLoader:
    suffixes = frozenset({".xml", ".rss", ".atom"})

    def load(self, name: str, text: str) -> list[Article]:
        if not text.strip():
            return []
        import feedparser  # only feed ingests pay for it

        # A stream, never the text itself: given a string, feedparser first tries it as a URL
        # (and fetches it) or a local file name (and reads it).
        parsed = feedparser.parse(io.BytesIO(text.encode("utf-8")))
        if not is_feed(parsed):
            # A sitemap, a config file, an XML export of something else: no article in it.
            return [Article(id=name, text="", warnings=("not an RSS or Atom feed; skipped",))]
        site = feed_site(parsed)
        return [entry_article(name, number, entry, site)
                for number, entry in enumerate(parsed.entries, start=1)]
