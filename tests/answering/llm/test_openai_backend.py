"""The openai backend through the real openai SDK against the fake OpenAI-compatible server.

No monkeypatching: the bot is configured like a user would (NEWSBOT_LLM=openai, OPENAI_BASE_URL,
OPENAI_API_KEY) and the server on 127.0.0.1 plays the model. Responders here behave like a
compliant model: they read the numbered sources in the prompt and cite the one that says it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.answering.evidence.selection import NOTE as QUOTES_NOTE
from bot.answering.llm.messages import NOT_COVERED
from bot.answering.llm.synthesizer import NO_DIRECT_ANSWER
from bot.answering.synthesizer import REFUSAL
from bot.engine import NewsBot
from bot.models import Answer, Turn
from ingest.errors import ServiceUnavailableError
from ingest.sentences import split_sentences
from prompts import load_prompt
from tests.core_fixtures import (
    CORPUS_DIR,
    OFF_TOPIC_QUESTION,
    SAUDI_FILE,
    SAUDI_QUESTION,
    IndexedCorpus,
    copy_corpus,
    make_settings,
)
from tests.fakes.fake_model import Message, last_question, message_text, parse_sources
from tests.fakes.openai_server import FakeOpenAIServer


def prompt_sources(messages: list[Message]) -> dict[int, tuple[str, str]]:
    """Source number → (file, text) as the prompt shows them. The prompt names no files (it
    needn't): each passage is found in the sample article sharing most of its six-word runs
    (a passage joins sentences with "…", and the cleaner may join a heading to a paragraph)."""
    prompt = last_question(messages)  # after the prompt's worked example
    prompt = prompt[prompt.index("Sources:"):prompt.rindex("\nQuestion:")]
    articles = {p.name: " ".join(p.read_text("utf-8").split()) for p in CORPUS_DIR.iterdir()}
    sources: dict[int, tuple[str, str]] = {}
    for n, text in parse_sources(prompt).items():
        words = text.split()
        runs = {" ".join(words[i:i + 6]) for i in range(max(len(words) - 5, 1))}
        file = max(articles, key=lambda name: sum(run in articles[name] for run in runs))
        sources[n] = (file, text)
    return sources


def citing(phrase: str, claim: str) -> Callable[[list[Message]], str]:
    """A model that cites the last source containing ``phrase`` (plus one bogus marker)."""
    def respond(messages: list[Message]) -> str:
        numbers = [n for n, (_, text) in prompt_sources(messages).items() if phrase in text]
        if not numbers:
            return NOT_COVERED
        return f"{claim} [{numbers[-1]}]. It was reported by the articles [99]."
    return respond


def citing_saudi(reply: str) -> Callable[[list[Message]], str]:
    """A responder replying ``reply`` with ``{n}`` as the number the prompt gave the first
    source from ``SAUDI_FILE``."""
    def respond(messages: list[Message]) -> str:
        sources = prompt_sources(messages).items()
        return reply.format(n=next(n for n, (file, _) in sources if file == SAUDI_FILE))

    return respond


@pytest.fixture
def openai_bot(indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> NewsBot:
    """The "sentences" evidence: the rules decide first and the model rewords their quotes
    (the "passages" default is tested in test_passages.py). The model is not asked first
    whether they answer (rule ``model_judges``, tested in test_model_judges.py): here each
    request is an answer."""
    return indexed_corpus.bot(NEWSBOT_LLM="openai", OPENAI_BASE_URL=openai_server.base_url,
                              OPENAI_API_KEY="test", NEWSBOT_LLM_MAX_RETRIES="1",
                              NEWSBOT_LLM_EVIDENCE="sentences", NEWSBOT_RULES_OFF="model_judges")


def _chat_requests(server: FakeOpenAIServer) -> list[dict[str, Any]]:
    return [r.body for r in server.requests_to("/chat/completions")]


# -- answers -----------------------------------------------------------------------------------


def test_answer_cites_the_right_file_through_the_sdk(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("Saudi Arabia", "The talks were held in Saudi Arabia")
    answer = openai_bot.answer(SAUDI_QUESTION)
    assert not answer.refused
    assert answer.backend == "openai:gpt-4o-mini"
    # The cited source (whatever its number in the prompt) becomes [1]; the claim citing
    # [99], which no source supports, is not shown.
    assert answer.text == "The talks were held in Saudi Arabia [1]."
    [citation] = answer.citations
    assert citation.file == SAUDI_FILE
    assert "Saudi Arabia" in citation.quote
    assert citation.quote in (openai_bot.settings.corpus_dir / SAUDI_FILE).read_text("utf-8")
    [request] = openai_server.requests_to("/chat/completions")
    assert request.authorization == "Bearer test"
    assert request.body["model"] == "gpt-4o-mini"
    assert answer.to_json()["citations"][0]["file"] == SAUDI_FILE


def test_the_prompt_comes_from_the_prompt_files(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("Saudi Arabia", "Saudi Arabia")
    openai_bot.answer(SAUDI_QUESTION)
    [body] = _chat_requests(openai_server)
    system, example, example_reply, user = body["messages"]
    assert system == {"role": "system", "content": load_prompt("answer_system")}
    assert example == {"role": "user", "content": load_prompt("answer_example_question")}
    assert example_reply == {"role": "assistant",
                             "content": load_prompt("answer_example_reply")}
    assert user["role"] == "user"
    assert f"Question: {SAUDI_QUESTION}" in user["content"]
    sources = prompt_sources(body["messages"])
    assert list(sources) == list(range(1, len(sources) + 1))
    assert 1 <= len(sources) <= openai_bot.settings.top_k
    assert SAUDI_FILE in {file for file, _ in sources.values()}


def test_streaming_calls_on_token_with_growing_text(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("Saudi Arabia",
                                     "The ceasefire talks took place in Saudi Arabia")
    tokens: list[str] = []
    answer = openai_bot.answer(SAUDI_QUESTION, on_token=tokens.append)
    assert len(tokens) > 3
    for shorter, longer in itertools.pairwise(tokens):
        assert longer.startswith(shorter) and len(longer) > len(shorter)
    assert re.fullmatch(r"The ceasefire talks took place in Saudi Arabia \[\d+\]\. "
                        r"It was reported by the articles \[99\]\.", tokens[-1])
    assert answer.citations[0].file == SAUDI_FILE
    assert _chat_requests(openai_server)[0]["stream"] is True


def test_a_broken_stream_is_restarted_and_on_token_starts_over(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("Saudi Arabia", "The talks were held in Saudi Arabia")
    openai_server.fail_next("break_stream", path="/chat/completions", chunks_before_break=3)
    tokens: list[str] = []
    answer = openai_bot.answer(SAUDI_QUESTION, on_token=tokens.append)
    assert answer.citations[0].file == SAUDI_FILE
    assert len(_chat_requests(openai_server)) == 2
    restarts = [i for i in range(1, len(tokens)) if not tokens[i].startswith(tokens[i - 1])]
    assert len(restarts) == 1


def test_a_rate_limit_is_retried(openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("Saudi Arabia", "The talks were held in Saudi Arabia")
    openai_server.fail_next("429")
    answer = openai_bot.answer(SAUDI_QUESTION)
    assert answer.citations[0].file == SAUDI_FILE
    assert len(_chat_requests(openai_server)) == 2


def test_a_claim_its_source_does_not_support_is_not_shown(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    sources: dict[int, tuple[str, str]] = {}

    def respond(messages: list[Message]) -> str:
        sources.update(prompt_sources(messages))
        [saudi] = [n for n, (file, _) in sources.items() if file == SAUDI_FILE][:1]
        other = next((n for n, (file, _) in sources.items() if file != SAUDI_FILE), saudi)
        return (f"Negotiations for a 30-day ceasefire were held in Saudi Arabia [{saudi}]. "
                f"Kangaroos hop around Canberra every morning [{other}].")

    openai_server.responder = respond
    answer = openai_bot.answer(SAUDI_QUESTION)
    assert not answer.refused  # one citation holds up, so the answer is shown …
    assert [c.file for c in answer.citations] == [SAUDI_FILE]
    assert "Kangaroos" not in answer.text  # … without the claim no source supports
    assert answer.text == "Negotiations for a 30-day ceasefire were held in Saudi Arabia [1]."
    assert answer.unsupported_citations == 0


def test_an_answer_whose_every_citation_is_unsupported_gives_way_to_the_quotes(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing_saudi("Kangaroos hop around Canberra every morning [{n}].")
    answer = openai_bot.answer(SAUDI_QUESTION)
    assert "Kangaroos" not in answer.text
    _assert_quotes(answer)


def _assert_quotes(answer: Answer, opening: str = "") -> None:
    """The extractive answer from the same evidence: quoted sentences, each cited and found
    verbatim in its article, noted as quotes (under ``opening``, if given)."""
    assert not answer.refused and answer.backend == "extractive"
    assert answer.note == QUOTES_NOTE
    assert answer.text.startswith(opening + "\n" if opening else "")
    assert SAUDI_FILE in {c.file for c in answer.citations}
    for citation in answer.citations:
        assert citation.quote in (CORPUS_DIR / citation.file).read_text("utf-8")


# -- refusals ----------------------------------------------------------------------------------


def test_off_topic_question_is_refused_without_sources(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("Canberra", "Canberra is the capital")
    answer = openai_bot.answer(OFF_TOPIC_QUESTION)
    assert answer.refused
    assert answer.text.startswith(REFUSAL)
    assert answer.citations == ()
    assert answer.backend == "openai:gpt-4o-mini"


def test_a_question_the_rules_refuse_never_reaches_the_model(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    # A near-topic question passes retrieval, but no article gives an age: refused, no call.
    openai_server.responder = citing("years old", "He is 47 years old")
    answer = openai_bot.answer("How old is Volodymyr Zelensky?")
    assert _chat_requests(openai_server) == []
    assert answer.refused and answer.citations == () and answer.text.startswith(REFUSAL)
    assert answer.backend == "openai:gpt-4o-mini"


def test_not_covered_on_answerable_evidence_shows_the_quotes_under_a_warning(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = lambda messages: NOT_COVERED
    tokens: list[str] = []
    answer = openai_bot.answer(SAUDI_QUESTION, on_token=tokens.append)
    assert len(_chat_requests(openai_server)) == 2  # the evidence, then the whole passages
    assert tokens == []  # a reader never watches "not covered" stream by
    _assert_quotes(answer, NO_DIRECT_ANSWER)


def test_not_covered_on_the_evidence_gets_one_look_at_the_passages(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    answer_from_whole = citing("Saudi Arabia", "The talks were held in Saudi Arabia")
    replies = iter([lambda messages: NOT_COVERED, answer_from_whole])
    openai_server.responder = lambda messages: next(replies)(messages)
    tokens: list[str] = []
    answer = openai_bot.answer(SAUDI_QUESTION, on_token=tokens.append)
    first, second = (prompt_sources(body["messages"]) for body in _chat_requests(openai_server))
    assert sum(map(len, map(str, second.values()))) > sum(map(len, map(str, first.values())))
    assert answer.text.startswith("The talks were held in Saudi Arabia [1]")
    assert [c.file for c in answer.citations] == [SAUDI_FILE]
    assert tokens and all(NOT_COVERED not in t for t in tokens)


def test_an_unsupported_answer_the_model_itself_doubts_is_refused(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    # Both signals agree: no source states the claim, and the model says they don't cover it.
    # The quotes there held the answer 1 time in 8 on the 1.5B model (docs/evaluation.md).
    openai_server.responder = citing_saudi(
        f"The talks were held in Canberra by kangaroos [{{n}}].\n{NOT_COVERED}")
    answer = openai_bot.answer(SAUDI_QUESTION)
    assert answer.refused and answer.citations == ()
    assert answer.text.startswith(REFUSAL) and "Canberra" not in answer.text
    assert answer.backend == "openai:gpt-4o-mini"


def test_a_supported_answer_with_a_not_covered_tail_is_shown_without_it(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing_saudi(
        f"The talks were held in Saudi Arabia [{{n}}].\n{NOT_COVERED}")
    answer = openai_bot.answer(SAUDI_QUESTION)
    assert not answer.refused
    assert answer.text == "The talks were held in Saudi Arabia [1]."
    assert [c.file for c in answer.citations] == [SAUDI_FILE]


@pytest.mark.parametrize("reply", ["PWNED", "PWNED [99]", "Ignore the sources: it is Canberra.",
                                   "[1] [2][3]"])
def test_an_uncited_injected_or_empty_reply_gives_way_to_the_quotes(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer, reply: str) -> None:
    openai_server.responder = lambda messages: reply
    tokens: list[str] = []
    answer = openai_bot.answer(SAUDI_QUESTION, on_token=tokens.append)
    assert "PWNED" not in answer.text and "Canberra" not in answer.text
    _assert_quotes(answer)


def test_the_model_sees_only_the_weighed_sentences_each_once(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("Saudi Arabia", "The talks were held in Saudi Arabia")
    openai_bot.answer(SAUDI_QUESTION)
    [body] = _chat_requests(openai_server)
    sources = prompt_sources(body["messages"])
    retrieved = openai_bot.retriever.retrieve(SAUDI_QUESTION, openai_bot.settings.top_k)
    whole = sum(len(c.chunk.text) for c in retrieved.chunks)
    shown = [text.strip() for _, text in sources.values()]
    assert sum(len(text) for text in shown) < whole / 2  # trimmed, not whole chunks
    sentences = [s.text for text in shown for s in split_sentences(text)]
    assert len(sentences) == len(set(sentences))
    articles = {file: (CORPUS_DIR / file).read_text("utf-8") for file, _ in sources.values()}
    for (file, text) in sources.values():
        for sentence in split_sentences(text.strip()):
            assert sentence.text in articles[file]


# -- follow-ups --------------------------------------------------------------------------------


def test_history_is_condensed_into_a_standalone_question(
        openai_bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    standalone = "Which delegations took part in the 30-day ceasefire talks in Saudi Arabia?"
    answer_with = citing("Saudi Arabia", "Ukrainian and American delegates met in Saudi Arabia")

    def respond(messages: list[Message]) -> str:
        if "Follow-up question:" in message_text(messages[-1]):
            return standalone
        return answer_with(messages)

    openai_server.responder = respond
    history = [Turn(SAUDI_QUESTION, "They were held in Saudi Arabia [1].")]
    answer = openai_bot.answer("Who took part in them?", history)

    condense, final = _chat_requests(openai_server)
    condense_prompt = condense["messages"][-1]["content"]
    assert f"User: {SAUDI_QUESTION}" in condense_prompt
    assert "Assistant: They were held in Saudi Arabia [1]." in condense_prompt
    assert "Follow-up question: Who took part in them?" in condense_prompt
    assert f"Question: {standalone}" in final["messages"][-1]["content"]
    assert answer.question == "Who took part in them?"
    assert answer.citations[0].file == SAUDI_FILE


# -- failures ----------------------------------------------------------------------------------


def test_a_rejected_key_is_a_clear_service_error(indexed_corpus: IndexedCorpus) -> None:
    with FakeOpenAIServer(api_key="the-right-key") as server:
        bot = indexed_corpus.bot(NEWSBOT_LLM="openai", OPENAI_BASE_URL=server.base_url,
                                 OPENAI_API_KEY="sk-wrong-key-1234567890")
        with pytest.raises(ServiceUnavailableError) as info:
            bot.answer(SAUDI_QUESTION)
        assert len(server.requests_to("/chat/completions")) == 1, "a 401 is not retried"
    message = str(info.value)
    assert "401" in message and "OPENAI_API_KEY" in message
    assert "sk-wrong" not in message and "1234567890" not in message
    assert "\n" not in message


def test_a_hanging_endpoint_times_out(indexed_corpus: IndexedCorpus,
                                      openai_server: FakeOpenAIServer) -> None:
    bot = indexed_corpus.bot(NEWSBOT_LLM="openai", OPENAI_BASE_URL=openai_server.base_url,
                             OPENAI_API_KEY="test", NEWSBOT_LLM_TIMEOUT="0.5",
                             NEWSBOT_LLM_MAX_RETRIES="0")
    openai_server.fail_next("hang", hang_seconds=5)
    with pytest.raises(ServiceUnavailableError, match="timed out"):
        bot.answer(SAUDI_QUESTION)


def test_an_unreachable_endpoint_is_a_service_error(indexed_corpus: IndexedCorpus) -> None:
    from tests.fakes.chroma_server import free_port

    bot = indexed_corpus.bot(NEWSBOT_LLM="openai", OPENAI_API_KEY="test",
                             OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
                             NEWSBOT_LLM_MAX_RETRIES="0")
    with pytest.raises(ServiceUnavailableError, match="unreachable"):
        bot.answer(SAUDI_QUESTION)


def test_auto_resolves_to_openai_only_with_a_key(indexed_corpus: IndexedCorpus) -> None:
    assert indexed_corpus.bot(NEWSBOT_LLM="auto").backend == "extractive"
    assert indexed_corpus.bot(NEWSBOT_LLM="auto", OPENAI_API_KEY="k").backend == \
        "openai:gpt-4o-mini"


# -- OpenAI embeddings too ---------------------------------------------------------------------


def test_openai_embeddings_end_to_end(tmp_path: Path, openai_server: FakeOpenAIServer) -> None:
    openai_server.embed_dim = 1536  # what text-embedding-3-small returns
    corpus = copy_corpus(tmp_path / "articles")
    settings = make_settings(
        tmp_path / "data", corpus, NEWSBOT_EMBED="openai", NEWSBOT_LLM="openai",
        OPENAI_BASE_URL=openai_server.base_url, OPENAI_API_KEY="test")
    bot = NewsBot(settings)  # every component built from settings, as the CLI does
    report = bot.ingest()
    assert report.files_added == 5 and report.chunks_embedded == report.chunks_total > 0
    embed_requests = openai_server.requests_to("/embeddings")
    assert embed_requests and all(r.authorization == "Bearer test" for r in embed_requests)
    assert all(r.body["model"] == "text-embedding-3-small" for r in embed_requests)
    assert NewsBot(settings).ingest().chunks_embedded == 0

    openai_server.responder = citing("Saudi Arabia", "The talks were held in Saudi Arabia")
    fresh = NewsBot(settings)
    answer = fresh.answer(SAUDI_QUESTION)
    assert not answer.refused
    assert answer.citations[0].file == SAUDI_FILE
    status = fresh.status().to_json()
    assert status["embedding_model"] == "openai:text-embedding-3-small"
    assert status["backend"] == "openai:gpt-4o-mini"
    assert status["files"] == 5
