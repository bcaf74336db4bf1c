"""Which loader reads which file: one entry per format."""

from __future__ import annotations

from pathlib import PurePosixPath

from ingest.loaders.base import Loader
from ingest.loaders.feed import FeedLoader
from ingest.loaders.html import HtmlLoader
from ingest.loaders.json_file import JsonLoader
from ingest.loaders.jsonl import JsonLinesLoader
from ingest.loaders.text import PlainTextLoader

LOADERS: tuple[Loader, ...] = (
    PlainTextLoader(),
    HtmlLoader(),
    JsonLoader(),
    JsonLinesLoader(),
    FeedLoader(),
)

ARTICLE_SUFFIXES: frozenset[str] = frozenset().union(*(loader.suffixes for loader in LOADERS))


def loader_for(name: str) -> Loader | None:
    """The loader of the file ``name`` (by its suffix), or ``None`` if no format matches."""
    suffix = PurePosixPath(name).suffix.lower()
    return next((loader for loader in LOADERS if suffix in loader.suffixes), None)
