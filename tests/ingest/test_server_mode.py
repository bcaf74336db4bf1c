"""Server mode: a real `chroma run` on 127.0.0.1 (CHROMA_HOST/CHROMA_PORT), not embedded Chroma."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bot.engine import NewsBot
from ingest.errors import ServiceUnavailableError
from tests.core_fixtures import (
    SAUDI_FILE,
    SAUDI_QUESTION,
    CachingEncoder,
    copy_corpus,
    error_lines,
    make_settings,
    run_newsbot,
)
from tests.fakes.chroma_server import ChromaServer, free_port

pytestmark = pytest.mark.server


def _server_bot(tmp_path: Path, server: ChromaServer, encoder: CachingEncoder,
                collection: str) -> NewsBot:
    settings = make_settings(
        tmp_path / "data", tmp_path / "articles", CHROMA_HOST=server.host,
        CHROMA_PORT=str(server.port), NEWSBOT_COLLECTION=collection)
    return NewsBot(settings, encoder=encoder)


def test_ingest_and_ask_through_a_chroma_server(
        tmp_path: Path, chroma_server: ChromaServer, local_encoder: CachingEncoder) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    copy_corpus(tmp_path / "articles")
    collection = f"core_server_{uuid.uuid4().hex[:8]}"
    bot = _server_bot(tmp_path, chroma_server, local_encoder, collection)
    first = bot.ingest()
    assert first.files_added == 5 and first.chunks_embedded == first.chunks_total > 0
    assert not (tmp_path / "data" / "chroma").exists(), "nothing may go to embedded Chroma"

    # The chunks really are in the server.
    client = chromadb.HttpClient(host=chroma_server.host, port=chroma_server.port,
                                 settings=ChromaSettings(anonymized_telemetry=False))
    assert client.get_collection(collection).count() == first.chunks_total

    second = _server_bot(tmp_path, chroma_server, local_encoder, collection).ingest()
    assert second.chunks_embedded == 0 and second.files_unchanged == 5

    asker = _server_bot(tmp_path, chroma_server, local_encoder, collection)
    answer = asker.answer(SAUDI_QUESTION)
    assert "Saudi Arabia" in answer.text
    assert SAUDI_FILE in {c.file for c in answer.citations}

    status = asker.status().to_json()
    assert status["store"] == chroma_server.url
    assert status["collection"] == collection
    assert status["collection_exists"] is True
    assert status["files"] == 5 and status["chunks"] == first.chunks_total


def test_collections_on_one_server_are_separate(
        tmp_path: Path, chroma_server: ChromaServer, local_encoder: CachingEncoder) -> None:
    copy_corpus(tmp_path / "articles")
    empty = _server_bot(tmp_path, chroma_server, local_encoder,
                        f"core_server_empty_{uuid.uuid4().hex[:8]}")
    assert empty.is_indexed() is False
    assert empty.answer(SAUDI_QUESTION).refused


def test_a_server_that_goes_away_is_a_service_error_then_recovers(
        tmp_path: Path, chroma_server: ChromaServer, local_encoder: CachingEncoder) -> None:
    copy_corpus(tmp_path / "articles")
    collection = f"core_server_outage_{uuid.uuid4().hex[:8]}"
    bot = _server_bot(tmp_path, chroma_server, local_encoder, collection)
    bot.ingest()
    chroma_server.stop()
    try:
        with pytest.raises(ServiceUnavailableError) as info:
            bot.answer(SAUDI_QUESTION)
        assert "\n" not in str(info.value) and "Chroma" in str(info.value)
    finally:
        chroma_server.start()
    answer = _server_bot(tmp_path, chroma_server, local_encoder, collection).answer(
        SAUDI_QUESTION)
    assert SAUDI_FILE in {c.file for c in answer.citations}


def test_cli_with_an_unreachable_server_exits_1_with_one_line(tmp_path: Path) -> None:
    port = free_port()
    for args in (("ask", SAUDI_QUESTION), ("ingest", "--json"), ("status",)):
        result = run_newsbot(*args, cwd=tmp_path, CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(port),
                             NEWSBOT_DATA_DIR=str(tmp_path / "data"))
        assert result.returncode == 1, (args, result.stderr)
        lines = error_lines(result.stderr)
        assert len(lines) == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert f"127.0.0.1:{port}" in lines[0] and "unreachable" in lines[0]
        assert result.stdout.strip() == ""
