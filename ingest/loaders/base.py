"""What a loader yields (``Article``) and what a loader is (``Loader``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

# The metadata an article may carry besides its title, as ``Article.metadata`` keys. Each one is
# stored with the article's chunks and shown in its citations; values are non-empty strings
# (``date`` as ISO ``YYYY-MM-DD``, ``url`` an http(s) address).
ARTICLE_FIELDS: tuple[str, ...] = ("date", "url", "author", "site")


@dataclass(frozen=True)
class Article:
    """One article of a file: what gets cleaned, chunked and cited.

    ``id`` is what answers cite; for a one-article file it is the file's name relative to the
    corpus folder. ``title`` is ``None`` when the format has none (the first line is used then).
    ``metadata`` holds what the format knows besides, keyed by ``ARTICLE_FIELDS``.
    ``warnings`` are problems that did not stop the article being read (malformed front
    matter, a date that is no date); ingest reports each one with the file's name.
    An article with empty ``text`` is an entry that could not be read (a malformed JSON
    line, an entry without text): it is not indexed, only its warnings are reported.
    """

    id: str
    text: str
    title: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


class Loader(Protocol):
    """Turns one file's decoded text into its articles."""

    @property
    def suffixes(self) -> frozenset[str]:
        """Lower-case file suffixes this loader reads, with the dot (``".txt"``)."""
        ...

    def load(self, name: str, text: str) -> list[Article]:
        """The articles of the file ``name`` (relative to the corpus), whose text is ``text``.

        An empty list means the file holds no article text. Never raises for bad content:
        what it could not read goes into ``Article.warnings``."""
        ...


@runtime_checkable
class StreamingLoader(Loader, Protocol):
    """A format read line by line (JSONL), so a file of any size streams with flat memory."""

    def stream(self, name: str, lines: Iterable[str]) -> Iterator[Article]:
        """The articles of ``name`` from its decoded lines, one at a time."""
        ...
