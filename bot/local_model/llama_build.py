"""llama-cpp-python built for this CPU, its wheel cached, and installed into an interpreter.

The build takes about 8 minutes on two cores, so it happens once: the wheel is kept in
``<cache>/wheels`` and every later ``setup`` (any virtual environment) installs that file.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

from bot.local_model.cache import ModelCache
from bot.local_model.catalog import ModelSetupError
from bot.local_model.processes import Progress, cpu_count, last_line, no_progress, run_logged

LLAMA_CPP_VERSION = "0.3.36"
# The default build enables AMX, which crashes (SIGILL) in this VM: pin the instruction sets.
LLAMA_CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON "
    "-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF"
)
# Modules the `[server]` extra brings; `python -m llama_cpp.server` needs all of them.
SERVER_MODULES = ("uvicorn", "fastapi", "pydantic_settings", "sse_starlette",
                  "starlette_context", "yaml")


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


def installed_llama_cpp(python: str = sys.executable) -> tuple[str | None, bool]:
    """(version importable in ``python`` or None, whether the server extras are there).

    Runs in a child process: importing loads the native library, which is what may crash.
    """
    done = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, check=False)
    words = last_line(done.stdout).split()  # last line: the native library may print too
    if done.returncode != 0 or len(words) != 2:
        return None, False
    return words[0], words[1] == "server-ok"


def build_llama_wheel(cache: ModelCache, python: str = sys.executable,
                      progress: Progress = no_progress) -> Path:
    """Build the llama-cpp-python wheel for this CPU into the cache (the slow part, once)."""
    progress(f"building llama-cpp-python {LLAMA_CPP_VERSION} for this CPU (about 8 minutes "
             f"on {cpu_count()} cores; log: {cache.logs_dir / 'llama-build.log'})…")
    # `env` adds the CMake flags to the inherited environment (the child sees everything else
    # as we do; only the settings module reads the environment in-process).
    # --no-binary: always compile with the flags above; --no-cache-dir: never reuse a wheel
    # that pip built earlier with the default (crashing) flags.
    cmd = ["env", f"CMAKE_ARGS={LLAMA_CMAKE_ARGS}", f"CMAKE_BUILD_PARALLEL_LEVEL={cpu_count()}",
           python, "-m", "pip", "wheel", "--no-deps", "--no-binary", "llama-cpp-python",
           "--no-cache-dir", "-w", str(cache.wheels_dir), f"llama-cpp-python=={LLAMA_CPP_VERSION}"]
    started = time.monotonic()
    run_logged(cmd, cache.logs_dir / "llama-build.log", what="building llama-cpp-python",
               progress=progress)
    wheels = cache.llama_wheels(LLAMA_CPP_VERSION)
    if not wheels:
        raise ModelSetupError(f"pip wheel finished but no llama-cpp-python wheel is in "
                              f"{cache.wheels_dir}")
    progress(f"built {wheels[-1].name} in {time.monotonic() - started:.0f} s")
    return wheels[-1]


def install_llama_cpp(cache: ModelCache, python: str = sys.executable,
                      progress: Progress = no_progress) -> None:
    """Make ``llama-cpp-python[server]`` importable in ``python``, building it only if no
    wheel for this version is cached yet."""
    version, server = installed_llama_cpp(python)
    if version == LLAMA_CPP_VERSION and server:
        progress(f"llama-cpp-python {version} already installed in {python}")
        return
    wheels = cache.llama_wheels(LLAMA_CPP_VERSION)
    wheel = wheels[-1] if wheels else build_llama_wheel(cache, python, progress)
    progress(f"installing {wheel.name} into {python}…")
    # A direct reference to the cached file, rather than a name looked up with --find-links:
    # pip then cannot prefer some other build of the same version from an index.
    requirement = f"llama-cpp-python[server] @ {wheel.resolve().as_uri()}"
    started = time.monotonic()
    run_logged([python, "-m", "pip", "install", "--disable-pip-version-check", requirement],
               cache.logs_dir / "llama-install.log", what="installing llama-cpp-python",
               progress=progress)
    version, server = installed_llama_cpp(python)
    if version != LLAMA_CPP_VERSION or not server:
        raise ModelSetupError(f"llama-cpp-python {LLAMA_CPP_VERSION} with the server extras "
                              f"does not import in {python} after installing (got {version})")
    progress(f"installed in {time.monotonic() - started:.0f} s")
