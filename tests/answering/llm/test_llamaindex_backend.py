"""The llamaindex backend: a llama-index LLM class named in the settings answers through
NewsBot. Here the class is llama-index's ``OpenAILike`` (real SDK, no patching) pointed at the
fake OpenAI-compatible server, which plays the model; a user names Anthropic, Ollama, ... the
same way."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.answering.backends import resolve_backend
from bot.engine import NewsBot
from bot.settings import Settings
from ingest.errors import BadInputError, ServiceUnavailableError
from tests.answering.llm.test_openai_backend import citing
from tests.core_fixtures import SAUDI_FILE, SAUDI_QUESTION, IndexedCorpus
from tests.fakes.openai_server import FakeOpenAIServer

OPENAI_LIKE = "llama_index.llms.openai_like:OpenAILike"
REPO_ROOT = Path(__file__).resolve().parents[3]


def _kwargs(server: FakeOpenAIServer, **extra: object) -> str:
    return json.dumps({"model": "fake-model", "api_base": server.base_url, "api_key": "test",
                       "is_chat_model": True, **extra})


def _bot(indexed_corpus: IndexedCorpus, server: FakeOpenAIServer, **extra: object) -> NewsBot:
    return indexed_corpus.bot(NEWSBOT_LLM="llamaindex", NEWSBOT_LLAMAINDEX_LLM=OPENAI_LIKE,
                              NEWSBOT_LLAMAINDEX_KWARGS=_kwargs(server, **extra),
                              NEWSBOT_LLM_MAX_RETRIES="0")


def test_a_llama_index_llm_answers_with_checked_citations(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("Saudi Arabia", "The talks were held in Saudi Arabia")
    bot = _bot(indexed_corpus, openai_server)

    answer = bot.answer(SAUDI_QUESTION)

    assert not answer.refused
    assert answer.backend == bot.backend == "llamaindex:OpenAILike:fake-model"
    # newsbot's checks applied to the llama-index model's reply: [99] cites nothing.
    assert answer.text.startswith("The talks were held in Saudi Arabia [1].")
    assert "[99]" not in answer.text
    assert answer.citations[0].file == SAUDI_FILE
    [request] = openai_server.requests_to("/chat/completions")
    assert request.authorization == "Bearer test"
    # newsbot's defaults, filled in because OpenAILike has these fields and the kwargs don't
    # set them: a deterministic, capped reply.
    assert request.body["model"] == "fake-model"
    assert request.body["temperature"] == 0
    assert request.body["max_tokens"] == 384
    assert request.body["messages"][0]["role"] == "system"


def test_kwargs_win_over_newsbots_defaults(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("Saudi Arabia", "In Saudi Arabia")
    _bot(indexed_corpus, openai_server, temperature=0.5).answer(SAUDI_QUESTION)
    [request] = openai_server.requests_to("/chat/completions")
    assert request.body["temperature"] == 0.5


def test_streaming_goes_through_stream_chat(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = citing("Saudi Arabia",
                                     "The ceasefire talks took place in Saudi Arabia")
    tokens: list[str] = []
    answer = _bot(indexed_corpus, openai_server).answer(SAUDI_QUESTION, on_token=tokens.append)
    assert len(tokens) > 3
    for shorter, longer in itertools.pairwise(tokens):
        assert longer.startswith(shorter) and len(longer) > len(shorter)
    assert tokens[-1].startswith("The ceasefire talks took place in Saudi Arabia [")
    assert answer.citations[0].file == SAUDI_FILE
    [request] = openai_server.requests_to("/chat/completions")
    assert request.body["stream"] is True


@pytest.mark.parametrize("streamed", [False, True])
def test_a_failing_provider_is_one_service_error(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer, streamed: bool) -> None:
    openai_server.fail_next("401")
    tokens: list[str] = []
    with pytest.raises(ServiceUnavailableError) as caught:
        _bot(indexed_corpus, openai_server).answer(
            SAUDI_QUESTION, on_token=tokens.append if streamed else None)
    assert tokens == []
    assert str(caught.value).startswith(
        "the LLM llamaindex:OpenAILike:fake-model failed: AuthenticationError")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("class_path", "kwargs", "message"), [
    (None, "{}", "the llamaindex backend needs NEWSBOT_LLAMAINDEX_LLM="),
    ("llama_index.llms.nosuchprovider:NoSuch", "{}",
     "cannot import llama_index.llms.nosuchprovider (No module named 'llama_index.llms."
     "nosuchprovider'); pip install llama-index-llms-nosuchprovider"),
    ("llama_index.core.schema:TextNode", "{}", "has no llama-index LLM class TextNode"),
    (OPENAI_LIKE, '{"model": "m", "max_tokens": "many"}', "NEWSBOT_LLAMAINDEX_KWARGS: "),
])
def test_a_bad_class_or_kwargs_is_one_line_of_bad_input(
        tmp_path: Path, class_path: str | None, kwargs: str, message: str) -> None:
    settings = Settings(_env_file=None, NEWSBOT_DATA_DIR=tmp_path, NEWSBOT_LLM="llamaindex",
                        NEWSBOT_LLAMAINDEX_LLM=class_path, NEWSBOT_LLAMAINDEX_KWARGS=kwargs)
    with pytest.raises(BadInputError) as caught:
        NewsBot(settings).synthesizer  # noqa: B018  (building it is the check)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("NEWSBOT_LLAMAINDEX_KWARGS", "{model: x}", "not JSON"),
    ("NEWSBOT_LLAMAINDEX_KWARGS", '["x"]', "expected a JSON object"),
    ("NEWSBOT_LLAMAINDEX_LLM", "llama_index.llms.ollama.Ollama", 'expected "module:Class"'),
])
def test_bad_settings_are_refused_when_read(name: str, value: str, message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, **{name: value})


def test_auto_picks_it_when_a_class_is_named_and_the_label_imports_nothing() -> None:
    settings = Settings(_env_file=None, NEWSBOT_LLAMAINDEX_LLM=OPENAI_LIKE,
                        OPENAI_API_KEY="sk-for-the-embeddings")
    assert resolve_backend(settings).name == "llamaindex"
    # `newsbot status` shows the label and Discord asks the concurrency before any answer:
    # neither may import llama-index (a fresh process: this one has imported it already).
    code = ("import sys\n"
            "from bot.settings import Settings\n"
            "from bot.answering.backends import answer_concurrency, backend_label\n"
            f"s = Settings(_env_file=None, NEWSBOT_LLAMAINDEX_LLM={OPENAI_LIKE!r},\n"
            "              NEWSBOT_LLAMAINDEX_KWARGS='{\"model\": \"m\"}')\n"
            "print(backend_label('llamaindex', s), answer_concurrency(s),\n"
            "      any(m.startswith('llama_index') for m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=REPO_ROOT, timeout=120)
    assert done.stdout.split() == ["llamaindex:OpenAILike:m", "1", "False"]


def test_an_error_of_the_callers_own_callback_is_not_blamed_on_the_model(
        indexed_corpus: IndexedCorpus, openai_server: FakeOpenAIServer) -> None:
    class Hung(Exception):
        pass

    def on_token(text: str) -> None:
        raise Hung(text)

    openai_server.responder = citing("Saudi Arabia", "In Saudi Arabia")
    with pytest.raises(Hung):
        _bot(indexed_corpus, openai_server).answer(SAUDI_QUESTION, on_token=on_token)
