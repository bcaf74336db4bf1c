"""How many questions the model is asked at once: one for a self-hosted server or a local
model (they serve one at a time), four for OpenAI, or NEWSBOT_LLM_CONCURRENCY; Discord's answers
in progress are capped to match, so the others are told they are queued."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from bot.answering.backends import answer_concurrency
from bot.answering.llm.openai_chat import OpenAIChat
from bot.frontends.discord.context import DiscordConfig
from bot.settings import Settings
from tests.fakes.openai_server import FakeOpenAIServer


def settings(**env: Any) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


@pytest.mark.parametrize(("env", "expected"), [
    ({"NEWSBOT_LLM": "extractive"}, None),
    ({"NEWSBOT_LLM": "openai", "OPENAI_API_KEY": "sk-x"}, 4),
    ({"NEWSBOT_LLM": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:8088/v1"}, 1),
    ({"NEWSBOT_LLM": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:8088/v1",
      "NEWSBOT_LLM_CONCURRENCY": "3"}, 3),
    ({"NEWSBOT_LLM": "local", "NEWSBOT_LOCAL_MODEL": "/m.gguf",
      "NEWSBOT_LLM_CONCURRENCY": "3"}, 1),  # llama.cpp in-process is not re-entrant
])
def test_how_many_answers_a_backend_writes_at_once(env: dict[str, str],
                                                   expected: int | None) -> None:
    assert answer_concurrency(settings(**env)) == expected


def test_discord_caps_answers_in_progress_at_the_backends_concurrency() -> None:
    served = settings(NEWSBOT_LLM="openai", OPENAI_BASE_URL="http://127.0.0.1:8088/v1")
    assert DiscordConfig.from_settings(served).max_concurrent == 1
    extractive = settings(NEWSBOT_LLM="extractive", NEWSBOT_DISCORD_MAX_CONCURRENT="6")
    assert DiscordConfig.from_settings(extractive).max_concurrent == 6


@pytest.mark.parametrize("concurrency", [1, 2])
def test_requests_beyond_the_concurrency_wait_for_their_turn(
        openai_server: FakeOpenAIServer, concurrency: int) -> None:
    lock = threading.Lock()
    active = peak = 0

    def responder(messages: list[dict[str, Any]]) -> str:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.3)  # the server is busy with this one
        with lock:
            active -= 1
        return "Hello [1]"

    openai_server.responder = responder
    chat = OpenAIChat("m", None, openai_server.base_url, timeout=10, max_retries=0,
                      concurrency=concurrency)
    replies: list[str] = []
    streamed = [{"role": "user", "content": "hi"}]
    workers = [threading.Thread(target=lambda: replies.append(chat.chat(streamed, lambda _: None)))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=20)
    assert replies == ["Hello [1]"] * 4
    assert peak == concurrency
