"""The test doubles behave like the real things, as seen through the real clients."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.fakes.chroma_server import ChromaServer
from tests.fakes.fake_model import default_responder, embed_text, parse_sources
from tests.fakes.openai_server import FakeOpenAIServer

SOURCES_PROMPT = (
    "Answer from the sources and cite them.\n\n"
    "Source 1:\nThe council approved the budget on Monday. It takes effect in May.\n\n"
    "Source 2:\nRain is expected all week.\n\n"
    "Query: What did the council do?\nAnswer:"
)


def client_for(
    server: FakeOpenAIServer, *, max_retries: int = 0, timeout: float = 5.0
) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.base_url, api_key="test", max_retries=max_retries, timeout=timeout
    )


def ask(client: openai.OpenAI, prompt: str = SOURCES_PROMPT) -> str:
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
    )
    return reply.choices[0].message.content or ""


def vectors(*texts: str) -> list[Sequence[float]]:
    """Embeddings as chromadb's typed API accepts them."""
    return [embed_text(t) for t in texts]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


# -- default responder -------------------------------------------------------------------------


def test_default_responder_cites_first_sentence_of_source_1() -> None:
    reply = default_responder([{"role": "user", "content": SOURCES_PROMPT}])
    assert reply == "The council approved the budget on Monday. [1]"


def test_default_responder_accepts_bracket_headers_metadata_and_content_parts() -> None:
    prompt = (
        "Context:\n[1] file_name: a.txt\ntitle: Budget\n\n"
        "U.S. officials met in Ohio. More text.\n[2] Other."
    )
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": [{"type": "text", "text": prompt}]},
        {"role": "user", "content": "What happened?"},
    ]
    assert default_responder(messages) == "U.S. officials met in Ohio. [1]"


def test_default_responder_prefers_the_last_source_1_over_a_worked_example() -> None:
    prompt = (
        "For example:\nSource 1:\nThe sky is red.\nNow it's your turn.\n"
        "Source 1:\nReal text here. Second.\n"
    )
    assert parse_sources(prompt)[1].strip() == "Real text here. Second."
    assert default_responder([{"role": "user", "content": prompt}]) == "Real text here. [1]"


def test_default_responder_handles_flattened_chat_and_abbreviations() -> None:
    prompt = "user: Source 1:\nMr. Lee met U.S. President Smith. Later.\nassistant: "
    assert default_responder([{"role": "user", "content": prompt}]) == (
        "Mr. Lee met U.S. President Smith. [1]"
    )


def test_default_responder_without_sources_does_not_know() -> None:
    assert default_responder([{"role": "user", "content": "Who won?"}]) == "I don't know."


# -- chat --------------------------------------------------------------------------------------


def test_chat_non_streaming(openai_server: FakeOpenAIServer) -> None:
    reply = client_for(openai_server).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": SOURCES_PROMPT}]
    )
    assert reply.choices[0].message.content == "The council approved the budget on Monday. [1]"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.total_tokens > 0
    (request,) = openai_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["messages"][0]["content"] == SOURCES_PROMPT
    assert request.authorization == "Bearer test"


def test_chat_uses_the_responder_set_by_the_test(openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = lambda messages: f"echo: {messages[-1]['content']}"
    assert ask(client_for(openai_server), "hi") == "echo: hi"


def test_chat_streaming_assembles_to_the_full_text(openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = lambda _: "one two three four five six seven."
    stream = client_for(openai_server).chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "count"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    pieces = [p for p in pieces if p]
    assert "".join(pieces) == "one two three four five six seven."
    assert len(pieces) >= 3
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


def test_stream_without_usage_option_has_no_usage(openai_server: FakeOpenAIServer) -> None:
    stream = client_for(openai_server).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stream=True
    )
    chunks = list(stream)
    assert all(c.usage is None for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "I don't know."


def test_legacy_completions(openai_server: FakeOpenAIServer) -> None:
    reply = client_for(openai_server).completions.create(model="m", prompt=SOURCES_PROMPT)
    assert reply.choices[0].text == "The council approved the budget on Monday. [1]"


def test_models(openai_server: FakeOpenAIServer) -> None:
    ids = [m.id for m in client_for(openai_server).models.list()]
    assert "gpt-4o-mini" in ids


# -- embeddings --------------------------------------------------------------------------------


def test_embeddings_float_and_default_base64_agree(openai_server: FakeOpenAIServer) -> None:
    client = client_for(openai_server)
    texts = ["The council approved the budget", "council budget vote", "rain all week"]
    as_float = client.embeddings.create(model="e", input=texts, encoding_format="float")
    as_default = client.embeddings.create(model="e", input=texts)
    single = client.embeddings.create(model="e", input=texts[0], encoding_format="float")

    # The SDK asks for base64 unless told otherwise, and decodes it to floats itself.
    assert openai_server.requests[1].body["encoding_format"] == "base64"
    vectors = [d.embedding for d in as_float.data]
    for got, expected in zip(vectors, (d.embedding for d in as_default.data), strict=True):
        assert got == pytest.approx(expected, abs=1e-6)
    assert single.data[0].embedding == vectors[0]
    assert vectors[0] == pytest.approx(embed_text(texts[0]))
    assert all(len(v) == 64 and math.isclose(cosine(v, v), 1.0) for v in vectors)
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])


