"""A real instruction-tuned model for the tests: Qwen2.5-Coder 0.5B through llama.cpp, both
behind a real ``llama_cpp.server`` on 127.0.0.1 and in-process (``NEWSBOT_LLM=local``).

Set up by ``newsbot model setup`` (the README's test command and ``.ci/run`` run it first).
Without it these tests skip, except in CI (``CI=true``) or with ``NEWSBOT_TEST_REAL_LLM=1``:
then a missing model fails them, so CI cannot go green on skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.local_model.cache import ModelCache
from bot.local_model.llama_build import llama_cpp_available
from bot.local_model.server import LlamaServer
from bot.settings import Settings
from tests.core_fixtures import IndexedCorpus

# Read at import, before the autouse fixture strips NEWSBOT_* variables from each test.
REQUIRED = os.environ.get("NEWSBOT_TEST_REAL_LLM") == "1" or os.environ.get("CI") == "true"
MODEL = "0.5b"
# Where `newsbot model setup` put it (NEWSBOT_MODEL_CACHE, else ~/.cache/newsbot).
CACHE = ModelCache(Settings(_env_file=None).model_cache)

# The Discord fixtures (fake gateway on loopback, the real client started against it).
from tests.frontends.discord.conftest import (  # noqa: E402, F401
    fake_discord,
    feedback,
    restore_discord_globals,
    start_bot,
)


def _missing() -> str | None:
    if not llama_cpp_available():
        return "llama-cpp-python is not installed (newsbot model setup)"
    if not CACHE.model_ready(MODEL):
        return f"the {MODEL} model is not assembled (newsbot model setup)"
    return None


@pytest.fixture(scope="session")
def real_model() -> Path:
    missing = _missing()
    if missing:
        if REQUIRED:
            pytest.fail(f"the real-model tests must run here (CI or NEWSBOT_TEST_REAL_LLM=1), "
                        f"but {missing}")
        pytest.skip(missing)
    return CACHE.model_path(MODEL)


@pytest.fixture(scope="session")
def llama_server(real_model: Path, tmp_path_factory: pytest.TempPathFactory) \
        -> Iterator[LlamaServer]:
    """One real OpenAI-compatible server for the session (restartable for fault tests)."""
    server = LlamaServer(real_model, ctx=4096,
                         log_path=tmp_path_factory.mktemp("llama") / "server.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def served_bot_env(llama_server: LlamaServer) -> dict[str, object]:
    """Settings that point the openai backend at the real server."""
    if llama_server.process is None or llama_server.process.poll() is not None:
        llama_server.start()  # a fault test left it down
    return {"NEWSBOT_LLM": "openai", "OPENAI_BASE_URL": llama_server.base_url,
            "NEWSBOT_LLM_MODEL": "qwen2.5-coder-0.5b", "NEWSBOT_LLM_TIMEOUT": 120}


@pytest.fixture(scope="session")
def served_corpus(indexed_corpus: IndexedCorpus) -> IndexedCorpus:
    return indexed_corpus
