"""Where ``newsbot model`` keeps what it builds and downloads (``NEWSBOT_MODEL_CACHE``).

The layout is the one ``python -m bench.local_llm`` used, so a wheel built or a model
assembled by it is found and reused, never built again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.local_model.catalog import ModelSpec, model_spec

LLAMA_WHEEL_PREFIX = "llama_cpp_python-"


@dataclass(frozen=True)
class ModelCache:
    """The cache folder: ``models/``, ``wheels/`` and ``logs/`` under ``root``."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", self.root.expanduser())

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def wheels_dir(self) -> Path:
        return self.root / "wheels"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def model_path(self, name: str) -> Path:
        """Where model ``name`` lives once set up; does not check that it is there."""
        return self.models_dir / model_spec(name).filename

    def model_ready(self, name: str) -> bool:
        """True if the model file is there with the expected size (cheap: no hashing)."""
        return file_has_size(self.model_path(name), model_spec(name))

    def llama_wheels(self, version: str | None = None) -> list[Path]:
        """The llama-cpp-python wheels built here (of ``version``, if given), oldest first."""
        pattern = f"{LLAMA_WHEEL_PREFIX}{version or '*'}-*.whl"
        return sorted(self.wheels_dir.glob(pattern), key=lambda p: p.stat().st_mtime)


def file_has_size(path: Path, spec: ModelSpec) -> bool:
    return path.is_file() and path.stat().st_size == spec.size