def test_embeddings_honour_dimensions(openai_server: FakeOpenAIServer) -> None:
    reply = client_for(openai_server).embeddings.create(model="e", input="x", dimensions=16)
    assert len(reply.data[0].embedding) == 16


# -- faults ------------------------------------------------------------------------------------


def test_429_with_retry_after_then_success(openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("429", retry_after=0.2)
    started = time.monotonic()
    assert ask(client_for(openai_server, max_retries=2)).endswith("[1]")
    first, second = openai_server.requests
    assert second.received_at - first.received_at >= 0.2  # the SDK honoured Retry-After
    assert time.monotonic() - started < 2


def test_500_twice_then_success(openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("500", count=2, retry_after=0.05)
    assert ask(client_for(openai_server, max_retries=2)).endswith("[1]")
    assert len(openai_server.requests) == 3
    assert openai_server.pending_faults == 0


def test_500_beyond_retries_raises(openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("500", count=2, retry_after=0.05)
    with pytest.raises(openai.InternalServerError):
        ask(client_for(openai_server, max_retries=1))


def test_401_raises_authentication_error_without_retry(openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("401")
    with pytest.raises(openai.AuthenticationError) as caught:
        ask(client_for(openai_server, max_retries=2))
    assert caught.value.code == "invalid_api_key"
    assert len(openai_server.requests) == 1


def test_wrong_api_key_is_refused_when_a_key_is_configured() -> None:
    with FakeOpenAIServer(api_key="sk-right") as server:
        with pytest.raises(openai.AuthenticationError):
            ask(client_for(server))
        good = openai.OpenAI(base_url=server.base_url, api_key="sk-right", max_retries=0)
        assert ask(good).endswith("[1]")


def test_hang_times_out_quickly_then_server_recovers(openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("hang")
    client = client_for(openai_server, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        ask(client)
    assert time.monotonic() - started < 3
    assert ask(client).endswith("[1]")


def test_stop_is_fast_while_a_hang_is_in_progress() -> None:
    server = FakeOpenAIServer().start()
    server.fail_next("hang", hang_seconds=60)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            ask(client_for(server, timeout=30.0))
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    while not server.requests:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    worker.join(timeout=5)
    assert time.monotonic() - started < 2
    assert not worker.is_alive()
    assert errors and isinstance(errors[0], openai.APIConnectionError)


def test_broken_stream_raises_in_the_consumer(openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = lambda _: "a b c d e f g h i j k l"
    openai_server.fail_next("break_stream", chunks_before_break=2)
    stream = client_for(openai_server).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stream=True
    )
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "a b "  # the role chunk and one content chunk got through


def test_fault_limited_to_a_path_spares_other_endpoints(openai_server: FakeOpenAIServer) -> None:
    openai_server.fail_next("401", path="/chat/completions")
    client = client_for(openai_server)
    client.embeddings.create(model="e", input="fine")
    with pytest.raises(openai.AuthenticationError):
        ask(client)
    openai_server.reset()
    assert openai_server.requests == [] and openai_server.pending_faults == 0


def test_fail_next_rejects_unknown_kinds(openai_server: FakeOpenAIServer) -> None:
    with pytest.raises(ValueError):
        openai_server.fail_next("418")  # type: ignore[arg-type]


# -- chroma ------------------------------------------------------------------------------------


@pytest.mark.server
def test_chroma_server_survives_stop_and_start(chroma_server: ChromaServer) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    def connect() -> chromadb.ClientAPI:
        return chromadb.HttpClient(
            host=chroma_server.host,
            port=chroma_server.port,
            settings=ChromaSettings(anonymized_telemetry=False),
        )

    # embedding_function=None: chromadb's default would download a model.
    collection = connect().create_collection("fakes_restart", embedding_function=None)
    texts = ["council budget approved", "rain all week"]
    collection.add(ids=["a", "b"], embeddings=vectors(*texts), documents=texts)
    hits = collection.query(query_embeddings=vectors("budget council"), n_results=1)
    assert hits["ids"] == [["a"]]

    port = chroma_server.port
    chroma_server.stop()
    assert not chroma_server.heartbeat()
    with pytest.raises(Exception):  # noqa: B017 - chromadb raises varied transport errors
        connect().heartbeat()

    chroma_server.start()
    assert chroma_server.port == port
    again = connect().get_collection("fakes_restart", embedding_function=None)
    assert again.count() == 2
    hits = again.query(query_embeddings=vectors("rain week"), n_results=1)
    assert hits["ids"] == [["b"]]


def test_chroma_server_reports_log_tail_when_it_cannot_start(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the database directory should be")
    server = ChromaServer(blocker / "db", log_path=tmp_path / "chroma.log", startup_timeout=10)
    with pytest.raises((RuntimeError, TimeoutError), match="Log tail"):
        server.start()
    assert not server.running


def test_a_client_hanging_up_is_not_logged_as_a_server_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fakes.openai_server import _TrackingHTTPServer

    httpd = _TrackingHTTPServer(("127.0.0.1", 0), FakeOpenAIServer())
    try:
        for error in (BrokenPipeError(), ConnectionResetError(), ValueError("a real bug")):
            try:
                raise error
            except Exception:
                httpd.handle_error(None, ("127.0.0.1", 1))
    finally:
        httpd.server_close()
    log = capsys.readouterr().err
    assert log.count("Exception occurred") == 1 and "a real bug" in log
