"""Plain text and Markdown: the whole file is one article, read verbatim."""

from __future__ import annotations

from ingest.loaders.base import Article


class PlainTextLoader:
    suffixes = frozenset({".txt", ".md", ".markdown"})

    def load(self, name: str, text: str) -> list[Article]:
        return [Article(id=name, text=text)] if text.strip() else []
