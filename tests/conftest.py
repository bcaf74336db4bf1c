"""Shared fixtures: real parts on loopback and an environment free of the developer's settings.

Tests build settings explicitly and never read a stray ``.env``::

    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.core_fixtures import ISOLATED_PREFIXES
from tests.fakes.chroma_server import ChromaServer
from tests.fakes.openai_server import FakeOpenAIServer


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop the developer's newsbot/chroma/openai/discord variables for every test.

    The working directory is left alone (some tests need the repo root), so pass
    ``_env_file=None`` to ``Settings`` in tests to keep a local ``.env`` out.
    """
    for name in list(os.environ):
        if name.startswith(ISOLATED_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")  # chromadb clients must not phone home


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    """A fresh OpenAI-compatible server on 127.0.0.1 (see tests/fakes/openai_server.py)."""
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="session")
def _chroma_server_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    root = tmp_path_factory.mktemp("chroma")
    with ChromaServer(root / "db", log_path=root / "chroma.log") as server:
        yield server


@pytest.fixture
def chroma_server(_chroma_server_session: ChromaServer) -> ChromaServer:
    """One `chroma run` server shared by the session (starting one takes ~1.5 s).

    Tests share its data, so each should use its own collection name. A test may stop it; the
    next test that asks for it gets it started again on the same path and port.
    """
    return _chroma_server_session.start()


# ---------------------------------------------------------------------------------------------
# Core test fixtures (tests/core_fixtures.py): one local embedding model and one ingested sample
# corpus per session, shared by the ingest, answering, CLI and server-mode tests.
# ---------------------------------------------------------------------------------------------
from tests.core_fixtures import (  # noqa: E402, F401
    extractive_bot,
    indexed_corpus,
    local_encoder,
    private_index,
)
