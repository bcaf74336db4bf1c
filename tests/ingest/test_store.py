"""The Chroma collection of article chunks (embedded PersistentClient in a tmp dir)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.chunking import Chunk, chunk_id
from ingest.errors import EmbeddingMismatchError, ServiceUnavailableError
from ingest.store import KEYWORD_DIRTY, ArticleStore, make_chroma_client
from tests.core_fixtures import HashEncoder
from tests.fakes.chroma_server import free_port

ENCODER = HashEncoder("store-test", 64)


def _chunks(file: str, content_hash: str, count: int, chunking: str = "v1-s256-o32") -> \
        list[Chunk]:
    return [
        Chunk(id=chunk_id(file, content_hash, chunking, i), text=f"{file} part {i} {content_hash}",
              file=file, title=f"Title of {file}", index=i, count=count, start_char=i * 10,
              end_char=i * 10 + 9, content_hash=content_hash, chunking=chunking)
        for i in range(count)
    ]


def _store(tmp_path: Path, name: str = "store_test", model: str = ENCODER.name,
           dim: int = ENCODER.dim) -> ArticleStore:
    return ArticleStore(make_chroma_client(tmp_path / "data"), name, model, dim)


def _upsert(store: ArticleStore, chunks: list[Chunk]) -> None:
    store.upsert(chunks, ENCODER.encode([c.text for c in chunks]))


def test_embedded_client_lives_under_the_data_dir_with_telemetry_off(tmp_path: Path) -> None:
    client = make_chroma_client(tmp_path / "data")
    assert (tmp_path / "data" / "chroma").is_dir()
    assert client.get_settings().anonymized_telemetry is False


def test_open_without_create_reports_a_missing_collection(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert store.open(create=False) is False
    with pytest.raises(RuntimeError):
        _ = store.collection


def test_created_collection_records_the_embedding_model(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert store.open(create=True) is True
    metadata = store.collection.metadata
    assert metadata["embed_model"] == ENCODER.name
    assert metadata["embed_dim"] == ENCODER.dim
    assert store.keyword_fingerprint() == KEYWORD_DIRTY
    assert _store(tmp_path).open(create=False) is True


def test_another_embedding_model_is_refused_with_the_rebuild_hint(tmp_path: Path) -> None:
    _store(tmp_path).open(create=True)
    other = _store(tmp_path, model="other-model", dim=32)
    for create in (False, True):
        with pytest.raises(EmbeddingMismatchError) as info:
            other.open(create=create)
        message = str(info.value)
        assert "store-test" in message and "other-model" in message
        assert "newsbot ingest --rebuild" in message
        assert "\n" not in message


def test_upsert_file_states_and_completeness(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.open(create=True)
    _upsert(store, _chunks("a.txt", "h1", 3) + _chunks("b.txt", "h2", 2)[:1])
    states = store.file_states()
    assert set(states) == {"a.txt", "b.txt"}
    assert states["a.txt"].is_complete(("h1", "v1-s256-o32"))
    assert not states["a.txt"].is_complete(("h1", "v1-s128-o16"))
    assert not states["b.txt"].is_complete(("h2", "v1-s256-o32")), "1 of 2 chunks is incomplete"
    assert states["a.txt"].title == "Title of a.txt"
    assert states["a.txt"].chunk_total == 3
    assert store.count() == 4


def test_upsert_is_idempotent(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.open(create=True)
    chunks = _chunks("a.txt", "h1", 3)
    _upsert(store, chunks)
    _upsert(store, chunks)
    assert store.count() == 3


def test_two_versions_of_a_file_are_not_complete(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.open(create=True)
    _upsert(store, _chunks("a.txt", "old", 2) + _chunks("a.txt", "new", 2))
    state = store.file_states()["a.txt"]
    assert not state.is_complete(("new", "v1-s256-o32"))
    store.delete_file("a.txt", keep=("new", "v1-s256-o32"))
    state = store.file_states()["a.txt"]
    assert state.is_complete(("new", "v1-s256-o32"))
    assert store.count() == 2


def test_delete_file_keeps_other_chunking_versions_only_if_asked(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.open(create=True)
    _upsert(store, _chunks("a.txt", "h", 2, "v1-s256-o32") + _chunks("a.txt", "h", 1, "v1-s128-o0")
            + _chunks("b.txt", "h", 1))
    store.delete_file("a.txt", keep=("h", "v1-s128-o0"))
    assert store.file_states()["a.txt"].versions.keys() == {("h", "v1-s128-o0")}
    store.delete_file("a.txt")
    assert set(store.file_states()) == {"b.txt"}


def test_get_keeps_the_order_asked_and_skips_missing_ids(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.open(create=True)
    chunks = _chunks("a.txt", "h", 3)
    _upsert(store, chunks)
    got = store.get([chunks[2].id, "missing", chunks[0].id])
    assert [c.id for c in got] == [chunks[2].id, chunks[0].id]
    assert got[0].text == chunks[2].text
    assert got[0].file == "a.txt" and got[0].title == "Title of a.txt"
    assert got[0].metadata["start_char"] == 20
    assert store.get([]) == []


def test_query_returns_cosine_similarity_best_first(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.open(create=True)
    chunks = _chunks("a.txt", "h", 3)
    _upsert(store, chunks)
    query = ENCODER.encode([chunks[1].text])[0]
    hits = store.query(query, 3)
    assert hits[0][0].id == chunks[1].id
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
    similarities = [s for _, s in hits]
    assert similarities == sorted(similarities, reverse=True)
    expected = float(np.dot(ENCODER.encode([chunks[0].text])[0], query))
    by_id = {c.id: s for c, s in hits}
    assert by_id[chunks[0].id] == pytest.approx(expected, abs=1e-4)


def test_pages_cover_more_than_one_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.store

    monkeypatch.setattr(ingest.store, "PAGE_SIZE", 2)
    store = _store(tmp_path)
    store.open(create=True)
    _upsert(store, _chunks("a.txt", "h", 5))
    assert store.file_states()["a.txt"].chunk_total == 5
    assert sum(len(ids) for ids, _ in store.iter_texts()) == 5


def test_keyword_fingerprint_round_trip(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.open(create=True)
    store.set_keyword_fingerprint("abc123")
    assert store.keyword_fingerprint() == "abc123"
    # Another handle (another process) sees it, and the model metadata survived the update.
    again = _store(tmp_path)
    again.open(create=False)
    assert again.keyword_fingerprint() == "abc123"
    assert again.collection.metadata["embed_model"] == ENCODER.name


def test_drop_removes_the_collection(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.open(create=True)
    _upsert(store, _chunks("a.txt", "h", 2))
    store.drop()
    assert store.open(create=False) is False
    store.drop()  # dropping a missing collection is fine


def test_unreachable_server_is_a_one_line_service_error(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(ServiceUnavailableError) as info:
        make_chroma_client(tmp_path, host="127.0.0.1", port=port)
    message = str(info.value)
    assert f"http://127.0.0.1:{port}" in message and "unreachable" in message
    assert "\n" not in message
