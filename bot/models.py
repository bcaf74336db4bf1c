"""The one value every interface shows: an ``Answer`` with its citations and timings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: ``[n]`` in the text maps to this."""

    n: int
    file: str
    title: str
    quote: str
    score: float
    chunk_id: str = ""
    # What the article's format says about it ("" when it does not): the date as ISO
    # YYYY-MM-DD, an http(s) url, the author and the site (publication).
    date: str = ""
    url: str = ""
    site: str = ""
    author: str = ""
    # The format gave ``title`` (front matter, a page's metadata); otherwise it is the
    # article's first line, shown only when it reads as a headline (``headlines.shown_title``).
    title_given: bool = False
    # The article cited: ``<file>#<entry>`` for an entry of a feed or JSON export (many
    # articles, one file); the file itself for a one-article file.
    article_id: str = ""
    # Where else the same story ran (near-duplicate copies on other sites, older versions):
    # each copy's site, else its url's host, else its title or file.
    also_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class Timings:
    """Wall time of each stage, in milliseconds."""

    retrieve: float = 0.0
    generate: float = 0.0
    total: float = 0.0
    # From the question to the first streamed text; 0 when the answer was not streamed (an
    # extractive answer, a refusal, a caller without on_token). On CPU this is the prefill.
    first_token: float = 0.0


@dataclass(frozen=True)
class Answer:
    """What ``answer()`` returns; the CLI, Discord and the evaluator only format it.

    ``retrieved_files`` lists the files of every retrieved chunk, best first (with repeats
    removed); the evaluator scores retrieval from it without touching the store.
    ``retrieved_articles`` is the same list by article (``<file>#<entry>`` for an entry of a feed
    or export, the file's name otherwise), so an entry of a many-article file can be scored.
    """

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    backend: str = ""
    timings: Timings = field(default_factory=Timings)
    retrieved_files: tuple[str, ...] = ()
    unsupported_citations: int = 0
    retrieved_articles: tuple[str, ...] = ()
    # How the text was made, when a reader should know ("Sentences quoted from the articles;
    # no LLM"): a line above the answer in the CLI, the footer in Discord.
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema of ``newsbot ask``."""
        return {
            "question": self.question,
            "answer": self.text,
            "note": self.note,
            "refused": self.refused,
            "backend": self.backend,
            "citations": [
                {"n": c.n, "file": c.file, "article_id": c.article_id or c.file,
                 "title": c.title, "date": c.date, "url": c.url,
                 "site": c.site, "author": c.author, "quote": c.quote,
                 "score": round(c.score, 4), "also_in": list(c.also_in)}
                for c in self.citations
            ],
            "timings_ms": {k: round(v, 1) for k, v in asdict(self.timings).items()},
        }


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, for follow-up questions."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class DateRange:
    """Answer only from articles dated ``since`` to ``until``, both days included; ``None``
    leaves that end open. An article without a date is outside every range. ``since`` after
    ``until`` is an empty range (the engine refuses to be asked for one)."""

    since: date | None = None
    until: date | None = None

    @property
    def empty(self) -> bool:
        return self.since is not None and self.until is not None and self.since > self.until

    def contains(self, day: date) -> bool:
        return (self.since is None or self.since <= day) and \
            (self.until is None or day <= self.until)

    def within(self, other: DateRange | None) -> DateRange:
        """The days of this range that ``other`` also allows (``None``: no limit)."""
        if other is None:
            return self
        since = max((d for d in (self.since, other.since) if d), default=None)
        until = min((d for d in (self.until, other.until) if d), default=None)
        return DateRange(since, until)

    def describe(self) -> str:
        """``dated 2025-03-01 to 2025-03-15``, ``… or later``, ``… or earlier``."""
        if self.since and self.until:
            if self.since == self.until:
                return f"dated {self.since.isoformat()}"
            return f"dated {self.since.isoformat()} to {self.until.isoformat()}"
        if self.since:
            return f"dated {self.since.isoformat()} or later"
        if self.until:
            return f"dated {self.until.isoformat()} or earlier"
        return "with a date"
