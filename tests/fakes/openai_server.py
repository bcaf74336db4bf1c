"""An OpenAI-compatible HTTP server on 127.0.0.1 for tests.

It speaks the wire format the openai 2.x Python SDK expects (chat completions with and without
SSE streaming, legacy completions, embeddings in float and base64, the model list), so code under
test runs through the real SDK: its retries, timeouts and stream parsing included. Faults are
scripted with ``fail_next`` and consumed in order before normal behaviour resumes.

Usage::

    with FakeOpenAIServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test")
        server.fail_next("429")
        client.chat.completions.create(model="m", messages=[...])  # retried, then succeeds
        assert len(server.requests) == 2
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import struct
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from tests.fakes.fake_model import (
    DEFAULT_EMBED_DIM,
    Message,
    count_tokens,
    default_responder,
    embed_text,
    message_text,
    split_for_stream,
)
from tests.fakes.lifecycle import StartStop

Responder = Callable[[list[Message]], str]
FaultKind = Literal["429", "500", "401", "hang", "break_stream", "cut_stream"]

_FAULT_KINDS: frozenset[str] = frozenset(
    {"429", "500", "401", "hang", "break_stream", "cut_stream"})

# ---------------------------------------------------------------------------------------------
# Recording and faults.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it. Header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float = field(default_factory=time.monotonic)

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass(frozen=True)
class _Fault:
    kind: FaultKind
    path: str | None
    retry_after: float | None
    hang_seconds: float
    chunks_before_break: int


def _error_body(message: str, type_: str, code: str | None) -> dict[str, Any]:
    # The shape OpenAI returns; the SDK reads ``error.message`` / ``error.code``.
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


# ---------------------------------------------------------------------------------------------
# The server.
# ---------------------------------------------------------------------------------------------


class _TrackingHTTPServer(ThreadingHTTPServer):
    """Remembers open connections so ``stop`` can cut idle keep-alive ones immediately."""

    daemon_threads = True
    fake: FakeOpenAIServer

    def __init__(self, address: tuple[str, int], fake: FakeOpenAIServer) -> None:
        self.fake = fake
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hang up on purpose here (timeouts, broken streams, retries): a write to a
        # closed socket is expected, not worth a traceback in the test log. Anything else is.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def cut_all_connections(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)


class FakeOpenAIServer(StartStop):
    """An OpenAI-compatible server in a background thread on a free 127.0.0.1 port."""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        embed_dim: int = DEFAULT_EMBED_DIM,
        api_key: str | None = None,
        models: tuple[str, ...] = ("gpt-4o-mini", "text-embedding-3-small"),
        chunk_delay: float = 0.0,
        embed_delay: float = 0.0,
    ) -> None:
        """
        Args:
            responder: messages → reply text; ``default_responder`` when None.
            embed_dim: embedding size when the request does not ask for ``dimensions``.
            api_key: when set, any other bearer token gets a 401 (checks the key is sent).
            models: ids listed by ``GET /v1/models``.
            chunk_delay: seconds between streamed chunks (to observe incremental output).
            embed_delay: seconds each embeddings request takes (to stretch an ingest so that
                questions, or a kill, land inside it); may be changed while running.
        """
        self.responder: Responder = responder or default_responder
        self.embed_dim = embed_dim
        self.api_key = api_key
        self.models = models
        self.chunk_delay = chunk_delay
        self.embed_delay = embed_delay
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: deque[_Fault] = deque()
        self._stop = threading.Event()
        self._httpd: _TrackingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        if self._httpd is not None:
            return self
        self._stop.clear()
        self._httpd = _TrackingHTTPServer(("127.0.0.1", 0), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-openai:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop at once, even with a hang or a stream in progress."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stop.set()  # hanging handlers poll this
        httpd.shutdown()
        httpd.cut_all_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeOpenAIServer is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass as ``openai.OpenAI(base_url=...)``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting and inspection ------------------------------------------------------------

    def fail_next(
        self,
        kind: FaultKind,
        count: int = 1,
        *,
        path: str | None = None,
        retry_after: float | None = None,
        hang_seconds: float = 30.0,
        chunks_before_break: int = 2,
    ) -> None:
        """Queue ``count`` faults of ``kind`` for the next matching requests.

        Args:
            kind: "429" (rate limit with Retry-After), "500", "401", "hang" (no response until
                ``hang_seconds`` pass, then the connection closes) or "break_stream" (a few
                chunks, then the connection drops without ``[DONE]``) or "cut_stream" (a few
                chunks, then ``[DONE]`` with no finish reason: what llama_cpp.server sends
                to the stream it interrupts when another request arrives).
            path: only requests whose path ends with this (e.g. "/chat/completions") consume
                the fault; others are served normally. None matches every request.
            retry_after: seconds sent in ``Retry-After``; defaults to 0.1 for "429" and to no
                header for "500" (the SDK then uses its own backoff).
            hang_seconds: how long "hang" holds the connection; keep above the client timeout.
            chunks_before_break: SSE data chunks sent before the stream breaks or is cut.
        """
        if kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(_FAULT_KINDS)}")
        if retry_after is None and kind == "429":
            retry_after = 0.1
        fault = _Fault(kind, path, retry_after, hang_seconds, chunks_before_break)
        with self._lock:
            self._faults.extend([fault] * count)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path_suffix: str) -> list[RecordedRequest]:
        """The recorded requests whose path ends with ``path_suffix``."""
        return [r for r in self.requests if r.path.endswith(path_suffix)]

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def reset(self) -> None:
        """Forget requests and queued faults; restore the default responder."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self.responder = default_responder

    # -- used by the handler -----------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.path is None or path.endswith(fault.path):
                    del self._faults[i]
                    return fault
        return None

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True when it stopped."""
        return self._stop.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so streams can use chunked encoding: a dropped connection is then a visible
    # protocol error for the client, not a silently short body.
    protocol_version = "HTTP/1.1"
    server: _TrackingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    # -- entry points ------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        route = path.removeprefix("/v1")
        fake._record(
            RecordedRequest(
                method=method,
                path=path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
        )
        if raw and body is None:
            self._send_error(400, "Could not parse the JSON body.", "invalid_request_error", None)
            return

        fault = fake._take_fault(path)
        if fault is not None and self._apply_fault(fault, method, route, body):
            return
        expected_auth = f"Bearer {fake.api_key}"
        if fake.api_key is not None and self.headers.get("Authorization") != expected_auth:
            self._send_401()
            return
        try:
            self._route(method, route, body if isinstance(body, dict) else {}, fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away; nothing to answer
        except Exception as exc:  # a bad responder must show up as a 500, not a hung client
            self._send_error(500, f"fake server error: {exc!r}", "server_error", None)

    def _route(self, method: str, route: str, body: dict[str, Any], fault: _Fault | None) -> None:
        if method == "POST" and route == "/chat/completions":
            self._chat(body, fault)
        elif method == "POST" and route == "/completions":
            self._completion(body, fault)
        elif method == "POST" and route == "/embeddings":
            self._embeddings(body, fault)
        elif method == "GET" and route == "/models":
            models = [_model(m) for m in self.server.fake.models]
            self._send_json(200, {"object": "list", "data": models})
        elif method == "GET" and route.startswith("/models/"):
            self._send_json(200, _model(route.removeprefix("/models/")))
        else:
            self._send_error(404, f"Unknown endpoint {method} {self.path}", "invalid_request_error",
                             "unknown_url")

    # -- faults ------------------------------------------------------------------------------

    def _apply_fault(self, fault: _Fault, method: str, route: str, body: Any) -> bool:
        """Act out a fault; False when it only changes how the normal reply is sent."""
        if fault.kind == "429":
            self._send_error(
                429,
                "Rate limit reached for requests. Please try again shortly.",
                "requests",
                "rate_limit_exceeded",
                retry_after=fault.retry_after,
            )
        elif fault.kind == "500":
            self._send_error(
                500,
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
                None,
                retry_after=fault.retry_after,
            )
        elif fault.kind == "401":
            self._send_401()
        elif fault.kind == "hang":
            self.server.fake._sleep(fault.hang_seconds)
            self._drop_connection()
        elif fault.kind in ("break_stream", "cut_stream"):
            return False  # the normal handler sends part of its reply, then drops or ends
        return True

    def _send_401(self) -> None:
        auth = self.headers.get("Authorization", "")
        key = auth.removeprefix("Bearer ")
        shown = f"{key[:3]}***{key[-4:]}" if len(key) > 8 else key
        self._send_error(
            401,
            f"Incorrect API key provided: {shown}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key",
        )

    def _drop_connection(self) -> None:
        """Close the socket abruptly so the client sees a broken connection."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- endpoints ---------------------------------------------------------------------------

    def _chat(self, body: dict[str, Any], fault: _Fault | None) -> None:
        messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
        text = self.server.fake.responder(messages)
        model = str(body.get("model", "gpt-4o-mini"))
        prompt_tokens = sum(count_tokens(message_text(m)) for m in messages)
        usage = _usage(prompt_tokens, count_tokens(text))
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not body.get("stream"):
            self._send_json(200, {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }],
                "usage": usage,
            }, fault=fault)
            return

        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            payload: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [{"index": 0, "delta": delta, "logprobs": None,
                             "finish_reason": finish}],
            }
            if include_usage:
                payload["usage"] = None  # as OpenAI does: usage only on the extra last chunk
            return payload

        def events() -> Iterator[dict[str, Any]]:
            yield chunk({"role": "assistant", "content": "", "refusal": None}, None)
            for piece in split_for_stream(text):
                yield chunk({"content": piece}, None)
            yield chunk({}, "stop")
            if include_usage:
                last = chunk({}, None)
                last["choices"] = []
                last["usage"] = usage
                yield last

        self._send_stream(events(), fault)

    def _completion(self, body: dict[str, Any], fault: _Fault | None) -> None:
        prompt = body.get("prompt", "")
        prompt_text = "\n".join(map(str, prompt)) if isinstance(prompt, list) else str(prompt)
        text = self.server.fake.responder([{"role": "user", "content": prompt_text}])
        model = str(body.get("model", "gpt-4o-mini"))
        usage = _usage(count_tokens(prompt_text), count_tokens(text))
        completion_id = f"cmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())

        def payload(piece: str, finish: str | None) -> dict[str, Any]:
            return {
                "id": completion_id,
                "object": "text_completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "text": piece, "logprobs": None, "finish_reason": finish}],
            }

        if not body.get("stream"):
            self._send_json(200, {**payload(text, "stop"), "usage": usage}, fault=fault)
            return

        def events() -> Iterator[dict[str, Any]]:
            for piece in split_for_stream(text):
                yield payload(piece, None)
            yield payload("", "stop")

        self._send_stream(events(), fault)

    def _embeddings(self, body: dict[str, Any], fault: _Fault | None) -> None:
        if self.server.fake.embed_delay:
            time.sleep(self.server.fake.embed_delay)
        raw_input = body.get("input", "")
        inputs = raw_input if isinstance(raw_input, list) else [raw_input]
        # Token-id inputs (lists of ints) are embedded by their printed form: still deterministic.
        texts = [item if isinstance(item, str) else json.dumps(item) for item in inputs]
        dim = int(body.get("dimensions") or self.server.fake.embed_dim)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = embed_text(text, dim)
            embedding: Any = (
                base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode("ascii")
                if as_base64
                else vector
            )
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        tokens = sum(count_tokens(t) for t in texts)
        self._send_json(200, {
            "object": "list",
            "data": data,
            "model": str(body.get("model", "text-embedding-3-small")),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }, fault=fault)

    # -- writing -----------------------------------------------------------------------------

    def _send_json(
        self,
        status: int,
        payload: Any,
        *,
        headers: dict[str, str] | None = None,
        fault: _Fault | None = None,
    ) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if fault is not None and fault.kind == "break_stream":
            # A non-streamed reply "breaks" by promising more bytes than it sends.
            self.wfile.write(data[: len(data) // 2])
            self._drop_connection()
            return
        self.wfile.write(data)

    def _send_error(
        self,
        status: int,
        message: str,
        type_: str,
        code: str | None,
        *,
        retry_after: float | None = None,
    ) -> None:
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        self._send_json(status, _error_body(message, type_, code), headers=headers)

    def _send_stream(self, events: Iterator[dict[str, Any]], fault: _Fault | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
        self.end_headers()
        breaking = fault is not None and fault.kind == "break_stream"
        cutting = fault is not None and fault.kind == "cut_stream"
        limit = fault.chunks_before_break if fault is not None else 0
        fake = self.server.fake
        for sent, event in enumerate(events):
            if breaking and sent >= limit:
                self._drop_connection()
                return
            if cutting and sent >= limit:
                break
            if sent and fake.chunk_delay and fake._sleep(fake.chunk_delay):
                self._drop_connection()  # server stopping
                return
            self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())
        if breaking:
            self._drop_connection()
            return
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")  # the zero-length chunk ends the body

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "newsbot-tests"}


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
