"""Small pieces every encoder shares: the input check and L2 normalisation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def reject_bare_string(texts: Sequence[str]) -> None:
    """A ``str`` is a sequence of strings too; encoding it letter by letter is never meant."""
    if isinstance(texts, str):
        raise TypeError("encode() takes a sequence of strings, not one string")


def l2_normalise(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # Same epsilon as torch.nn.functional.normalize, which sentence-transformers uses.
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
