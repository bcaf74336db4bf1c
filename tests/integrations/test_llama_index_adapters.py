"""newsbot as llama-index components (bot/integrations/llama_index.py), over the sample corpus
indexed once with the real local embedding model: the retriever inside llama-index's own
CitationQueryEngine (its LLM the real OpenAILike against the fake OpenAI server), and the
query engine giving NewsBot's checked answer as a llama-index Response."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.query_engine import CitationQueryEngine
from llama_index.core.schema import MetadataMode, QueryBundle
from llama_index.llms.openai_like import OpenAILike

from bot.engine import NewsBot
from bot.integrations.llama_index import NewsbotQueryEngine, NewsbotRetriever
from ingest.errors import BadInputError
from tests.core_fixtures import CORPUS_DIR, OFF_TOPIC_QUESTION, SAUDI_FILE, SAUDI_QUESTION
from tests.fakes.fake_model import Message, default_responder, message_text
from tests.fakes.openai_server import FakeOpenAIServer


def _flat(text: str) -> str:
    return " ".join(text.split())


# -- the retriever -----------------------------------------------------------------------------


def test_the_retriever_gives_newsbots_chunks_as_nodes(extractive_bot: NewsBot) -> None:
    retriever = NewsbotRetriever(extractive_bot, top_k=4)
    assert isinstance(retriever, BaseRetriever)

    nodes = retriever.retrieve(SAUDI_QUESTION)

    expected = extractive_bot.retriever.retrieve(SAUDI_QUESTION, 4).chunks
    assert [n.node.node_id for n in nodes] == [c.chunk.id for c in expected]  # fused order
    assert [n.score for n in nodes] == [c.similarity for c in expected]
    assert SAUDI_FILE in {n.metadata["file"] for n in nodes}
    articles = {p.name: _flat(p.read_text("utf-8")) for p in CORPUS_DIR.iterdir()}
    for node in nodes:
        meta = node.metadata
        assert {"title", "date", "url", "file", "article_id"} <= set(meta)
        assert meta["article_id"] == meta["file"]  # one article per sample file
        assert meta["title"] and _flat(node.text)[:80] in articles[meta["file"]]
    # A model reading the node sees its headline, not newsbot's bookkeeping.
    shown = nodes[0].node.get_content(metadata_mode=MetadataMode.LLM)
    assert f"title: {nodes[0].metadata['title']}" in shown
    assert "file:" not in shown and "fused_score" not in shown


def test_the_retriever_checks_the_question_as_newsbot_does(extractive_bot: NewsBot) -> None:
    with pytest.raises(BadInputError):
        NewsbotRetriever(extractive_bot).retrieve("   ")
    too_long = "x" * (extractive_bot.settings.max_question_chars + 1)
    with pytest.raises(BadInputError):
        NewsbotRetriever(extractive_bot).retrieve(too_long)


def test_the_retriever_works_asynchronously_too(extractive_bot: NewsBot) -> None:
    retriever = NewsbotRetriever(extractive_bot, top_k=2)
    nodes = asyncio.run(retriever.aretrieve(SAUDI_QUESTION))
    assert [n.node.node_id for n in nodes] == \
        [n.node.node_id for n in retriever.retrieve(SAUDI_QUESTION)]
    assert len(nodes) == 2


def test_llama_index_answers_from_newsbots_retriever(
        extractive_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    """llama-index's own CitationQueryEngine over newsbot's retrieval: the default responder
    plays a model that cites the first "Source 1:" block it is shown."""
    prompts: list[str] = []

    def respond(messages: list[Message]) -> str:
        prompts.append("\n".join(message_text(m) for m in messages))
        return default_responder(messages)

    openai_server.responder = respond
    llm = OpenAILike(model="fake-model", api_base=openai_server.base_url, api_key="test",
                     is_chat_model=True, max_retries=0)
    engine = CitationQueryEngine.from_args(
        index=None, retriever=NewsbotRetriever(extractive_bot, top_k=3), llm=llm)  # type: ignore[arg-type]

    response = engine.query(SAUDI_QUESTION)

    assert str(response).endswith("[1]")
    first = response.source_nodes[0]
    assert first.metadata["file"] in {p.name for p in CORPUS_DIR.iterdir()}
    # The answer is the first sentence of source 1, which is newsbot's best chunk.
    assert _flat(str(response)[:-4])[:40] in _flat(first.node.get_content())
    [prompt] = prompts
    assert "Source 1:" in prompt and f"title: {first.metadata['title']}" in prompt


# -- the query engine --------------------------------------------------------------------------


def test_the_query_engine_gives_the_checked_answer_and_its_citations(
        extractive_bot: NewsBot) -> None:
    engine = NewsbotQueryEngine(extractive_bot)
    assert isinstance(engine, BaseQueryEngine)

    response = engine.query(SAUDI_QUESTION)

    answer = extractive_bot.answer(SAUDI_QUESTION)
    assert isinstance(response, Response)
    assert response.response == str(response) == answer.text
    assert response.metadata == {"refused": False, "backend": "extractive",
                                 "note": answer.note}
    assert len(response.source_nodes) == len(answer.citations) >= 1
    for node, citation in zip(response.source_nodes, answer.citations, strict=True):
        assert node.text == citation.quote
        assert node.score == citation.score
        assert node.metadata == {"n": citation.n, "file": citation.file,
                                 "article_id": citation.article_id or citation.file,
                                 "title": citation.title, "date": citation.date,
                                 "url": citation.url}
    assert SAUDI_FILE in {n.metadata["file"] for n in response.source_nodes}
    assert [n.metadata["n"] for n in response.source_nodes] == \
        list(range(1, len(answer.citations) + 1))


def test_a_refusal_is_a_response_with_no_sources(extractive_bot: NewsBot) -> None:
    response = asyncio.run(NewsbotQueryEngine(extractive_bot).aquery(OFF_TOPIC_QUESTION))
    answer = extractive_bot.answer(OFF_TOPIC_QUESTION)
    assert answer.refused
    assert response.response == answer.text
    assert response.source_nodes == []
    assert response.metadata is not None and response.metadata["refused"] is True


def test_the_query_engine_retrieves_what_it_answers_from(extractive_bot: NewsBot) -> None:
    engine = NewsbotQueryEngine(extractive_bot, top_k=3)
    nodes = engine.retrieve(QueryBundle(SAUDI_QUESTION))
    assert len(nodes) == 3
    answer = extractive_bot.answer(SAUDI_QUESTION, top_k=3)
    assert tuple(dict.fromkeys(n.metadata["file"] for n in nodes)) == answer.retrieved_files


def test_no_newsbot_module_imports_the_integrations() -> None:
    """They import llama-index at the top; newsbot's own paths must never load them."""
    root = CORPUS_DIR.parents[1]
    importers = [str(p.relative_to(root)) for folder in ("bot", "ingest")
                 for p in (root / folder).rglob("*.py")
                 if "integrations" not in p.parts and "bot.integrations" in p.read_text("utf-8")]
    assert importers == []
