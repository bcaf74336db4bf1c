"""Saved web pages: trafilatura's main text (no navigation, footers, cookie banners, comments)
and its metadata (title, date, canonical or og:url, author, site name) make one article.

Settings, as measured on the test fixtures (tests/ingest/fixtures/*.html): precision and the
default mode keep the same paragraphs of a real news page, but on a short page the default's
recall retry splits inline tags (``<b>``, ``<a>``) onto lines of their own; precision keeps
them in their sentence. Dates come only from the page's markup (meta tags, ``<time>``, a date
in the url): htmldate's extensive search reads "© 2025" in a footer as 1 January 2025, a date
the article never gave.
"""

from __future__ import annotations

import logging
from functools import cache
from types import ModuleType

from ingest.loaders.base import Article
from ingest.loaders.fields import article_fields
from ingest.loaders.html_text import html_to_text

_DATE_PARAMS = {"extensive_search": False, "original_date": True}


@cache
def _trafilatura() -> ModuleType:
    # Imported on first use (~0.3 s with lxml and htmldate): `newsbot ask` and ingests of
    # plain-text corpora never pay for it.
    import trafilatura

    # It logs "discarding data" or "empty HTML tree" for pages it finds no article in; here
    # that is an expected outcome (the fallback below reads them) and ingest reports any file
    # it skips, by name, so its messages would only be noise in the ingest output.
    for name in ("trafilatura", "htmldate", "courlan"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return trafilatura


class HtmlLoader:
    suffixes = frozenset({".html", ".htm"})

    def load(self, name: str, text: str) -> list[Article]:
        if not text.strip():
            return []
        trafilatura = _trafilatura()
        document = trafilatura.bare_extraction(
            text, with_metadata=True, include_comments=False, favor_precision=True,
            date_extraction_params=_DATE_PARAMS)
        if document is not None and (document.text or "").strip():
            body = document.text
            raw = {"title": document.title, "date": document.date, "url": document.url,
                   "author": document.author, "site": document.sitename}
        else:
            # trafilatura returns nothing for fragments and very short pages ("<p>x</p>", a
            # title and one line): their visible text is then the article, as the hand-written
            # extractor read every page before; the metadata in their <head> still counts.
            body = html_to_text(text)
            meta = trafilatura.extract_metadata(text, date_config=_DATE_PARAMS)
            raw = {"title": meta.title, "date": meta.date, "url": meta.url,
                   "author": meta.author, "site": meta.sitename}
        if not body.strip():
            return []
        # The page's own markup gave these values: a guessed relative url or an odd date is
        # trafilatura's reading, not the user's mistake, so its warnings are not reported.
        fields = article_fields(raw)
        return [Article(id=name, text=body, title=fields.title, metadata=fields.metadata)]
