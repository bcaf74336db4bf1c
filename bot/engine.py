"""``NewsBot``: the one entry point every interface calls — ``answer(question, history)``.

It owns the components (embedding model, Chroma store, keyword index, LLM), built lazily from
``Settings`` by the factories, and runs retrieve → synthesize → cite. Interfaces only format
the ``Answer`` it returns.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import extractive
from bot.answerability import only_planned, unknown_subject
from bot.citations import resolve_citations
from bot.llm_backend import NOT_COVERED, OpenAIChat, answer_messages, condense_messages
from bot.models import Answer, Timings, Turn
from bot.retrieval import HybridRetriever, Retrieval
from bot.service import SourceInfo
from bot.settings import Settings
from ingest.embedding.cache import CachingEncoder
from ingest.errors import BadInputError
from ingest.keyword_index import index_dir_for
from ingest.store import ArticleStore, make_chroma_client

if TYPE_CHECKING:
    from ingest.embedding import Encoder
    from ingest.pipeline import IngestProgress, IngestReport

log = logging.getLogger(__name__)

REFUSAL = "The articles don't cover this, so I can't answer it from them."
# The best extractive sentence is not an answer when both its embedding similarity to the
# question and its score (similarity blended with keyword overlap) are below this. Measured on
# the golden set (docs/evaluation.md): off-topic questions peak at 0.23 similarity and 0.25
# score; answerable ones reach at least 0.29 and 0.34 on one or the other. Either signal alone
# refused a paraphrase ("club of wealthy nations" → G7) or a meta question ("described as the
# current or the former president?").
SENTENCE_FLOOR = 0.30
# Words carried over from the previous question when the extractive backend has no LLM to
# rewrite a follow-up.
CARRIED_TOPIC_TURNS = 1
# How much deeper the extractive backend looks for a narrow answer type (see answer_types).
DEEPER_FACTOR = 3


def clean_question(question: str, max_chars: int) -> str:
    """Strip control characters and surrounding space; reject empty and over-long questions."""
    cleaned = "".join(
        ch for ch in question
        if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    ).strip()
    if not cleaned:
        raise BadInputError("the question is empty")
    if len(cleaned) > max_chars:
        raise BadInputError(
            f"the question is {len(cleaned):,} characters long; the limit is {max_chars:,}")
    return cleaned


class NewsBot:
    """Answers questions from the indexed articles; safe to call from several threads."""

    def __init__(self, settings: Settings, *, encoder: Encoder | None = None) -> None:
        self.settings = settings
        self._encoder = encoder
        self._sentence_encoder: CachingEncoder | None = None
        self._lock = threading.Lock()

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
        """The encoder the extractive backend scores candidate sentences with: remembers
        sentences already embedded, which in a running bot are most of them."""
        encoder = self.encoder
        with self._lock:
            if self._sentence_encoder is None:
                self._sentence_encoder = CachingEncoder(encoder)
            return self._sentence_encoder

    @cached_property
    def store(self) -> ArticleStore:
        s = self.settings
        client = make_chroma_client(s.data_dir, s.chroma_host, s.chroma_port, s.chroma_timeout)
        return ArticleStore(client, s.collection, self.encoder.name, self.encoder.dim)

    @cached_property
    def keyword_dir(self) -> Path:
        s = self.settings
        return index_dir_for(s.data_dir, s.store_location(), s.collection)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.store, self.encoder, self.keyword_dir)

    @cached_property
    def chat_model(self) -> OpenAIChat:
        s = self.settings
        return OpenAIChat(
            s.llm_model, s.openai_key(),
            s.openai_base_url, s.llm_timeout, s.llm_max_retries)

    @property
    def backend(self) -> str:
        resolved = self.settings.resolved_llm()
        return f"openai:{self.settings.llm_model}" if resolved == "openai" else "extractive"

    # -- the index ---------------------------------------------------------------------------

    def is_indexed(self) -> bool:
        """True if the collection exists and holds at least one chunk."""
        return self.store.open(create=False) and self.store.count() > 0

    def ingest(self, corpus_dir: Path | None = None, *, rebuild: bool = False, prune: bool = True,
               progress: IngestProgress | None = None) -> IngestReport:
        from ingest.pipeline import run_ingest  # not on the answer path's start-up

        s = self.settings
        return run_ingest(
            corpus_dir or s.corpus_dir, self.store, self.encoder, self.keyword_dir,
            chunk_size=s.chunk_size, chunk_overlap=s.chunk_overlap, prune=prune,
            rebuild=rebuild, progress=progress)

    def reindex(self, on_progress: Callable[[str], None] | None = None) -> dict[str, Any]:
        report = self.ingest(progress=_TextProgress(on_progress) if on_progress else None)
        return report.to_json()

    def sources(self) -> list[SourceInfo]:
        if not self.store.open(create=False):
            return []
        states = self.store.file_states()
        return [SourceInfo(name, state.title, state.chunk_total)
                for name, state in sorted(states.items())]

    def status(self) -> dict[str, Any]:
        s = self.settings
        exists = self.store.open(create=False)
        states = self.store.file_states() if exists else {}
        return {
            "corpus_dir": str(s.corpus_dir),
            "store": s.store_location(),
            "collection": s.collection,
            "collection_exists": exists,
            "files": len(states),
            "chunks": sum(state.chunk_total for state in states.values()),
            "embedding_model": self.encoder.name,
            "backend": self.backend,
            "llm_setting": s.llm,
        }

    # -- answering ---------------------------------------------------------------------------

    def answer(self, question: str, history: Sequence[Turn] = (), *,
               on_token: Callable[[str], None] | None = None,
               top_k: int | None = None) -> Answer:
        started = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        use_llm = self.settings.resolved_llm() == "openai"
        if not self.store.open(create=False):
            self.store.open(create=True)  # an empty collection: every question is refused

        standalone = self._standalone(question, history, use_llm)
        depth = top_k or self.settings.top_k
        retrieval = self.retriever.retrieve(standalone, depth)
        retrieved_at = time.perf_counter()

        if retrieval.best_similarity < self.settings.relevance_floor:
            answer = self._refusal(question)
        elif use_llm:
            answer = self._llm_answer(question, standalone, retrieval, on_token)
        else:
            answer, retrieval = self._extractive_answer(question, standalone, retrieval, depth)
        finished = time.perf_counter()
        retrieved_files = tuple(dict.fromkeys(c.chunk.file for c in retrieval.chunks))
        return replace(
            answer, retrieved_files=retrieved_files,
            timings=Timings(retrieve=(retrieved_at - started) * 1000,
                            generate=(finished - retrieved_at) * 1000,
                            total=(finished - started) * 1000))

    def _standalone(self, question: str, history: Sequence[Turn], use_llm: bool) -> str:
        if not history:
            return question
        if use_llm:
            rewritten = self.chat_model.chat(condense_messages(question, history)).strip()
            return rewritten or question
        # No LLM to rewrite the follow-up: carry the previous question's topic words.
        previous = " ".join(turn.question for turn in history[-CARRIED_TOPIC_TURNS:])
        return f"{question} ({previous})"

    def _refusal(self, question: str, reason: str | None = None) -> Answer:
        text = f"{REFUSAL} ({reason})" if reason else REFUSAL
        return Answer(question=question, text=text, refused=True, backend=self.backend)

    def _extractive_answer(self, question: str, standalone: str, retrieval: Retrieval,
                           depth: int) -> tuple[Answer, Retrieval]:
        """The extractive answer, and the retrieval it quotes (deeper than ``depth`` when the
        first chunks lack the kind of value the question asks for)."""
        missing = unknown_subject(question, retrieval.keyword_index.knows)
        if missing:
            return self._refusal(question, f"No article mentions “{missing}”."), retrieval
        planned_day = only_planned(question, (c.chunk.text for c in retrieval.chunks))
        if planned_day:
            return self._refusal(question, (
                f"They speak of {planned_day} only as planned, written before it; "
                "they don't report what came of it.")), retrieval
        result = extractive.extract(standalone, retrieval.query_vector, retrieval.chunks,
                                    self.sentence_encoder)
        if result.missing_type is not None:
            # "How long…" retrieves chunks about the subject; the one giving the duration may
            # rank a little lower. Look deeper once before concluding the articles lack it.
            retrieval = self.retriever.retrieve(standalone, depth * DEEPER_FACTOR,
                                                again=retrieval)
            result = extractive.extract(standalone, retrieval.query_vector, retrieval.chunks,
                                        self.sentence_encoder)
        if result.missing_type is not None:
            return self._refusal(
                question, f"No article gives the {result.missing_type.value} it asks for."
            ), retrieval
        if not result.raw_text or max(result.best_dense, result.best_score) < SENTENCE_FLOOR:
            return self._refusal(question), retrieval
        cited = resolve_citations(result.raw_text, retrieval.chunks, quotes=result.quotes)
        return Answer(question=question, text=f"{extractive.LABEL}\n{cited.text}",
                      citations=cited.citations, backend="extractive",
                      unsupported_citations=cited.unsupported), retrieval

    def _llm_answer(self, question: str, standalone: str, retrieval: Retrieval,
                    on_token: Callable[[str], None] | None) -> Answer:
        raw = self.chat_model.chat(answer_messages(standalone, retrieval.chunks), on_token)
        if raw.strip().startswith(NOT_COVERED.rstrip(".")):
            return self._refusal(question)
        cited = resolve_citations(raw, retrieval.chunks)
        if not cited.citations or cited.unsupported == len(cited.citations):
            # An answer that cites nothing, or whose every citation fails the support check
            # (e.g. "PWNED [1]" obeying an injected instruction), is not grounded: never show it.
            log.warning("LLM answer without supported citations was replaced by a refusal")
            return self._refusal(question)
        return Answer(question=question, text=cited.text, citations=cited.citations,
                      backend=self.chat_model.label, unsupported_citations=cited.unsupported)


class _TextProgress:
    """Turns ingest progress into short text lines (for Discord's /reindex edits)."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self.emit = emit
        self.files_total = 0
        self.files_done = 0
        self.chunks_planned_total = 0
        self.chunks_done = 0

    def start(self, files_total: int) -> None:
        self.files_total = files_total
        self.emit(f"Reindexing {files_total} files…")

    def file_done(self, name: str) -> None:
        self.files_done += 1
        self.emit(f"Files {self.files_done}/{self.files_total}, "
                  f"chunks embedded {self.chunks_done}/{self.chunks_planned_total}")

    def chunks_planned(self, count: int) -> None:
        self.chunks_planned_total += count

    def chunks_embedded(self, count: int) -> None:
        self.chunks_done += count
