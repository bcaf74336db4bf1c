"""Plain text and Markdown: the whole file is one article; YAML front matter, when the file
opens with it, gives its title and metadata and is not part of the text."""

from __future__ import annotations

from ingest.loaders.base import Article
from ingest.loaders.fields import article_fields
from ingest.loaders.front_matter import MalformedFrontMatter, split_front_matter


class PlainTextLoader:
    suffixes = frozenset({".txt", ".md", ".markdown"})

    def load(self, name: str, text: str) -> list[Article]:
        if not text.strip():
            return []
        try:
            front = split_front_matter(text)
        except MalformedFrontMatter as exc:
            # The text is still the article: index it whole rather than lose it, and say why
            # its title and date are missing.
            return [Article(id=name, text=text, warnings=(
                f"front matter is not valid YAML ({exc}); read as plain text",))]
        if front is None:
            return [Article(id=name, text=text)]  # verbatim, as before front matter existed
        if not front.body.strip():
            return []
        fields = article_fields(front.fields)
        return [Article(id=name, text=front.body, title=fields.title, metadata=fields.metadata,
                        warnings=fields.warnings)]
