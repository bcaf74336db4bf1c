"""Yes-or-no questions and questions offering alternatives through the openai backend (the
real SDK, the fake server on 127.0.0.1): the model is asked to answer them as such; its verdict
is shown only before a sentence a source states, and naming one alternative is an answer."""

from __future__ import annotations

from collections.abc import Callable

from bot.answering.evidence.selection import NOTE as QUOTES_NOTE
from bot.engine import NewsBot
from prompts import load_prompt
from tests.answering.llm.test_openai_backend import prompt_sources
from tests.core_fixtures import SAUDI_FILE, SAUDI_QUESTION, IndexedCorpus
from tests.fakes.fake_model import Message, last_question
from tests.fakes.openai_server import FakeOpenAIServer

HELD = "Were negotiations for a 30-day ceasefire held in Saudi Arabia?"


def _bot(indexed_corpus: IndexedCorpus, server: FakeOpenAIServer, **env: str) -> NewsBot:
    settings = {"NEWSBOT_LLM_EVIDENCE": "passages", **env}
    return indexed_corpus.bot(NEWSBOT_LLM="openai", OPENAI_BASE_URL=server.base_url,
                              OPENAI_API_KEY="test", NEWSBOT_LLM_MAX_RETRIES="1", **settings)


def _saying(reply: str, prompts: list[str] | None = None) -> Callable[[list[Message]], str]:
    """A model replying ``reply``, ``{n}`` the prompt's number for the Saudi article; each
    question it is asked (the last user message) is kept in ``prompts``, if given."""
    def respond(messages: list[Message]) -> str:
        if prompts is not None:
            prompts.append(last_question(messages))
        saudi = next(n for n, (file, _) in prompt_sources(messages).items()
                     if file == SAUDI_FILE)
        return reply.format(n=saudi)
    return respond


def test_the_model_is_asked_for_a_verdict_and_it_opens_the_answer(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    prompts: list[str] = []
    openai_server.responder = _saying(
        "Yes, negotiations for a 30-day ceasefire were held in Saudi Arabia [{n}].", prompts)
    answer = _bot(indexed_corpus, openai_server).answer(HELD)
    assert answer.text == ("Yes. Negotiations for a 30-day ceasefire were held in Saudi "
                           "Arabia [1].")
    assert [c.file for c in answer.citations] == [SAUDI_FILE]
    assert prompts[-1].endswith(load_prompt("answer_yes_no"))
    # A question that does not ask yes or no is not told to answer so.
    _bot(indexed_corpus, openai_server).answer(SAUDI_QUESTION)
    assert load_prompt("answer_yes_no") not in prompts[-1]


def test_a_verdict_before_a_sentence_no_source_states_is_not_shown(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = _saying("No, the talks were held on the Moon [{n}].")
    answer = _bot(indexed_corpus, openai_server).answer(HELD)
    # The model's reply gives way to the quotes, which open with the rules' own verdict.
    assert "Moon" not in answer.text and answer.note == QUOTES_NOTE
    assert answer.text.startswith("Yes. ")


def test_a_verdict_its_own_sentence_contradicts_is_left_out(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = _saying("No, negotiations for a 30-day ceasefire were held in "
                                      "Saudi Arabia [{n}].")
    answer = _bot(indexed_corpus, openai_server).answer(HELD)
    assert answer.text == "Negotiations for a 30-day ceasefire were held in Saudi Arabia [1]."
    assert [c.file for c in answer.citations] == [SAUDI_FILE]


def test_a_no_resting_on_a_negation_no_source_states_gives_way_to_the_quotes(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    # Word overlap passes the sentence (negations are stop words); no quote holds a negation.
    openai_server.responder = _saying("No, negotiations for a 30-day ceasefire were not held "
                                      "in Saudi Arabia [{n}].")
    answer = _bot(indexed_corpus, openai_server).answer(HELD)
    assert "not held" not in answer.text and answer.note == QUOTES_NOTE


def test_a_verdict_whose_own_sentence_is_not_shown_is_not_shown_either(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = _saying(
        "Yes, kangaroos hop around Canberra every morning [{n}]. Negotiations for a 30-day "
        "ceasefire were held in Saudi Arabia [{n}].")
    answer = _bot(indexed_corpus, openai_server).answer(HELD)
    assert answer.text == "Negotiations for a 30-day ceasefire were held in Saudi Arabia [1]."


def test_switched_off_the_model_is_not_asked_for_a_verdict(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    prompts: list[str] = []
    openai_server.responder = _saying(
        "Negotiations for a 30-day ceasefire were held in Saudi Arabia [{n}].", prompts)
    answer = _bot(indexed_corpus, openai_server, NEWSBOT_RULES_OFF="yes_no").answer(HELD)
    assert load_prompt("answer_yes_no") not in prompts[-1]
    # Without a verdict the question said back is no answer: the quotes, without one either.
    assert answer.note == QUOTES_NOTE and not answer.text.startswith(("Yes", "No"))


OFFERED = "Where were the talks on the 30-day ceasefire held, Saudi Arabia or Qatar?"


def test_the_model_is_asked_to_choose_and_naming_one_alternative_is_an_answer(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    prompts: list[str] = []
    openai_server.responder = _saying(
        "The talks on the 30-day ceasefire were held in Saudi Arabia [{n}].", prompts)
    answer = _bot(indexed_corpus, openai_server).answer(OFFERED)
    # Every word of it is in the question, but it chooses: shown, not the quotes.
    assert answer.text == "The talks on the 30-day ceasefire were held in Saudi Arabia [1]."
    assert answer.note != QUOTES_NOTE
    assert prompts[-1].endswith(load_prompt("answer_alternatives"))


def test_the_alternative_the_model_names_must_be_named_by_its_source(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    # "Qatar" is in the question, but a choice offered is not a given: no source names it.
    openai_server.responder = _saying("The talks on the 30-day ceasefire were held in Qatar "
                                      "[{n}].")
    answer = _bot(indexed_corpus, openai_server).answer(OFFERED)
    assert "Qatar" not in answer.text and answer.note == QUOTES_NOTE
    assert answer.text.startswith("Saudi Arabia. ")


def test_no_verdict_leads_when_the_sources_disagree(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    # The sample articles title Trump "Former President" in one and "US President" in another.
    def respond(messages: list[Message]) -> str:
        former = next(n for n, (_, text) in prompt_sources(messages).items()
                      if "Former President Donald Trump" in text)
        return f"Yes, Former President Donald Trump announced talks with Putin [{former}]."

    openai_server.responder = respond
    answer = _bot(indexed_corpus, openai_server).answer(
        "Is Donald Trump described as the former US president?")
    assert "Sources differ" in answer.text
    assert answer.text.startswith("Former President Donald Trump announced")


def test_saying_an_alternative_is_not_mentioned_does_not_refuse_the_question(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    # With the rules' sentences, a reply that answers unsupported and says the sources don't
    # cover it is refused; "do not mention Qatar" speaks of a choice, not of the question.
    openai_server.responder = _saying("The talks were held in Saudi Arabia, according to "
                                      "Foo Bar [{n}]. The sources do not mention Qatar.")
    answer = _bot(indexed_corpus, openai_server,
                  NEWSBOT_LLM_EVIDENCE="sentences").answer(OFFERED)
    assert not answer.refused and answer.note == QUOTES_NOTE
    assert answer.text.startswith("Saudi Arabia. ")
