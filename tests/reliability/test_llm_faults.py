"""LLM endpoint faults, through the real openai SDK against the loopback server.

Every fault is followed by a normal question to the same bot: it must work once the endpoint
has recovered (the faults are consumed). Settings: timeout 2 s, 2 retries (3 attempts).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.engine import NewsBot
from ingest.errors import ServiceUnavailableError
from tests.fakes.fake_model import default_responder
from tests.fakes.openai_server import FakeOpenAIServer
from tests.reliability.conftest import BotFactory

QUESTION = "How long is the ceasefire that Ukraine accepted?"
FOLLOW_UP = "Where were the talks on the 30-day ceasefire held?"
TIMEOUT = 2.0
HANG_TIMEOUT = 1.0  # the hang tests wait out every attempt: a shorter timeout keeps them fast
RETRIES = 2
ATTEMPTS = RETRIES + 1
# Generous for a loaded 2-core CI machine: four times the worst case of the settings.
HANG_BOUND = 4 * TIMEOUT * ATTEMPTS
CHAT = "/chat/completions"


@pytest.fixture
def bot(make_bot: BotFactory, openai_server: FakeOpenAIServer) -> Iterator[NewsBot]:
    # Each fault is scripted for the answer's request: the model is not asked first whether
    # the sources answer (rule model_judges; that request goes through the same chat()).
    bot = make_bot(NEWSBOT_LLM="openai", OPENAI_BASE_URL=openai_server.base_url,
                   OPENAI_API_KEY="sk-test-faults", NEWSBOT_LLM_TIMEOUT=TIMEOUT,
                   NEWSBOT_LLM_MAX_RETRIES=RETRIES, NEWSBOT_RULES_OFF="model_judges")
    bot.answer("warm-up: " + QUESTION)  # load the store and keyword index before timing
    openai_server.reset()
    openai_server.responder = default_responder
    yield bot


def assert_recovers(bot: NewsBot, server: FakeOpenAIServer) -> None:
    """The next question, on a healthy endpoint, gets a cited answer."""
    assert server.pending_faults == 0
    answer = bot.answer(FOLLOW_UP)
    assert not answer.refused and answer.citations, answer.text
    assert answer.backend == "openai:gpt-4o-mini"


def test_429_with_retry_after_then_success(bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("429", path=CHAT, retry_after=0.3)
    started = time.monotonic()
    answer = bot.answer(QUESTION)
    elapsed = time.monotonic() - started
    requests = openai_server.requests_to(CHAT)
    assert len(requests) == 2
    assert not answer.refused and answer.citations
    # Retry-After was honoured: the retry came no sooner than it asked.
    assert requests[1].received_at - requests[0].received_at >= 0.25
    assert elapsed < HANG_BOUND
    assert_recovers(bot, openai_server)


def test_500s_then_success(bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("500", RETRIES, path=CHAT)
    answer = bot.answer(QUESTION)
    assert len(openai_server.requests_to(CHAT)) == ATTEMPTS
    assert not answer.refused and answer.citations
    assert_recovers(bot, openai_server)


@pytest.mark.parametrize(("kind", "message"), [
    ("500", "the LLM endpoint answered HTTP 500"),
    ("429", r"rate-limiting us \(HTTP 429\) even after retries"),
])
def test_persistent_error_is_bounded_and_clear(kind: str, message: str, bot: NewsBot,
                                               openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next(kind, ATTEMPTS, path=CHAT)  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError, match=message):
        bot.answer(QUESTION)
    assert len(openai_server.requests_to(CHAT)) == ATTEMPTS  # exactly max_retries + 1
    assert time.monotonic() - started < HANG_BOUND
    assert_recovers(bot, openai_server)


def test_401_is_not_retried_and_names_the_setting(bot: NewsBot,
                                                   openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("401", path=CHAT)
    with pytest.raises(ServiceUnavailableError, match="OPENAI_API_KEY") as raised:
        bot.answer(QUESTION)
    assert "sk-test-faults" not in str(raised.value)
    assert len(openai_server.requests_to(CHAT)) == 1
    assert_recovers(bot, openai_server)


@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "streamed"])
def test_hang_past_timeout_fails_in_bounded_time(streamed: bool, make_bot: BotFactory,
                                                 openai_server: FakeOpenAIServer) -> None:
    bot = make_bot(NEWSBOT_LLM="openai", OPENAI_BASE_URL=openai_server.base_url,
                   NEWSBOT_LLM_TIMEOUT=HANG_TIMEOUT, NEWSBOT_LLM_MAX_RETRIES=RETRIES)
    openai_server.responder = default_responder
    openai_server.fail_next("hang", ATTEMPTS, path=CHAT, hang_seconds=60)
    tokens: list[str] = []
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError, match="timed out"):
        bot.answer(QUESTION, on_token=tokens.append if streamed else None)
    elapsed = time.monotonic() - started
    assert len(openai_server.requests_to(CHAT)) == ATTEMPTS
    bound = 4 * HANG_TIMEOUT * ATTEMPTS + 2  # + the SDK's retry backoff (~0.5 + 1 s)
    assert HANG_TIMEOUT * ATTEMPTS * 0.9 <= elapsed < bound, f"{elapsed:.1f} s"
    assert tokens == []
    assert_recovers(bot, openai_server)


def test_stream_that_stalls_midway_fails_in_bounded_time(make_bot: BotFactory) -> None:
    """Chunks arrive slower than the read timeout after the stream began: retried, bounded."""
    with FakeOpenAIServer(default_responder, chunk_delay=HANG_TIMEOUT * 1.5) as slow:
        bot = make_bot(NEWSBOT_LLM="openai", OPENAI_BASE_URL=slow.base_url,
                       NEWSBOT_LLM_TIMEOUT=HANG_TIMEOUT, NEWSBOT_LLM_MAX_RETRIES=RETRIES,
                       NEWSBOT_RULES_OFF="model_judges")  # as in ``bot`` above
        tokens: list[str] = []
        started = time.monotonic()
        with pytest.raises(ServiceUnavailableError):
            bot.answer(QUESTION, on_token=tokens.append)
        elapsed = time.monotonic() - started
        assert len(slow.requests_to(CHAT)) == ATTEMPTS
        # Each attempt: the first chunks, then one read timeout; plus the 0.5 + 1 s backoff.
        assert elapsed < 4 * (HANG_TIMEOUT * 1.5 + HANG_TIMEOUT) * ATTEMPTS + 1.5
        slow.chunk_delay = 0.0
        assert_recovers(bot, slow)


def test_broken_stream_is_retried_and_the_answer_is_complete(
        bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("break_stream", path=CHAT, chunks_before_break=3)
    tokens: list[str] = []
    answer = bot.answer(QUESTION, on_token=tokens.append)

    requests = openai_server.requests_to(CHAT)
    assert len(requests) == 2
    expected_raw = default_responder(requests[-1].body["messages"])
    assert tokens[-1] == expected_raw  # the last streamed text is the whole reply
    restarts = [i for i in range(1, len(tokens)) if not tokens[i].startswith(tokens[i - 1])]
    assert len(restarts) == 1  # the UI saw exactly one restart from the beginning
    assert not answer.refused and len(answer.citations) == 1
    assert answer.text.rstrip(".").split(" [1]")[0] in expected_raw
    assert_recovers(bot, openai_server)


def test_broken_plain_response_is_retried(bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("break_stream", path=CHAT)  # half a JSON body, then a drop
    answer = bot.answer(QUESTION)
    assert len(openai_server.requests_to(CHAT)) == 2
    assert not answer.refused and answer.citations
    assert_recovers(bot, openai_server)


def test_stream_broken_every_time_gives_up_cleanly(bot: NewsBot,
                                                   openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("break_stream", ATTEMPTS, path=CHAT)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError, match="dropped the connection"):
        bot.answer(QUESTION, on_token=lambda _text: None)
    assert len(openai_server.requests_to(CHAT)) == ATTEMPTS
    assert time.monotonic() - started < HANG_BOUND
    assert_recovers(bot, openai_server)


def test_fault_during_follow_up_rewrite(bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    """With history, the question is first rewritten by the LLM: that call is guarded too."""
    from bot.models import Turn

    history = [Turn(QUESTION, "Thirty days [1].")]

    def responder(messages: list[dict[str, Any]]) -> str:
        # The rewrite prompt carries no sources: answer it with the standalone question.
        has_sources = any("Source 1" in str(m.get("content")) for m in messages)
        return default_responder(messages) if has_sources else FOLLOW_UP

    openai_server.responder = responder
    openai_server.fail_next("500", ATTEMPTS, path=CHAT)
    with pytest.raises(ServiceUnavailableError, match="HTTP 500"):
        bot.answer("And where were the talks?", history)
    assert len(openai_server.requests_to(CHAT)) == ATTEMPTS
    answer = bot.answer("And where were the talks?", history)
    assert not answer.refused, answer.text
    assert len(openai_server.requests_to(CHAT)) == ATTEMPTS + 2  # rewrite, then answer


def test_a_stream_the_server_cut_short_is_retried_not_shown_in_half(
        bot: NewsBot, openai_server: FakeOpenAIServer) -> None:
    """llama_cpp.server ends a stream with ``[DONE]`` and no finish reason when another request
    arrives: a clean end of half an answer. It is retried like a broken stream."""
    openai_server.fail_next("cut_stream", path=CHAT, chunks_before_break=3)
    tokens: list[str] = []
    answer = bot.answer(QUESTION, on_token=tokens.append)
    requests = openai_server.requests_to(CHAT)
    assert len(requests) == 2
    assert tokens[-1] == default_responder(requests[-1].body["messages"])
    assert not answer.refused and len(answer.citations) == 1
    assert_recovers(bot, openai_server)
