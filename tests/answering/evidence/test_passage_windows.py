"""The "passages" evidence (the LLM default): the model reads the retrieved passages and judges
whether they answer; the extractive word rules do not veto it. Through the real openai SDK
against the fake OpenAI-compatible server, which plays the model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from bot.answering.evidence.for_model import passage_windows
from bot.answering.llm.messages import NOT_COVERED
from bot.answering.llm.synthesizer import MODEL_FOUND_NONE, NO_SUPPORTED_ANSWER
from bot.engine import NewsBot
from tests.answering.llm.test_openai_backend import citing, prompt_sources
from tests.core_fixtures import SAUDI_FILE, SAUDI_QUESTION, IndexedCorpus, retrieved_chunk
from tests.fakes.fake_model import Message, last_question
from tests.fakes.openai_server import FakeOpenAIServer

AGE_QUESTION = "How old is Volodymyr Zelensky?"  # the rules refuse it: no age in any article


def _bot(indexed_corpus: IndexedCorpus, server: FakeOpenAIServer, **env: str) -> NewsBot:
    # A self-hosted server reads the rules' sentences unless told otherwise (backends.py).
    return indexed_corpus.bot(NEWSBOT_LLM="openai", OPENAI_BASE_URL=server.base_url,
                              OPENAI_API_KEY="test", NEWSBOT_LLM_MAX_RETRIES="1",
                              **{"NEWSBOT_LLM_EVIDENCE": "passages", **env})


def test_the_answer_cites_the_passage_that_states_it(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("Saudi Arabia", "The talks were held in Saudi Arabia")
    answer = _bot(indexed_corpus, openai_server).answer(SAUDI_QUESTION)
    assert not answer.refused
    assert answer.text.startswith("The talks were held in Saudi Arabia [1].")
    assert answer.citations[0].file == SAUDI_FILE


def test_the_model_reads_passages_with_headline_and_date_within_the_budget(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    prompts: list[str] = []

    def remember(messages: list[Message]) -> str:
        prompts.append(last_question(messages))
        return NOT_COVERED

    openai_server.responder = remember
    small = _bot(indexed_corpus, openai_server, NEWSBOT_LLM_EVIDENCE_TOKENS="150")
    small.answer(SAUDI_QUESTION)
    large = _bot(indexed_corpus, openai_server, NEWSBOT_LLM_EVIDENCE_TOKENS="2000")
    large.answer(SAUDI_QUESTION)
    small_prompt, large_prompt = prompts
    assert "Saudi Arabia" in small_prompt  # the best sentence comes first, whatever the budget
    assert len(small_prompt.split()) < len(large_prompt.split())
    shown = small_prompt[small_prompt.index("Sources:"):small_prompt.rindex("\nQuestion:")]
    assert len(shown.split()) * 1.4 < 150 + 60  # the budget, plus the source headers


def test_the_model_judges_what_the_rules_would_refuse(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    """The word rules refuse an age nobody gives before any model reads; with passages the
    model reads and its "not covered" is the refusal, said as the model's finding."""
    openai_server.responder = lambda messages: NOT_COVERED
    answer = _bot(indexed_corpus, openai_server).answer(AGE_QUESTION)
    assert answer.refused and MODEL_FOUND_NONE in answer.text
    assert len(openai_server.requests_to("/chat/completions")) == 1


