"""What a loader yields (``Article``) and what a loader is (``Loader``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Article:
    """One article of a file: what gets cleaned, chunked and cited.

    ``id`` is what answers cite; for a one-article file it is the file's name relative to the
    corpus folder. ``title`` is ``None`` when the format has none (the first line is used then).
    ``metadata`` holds what the format knows besides (url, date, author, site).
    """

    id: str
    text: str
    title: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


class Loader(Protocol):
    """Turns one file's decoded text into its articles."""

    @property
    def suffixes(self) -> frozenset[str]:
        """Lower-case file suffixes this loader reads, with the dot (``".txt"``)."""
        ...

    def load(self, name: str, text: str) -> list[Article]:
        """The articles of the file ``name`` (relative to the corpus), whose text is ``text``.

        An empty list means the file holds no article text."""
        ...
