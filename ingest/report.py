"""What an ingest run reports as it goes (``IngestProgress``) and at the end (``IngestReport``).

Kept apart from the pipeline so front-ends (the CLI's bars, Discord's /reindex) and the answer
service's protocol can name them without loading the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ingest.loaders.files import FileWarning, SkippedFile


class IngestProgress(Protocol):
    """Receives progress as the run goes (the CLI draws bars from it)."""

    def start(self, files_total: int) -> None: ...
    def file_done(self, name: str) -> None: ...
    def chunks_planned(self, count: int) -> None: ...
    def chunks_embedded(self, count: int) -> None: ...
    def sentences_embedded(self, count: int) -> None: ...


@dataclass
class IngestReport:
    files_added: int = 0
    files_updated: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    chunks_embedded: int = 0
    chunks_total: int = 0
    # Sentences embedded for the answer path (``ingest.sentence_vectors``), and the seconds
    # that took (part of ``seconds``).
    sentences_embedded: int = 0
    sentence_seconds: float = 0.0
    lines_dropped: int = 0
    # Articles pruned because they are dated before NEWSBOT_KEEP_DAYS allows.
    articles_expired: int = 0
    seconds: float = 0.0
    # New articles per root: "" the corpus folder, "<source>/" a source's (for its status).
    added_by_prefix: dict[str, int] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)
    # Files ingested despite a problem (reported on every run until the file is fixed, as
    # skipped files are).
    warnings: list[FileWarning] = field(default_factory=list)

    @property
    def files_skipped(self) -> int:
        return len(self.skipped)

    def to_json(self) -> dict[str, Any]:
        """The ``newsbot ingest --json`` schema."""
        return {
            "files_added": self.files_added,
            "files_updated": self.files_updated,
            "files_unchanged": self.files_unchanged,
            "files_removed": self.files_removed,
            "files_skipped": self.files_skipped,
            "chunks_embedded": self.chunks_embedded,
            "chunks_total": self.chunks_total,
            "lines_dropped": self.lines_dropped,
            "articles_expired": self.articles_expired,
            "seconds": round(self.seconds, 3),
            "sentences_embedded": self.sentences_embedded,
            "sentence_seconds": round(self.sentence_seconds, 3),
        }


class TextProgress:
    """Turns ingest progress into short text lines (Discord's /reindex edits one message
    with them)."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self.emit = emit
        self.files_total = 0
        self.files_done = 0
        self.chunks_planned_total = 0
        self.chunks_done = 0
        self.sentences_done = 0

    def start(self, files_total: int) -> None:
        self.files_total = files_total
        self.emit(f"Reindexing {files_total} files…")

    def file_done(self, name: str) -> None:
        self.files_done += 1
        self.emit(f"Files {self.files_done}/{self.files_total}, "
                  f"chunks embedded {self.chunks_done}/{self.chunks_planned_total}"
                  + (f", sentences {self.sentences_done}" if self.sentences_done else ""))

    def chunks_planned(self, count: int) -> None:
        self.chunks_planned_total += count

    def chunks_embedded(self, count: int) -> None:
        self.chunks_done += count

    def sentences_embedded(self, count: int) -> None:
        self.sentences_done += count
