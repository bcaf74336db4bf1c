"""An encoder that reads the sentence vectors ingest stored, and embeds only what is missing.

The answer path scores the sentences of the retrieved chunks; ingest has already embedded
every one of them with the same model (``ingest.sentence_vectors``), so a lookup by hash
replaces the model call. Texts the store does not hold (the question itself, its parts, a
chunk stored before the store existed) go to the model as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ingest.embedding.vectors import WrappedEncoder, reject_bare_string

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ingest.embedding import Encoder
    from ingest.sentence_vectors import SentenceVectorStore


class StoredSentenceEncoder(WrappedEncoder):
    """Wraps ``inner`` (same ``name`` and ``dim``): vectors from ``store`` where it has them."""

    def __init__(self, inner: Encoder, store: SentenceVectorStore) -> None:
        if store.model != inner.name or store.dim != inner.dim:
            raise ValueError(f"sentence store of {store.model!r} ({store.dim} dims) cannot "
                             f"stand in for encoder {inner.name!r} ({inner.dim} dims)")
        super().__init__(inner)
        self.store = store

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        reject_bare_string(texts)
        found = self.store.lookup(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            found.update(zip(missing, self.inner.encode(missing), strict=True))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = found[text]
        return out
