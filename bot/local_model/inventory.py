"""What the cache holds, for ``newsbot model list``: each model's state, size and sha256, the
llama-cpp-python wheels built here, and whether this interpreter can run the server."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.local_model.assembly import file_sha256
from bot.local_model.cache import ModelCache
from bot.local_model.catalog import MODELS
from bot.local_model.llama_build import LLAMA_CPP_VERSION, installed_llama_cpp
from bot.local_model.processes import Progress, no_progress

# ready: the right size (and, with verify, the right sha256); missing: not assembled;
# wrong-size: an unexpected file (setup replaces it); corrupt: right size, wrong sha256.
ModelState = Literal["ready", "missing", "wrong-size", "corrupt"]


@dataclass(frozen=True)
class CachedModel:
    name: str
    title: str
    path: str
    state: ModelState
    size: int | None  # on disk; None when missing
    expected_size: int
    sha256: str  # the catalog's, which setup checked when it assembled the file
    verified: bool | None  # with --verify: whether the file's sha256 matched; else None


@dataclass(frozen=True)
class CachedWheel:
    file: str
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Inventory:
    cache: str
    models: list[CachedModel]
    llama_wheels: list[CachedWheel]
    llama_cpp_version: str  # the version setup builds and installs
    installed: str | None  # llama-cpp-python importable by ``python``, or None
    server_extras: bool
    python: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _model(cache: ModelCache, name: str, verify: bool, progress: Progress) -> CachedModel:
    spec = MODELS[name]
    path = cache.model_path(name)
    size = path.stat().st_size if path.is_file() else None
    state: ModelState = ("missing" if size is None
                         else "wrong-size" if size != spec.size else "ready")
    verified: bool | None = None
    if verify and state == "ready":
        progress(f"{name}: hashing {spec.size / 1e6:.0f} MB…")
        verified = file_sha256(path) == spec.sha256
        state = "ready" if verified else "corrupt"
    return CachedModel(name, spec.title, str(path), state, size, spec.size, spec.sha256,
                       verified)


def take_inventory(cache: ModelCache, *, verify: bool = False, python: str = sys.executable,
                   progress: Progress = no_progress) -> Inventory:
    """The cache's contents. Cheap unless ``verify`` (hashes every model: ~0.5-1 GB each)."""
    wheels = [CachedWheel(w.name, str(w), w.stat().st_size, file_sha256(w))
              for w in cache.llama_wheels()]  # a few MB each: always hashed
    version, server = installed_llama_cpp(python)
    return Inventory(str(cache.root), [_model(cache, name, verify, progress) for name in MODELS],
                     wheels, LLAMA_CPP_VERSION, version, server, python)
