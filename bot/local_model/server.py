"""``python -m llama_cpp.server`` on 127.0.0.1: what ``newsbot model serve`` runs, and what the
real-model tests start, kill and restart."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.local_model.catalog import ModelSetupError
from bot.local_model.processes import cpu_count, last_line
from ingest.errors import BadInputError

STARTUP_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
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
            raise ModelSetupError("server already running")
        if not self.model_path.is_file():
            raise BadInputError(f"model not found: {self.model_path}")
        if self.port == 0:
            self.port = free_port()  # chosen once, then kept across restarts
        elif not port_is_free(self.port):
            raise BadInputError(f"port {self.port} on 127.0.0.1 is busy")
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
                raise ModelSetupError(f"llama_cpp.server exited with code {rc} while starting"
                                      f"{self._log_hint()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass  # not listening yet (or loading the model)
            time.sleep(0.25)
        raise ModelSetupError(f"llama_cpp.server did not answer on {self.base_url} within "
                              f"{self.startup_timeout:.0f} s{self._log_hint()}")

    def _log_hint(self) -> str:
        if self.log_path is None or not self.log_path.is_file():
            return ""
        return f": {last_line(self.log_path.read_text(errors='replace'))} (log: {self.log_path})"

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