def test_a_reply_no_source_states_gives_way_to_the_quotes_or_with_the_rule_off_a_refusal(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = lambda messages: "The talks were held on the Moon [1]."
    quoted = _bot(indexed_corpus, openai_server).answer(SAUDI_QUESTION)
    assert not quoted.refused and "Saudi Arabia" in quoted.text
    assert quoted.backend == "extractive"  # labelled as the quotes they are
    refused = _bot(indexed_corpus, openai_server,
                   NEWSBOT_RULES_OFF="quote_fallback").answer(SAUDI_QUESTION)
    assert refused.refused and NO_SUPPORTED_ANSWER in refused.text


def test_the_prompt_holds_each_sentence_once(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    seen: list[dict[int, tuple[str, str]]] = []

    def remember(messages: list[Message]) -> str:
        seen.append(prompt_sources(messages))
        return NOT_COVERED

    openai_server.responder = remember
    _bot(indexed_corpus, openai_server, NEWSBOT_LLM_EVIDENCE_TOKENS="2000").answer(
        SAUDI_QUESTION)
    texts = [text for _, text in seen[0].values()]
    sentences = [s.strip() for text in texts for s in text.split(". ") if len(s.split()) > 4]
    assert len(sentences) == len(set(sentences))


class _OneWord:
    """An encoder whose only dimension is whether a sentence holds ``word``."""

    name = "one-word"

    def __init__(self, word: str) -> None:
        self.word = word

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return np.array([[1.0 if self.word in t else 0.1] for t in texts], dtype=np.float32)


def test_windows_keep_neighbours_in_order() -> None:
    text = ("Alpha opened the fair on Monday. Crowds came early. The mayor cut the ribbon. "
            "Prices rose in March. Beta closed the fair on Friday.")
    chunk = retrieved_chunk("fair.txt", text)
    copy = retrieved_chunk("copy.txt", "The mayor cut the ribbon. Unrelated words follow here.")
    [passage, *rest] = passage_windows("Who cut the ribbon?", np.array([1.0]), [chunk, copy],
                                       _OneWord("ribbon"), budget_tokens=25)
    assert passage.chunk.text == ("Crowds came early. The mayor cut the ribbon. "
                                  "Prices rose in March.")
    # The copy's repeat of the best sentence is not shown twice.
    assert all("ribbon" not in r.chunk.text for r in rest)


@pytest.mark.parametrize("budget", [1, 10_000])
def test_the_best_window_is_shown_even_over_a_tiny_budget(budget: int) -> None:
    chunk = retrieved_chunk("a.txt", "One two three four five six seven. Eight nine ten.")
    passages = passage_windows("seven", np.array([1.0]), [chunk], _OneWord("seven"), budget)
    assert passages and "seven" in passages[0].chunk.text


def test_passages_that_never_name_the_questions_subject_are_refused_before_the_model(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("ceasefire", "The Netherlands backed the ceasefire")
    answer = _bot(indexed_corpus, openai_server).answer(
        "What did the Netherlands say about the ceasefire?")
    assert answer.refused and "None of the closest articles mentions “Netherlands”" in answer.text
    assert not openai_server.requests_to("/chat/completions")
    switched_off = _bot(indexed_corpus, openai_server, NEWSBOT_RULES_OFF="named_in_passages")
    switched_off.answer("What did the Netherlands say about the ceasefire?")
    assert len(openai_server.requests_to("/chat/completions")) == 1


def test_passages_that_never_state_the_questions_figure_are_refused_before_the_model(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    # The articles plan a force of more than 10,000 troops, never 50,000.
    question = "Who laid out plans for a western peacekeeping force of more than 50,000 troops?"
    openai_server.responder = citing("force", "Starmer planned a force of 50,000 troops")
    answer = _bot(indexed_corpus, openai_server).answer(question)
    assert answer.refused and "gives the figure “50,000”" in answer.text
    assert not openai_server.requests_to("/chat/completions")
    switched_off = _bot(indexed_corpus, openai_server, NEWSBOT_RULES_OFF="figure_in_passages")
    switched_off.answer(question)
    assert len(openai_server.requests_to("/chat/completions")) == 1


@pytest.mark.parametrize(("env", "expected"), [
    ({"NEWSBOT_LLM": "openai", "OPENAI_API_KEY": "sk-x"}, "passages"),
    ({"NEWSBOT_LLM": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:8088/v1"}, "sentences"),
    ({"NEWSBOT_LLM": "local", "NEWSBOT_LOCAL_MODEL": "/m.gguf"}, "sentences"),
    ({"NEWSBOT_LLM": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:8088/v1",
      "NEWSBOT_LLM_EVIDENCE": "passages"}, "passages"),
])
def test_auto_reads_passages_with_a_hosted_model_and_sentences_with_a_self_hosted_one(
        env: dict[str, str], expected: str) -> None:
    from bot.answering.backends import llm_evidence, resolve_backend
    from bot.settings import Settings

    settings = Settings(_env_file=None, **env)
    assert llm_evidence(resolve_backend(settings).name, settings) == expected
