"""``newsbot model setup|serve|list`` as a user runs them: the console script, in a folder that
is not the repository (``python -m bench.local_llm`` failed there), with the cache in a tmp dir.

No network and no 8-minute build: ``setup --no-install`` finds a model of the right size (a
sparse file) and keeps it; ``serve`` runs against a stand-in ``llama_cpp.server`` (a tiny
OpenAI-style HTTP server put first on PYTHONPATH), so the start, the printed
``OPENAI_BASE_URL`` and the stop on SIGTERM are real.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.local_model.catalog import MODELS
from tests.core_fixtures import clean_env, error_lines, newsbot_executable, run_newsbot

SMALL = MODELS["0.5b"]

STAND_IN_SERVER = '''
import argparse, json, signal, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

parser = argparse.ArgumentParser()
for flag in ("--model", "--host", "--port", "--n_ctx", "--n_threads"):
    parser.add_argument(flag)
args = parser.parse_args()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": args.model}],
                           "n_ctx": args.n_ctx}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
HTTPServer((args.host, int(args.port)), Handler).serve_forever()
'''


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "model-cache"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory with nothing of the repository in it."""
    folder = tmp_path / "somewhere" / "else"
    folder.mkdir(parents=True)
    return folder


def _sparse_model(cache: Path) -> Path:
    """A file of the 0.5B model's exact size that takes no disk space (setup checks the size;
    only --verify would hash it)."""
    path = cache / "models" / SMALL.filename
    path.parent.mkdir(parents=True)
    with path.open("wb") as f:
        f.truncate(SMALL.size)
    return path


def _model(cache: Path, elsewhere: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_newsbot("model", *args, cwd=elsewhere, NEWSBOT_MODEL_CACHE=str(cache))


def _list(cache: Path, elsewhere: Path) -> dict[str, Any]:
    done = _model(cache, elsewhere, "list", "--json")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, done.stdout
    data = json.loads(lines[0])
    assert isinstance(data, dict)
    return data


def test_list_an_empty_cache_from_another_folder(cache: Path, elsewhere: Path) -> None:
    data = _list(cache, elsewhere)

    assert data["cache"] == str(cache)
    assert [(m["name"], m["state"], m["size"]) for m in data["models"]] == [
        ("0.5b", "missing", None), ("1.5b", "missing", None)]
    assert data["models"][0]["sha256"] == SMALL.sha256
    assert data["models"][0]["expected_size"] == SMALL.size
    assert data["llama_wheels"] == [] and data["llama_cpp_version"] == "0.3.36"
    assert not cache.exists()  # listing creates nothing
    text = _model(cache, elsewhere, "list")
    assert text.returncode == 0 and "0.5b  missing" in text.stdout, text.stdout


def test_setup_keeps_a_model_that_is_there_and_list_shows_it(cache: Path,
                                                             elsewhere: Path) -> None:
    path = _sparse_model(cache)
    wheel = cache / "wheels" / "llama_cpp_python-0.3.36-cp311-cp311-linux_x86_64.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"a wheel built earlier")

    done = _model(cache, elsewhere, "setup", "--no-install", "--model", "0.5b")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(path)  # the path, for NEWSBOT_LOCAL_MODEL=$(...)
    assert "0.5b: already there" in done.stderr
    data = _list(cache, elsewhere)
    assert (data["models"][0]["state"], data["models"][0]["size"]) == ("ready", SMALL.size)
    assert data["models"][0]["path"] == str(path)
    assert data["llama_wheels"] == [{
        "file": wheel.name, "path": str(wheel), "size": wheel.stat().st_size,
        "sha256": hashlib.sha256(b"a wheel built earlier").hexdigest()}]


def test_list_verify_finds_a_corrupt_model(cache: Path, elsewhere: Path) -> None:
    _sparse_model(cache)  # right size, all zeros: not the model

    done = _model(cache, elsewhere, "list", "--json", "--verify")

    assert done.returncode == 0, done.stderr
    small = json.loads(done.stdout)["models"][0]
    assert (small["state"], small["verified"]) == ("corrupt", False)
    assert "0.5b: hashing 491 MB" in done.stderr


@pytest.mark.parametrize(("args", "fragment"), [
    (("setup", "--model", "7b"), "unknown model '7b'; known: 0.5b, 1.5b"),
    (("serve", "--model", "all"), "serve runs one model"),
    (("serve", "--port", "70000"), "--port must be a whole number from 0 to 65535"),
    (("serve", "--ctx", "lots"), "--ctx must be a whole number"),
    (("serve", "--model", "1.5b"), "run `newsbot model setup --model 1.5b` first"),
])
def test_bad_input_is_one_line_and_exit_2(cache: Path, elsewhere: Path, args: tuple[str, ...],
                                          fragment: str) -> None:
    done = _model(cache, elsewhere, *args)

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = error_lines(done.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines


def test_serve_prints_the_base_url_and_stops_on_sigterm(cache: Path, elsewhere: Path,
                                                        tmp_path: Path) -> None:
    _sparse_model(cache)
    stand_in = tmp_path / "stand-in"
    (stand_in / "llama_cpp" / "server").mkdir(parents=True)
    (stand_in / "llama_cpp" / "__init__.py").write_text('__version__ = "0.3.36"\n')
    (stand_in / "llama_cpp" / "server" / "__init__.py").write_text("")
    (stand_in / "llama_cpp" / "server" / "__main__.py").write_text(STAND_IN_SERVER)
    for extra in ("uvicorn", "fastapi", "sse_starlette", "starlette_context"):  # [server]
        (stand_in / extra).mkdir()
        (stand_in / extra / "__init__.py").write_text("")
    pythonpath = os.pathsep.join(p for p in (str(stand_in), os.environ.get("PYTHONPATH")) if p)
    env = clean_env(NEWSBOT_MODEL_CACHE=str(cache), PYTHONPATH=pythonpath)

    proc = subprocess.Popen([str(newsbot_executable()), "model", "serve", "--ctx", "2048"],
                            cwd=elsewhere, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("OPENAI_BASE_URL=http://127.0.0.1:"), (line, proc.stderr)
        base_url = line.removeprefix("OPENAI_BASE_URL=")
        with urllib.request.urlopen(f"{base_url}/models", timeout=5) as response:
            served = json.load(response)
        assert served["data"][0]["id"] == str(cache / "models" / SMALL.filename)
        assert served["n_ctx"] == "2048"

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()
    with pytest.raises(OSError):  # the server went with it
        urllib.request.urlopen(f"{base_url}/models", timeout=2)
