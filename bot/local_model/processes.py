"""Child processes of ``newsbot model``: pip and the server, with their output in a log and a
heartbeat on slow steps so a user sees the work is alive."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bot.local_model.catalog import ModelSetupError

#: Where a slow step reports what it is doing (one line per call), e.g. to stderr.
Progress = Callable[[str], None]
HEARTBEAT_SECONDS = 30.0


def no_progress(message: str) -> None:
    """A ``Progress`` that shows nothing (library and test use)."""


def cpu_count() -> int:
    """CPUs this process may use (the affinity mask, which containers restrict)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def last_line(text: str) -> str:
    """The last non-empty line of ``text`` (what a failed tool's log usually ends with)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def run_logged(cmd: list[str], log: Path, *, what: str, progress: Progress = no_progress,
               heartbeat: float = HEARTBEAT_SECONDS) -> None:
    """Run ``cmd`` with its output in ``log``, saying every ``heartbeat`` seconds that ``what``
    is still running; on failure raise with the log's last line and where the log is."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        while True:
            try:
                rc = proc.wait(timeout=heartbeat)
                break
            except subprocess.TimeoutExpired:
                progress(f"  {what}: {time.monotonic() - started:.0f} s so far…")
            except BaseException:  # Ctrl-C: do not leave a compiler running
                proc.kill()
                proc.wait()
                raise
    if rc != 0:
        raise ModelSetupError(f"{what} failed (exit {rc}): "
                              f"{last_line(log.read_text(errors='replace'))}; log: {log}")
