"""Run an ingest in a subprocess and SIGKILL it when its output reaches a given point."""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.reliability.support import REPO_ROOT

# A driver that has not reached its kill point by then is stuck: fail rather than hang.
TRIAL_DEADLINE_SECONDS = 90.0


@dataclass
class KillResult:
    lines: list[str]  # everything printed before the kill
    killed: bool  # False: the process ended before the trigger was seen
    seconds: float
    returncode: int | None


def run_and_kill(args: list[str], trigger: Callable[[str, list[str]], bool],
                 *, env: dict[str, str] | None = None, extra_delay: float = 0.0,
                 poll: Callable[[], bool] | None = None, cwd: Path = REPO_ROOT) -> KillResult:
    """Start ``args``; when ``trigger(line, lines_so_far)`` is true (or ``poll()``, checked
    every 10 ms), wait ``extra_delay`` and SIGKILL the process. stderr is left to the test's
    stderr (visible on failure)."""
    started = time.monotonic()
    process = subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env={**os.environ, **(env or {})})
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    killed = False
    ended = False
    try:
        while not ended:
            if time.monotonic() - started > TRIAL_DEADLINE_SECONDS:
                process.kill()
                raise TimeoutError(f"{args} did not reach its kill point; output: {seen[-5:]}")
            fire = False
            try:
                line = lines.get(timeout=0.01)
            except queue.Empty:
                line = ""
            if line is None:
                ended = True  # output closed: the process finished before the trigger
            elif line:
                seen.append(line)
                fire = trigger(line, seen)
            if not ended and (fire or (poll is not None and poll())):
                if extra_delay:
                    time.sleep(extra_delay)
                process.send_signal(signal.SIGKILL)
                killed = True
                break
    finally:
        returncode = process.wait(timeout=30)
    return KillResult(seen, killed, time.monotonic() - started, returncode)


def nth(prefix: str, n: int) -> Callable[[str, list[str]], bool]:
    """Trigger on the n-th line starting with ``prefix``."""
    def trigger(line: str, seen: list[str]) -> bool:
        return line.startswith(prefix) and sum(s.startswith(prefix) for s in seen) == n
    return trigger


def forkserver_context() -> Any:
    """A multiprocessing context whose server has imported the ingest stack once, so each
    trial is a fresh forked process that starts in milliseconds instead of seconds."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.reliability.ingest_driver"])
    return ctx


def run_forked_and_kill(data_dir: Path, corpus: Path, trigger: Callable[[str, list[str]], bool],
                        *, extra_delay: float = 0.0, **options: Any) -> KillResult:
    """Run ``ingest_driver.run`` in a forked process; SIGKILL it when ``trigger`` fires."""
    from tests.reliability import ingest_driver

    ctx = forkserver_context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=ingest_driver.job, args=(sender, data_dir, corpus, options),
                          daemon=True)
    started = time.monotonic()
    process.start()
    sender.close()  # the child holds the only writer: EOF means it ended
    seen: list[str] = []
    killed = False
    try:
        while True:
            if time.monotonic() - started > TRIAL_DEADLINE_SECONDS:
                raise TimeoutError(f"the ingest did not reach its kill point: {seen[-5:]}")
            if not receiver.poll(0.05):
                continue
            try:
                line = receiver.recv()
            except EOFError:
                break
            seen.append(line)
            if trigger(line, seen):
                if extra_delay:
                    time.sleep(extra_delay)
                os.kill(process.pid, signal.SIGKILL)
                killed = True
                break
    finally:
        if not killed and process.is_alive():
            process.kill()
        process.join(30)
        receiver.close()
    return KillResult(seen, killed, time.monotonic() - started, process.exitcode)
