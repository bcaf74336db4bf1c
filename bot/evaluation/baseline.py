"""The "vanilla LlamaIndex" baseline that ``newsbot eval --baseline`` compares against.

What a first attempt with LlamaIndex's defaults looks like: ``SimpleDirectoryReader`` over the
raw files (no cleaning), the default ``SentenceSplitter``, an in-memory ``VectorStoreIndex``,
dense retrieval only at the default top-2, and ``CitationQueryEngine`` with its own prompt.
It shares only what must be equal for a fair comparison: the embedding model (our encoder via
``EncoderEmbedding``) and the backend — the same OpenAI-compatible model through
``OpenAILike``, or, for the extractive backend, ``FirstSentenceLLM`` below.

No relevance floor and no citation checking: the baseline never refuses on its own; a reply
that cites no source is counted as its refusal (CitationQueryEngine's prompt demands a citation
in every answer and tells the model to say when no source helps).

Imports llama-index: load this module only when the baseline runs.
"""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.custom import CustomLLM

from bot.answering.backends import OPENAI, resolve_backend
from bot.answering.markers import marker_numbers
from bot.models import Answer, Citation, DateRange, Timings
from bot.settings import Settings
from ingest.dates import date_number
from ingest.sentences import split_sentences

if TYPE_CHECKING:
    from llama_index.core import Document
    from llama_index.core.llms import LLM
    from llama_index.core.query_engine import CitationQueryEngine
    from llama_index.core.schema import NodeWithScore

    from ingest.embedding import Encoder

#: VectorIndexRetriever's default depth, spelled out.
BASELINE_TOP_K = 2
_SOURCE_HEADER = re.compile(r"^Source (\d+):\n", re.MULTILINE)
_SOURCES_BLOCK = re.compile(r"\n------\n(.*)\n------\nQuery:", re.DOTALL)
_EXISTING = re.compile(r"existing answer: (.*?)Below are several numbered sources", re.DOTALL)


def first_sentence(text: str) -> str:
    """The first sentence (or line) of ``text``.

    Split with newsbot's own news-aware splitter, not a plain regex or punkt, both of which cut
    "U.S. President" after "U.S.": the baseline must not lose on a tokenizer quirk.
    """
    return next((s.text.strip() for s in split_sentences(text) if s.text.strip()), "")


class FirstSentenceLLM(CustomLLM):
    """The baseline's stand-in for an LLM when newsbot runs without one (extractive backend).

    Deterministic and deliberately simple: for each numbered source in CitationQueryEngine's
    prompt it answers that source's first sentence followed by its ``[n]`` marker. It never
    declines, because vanilla CitationQueryEngine has no relevance floor.
    """

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="first-sentence", is_chat_model=False)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self.answer_from_prompt(prompt))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False,
                        **kwargs: Any) -> CompletionResponseGen:
        text = self.answer_from_prompt(prompt)
        yield CompletionResponse(text=text, delta=text)

    @staticmethod
    def answer_from_prompt(prompt: str) -> str:
        # The template's worked example also has "Source 1:" blocks; the real sources are the
        # ones between the last pair of "------" rules.
        blocks = _SOURCES_BLOCK.findall(prompt)
        context = blocks[-1] if blocks else ""
        parts = _SOURCE_HEADER.split(context)
        # split → [before, n1, body1, n2, body2, ...]
        pieces = [f"{first_sentence(body)} [{number}]"
                  for number, body in zip(parts[1::2], parts[2::2], strict=True)
                  if first_sentence(body)]
        existing = _EXISTING.search(prompt)  # a refine step: keep what was already answered
        if existing and existing.group(1).strip():
            pieces.insert(0, existing.group(1).strip())
        return " ".join(pieces)


def baseline_llm(settings: Settings) -> LLM:
    """The baseline's LLM: the configured OpenAI-compatible model, or ``FirstSentenceLLM``."""
    if resolve_backend(settings).name != OPENAI:
        return FirstSentenceLLM()
    from bot.evaluation.llm_judges import openai_like

    return openai_like(settings)


