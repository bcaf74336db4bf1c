"""Rule ``model_judges``: with the rules' sentences as evidence, the model is asked first
whether they answer the question, and its No is heard (the passages, then a refusal). Through
the real openai SDK against the fake OpenAI-compatible server, which plays the model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.answering.llm.messages import NOT_COVERED, judge_messages
from bot.answering.llm.reply import judged_unanswered
from bot.answering.llm.synthesizer import MODEL_FOUND_NONE, NO_DIRECT_ANSWER
from bot.engine import NewsBot
from prompts import load_prompt
from tests.answering.llm.test_openai_backend import citing, prompt_sources
from tests.core_fixtures import SAUDI_FILE, SAUDI_QUESTION, IndexedCorpus, retrieved_chunk
from tests.fakes.fake_model import Message, last_question
from tests.fakes.openai_server import FakeOpenAIServer

ANSWER = citing("Saudi Arabia", "The talks were held in Saudi Arabia")


def _bot(indexed_corpus: IndexedCorpus, server: FakeOpenAIServer, **env: str) -> NewsBot:
    return indexed_corpus.bot(NEWSBOT_LLM="openai", OPENAI_BASE_URL=server.base_url,
                              OPENAI_API_KEY="test", NEWSBOT_LLM_MAX_RETRIES="1",
                              NEWSBOT_LLM_EVIDENCE="sentences", **env)


def _is_judging(messages: list[Message]) -> bool:
    return last_question(messages).rstrip().endswith(load_prompt("judge_answered").strip())


def _judge_then_answer(verdicts: list[str]) -> Callable[[list[Message]], str]:
    """A model giving ``verdicts`` in turn when asked to judge, and citing when asked to
    answer."""
    given = iter(verdicts)
    return lambda messages: next(given) if _is_judging(messages) else ANSWER(messages)


def _bodies(server: FakeOpenAIServer) -> list[dict[str, Any]]:
    return [r.body for r in server.requests_to("/chat/completions")]


def test_the_model_is_asked_first_in_one_word_over_the_answer_prompt(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = _judge_then_answer(["Yes"])
    answer = _bot(indexed_corpus, openai_server).answer(SAUDI_QUESTION)
    assert answer.text == "The talks were held in Saudi Arabia [1]."
    judging, answering = _bodies(openai_server)
    assert judging["max_tokens"] == 3 and answering["max_tokens"] > 100
    # Everything before the judging line is the answer prompt: the server's cache keeps it.
    asked = last_question(judging["messages"])
    assert asked.startswith(last_question(answering["messages"]).rstrip())
    assert judging["messages"][:-1] == answering["messages"][:-1]


def test_no_on_the_sentences_and_on_the_passages_is_a_refusal_said_as_the_models(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = _judge_then_answer(["No.", "No"])
    tokens: list[str] = []
    answer = _bot(indexed_corpus, openai_server).answer(SAUDI_QUESTION, on_token=tokens.append)
    assert answer.refused and MODEL_FOUND_NONE in answer.text and answer.citations == ()
    first, second = (prompt_sources(body["messages"]) for body in _bodies(openai_server))
    # The second look reads more than the rules' sentences.
    assert sum(len(text) for _, text in second.values()) > \
        sum(len(text) for _, text in first.values())
    assert tokens == []


def test_no_on_the_sentences_and_yes_on_the_passages_answers_from_the_passages(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = _judge_then_answer(["No", "Yes"])
    answer = _bot(indexed_corpus, openai_server).answer(SAUDI_QUESTION)
    assert answer.text == "The talks were held in Saudi Arabia [1]."
    assert [c.file for c in answer.citations] == [SAUDI_FILE]
    _, on_passages, answering = _bodies(openai_server)
    assert prompt_sources(answering["messages"]) == prompt_sources(on_passages["messages"])


def test_not_covered_over_the_passages_it_judged_is_not_asked_again(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    """Already reading the passages, a "not covered" gets no second look at the same ones."""
    verdicts = iter(["No", "Yes"])
    openai_server.responder = lambda messages: next(verdicts) if _is_judging(messages) \
        else NOT_COVERED
    answer = _bot(indexed_corpus, openai_server).answer(SAUDI_QUESTION)
    assert answer.text.startswith(NO_DIRECT_ANSWER)
    assert len(_bodies(openai_server)) == 3  # two verdicts, one answer


def test_no_judge_for_a_yes_or_no_question_or_with_the_rule_off(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    """A yes-or-no question's own answer may be No; with the rule off, nobody asks."""
    openai_server.responder = _judge_then_answer([])  # a judging request would fail
    _bot(indexed_corpus, openai_server).answer("Were the talks held in Saudi Arabia?")
    _bot(indexed_corpus, openai_server, NEWSBOT_RULES_OFF="model_judges").answer(SAUDI_QUESTION)
    assert not any(_is_judging(body["messages"]) for body in _bodies(openai_server))
    assert len(_bodies(openai_server)) == 2


def test_a_question_offering_alternatives_is_judged_without_them(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = _judge_then_answer(["Yes"])
    _bot(indexed_corpus, openai_server).answer(
        "Where were the talks on the 30-day ceasefire held, Saudi Arabia or Qatar?")
    judging, answering = _bodies(openai_server)
    assert "Question: Where were the talks on the 30-day ceasefire held?" in \
        last_question(judging["messages"])
    assert "Saudi Arabia or Qatar?" in last_question(answering["messages"])


def test_only_a_reply_opening_with_no_takes_the_answer_away() -> None:
    assert judged_unanswered("No") and judged_unanswered(" no.") and judged_unanswered("NO,")
    for reply in ("Yes", "", "Not sure", "None of them", "The talks were in Riyadh [1]."):
        assert not judged_unanswered(reply)


def test_the_judging_messages_hold_the_sources_and_the_question() -> None:
    source = retrieved_chunk(SAUDI_FILE, "The talks were held in Saudi Arabia.", title="Talks")
    messages = judge_messages(SAUDI_QUESTION, [source])
    asked = last_question(messages)
    assert "The talks were held in Saudi Arabia." in asked
    assert f"Question: {SAUDI_QUESTION}" in asked
