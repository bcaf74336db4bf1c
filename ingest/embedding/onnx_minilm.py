"""all-MiniLM-L6-v2 run with onnxruntime: the default, local, torch-free embedding.

It reproduces sentence-transformers' pipeline for this model (BERT tokenizer truncated at
256 word pieces, mean pooling over the attention mask, L2 normalisation). No llama-index
import here: the query path loads this module and must start fast. onnxruntime and
tokenizers are imported by the constructor, not at module import.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ingest.embedding.model_file import (
    PINNED_SHA256,
    TOKENIZER_SHA256,
    ModelFileError,
    default_model_path,
    default_tokenizer_path,
    read_file,
    read_verified_model,
)
from ingest.embedding.vectors import l2_normalise, reject_bare_string

if TYPE_CHECKING:
    from tokenizers import Encoding

#: Name of the pinned model; the store compares names to refuse mixing vectors of two models.
DEFAULT_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIM = 384
#: sentence-transformers' max_seq_length for this model (its tokenizer.json says 128).
DEFAULT_MAX_LENGTH = 256


class MiniLMEncoder:
    """Turns texts into L2-normalised float32 vectors of shape ``(n, dim)``."""

    name: str
    dim: int

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        batch_size: int = 32,
        max_length: int = DEFAULT_MAX_LENGTH,
        threads: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if max_length < 2:
            raise ValueError("max_length must leave room for [CLS] and [SEP]")
        self.batch_size = batch_size
        self.max_length = max_length

        # The pinned file is verified; a custom file cannot be, but its hash goes into the name,
        # so an index built with one model never silently receives vectors of another.
        if model_path is None:
            model = read_verified_model(default_model_path())
        else:
            model = read_file(Path(model_path), "embedding model")
        tok_file = Path(tokenizer_path) if tokenizer_path is not None else default_tokenizer_path()
        tok = read_file(tok_file, "tokenizer")

        self._tokenizer = _load_tokenizer(tok.data, tok_file, max_length)
        self._session = _load_session(model.data, model.path, threads)
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._output_name, self._pooled = _pick_output(self._session)
        self.dim = _output_dim(self._session, self._output_name)
        self.name = _identity(model.path, model.sha256, tok.sha256, max_length)

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed ``texts``; row ``i`` of the result belongs to ``texts[i]``."""
        reject_bare_string(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        # Shortest first, so each batch pads to a length close to its members' own.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._embed_batch([encodings[i] for i in rows])
        return out

    def _embed_batch(self, encodings: list[Encoding]) -> NDArray[np.float32]:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)  # single-segment input
        (hidden,) = self._session.run([self._output_name], feeds)
        if self._pooled:
            vectors = np.asarray(hidden, dtype=np.float32)
        else:
            weights = mask[:, :, None].astype(np.float32)
            summed = (np.asarray(hidden, dtype=np.float32) * weights).sum(axis=1)
            vectors = summed / np.clip(weights.sum(axis=1), 1e-9, None)
        return l2_normalise(vectors)


def _load_tokenizer(data: bytes, path: Path, max_length: int) -> Any:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_str(data.decode("utf-8"))
    except Exception as exc:  # tokenizers raises a bare Exception on a malformed file
        raise ModelFileError(f"cannot load the tokenizer {path}: {exc}") from exc
    tokenizer.enable_truncation(max_length=max_length)
    # We pad ourselves per batch after sorting; the file's fixed 128-token padding must go.
    tokenizer.no_padding()
    return tokenizer


def _load_session(data: bytes, path: Path, threads: int | None) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # The file stores int8 weights that the graph casts and rescales to float32 (no integer
    # kernels). Constant folding does that once at load (~0.3 s) instead of on every call:
    # without it a single query took 150-220 ms instead of 55-85 ms.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # One operator at a time, each split over the cores we may use: the graph is a chain,
    # so inter-op parallelism has nothing to overlap.
    options.intra_op_num_threads = threads if threads is not None else _default_threads()
    options.inter_op_num_threads = 1
    # Idle worker threads sleep instead of spinning: on a 2-core box shared with Chroma, the
    # bot and other jobs, spinning burned ~25% more CPU for the same work and was slower
    # under load (measured: 29 vs 39 sentences/s with the load average at 10).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise ModelFileError(f"onnxruntime cannot load the embedding model {path}: {exc}") from exc


def _default_threads() -> int:
    """The CPUs this process may run on, capped at 4 (MiniLM gains little beyond that)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available, 4))


def _pick_output(session: Any) -> tuple[str, bool]:
    """The output to use and whether it is already pooled.

    sentence-transformers exports name their pooled output ``sentence_embedding``; plain
    transformers exports give per-token ``last_hidden_state`` (rank 3) plus a CLS
    ``pooler_output`` (rank 2) that is *not* this model's sentence vector, so a rank-2 output
    is only trusted by that name.
    """
    outputs = session.get_outputs()
    for out in outputs:
        if out.name == "sentence_embedding" and len(out.shape) == 2:
            return out.name, True
    for out in outputs:
        if len(out.shape) == 3:
            return out.name, False
    shapes = {o.name: o.shape for o in outputs}
    raise ModelFileError(f"the embedding model has no usable output (outputs: {shapes})")


def _output_dim(session: Any, output_name: str) -> int:
    for out in session.get_outputs():
        if out.name == output_name and isinstance(out.shape[-1], int):
            return int(out.shape[-1])
    return DIM


def _identity(model_path: Path, model_sha: str, tokenizer_sha: str, max_length: int) -> str:
    """A name that changes whenever the vectors would: other model, tokenizer or truncation."""
    if model_sha == PINNED_SHA256:
        name = DEFAULT_NAME
    else:
        name = f"onnx:{model_path.stem}-{model_sha[:12]}"
    if tokenizer_sha != TOKENIZER_SHA256:
        name += f"+tok-{tokenizer_sha[:8]}"
    if max_length != DEFAULT_MAX_LENGTH:
        name += f"@{max_length}"
    return name
