"""A fake ``AnswerService`` and small helpers shared by the Discord tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.feedback.store import FeedbackStore
from bot.frontends.discord.context import BotContext, DiscordConfig
from bot.models import Answer, Citation, DateRange, Turn
from bot.service import AnswerService, SourceInfo, StatusInfo
from ingest.report import IngestReport
from tests.fakes.discord_gateway import BOT_ID, FakeDiscord, Json, RecordedCall

CITED_FILE = "001_4ed68781ea149fc4.txt"


@dataclass
class FakeService:
    """Implements ``AnswerService``; records every call and answers from a script."""

    text: str = "Trump said many elements of a deal were agreed [1]."
    citations: tuple[Citation, ...] = (
        Citation(n=1, file=CITED_FILE, title="Trump to discuss Ukraine with Putin",
                 quote="many elements of a Final Agreement have been agreed to", score=0.8),)
    delay: float = 0.0  # seconds answer() blocks its (worker) thread
    stream: Sequence[str] = ()  # cumulative texts sent to on_token before returning
    stream_pause: float = 0.0
    error: Exception | None = None
    calls: list[tuple[str, tuple[Turn, ...]]] = field(default_factory=list)
    dates: list[DateRange | None] = field(default_factory=list)  # each call's date range
    threads: list[str] = field(default_factory=list)
    reindex_progress: Sequence[str] = ("loading", "embedding")

    def answer(self, question: str, history: Sequence[Turn] = (), *,
               on_token: Callable[[str], None] | None = None,
               top_k: int | None = None, dates: DateRange | None = None) -> Answer:
        self.calls.append((question, tuple(history)))
        self.dates.append(dates)
        self.threads.append(threading.current_thread().name)
        for text in self.stream:
            if on_token is not None:
                on_token(text)
            time.sleep(self.stream_pause)
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return Answer(question=question, text=self.text, citations=self.citations,
                      backend="fake", retrieved_files=tuple(c.file for c in self.citations))

    def sources(self) -> list[SourceInfo]:
        return [SourceInfo(file=CITED_FILE, title="Trump to discuss Ukraine", chunks=4)]

    def status(self) -> StatusInfo:
        return StatusInfo(corpus_dir="data/articles", store=".newsbot/chroma",
                          collection="newsbot_articles", collection_exists=True, files=1,
                          chunks=4, embedding_model="fake", backend="fake", llm_setting="auto")

    def reindex(self, on_progress: Callable[[str], None] | None = None) -> IngestReport:
        for line in self.reindex_progress:
            if on_progress is not None:
                on_progress(line)
        return IngestReport(files_added=1, chunks_embedded=4, chunks_total=4)


def has_citation_embed(call: RecordedCall, file: str = CITED_FILE) -> bool:
    """The REST call posts or edits a message whose sources embed cites ``file``."""
    embeds = (call.body or {}).get("embeds") or []
    return any(file in (e.get("description") or "") for e in embeds)


def bot_message(fake: FakeDiscord, channel_id: int, containing: str) -> Json:
    """The latest message the bot posted in ``channel_id`` whose content has ``containing``."""
    return next(m for m in reversed(fake.messages.values())
                if m["author"]["id"] == str(BOT_ID) and m["channel_id"] == str(channel_id)
                and containing in m["content"])


def _check_protocol(service: FakeService) -> AnswerService:
    return service  # mypy checks FakeService against the protocol here


def make_ctx(service: AnswerService, feedback: FeedbackStore | None = None,
             **config: Any) -> BotContext:
    return BotContext.create(service, feedback, DiscordConfig(**config))
