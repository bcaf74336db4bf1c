"""newsbot as llama-index components, for users who build with llama-index.

- ``NewsbotRetriever``: a ``BaseRetriever`` over newsbot's hybrid retrieval (dense + BM25,
  fused; ``bot/answering/retrieval.py``), so its chunks feed any llama-index query engine,
  postprocessor or agent tool.
- ``NewsbotQueryEngine``: a ``BaseQueryEngine`` whose ``query()`` is ``NewsBot.answer``: the
  checked answer text as ``Response.response`` and one source node per checked citation.

Both take a ``NewsBot`` (``NewsBot.from_settings()`` reads env and ``.env``), so they search the
index ``newsbot ingest`` built and answer with the backend the settings choose. This module
imports llama-index at the top: it is imported only by code that uses llama-index, never by
newsbot's own start-up or answer path.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.prompts.mixin import PromptDictType, PromptMixinType
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from bot.answering.questions import clean_question

if TYPE_CHECKING:
    from bot.answering.retrieval import RetrievedChunk
    from bot.engine import NewsBot
    from bot.models import Answer, Citation, DateRange

# Shown to a model that reads the nodes (llama-index prints a node's metadata above its
# text): the headline, date and url help it; file names, ids and scores only take tokens.
HIDDEN_FROM_LLM = ["file", "article_id", "keyword_score", "fused_score", "n"]


def chunk_node(retrieved: RetrievedChunk) -> NodeWithScore:
    """One retrieved chunk as a llama-index node. The score is the cosine similarity of the
    question and the chunk (what newsbot's relevance floor and a ``SimilarityPostprocessor``
    cutoff mean); the order of the list is newsbot's fused ranking, kept in ``fused_score``."""
    chunk = retrieved.chunk
    metadata: dict[str, Any] = {
        "title": chunk.title, "date": chunk.article_field("date"),
        "url": chunk.article_field("url"), "file": chunk.file, "article_id": chunk.article_id,
        "keyword_score": retrieved.keyword_score, "fused_score": retrieved.fused,
    }
    node = TextNode(id_=chunk.id, text=chunk.text, metadata=metadata,
                    excluded_llm_metadata_keys=HIDDEN_FROM_LLM,
                    excluded_embed_metadata_keys=list(metadata))
    return NodeWithScore(node=node, score=retrieved.similarity)


def citation_node(citation: Citation) -> NodeWithScore:
    """One checked citation ``[n]`` of an answer as a node: its quote is the text."""
    metadata: dict[str, Any] = {
        "n": citation.n, "file": citation.file, "article_id": citation.article_id or citation.file,
        "title": citation.title, "date": citation.date, "url": citation.url,
    }
    node = TextNode(text=citation.quote, metadata=metadata,
                    excluded_llm_metadata_keys=HIDDEN_FROM_LLM,
                    excluded_embed_metadata_keys=list(metadata))
    return NodeWithScore(node=node, score=citation.score)


def answer_response(answer: Answer) -> Response:
    """A newsbot ``Answer`` as a llama-index ``Response``; what llama-index has no field for
    (refused, the backend, the note above the answer) goes into ``metadata``."""
    return Response(response=answer.text,
                    source_nodes=[citation_node(c) for c in answer.citations],
                    metadata={"refused": answer.refused, "backend": answer.backend,
                              "note": answer.note})


class NewsbotRetriever(BaseRetriever):
    """newsbot's hybrid retrieval as a llama-index retriever.

    It returns what newsbot retrieves before it judges: the relevance floor and the answering
    rules are ``NewsbotQueryEngine``'s (a ``SimilarityPostprocessor`` with
    ``similarity_cutoff=bot.settings.relevance_floor`` applies the floor)."""

    def __init__(self, bot: NewsBot, *, top_k: int | None = None,
                 dates: DateRange | None = None,
                 callback_manager: CallbackManager | None = None) -> None:
        super().__init__(callback_manager=callback_manager)
        self.bot = bot
        self.top_k = top_k or bot.settings.top_k
        self.dates = dates

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # The one question check (empty, over-long: BadInputError), as NewsBot.answer does it.
        query = clean_question(query_bundle.query_str, self.bot.settings.max_question_chars)
        if not self.bot.store.open(create=False):
            return []  # nothing ingested yet: nothing to find (as newsbot refuses every question)
        retrieval = self.bot.retriever.retrieve(query, self.top_k, dates=self.dates)
        return [chunk_node(c) for c in retrieval.chunks]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # Retrieval blocks (embedding, Chroma, file locks): in a thread, not on the event loop.
        return await asyncio.to_thread(self._retrieve, query_bundle)


class NewsbotQueryEngine(BaseQueryEngine):
    """``NewsBot.answer`` as a llama-index query engine: the answer newsbot checked (every
    sentence tied to a source that states it, or a refusal) and its citations as source nodes.
    ``retrieve()`` gives the chunks the answer was looked for in (``NewsbotRetriever``)."""

    def __init__(self, bot: NewsBot, *, top_k: int | None = None,
                 dates: DateRange | None = None,
                 callback_manager: CallbackManager | None = None) -> None:
        super().__init__(callback_manager=callback_manager)
        self.bot = bot
        self.top_k = top_k
        self.dates = dates

    def _get_prompt_modules(self) -> PromptMixinType:
        return {}  # newsbot's prompts are files under prompts/, not llama-index templates

    def _get_prompts(self) -> PromptDictType:
        return {}

    def _query(self, query_bundle: QueryBundle) -> Response:
        return answer_response(self.bot.answer(query_bundle.query_str, top_k=self.top_k,
                                               dates=self.dates))

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        # Answering blocks (retrieval, the model): in a thread, not on the event loop.
        return await asyncio.to_thread(self._query, query_bundle)

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return NewsbotRetriever(self.bot, top_k=self.top_k, dates=self.dates,
                                callback_manager=self.callback_manager).retrieve(query_bundle)
