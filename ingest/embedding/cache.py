"""An encoder that remembers the vectors it has computed, bounded by memory (least recently used
out first).

Why: the extractive backend embeds a few candidate sentences per answer, and in a running bot
the same sentences come up again and again (a corpus has a fixed set of them, and popular
topics are asked about repeatedly). Embedding is most of an answer's cost; a hit costs a dict
lookup. LlamaIndex's own caches are for ingestion (``IngestionCache`` keyed by node and
transformation), not for query-time texts, so this small wrapper is ours.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ingest.embedding.vectors import WrappedEncoder, reject_bare_string

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ingest.embedding import Encoder

#: Default bound: 64 MiB of vectors (about 43,000 MiniLM sentences, 10,900 OpenAI ones).
DEFAULT_MAX_BYTES = 64 * 2**20


class CachingEncoder(WrappedEncoder):
    """Wraps ``inner`` (same ``name`` and ``dim``) and memoises its vectors by exact text.

    Thread-safe; the inner encoder runs outside the lock, so a slow miss does not hold up
    hits in other threads (two threads missing the same text both encode it, harmlessly).
    """

    def __init__(self, inner: Encoder, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        super().__init__(inner)
        self.max_entries = max(1, max_bytes // (inner.dim * np.dtype(np.float32).itemsize))
        self._vectors: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._vectors)

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed ``texts`` (row ``i`` belongs to ``texts[i]``), encoding only unseen ones."""
        reject_bare_string(texts)
        found: dict[str, NDArray[np.float32]] = {}
        with self._lock:
            for text in texts:
                vector = self._vectors.get(text)
                if vector is not None:
                    self._vectors.move_to_end(text)
                    found[text] = vector
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            fresh = self.inner.encode(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    # A copy, so the cache does not keep the whole batch array alive.
                    found[text] = self._vectors[text] = np.array(vector, dtype=np.float32)
                while len(self._vectors) > self.max_entries:
                    self._vectors.popitem(last=False)
        with self._lock:
            self.hits += len(texts) - len(missing)
            self.misses += len(missing)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = found[text]
        return out