class VanillaBaseline:
    """CitationQueryEngine over an in-memory VectorStoreIndex of the raw files."""

    def __init__(self, corpus_dir: Path, encoder: Encoder, settings: Settings,
                 top_k: int = BASELINE_TOP_K) -> None:
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.core.query_engine import CitationQueryEngine

        from ingest.embedding.llama_adapter import EncoderEmbedding

        self.corpus_dir = corpus_dir.resolve()
        self.llm = baseline_llm(settings)
        self.backend = ("extractive-first-sentence" if isinstance(self.llm, FirstSentenceLLM)
                        else f"openai:{settings.llm_model}")
        # It warns that llama-index-readers-file (PDF, DOCX...) is missing; our corpora are
        # .txt/.md/.html, which it reads as plain text without it.
        logging.getLogger("llama_index.core.readers.file.base").setLevel(logging.ERROR)
        documents = SimpleDirectoryReader(str(corpus_dir), recursive=True).load_data() \
            if not list(corpus_dir.glob("*.jsonl")) else _jsonl_documents(corpus_dir)
        self.top_k = top_k
        self.index = VectorStoreIndex.from_documents(
            documents, embed_model=EncoderEmbedding(encoder),
            transformations=[SentenceSplitter()])  # llama-index's defaults: 1024 / 200 tokens
        self.engine: CitationQueryEngine = CitationQueryEngine.from_args(
            self.index, llm=self.llm, similarity_top_k=top_k)

    def _file_name(self, node: NodeWithScore) -> str:
        """The file as our answers name it: relative to the corpus dir, "/"-separated."""
        metadata = node.node.metadata
        path = metadata.get("file_path")
        if path:
            try:
                return Path(path).resolve().relative_to(self.corpus_dir).as_posix()
            except ValueError:
                pass
        return str(metadata.get("file_name", ""))

    def answer(self, question: str, dates: DateRange | None = None) -> Answer:
        """CitationQueryEngine's answer; with ``dates``, from articles dated up to its end
        (a metadata filter, as a LlamaIndex user would write it)."""
        from llama_index.core.schema import QueryBundle

        engine = self.engine if dates is None or dates.until is None else \
            self._engine_until(dates.until)
        started = time.perf_counter()
        bundle = QueryBundle(question)
        nodes = engine.retrieve(bundle)
        retrieved_at = time.perf_counter()
        response = engine.synthesize(bundle, nodes)
        finished = time.perf_counter()

        sources = response.source_nodes
        text = str(getattr(response, "response", "") or "")
        numbers = marker_numbers(text)
        citations = tuple(
            Citation(n=n, file=self._file_name(sources[n - 1]),
                     title=str(sources[n - 1].node.metadata.get("file_name", "")),
                     quote=_SOURCE_HEADER.sub("", sources[n - 1].node.get_content()).strip(),
                     score=float(sources[n - 1].score or 0.0),
                     url=str(sources[n - 1].node.metadata.get("url", "")),
                     date=str(sources[n - 1].node.metadata.get("published", "")))
            for n in dict.fromkeys(numbers) if 1 <= n <= len(sources))
        return Answer(
            question=question, text=text, citations=citations, refused=not citations,
            backend=f"baseline:{self.backend}",
            timings=Timings(retrieve=(retrieved_at - started) * 1000,
                            generate=(finished - retrieved_at) * 1000,
                            total=(finished - started) * 1000),
            retrieved_files=tuple(dict.fromkeys(self._file_name(n) for n in sources)))

    def _engine_until(self, until: date) -> CitationQueryEngine:
        from llama_index.core.query_engine import CitationQueryEngine
        from llama_index.core.vector_stores import (
            FilterOperator,
            MetadataFilter,
            MetadataFilters,
        )

        limit = MetadataFilter(key=DAY_KEY, value=date_number(until),
                               operator=FilterOperator.LTE)
        return CitationQueryEngine.from_args(self.index, llm=self.llm,
                                             similarity_top_k=self.top_k,
                                             filters=MetadataFilters(filters=[limit]))


#: Metadata key of an article's day as YYYYMMDD (LlamaIndex's filters compare numbers).
DAY_KEY = "day"


def _jsonl_documents(corpus_dir: Path) -> list[Document]:
    """One ``Document`` per line of each ``.jsonl`` export (SimpleDirectoryReader would read
    the file as one text): its text, and its title, url and date as metadata, the day also as
    a number for date filters. Hidden from the embedding and the LLM, as a user would."""
    from llama_index.core import Document

    documents = []
    for path in sorted(corpus_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                record = json.loads(line)
                published = str(record.get("published") or record.get("date") or "")[:10]
                metadata: dict[str, Any] = {"file_name": path.name,
                                            "title": str(record.get("title", "")),
                                            "url": str(record.get("url", "")),
                                            "published": published}
                if published:
                    metadata[DAY_KEY] = date_number(date.fromisoformat(published))
                documents.append(Document(
                    text=str(record.get("text", "")), metadata=metadata,
                    excluded_embed_metadata_keys=[DAY_KEY, "url", "file_name"],
                    excluded_llm_metadata_keys=[DAY_KEY, "url", "file_name"]))
    return documents
