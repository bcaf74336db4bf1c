"""RSS and Atom feeds, read by feedparser: each entry is an article (its content, else its
summary, HTML turned into text as the HTML loader's fallback does), with its link, date and
author, and the feed's title as the site. An ``.xml`` file that is no feed is skipped."""

from __future__ import annotations

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


class FeedLoader:
    suffixes = frozenset({".xml", ".rss", ".atom"})

    def load(self, name: str, text: str) -> list[Article]:
        if not text.strip():
            return []
        import feedparser  # only feed ingests pay for it

        parsed = feedparser.parse(text)
        if not parsed.get("version") and not parsed.entries:
            # A sitemap, a config file, an XML export of something else: no article in it.
            return [Article(id=name, text="", warnings=("not an RSS or Atom feed; skipped",))]
        site = text_of(parsed.feed.get("title"))
        articles: list[Article] = []
        for number, entry in enumerate(parsed.entries, start=1):
            where = f"entry {number}"
            body = _entry_text(entry)
            if not body:
                articles.append(Article(id=f"{name}#{where}", text="", warnings=(
                    f"{where}: no content or summary; skipped",)))
                continue
            # feedparser fills ``link`` from a permalink guid when an item has none, so a
            # non-address there is the feed's id, not a url someone got wrong: not reported.
            link = text_of(entry.get("link"))
            fields = article_fields({
                "title": entry.get("title"), "url": link if is_web_url(link) else None,
                "date": _entry_date(entry), "author": entry.get("author"), "site": site})
            articles.append(Article(
                id=entry_id(name, text_of(entry.get("id")), fields.metadata.get("url", ""),
                            fields.title or "", body),
                text=body, title=fields.title, metadata=fields.metadata,
                warnings=tuple(f"{where}: {warning}" for warning in fields.warnings)))
        return articles
