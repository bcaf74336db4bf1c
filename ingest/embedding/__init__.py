"""Embedding models behind one small interface, and the factory that builds them.

Importing this package is cheap: numpy, onnxruntime, openai and llama-index are imported only
by the factory branch (or module) that needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ingest.errors import BadInputError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["Encoder", "make_encoder"]


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors.

    ``name`` identifies the model (the store refuses to mix vectors of two names); ``dim`` is
    the vector length. ``encode`` returns shape ``(len(texts), dim)``, rows in input order.
    """

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def make_encoder(
    kind: str,
    *,
    model_path: Path | None = None,
    tokenizer_path: Path | None = None,
    batch_size: int = 32,
    openai_model: str = "text-embedding-3-small",
    openai_api_key: str | None = None,
    openai_base_url: str | None = None,
    timeout: float = 30.0,
    max_retries: int = 2,
) -> Encoder:
    """Build the encoder ``kind`` names: ``"local"`` (MiniLM on onnxruntime) or ``"openai"``."""
    if kind == "local":
        from ingest.embedding.onnx_minilm import MiniLMEncoder

        return MiniLMEncoder(
            model_path=model_path, tokenizer_path=tokenizer_path, batch_size=batch_size
        )
    if kind == "openai":
        from ingest.embedding.openai_encoder import OpenAIEncoder

        return OpenAIEncoder(
            model=openai_model,
            api_key=openai_api_key,
            api_base=openai_base_url,
            timeout=timeout,
            max_retries=max_retries,
            batch_size=batch_size,
        )
    raise BadInputError(f"unknown embedding kind {kind!r}: use 'local' or 'openai'")
