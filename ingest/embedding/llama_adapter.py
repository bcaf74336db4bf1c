"""Any ``Encoder`` as a llama-index ``BaseEmbedding``.

llama-index components (a VectorStoreIndex baseline, the evaluators) then embed with exactly the
model the store was built with. This module imports llama-index, so it stays off the CLI's
start-up path: import it only where llama-index is needed anyway.
"""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import PrivateAttr

from ingest.embedding import Encoder

#: Texts handed to the encoder per call. Larger than llama-index's default of 10 so the
#: encoder's own length-sorted batching has enough texts to group.
DEFAULT_EMBED_BATCH_SIZE = 128


class EncoderEmbedding(BaseEmbedding):
    """A llama-index embedding model backed by one of our encoders."""

    _encoder: Encoder = PrivateAttr()

    def __init__(
        self,
        encoder: Encoder,
        *,
        embed_batch_size: int = DEFAULT_EMBED_BATCH_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(model_name=encoder.name, embed_batch_size=embed_batch_size, **kwargs)
        self._encoder = encoder

    @classmethod
    def class_name(cls) -> str:
        return "EncoderEmbedding"

    def _embed(self, texts: list[str]) -> list[Embedding]:
        vectors: list[Embedding] = self._encoder.encode(texts).tolist()
        return vectors

    # The model embeds questions and passages the same way (no query prefix).
    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embed([query])[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed(texts)

    # Encoding is CPU-bound (or a blocking HTTP call): keep it off the event loop.
    async def _aget_query_embedding(self, query: str) -> Embedding:
        return await asyncio.to_thread(self._get_query_embedding, query)

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return await asyncio.to_thread(self._get_text_embedding, text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)
