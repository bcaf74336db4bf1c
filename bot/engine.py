"""``NewsBot``: the one entry point every interface calls — ``answer(question, history)``.

It owns the components (embedding model, Chroma store, keyword index, synthesizer), built
lazily from ``Settings`` by the factories, and runs retrieve → synthesize, timing each step.
Which synthesizer answers, and by what rules, is the synthesizer's business
(``bot.answering``); interfaces only format the ``Answer`` it returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answering.backends import (
    ResolvedBackend,
    backend_label,
    make_synthesizer,
    resolve_backend,
)
from bot.answering.dates import (
    QuestionDates,
    as_of_note,
    question_dates,
    sources_span_note,
)
from bot.answering.questions import clean_question
from bot.answering.retrieval import HybridRetriever, Retrieval
from bot.answering.synthesizer import REFUSAL, Synthesizer, refusal
from bot.models import Answer, DateRange, Timings, Turn
from bot.service import SourceInfo, StatusInfo
from bot.settings import Settings
from bot.tuning import Tuning
from ingest.embedding.cache import CachingEncoder
from ingest.embedding.stored import StoredSentenceEncoder
from ingest.errors import BadInputError
from ingest.generation import IndexCoordination
from ingest.keyword_index import index_dir_for
from ingest.report import TextProgress
from ingest.sentence_vectors import SentenceVectorStore, sentence_store_path
from ingest.store import ArticleStore, make_chroma_client

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from ingest.embedding import Encoder
    from ingest.report import IngestProgress, IngestReport


class NewsBot:
    """Answers questions from the indexed articles; safe to call from several threads."""

    def __init__(self, settings: Settings, *, encoder: Encoder | None = None) -> None:
        self.settings = settings
        # Every threshold answering uses (NEWSBOT_TUNE over the defaults, NEWSBOT_RULES_OFF's
        # switches), handed to each component built below.
        self.tuning: Tuning = settings.tuning()
        self._encoder = encoder
        self._sentence_encoder: CachingEncoder | None = None
        self._lock = threading.Lock()
        self._ingest_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> NewsBot:
        return cls(settings or Settings())

    # -- components (built on first use) -------------------------------------------------------

    @property
    def encoder(self) -> Encoder:
        with self._lock:
            if self._encoder is None:
                from ingest.embedding import make_encoder

                s = self.settings
                self._encoder = make_encoder(
                    s.embed, model_path=s.embed_model_path, tokenizer_path=s.embed_tokenizer_path,
                    batch_size=s.embed_batch_size, openai_model=s.openai_embed_model,
                    openai_api_key=s.openai_key(),
                    openai_base_url=s.openai_base_url, timeout=s.llm_timeout,
                    max_retries=s.llm_max_retries)
            return self._encoder

    @property
    def sentence_encoder(self) -> CachingEncoder:
        """The encoder the extractive backend scores candidate sentences with: reads the
        vectors ingest stored for them (``sentence_vectors``), embeds only the rest, and
        remembers what it read or embedded (in a running bot most sentences come up again)."""
        encoder = self.encoder
        sentences = self.sentence_vectors
        with self._lock:
            if self._sentence_encoder is None:
                self._sentence_encoder = CachingEncoder(StoredSentenceEncoder(encoder, sentences))
            return self._sentence_encoder

    @cached_property
    def sentence_vectors(self) -> SentenceVectorStore:
        """The sentence vectors ingest computes for this collection (beside its keyword index,
        local even in server mode)."""
        encoder = self.encoder
        return SentenceVectorStore(sentence_store_path(self.keyword_dir), encoder.name,
                                   encoder.dim)

    @cached_property
    def store(self) -> ArticleStore:
        s = self.settings

        def connect() -> ClientAPI:
            return make_chroma_client(s.data_dir, s.chroma_host, s.chroma_port, s.chroma_timeout)

        # Embedded Chroma is shared with other processes (an ingest in another shell, a cron
        # job) through the data dir's locks and generation file; a server needs neither.
        embedded = not s.chroma_host
        return ArticleStore(connect(), s.collection, self.encoder.name, self.encoder.dim,
                            coordination=IndexCoordination(s.data_dir) if embedded else None,
                            reopen=connect if embedded else None)

    @cached_property
    def keyword_dir(self) -> Path:
        s = self.settings
        return index_dir_for(s.data_dir, s.store_location(), s.collection)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.store, self.encoder, self.keyword_dir, self.tuning)

    @cached_property
    def resolved_backend(self) -> ResolvedBackend:
        return resolve_backend(self.settings)

    @cached_property
    def synthesizer(self) -> Synthesizer:
        return make_synthesizer(self.resolved_backend.name, self.settings, self.retriever,
                                lambda: self.sentence_encoder, self.tuning)

    @property
    def backend(self) -> str:
        """The label every answer of this bot carries (``extractive``, ``openai:<model>``)."""
        return backend_label(self.resolved_backend.name, self.settings)

    # -- the index ---------------------------------------------------------------------------

    def is_indexed(self) -> bool:
        """True if the collection exists and holds at least one chunk."""
        return self.store.open(create=False) and self.store.count() > 0

    def ingest(self, corpus_dir: Path | None = None, *, rebuild: bool = False, prune: bool = True,
               progress: IngestProgress | None = None) -> IngestReport:
        from ingest.pipeline import run_ingest  # not on the answer path's start-up
        from ingest.sources.config import ingest_roots, parse_sources
        from ingest.sources.retention import keep_since

        s = self.settings
        # One ingest at a time in this process: the poller's thread and /reindex both write.
        with self._ingest_lock:
            return run_ingest(
                corpus_dir or s.corpus_dir, self.store, self.encoder, self.keyword_dir,
                chunk_size=s.chunk_size, chunk_overlap=s.chunk_overlap, prune=prune,
                rebuild=rebuild, progress=progress,
                extra_roots=ingest_roots(parse_sources(s.sources, s.sources_file), s.data_dir),
                keep_since=keep_since(s.keep_days), sentences=self.sentence_vectors)

    def reindex(self, on_progress: Callable[[str], None] | None = None) -> IngestReport:
        return self.ingest(progress=TextProgress(on_progress) if on_progress else None)

    def sources(self) -> list[SourceInfo]:
        if not self.store.open(create=False):
            return []
        states = self.store.file_states()
        return [SourceInfo(name, state.title, state.chunk_total, state.date)
                for name, state in sorted(states.items())]

    def status(self) -> StatusInfo:
        from ingest.sources.config import parse_sources
        from ingest.sources.status import age_text, source_rows

        s = self.settings
        exists = self.store.open(create=False)
        states = self.store.file_states() if exists else {}
        dates = sorted(state.date for state in states.values() if state.date)
        return StatusInfo(
            corpus_dir=str(s.corpus_dir), store=s.store_location(), collection=s.collection,
            # States are per article; a feed or export is still one file.
            collection_exists=exists,
            files=len({state.file or key for key, state in states.items()}),
            chunks=sum(state.chunk_total for state in states.values()),
            embedding_model=self.encoder.name, sentence_vectors=self.sentence_vectors.count(),
            backend=self.backend, llm_setting=s.llm,
            backend_reason=self.resolved_backend.reason, dated_files=len(dates),
            oldest_date=dates[0] if dates else "", newest_date=dates[-1] if dates else "",
            newest_article_age=age_text(dates[-1] if dates else ""),
            sources=tuple(source_rows(parse_sources(s.sources, s.sources_file), s.data_dir)))

    # -- answering ---------------------------------------------------------------------------

    def answer(self, question: str, history: Sequence[Turn] = (), *,
               on_token: Callable[[str], None] | None = None,
               top_k: int | None = None, dates: DateRange | None = None) -> Answer:
        started = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        check_date_range(dates)
        if not self.store.open(create=False):
            self.store.open(create=True)  # an empty collection: every question is refused

        synthesizer = self.synthesizer
        clock = _FirstTokenClock(on_token) if on_token is not None else None
        standalone = synthesizer.standalone(question, history)
        scope = self._scope(question, dates)
        retrieval, older = self._retrieve(standalone, top_k or self.settings.top_k, scope)
        retrieved_at = time.perf_counter()

        if retrieval.best_similarity < self.settings.relevance_floor:
            answer = refusal(question, self.backend, _outside_range_reason(retrieval))
        else:
            synthesis = synthesizer.synthesize(question, standalone, retrieval, clock)
            answer, retrieval = synthesis.answer, synthesis.retrieval
        if answer.refused and answer.text == REFUSAL and retrieval.dates is not None:
            # A refusal with no reason of its own: say which articles were searched.
            answer = replace(answer, text=refusal(question, self.backend,
                                                  _outside_range_reason(retrieval)).text)
        span = sources_span_note(c.date for c in answer.citations)
        as_of = as_of_note(max(c.date for c in answer.citations), self.tuning.recent_days) \
            if older and answer.citations and not answer.refused else ""
        if scope.note or span or as_of:
            answer = replace(answer, note=" ".join(
                p for p in (answer.note, scope.note, as_of, span) if p))
        finished = time.perf_counter()
        retrieved_files = tuple(dict.fromkeys(c.chunk.file for c in retrieval.chunks))
        retrieved_articles = tuple(dict.fromkeys(c.chunk.article_id for c in retrieval.chunks))
        return replace(
            answer, retrieved_files=retrieved_files, retrieved_articles=retrieved_articles,
            timings=Timings(retrieve=(retrieved_at - started) * 1000,
                            generate=(finished - retrieved_at) * 1000,
                            total=(finished - started) * 1000,
                            first_token=clock.since(started) if clock else 0.0))

    def retrieve(self, question: str, *, top_k: int | None = None,
                 dates: DateRange | None = None) -> Retrieval:
        """The chunks ``answer`` answers a first question from: within ``dates`` and the
        question's own time words, the recent articles first for a question about the present.
        For tools that measure what answering found (``bench/reading_ceiling.py``)."""
        check_date_range(dates)
        scope = self._scope(question, dates)
        return self._retrieve(question, top_k or self.settings.top_k, scope)[0]

    def _scope(self, question: str, dates: DateRange | None) -> QuestionDates:
        """The dates ``question`` is answered from (``dates.question_dates``)."""
        return question_dates(question, dates, self.retriever.corpus_days,
                              self.tuning.recent_days)

    def _retrieve(self, query: str, top_k: int, scope: QuestionDates) -> tuple[Retrieval, bool]:
        """The chunks to answer from, and whether a question about the present is answered
        from older articles because the recent ones don't answer it (``dates.recent_window``).
        The recent articles win when they answer about as well as the whole range does."""
        full = self.retriever.retrieve(query, top_k, dates=scope.range)
        if scope.recent is None or scope.recent == scope.range or \
                not self.tuning.rules.on("recent_first"):
            return full, False
        recent = self.retriever.retrieve(query, top_k, dates=scope.recent)
        if recent.chunks and \
                recent.best_similarity >= self.tuning.recent_share * full.best_similarity:
            # Searched under the asker's own range, so a refusal names no window they didn't set.
            return replace(recent, dates=scope.range), False
        return full, True


def check_date_range(dates: DateRange | None) -> None:
    """``BadInputError`` for a range that ends before it starts (a slip, not a question)."""
    if dates is not None and dates.empty:
        raise BadInputError(f"the date range starts ({dates.since}) after it ends "
                            f"({dates.until})")


def _outside_range_reason(retrieval: Retrieval) -> str | None:
    """Why a date-limited question found nothing to answer from: no article in the range, or
    none in it close enough (the reader may widen the range)."""
    if retrieval.dates is None:
        return None
    if not retrieval.chunks:
        return f"No article is {retrieval.dates.describe()}."
    return f"Only articles {retrieval.dates.describe()} were searched."


class _FirstTokenClock:
    """Passes streamed text on, noting when the first arrived (time to first token)."""

    def __init__(self, on_token: Callable[[str], None]) -> None:
        self._on_token = on_token
        self._first: float | None = None

    def __call__(self, text: str) -> None:
        if self._first is None:
            self._first = time.perf_counter()
        self._on_token(text)

    def since(self, started: float) -> float:
        """Milliseconds from ``started`` to the first text, or 0.0 when none came."""
        return (self._first - started) * 1000 if self._first is not None else 0.0
