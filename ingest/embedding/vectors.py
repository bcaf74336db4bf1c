"""Small pieces every encoder shares: the input check, L2 normalisation, and the base of an
encoder that wraps another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from ingest.embedding import Encoder


def reject_bare_string(texts: Sequence[str]) -> None:
    """A ``str`` is a sequence of strings too; encoding it letter by letter is never meant."""
    if isinstance(texts, str):
        raise TypeError("encode() takes a sequence of strings, not one string")


def l2_normalise(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # Same epsilon as torch.nn.functional.normalize, which sentence-transformers uses.
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class WrappedEncoder:
    """An encoder standing in for ``inner``: the same ``name`` and ``dim`` (so the store takes
    its vectors as ``inner``'s); a subclass says how ``encode`` differs."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim
