"""A real `chroma run` server on 127.0.0.1 for tests.

Starting one costs about 1.5 s, so fixtures share it. ``stop()`` then ``start()`` brings it back
on the same path and port, which is what reliability tests need to simulate an outage.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.fakes.lifecycle import StartStop

_HEARTBEAT = "/api/v2/heartbeat"
_LOG_TAIL_CHARS = 3000
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# Loopback must never go through a proxy from the environment.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def chroma_executable() -> Path:
    """The `chroma` CLI of the interpreter running the tests (the project venv)."""
    candidate = Path(sys.executable).parent / "chroma"
    if not candidate.exists():
        raise FileNotFoundError(f"no `chroma` executable next to {sys.executable}")
    return candidate


class ChromaServer(StartStop):
    """`chroma run --path PATH --host 127.0.0.1 --port PORT` as a managed subprocess."""

    host = "127.0.0.1"

    def __init__(self, path: Path, *, port: int | None = None, log_path: Path | None = None,
                 startup_timeout: float = 30.0) -> None:
        """
        Args:
            path: the persistence directory (created by chroma if missing).
            port: fixed port; a free one is picked once and then reused across restarts.
            log_path: where the server's stdout/stderr go; ``<path>.log`` by default.
            startup_timeout: seconds to wait for the heartbeat before giving up.
        """
        self.path = Path(path)
        self.port = port if port is not None else free_port(self.host)
        self.log_path = log_path if log_path is not None else self.path.with_suffix(".log")
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> ChromaServer:
        """Start the server and wait until its heartbeat answers."""
        if self.running:
            return self
        # The server reads CHROMA_* as config overrides; a developer's CHROMA_PORT must not leak.
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CHROMA_")},
            "ANONYMIZED_TELEMETRY": "False",
        }
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [str(chroma_executable()), "run", "--path", str(self.path),
                 "--host", self.host, "--port", str(self.port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        try:
            self._wait_until_up()
        except BaseException:
            self.stop(kill=True)
            raise
        return self

    def stop(self, *, kill: bool = False, timeout: float = 10.0) -> None:
        """Stop the server and wait for it to exit.

        Args:
            kill: SIGKILL at once (a crash) instead of SIGTERM (a graceful shutdown).
            timeout: seconds to wait after SIGTERM before falling back to SIGKILL.
        """
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)

    def heartbeat(self, timeout: float = 1.0) -> bool:
        """True when the server answers its heartbeat right now."""
        try:
            with _NO_PROXY_OPENER.open(self.url + _HEARTBEAT, timeout=timeout) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def log_tail(self) -> str:
        try:
            # The banner and log lines are coloured even with NO_COLOR; strip that for humans.
            text = _ANSI_ESCAPE.sub("", self.log_path.read_text(errors="replace"))
            return text[-_LOG_TAIL_CHARS:]
        except OSError:
            return "<no log>"

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(
                    f"`chroma run` exited with code {self._process.returncode} before answering "
                    f"on {self.url}. Log tail ({self.log_path}):\n{self.log_tail()}"
                )
            if self.heartbeat(timeout=0.5):
                return
            time.sleep(0.1)
        raise TimeoutError(
            f"`chroma run` did not answer {self.url}{_HEARTBEAT} within {self.startup_timeout}s. "
            f"Log tail ({self.log_path}):\n{self.log_tail()}"
        )
