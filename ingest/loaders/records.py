"""One article from one record of a scraper or news-API export (a JSON object), shared by the
JSON and JSONL loaders: the field names such exports use, mapped to ours.

An article of a multi-article file gets the id ``<file>#<entry>``: the record's own id, else its
url, else a hash of its title and text, so the id stays the same while the entry does and
incremental ingest can follow each article on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ingest.loaders.base import Article
from ingest.loaders.fields import FIELD_KEYS, article_fields, text_of

# Tried in order; the first that holds a value wins.
_TEXT_KEYS = ("text", "content", "body", "article", "full_text", "description")
_ID_KEYS = ("id", "guid", "uuid", "article_id")
# An object whose articles are a list under one of these keys (NewsAPI's "articles").
LIST_KEYS = ("articles", "items", "data", "results", "entries")


def _first(record: Mapping[str, object], keys: tuple[str, ...]) -> object:
    for key in keys:
        value = record.get(key)
        if isinstance(value, Mapping):  # NewsAPI: "source": {"id": …, "name": "BBC News"}
            value = value.get("name")
        if text_of(value):
            return value
    return None


def entry_id(name: str, own_id: str, url: str, title: str, text: str) -> str:
    """The stable id of one article of the multi-article file ``name``."""
    if own_id:
        return f"{name}#{own_id}"
    if url:
        return f"{name}#{url}"
    digest = hashlib.sha256(f"{title}\0{text}".encode()).hexdigest()[:16]
    return f"{name}#sha256:{digest}"


def record_article(name: str, record: object, where: str) -> Article:
    """The article of ``record``; ``where`` ("line 3", "item 2") names it in warnings. An
    article with empty text is not indexed; its warning says why."""
    if not isinstance(record, Mapping):
        return Article(id=f"{name}#{where}", text="",
                       warnings=(f"{where}: not a JSON object; skipped",))
    value = _first(record, _TEXT_KEYS)
    # The text keeps its line breaks (paragraphs matter to the cleaner and the splitter).
    text = value.strip() if isinstance(value, str) else text_of(value)
    if not text:
        return Article(id=f"{name}#{where}", text="",
                       warnings=(f"{where}: no text field ({'/'.join(_TEXT_KEYS[:4])}); "
                                 "skipped",))
    fields = article_fields({name: _first(record, keys) for name, keys in FIELD_KEYS.items()})
    own_id = text_of(_first(record, _ID_KEYS))
    return Article(
        id=entry_id(name, own_id, fields.metadata.get("url", ""), fields.title or "", text),
        text=text, title=fields.title, metadata=fields.metadata,
        warnings=tuple(f"{where}: {warning}" for warning in fields.warnings))
