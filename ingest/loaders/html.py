"""Saved web pages: the visible text (one line per block element) is one article."""

from __future__ import annotations

from ingest.loaders.base import Article
from ingest.loaders.html_text import html_to_text


class HtmlLoader:
    suffixes = frozenset({".html", ".htm"})

    def load(self, name: str, text: str) -> list[Article]:
        visible = html_to_text(text)
        return [Article(id=name, text=visible)] if visible.strip() else []
