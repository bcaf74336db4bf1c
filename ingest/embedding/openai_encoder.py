"""Embeddings from an OpenAI-compatible ``/embeddings`` endpoint, via llama-index's OpenAIEmbedding.

openai and llama-index are imported by the constructor: they are slow to import and only this
backend needs them. Every value comes in as an argument (never from the environment), and the
API key never appears in an error message.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from ingest.embedding.vectors import l2_normalise, reject_bare_string
from ingest.errors import BadInputError, NewsbotError, ServiceUnavailableError

DEFAULT_MODEL = "text-embedding-3-small"
DEFAULT_API_BASE = "https://api.openai.com/v1"
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
        embedding_cls = _embedding_class()
        # Explicit values for key and base: otherwise llama-index would read the environment.
        # model_name (not model) lets any model name through, e.g. one of a local server.
        self._embedding = embedding_cls(
            model_name=model,
            api_key=self._api_key,
            api_base=self._api_base,
            timeout=timeout,
            max_retries=max_retries,
            embed_batch_size=min(max(batch_size, 1), 2048),
        )

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

        try:
            raw = self._embedding.get_text_embedding_batch(texts)
        except openai.OpenAIError as exc:
            raise self._explain(exc) from None  # the chained error may carry the key
        # OpenAI's vectors are unit length already; other servers' may not be.
        return l2_normalise(np.asarray(raw, dtype=np.float32))

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


@functools.cache
def _embedding_class() -> type[Any]:
    """OpenAIEmbedding with one retry layer instead of two.

    OpenAIEmbedding wraps each call in a tenacity retry of ``max_retries`` attempts (waiting
    1-20 s between them) *and* gives the same ``max_retries`` to the openai client, which
    retries on its own: with 2 that is up to 6 requests and a minute of waiting before a user
    hears the server is down. The client's retry (which honours Retry-After) is kept; the
    outer one is turned off.
    """
    from llama_index.embeddings.openai import OpenAIEmbedding

    class _SingleRetryOpenAIEmbedding(OpenAIEmbedding):
        def _create_retry_decorator(self) -> Any:
            return lambda func: func

    return _SingleRetryOpenAIEmbedding
