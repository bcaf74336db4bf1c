"""The contract every interface (CLI, Discord, evaluator) relies on.

``NewsBot`` in ``bot.engine`` implements it; tests of the interfaces may use a small fake that
implements the same protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.models import Answer, DateRange, Turn

if TYPE_CHECKING:
    from ingest.report import IngestReport


@dataclass(frozen=True)
class SourceInfo:
    """One indexed article, as `/sources` and `newsbot status` list it."""

    file: str
    title: str
    chunks: int
    date: str = ""  # ISO YYYY-MM-DD when the article's format gives one


@dataclass(frozen=True)
class StatusInfo:
    """What ``newsbot status`` and Discord's ``/status`` show."""

    corpus_dir: str
    store: str
    collection: str
    collection_exists: bool
    files: int
    chunks: int
    embedding_model: str
    backend: str
    llm_setting: str
    backend_reason: str = ""  # why NEWSBOT_LLM resolved to this backend
    # Sentence vectors stored at ingest for the answer path (0: an index from before them,
    # whose sentences are embedded per question until the next ingest fills the store).
    sentence_vectors: int = 0
    # How many files have a date, and the span of those dates (ISO YYYY-MM-DD; "" when no
    # file has one): what `--since`/`--until` and "this week" can select from.
    dated_files: int = 0
    oldest_date: str = ""
    newest_date: str = ""
    # How old the newest dated article is ("today", "3 days"; "" with no dates).
    newest_article_age: str = ""
    # Each followed source (NEWSBOT_SOURCES): name, kind, location, last_check,
    # last_new_article, newest_article, last_error, failures, next_attempt
    # (``ingest.sources.status.source_rows``).
    sources: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``newsbot status --json`` schema (also the order the CLI prints)."""
        return asdict(self) | {"sources": [dict(row) for row in self.sources]}

    def public_json(self) -> dict[str, Any]:
        """What any member of a chat may see: counts and backend, no server paths or
        collection names (those are for whoever runs the bot); a folder source's path is
        left out too (a feed's URL is public)."""
        public = {key: value for key, value in self.to_json().items()
                  if key not in OPERATOR_ONLY_STATUS}
        public["sources"] = [_public_source(row) for row in public["sources"]]
        return public


def _public_source(row: dict[str, Any]) -> dict[str, Any]:
    """A source's row without a folder's path (in its location and in its error)."""
    if row.get("kind") == "feed":
        return row
    path = str(row.get("location", ""))
    shown = {k: v for k, v in row.items() if k != "location"}
    if path and path in str(shown.get("last_error", "")):
        shown["last_error"] = str(shown["last_error"]).replace(path, str(row.get("name", "")))
    return shown


# Where the bot's files live on the server: shown to operators (CLI, Manage Server) only.
OPERATOR_ONLY_STATUS = frozenset({"corpus_dir", "store", "collection"})


class AnswerService(Protocol):
    """What an interface may ask of the answering engine."""

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        on_token: Callable[[str], None] | None = None,
        top_k: int | None = None,
        dates: DateRange | None = None,
    ) -> Answer:
        """Answer ``question`` from the articles, citing them.

        ``dates`` limits the answer to articles dated in that range (undated articles are then
        left out); time words in the question ("this week", "latest") are read against the
        articles' dates, not the clock.

        ``history`` holds earlier turns of the same conversation (oldest first) for follow-ups.
        ``on_token`` receives the raw text *so far* (cumulative, not a delta) each time an LLM
        backend streams more of it; if a broken stream is restarted it starts again from the
        beginning. Never called by the extractive backend. The final ``Answer.text`` differs
        from the streamed text: its ``[n]`` markers are validated and renumbered.
        Blocking: async callers run it in a worker thread.
        Raises ``BadInputError`` for an empty or over-long question or a range that ends
        before it starts, and
        ``ServiceUnavailableError`` when the store or the LLM endpoint fails.
        """
        ...

    def sources(self) -> list[SourceInfo]:
        """The indexed articles, sorted by file name."""
        ...

    def status(self) -> StatusInfo:
        """Corpus dir, store, collection, files, chunks, embedding model, backend."""
        ...

    def reindex(self, on_progress: Callable[[str], None] | None = None) -> IngestReport:
        """Re-ingest the configured corpus; ``on_progress`` gets one line per step."""
        ...
