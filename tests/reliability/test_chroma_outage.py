"""A real `chroma run` server goes away mid-session and comes back; the bot is never restarted."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest

from bot.engine import NewsBot
from ingest.errors import ServiceUnavailableError
from tests.fakes.chroma_server import ChromaServer
from tests.reliability.conftest import SharedIndex
from tests.reliability.support import SAMPLE_CORPUS, make_settings

pytestmark = pytest.mark.server

QUESTION = "How long is the ceasefire that Ukraine accepted?"
# Connection refused is immediate; this bound only has to absorb a loaded machine.
OUTAGE_BOUND_SECONDS = 10.0


CHROMA_TIMEOUT = 2.0
FROZEN_BOUND_SECONDS = 4 * CHROMA_TIMEOUT


@pytest.fixture(scope="module")
def server_collection(_chroma_server_session: ChromaServer, shared_index: SharedIndex,
                      tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The sample articles ingested once into the shared server: (data dir, collection)."""
    data_dir = tmp_path_factory.mktemp("outage")
    collection = f"rel_outage_{uuid.uuid4().hex[:8]}"
    server = _chroma_server_session.start()
    new_bot(server, data_dir, collection, shared_index).ingest(SAMPLE_CORPUS)
    return data_dir, collection


def new_bot(server: ChromaServer, data_dir: Path, collection: str,
            shared_index: SharedIndex, **env: object) -> NewsBot:
    settings = make_settings(
        data_dir, CHROMA_HOST=server.host, CHROMA_PORT=server.port, NEWSBOT_LLM="extractive",
        NEWSBOT_COLLECTION=collection, **env)
    return NewsBot(settings, encoder=shared_index.encoder)


def assert_answers(bot: NewsBot) -> None:
    answer = bot.answer(QUESTION)
    assert not answer.refused and answer.citations, answer.text


@pytest.mark.parametrize("crash", [False, True], ids=["graceful-stop", "sigkill"])
def test_answers_resume_after_the_server_returns(crash: bool, chroma_server: ChromaServer,
                                                 server_collection: tuple[Path, str],
                                                 shared_index: SharedIndex) -> None:
    bot = new_bot(chroma_server, *server_collection, shared_index)
    assert_answers(bot)

    chroma_server.stop(kill=crash)
    failed_in: list[float] = []
    try:
        for _ in range(3):  # every question during the outage fails fast and clearly
            started = time.monotonic()
            with pytest.raises(ServiceUnavailableError, match="Chroma") as raised:
                bot.answer(QUESTION)
            failed_in.append(time.monotonic() - started)
            assert failed_in[-1] < OUTAGE_BOUND_SECONDS
            message = str(raised.value)
            assert "\n" not in message and len(message) < 400
        with pytest.raises(ServiceUnavailableError):
            bot.status()
    finally:
        chroma_server.start()

    assert_answers(bot)  # the same NewsBot instance, no restart
    assert bot.status().chunks > 0
    print(f"\n[chroma] {'SIGKILL' if crash else 'stop'}: errors in "
          f"{', '.join(f'{s * 1000:.0f} ms' for s in failed_in)}: {raised.value}")


def test_frozen_server_does_not_hang_an_answer(chroma_server: ChromaServer,
                                               server_collection: tuple[Path, str],
                                               shared_index: SharedIndex) -> None:
    """A server that accepts connections but never replies (SIGSTOP: a frozen host, a network
    partition) must still give an error in bounded time (NEWSBOT_CHROMA_TIMEOUT per request;
    chromadb's own HTTP client has none)."""
    bot = new_bot(chroma_server, *server_collection, shared_index,
                  NEWSBOT_CHROMA_TIMEOUT=CHROMA_TIMEOUT)
    assert_answers(bot)
    process = chroma_server._process  # the fake keeps its Popen private; we only signal it
    assert process is not None
    outcome: list[BaseException | None] = []
    took: list[float] = []

    def ask() -> None:
        started = time.monotonic()
        try:
            bot.answer(QUESTION)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)
        took.append(time.monotonic() - started)

    os.kill(process.pid, signal.SIGSTOP)
    worker = threading.Thread(target=ask, daemon=True)
    try:
        worker.start()
        worker.join(FROZEN_BOUND_SECONDS)
        hung = worker.is_alive()
    finally:
        os.kill(process.pid, signal.SIGCONT)
        worker.join(30)  # the request completes once the server runs again
    assert not hung, f"answer() still blocked after {FROZEN_BOUND_SECONDS} s on a frozen server"
    assert outcome and isinstance(outcome[0], ServiceUnavailableError), outcome
    assert "Chroma" in str(outcome[0]) and "\n" not in str(outcome[0])
    assert_answers(bot)  # the server runs again: the same bot answers
    print(f"\n[chroma] frozen (timeout {CHROMA_TIMEOUT:g} s): error after {took[0]:.1f} s: "
          f"{outcome[0]}")
