"""Embeddings from an OpenAI-compatible ``/embeddings`` endpoint, through the openai SDK.

Why the SDK directly and not llama-index's OpenAIEmbedding (as ``openai_chat`` does for chat):
that wrapper adds a tenacity retry loop (1-20 s waits) on top of the SDK's own retries, so a
failing endpoint was asked (retries+1)² times, and turning it off meant overriding a private
method. Here the SDK's bounded retries (which honour Retry-After) are the only ones.

openai is imported by the constructor: it is slow to import and only this backend needs it.
Every value comes in as an argument (never from the environment), and the API key never
appears in an error message.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from ingest.embedding.vectors import l2_normalise, reject_bare_string
from ingest.errors import BadInputError, NewsbotError, ServiceUnavailableError

DEFAULT_MODEL = "text-embedding-3-small"
DEFAULT_API_BASE = "https://api.openai.com/v1"
#: The most inputs OpenAI takes in one request.
MAX_BATCH = 2048
#: Vector sizes of OpenAI's own models; any other model's size is learned on first use.
KNOWN_DIMS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class OpenAIEncoder:
    """Same surface as the local encoder: ``name``, ``dim``, ``encode``."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        api_base: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        batch_size: int = 100,
    ) -> None:
        self.model = model
        self.name = f"openai:{model}"
        self._api_base = api_base or DEFAULT_API_BASE
        self._api_key = api_key or ""
        self._dim: int | None = KNOWN_DIMS.get(model)
        self._batch_size = min(max(batch_size, 1), MAX_BATCH)
        import openai

        # Explicit key and base: otherwise the SDK would read them from the environment.
        self._client = openai.OpenAI(api_key=self._api_key or "not-needed",
                                     base_url=self._api_base, timeout=timeout,
                                     max_retries=max_retries)

    @property
    def dim(self) -> int:
        """The vector length; for an unknown model, found by embedding one string."""
        if self._dim is None:
            self._dim = int(self._call(["dimension probe"]).shape[1])
        return self._dim

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed ``texts``; row ``i`` belongs to ``texts[i]``."""
        reject_bare_string(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        vectors = self._call(list(texts))
        if self._dim is None:
            self._dim = int(vectors.shape[1])
        elif vectors.shape[1] != self._dim:
            # The store is sized by ``dim``; a server that maps the name to another model
            # would otherwise fail later, deep inside Chroma.
            raise BadInputError(
                f"{self.name} returned {vectors.shape[1]}-dimensional vectors, expected "
                f"{self._dim}: the server serves a different model under that name"
            )
        return vectors

    def _call(self, texts: list[str]) -> NDArray[np.float32]:
        import openai

        rows: list[list[float]] = []
        try:
            for batch in _batches(texts, self._batch_size):
                response = self._client.embeddings.create(model=self.model, input=batch)
                # The server may answer out of order; ``index`` says whose vector each is.
                ordered = sorted(response.data, key=lambda item: item.index)
                if len(ordered) != len(batch):
                    raise ServiceUnavailableError(
                        f"OpenAI embeddings ({self.model} at {_host(self._api_base)}): "
                        f"{len(ordered)} vectors for {len(batch)} texts")
                rows.extend(item.embedding for item in ordered)
        except openai.OpenAIError as exc:
            raise self._explain(exc) from None  # the chained error may carry the key
        # OpenAI's vectors are unit length already; other servers' may not be.
        return l2_normalise(np.asarray(rows, dtype=np.float32))

    def _explain(self, exc: Exception) -> NewsbotError:
        """One line saying what went wrong, without the key or the server's auth message."""
        import openai

        where = f"OpenAI embeddings ({self.model} at {_host(self._api_base)})"
        if isinstance(exc, openai.APITimeoutError):
            return ServiceUnavailableError(f"{where}: the request timed out")
        if isinstance(exc, openai.APIConnectionError):
            return ServiceUnavailableError(f"{where}: cannot connect")
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return ServiceUnavailableError(
                f"{where}: the API key was rejected (HTTP {exc.status_code}); check OPENAI_API_KEY"
            )
        if isinstance(exc, openai.RateLimitError):
            return ServiceUnavailableError(f"{where}: rate limited (HTTP 429), try again later")
        if isinstance(exc, openai.NotFoundError | openai.BadRequestError):
            # A wrong model name or an input the server refuses: the configuration is at fault.
            return BadInputError(f"{where}: request refused (HTTP {exc.status_code}): "
                                 f"{self._redact(_message(exc))}")
        if isinstance(exc, openai.APIStatusError):
            return ServiceUnavailableError(f"{where}: server error (HTTP {exc.status_code})")
        return ServiceUnavailableError(f"{where}: {type(exc).__name__}")

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text


def _message(exc: Exception) -> str:
    """The server's own error text, on one line and short."""
    body = getattr(exc, "body", None)
    text = body.get("message") if isinstance(body, dict) else None
    line = " ".join(str(text or exc).split())
    return line if len(line) <= 200 else line[:199] + "…"


def _host(url: str) -> str:
    """``host[:port]`` of ``url``: never user:password parts or query strings."""
    parts = urlsplit(url)
    if not parts.hostname:
        return "?"
    return parts.hostname + (f":{parts.port}" if parts.port else "")


def _batches(texts: list[str], size: int) -> Iterator[list[str]]:
    """``texts`` in requests of at most ``size``, newlines as spaces.

    The newlines go because llama-index's OpenAIEmbedding (used before) sent them so: a store
    embedded then gets the same vectors now, so it needs no ``--rebuild``.
    """
    for start in range(0, len(texts), size):
        yield [text.replace("\n", " ") for text in texts[start:start + size]]
