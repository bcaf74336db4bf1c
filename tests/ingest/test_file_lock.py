"""The data dir's readers-writer lock, against real second processes holding it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ingest.errors import IngestBusyError
from ingest.file_lock import ReadWriteFileLock, single_writer

_HOLDER = """
import sys, time
from pathlib import Path
from ingest.file_lock import ReadWriteFileLock
lock = ReadWriteFileLock(Path(sys.argv[1]))
with getattr(lock, sys.argv[2])():
    print("held", flush=True)
    time.sleep(60)
"""


@contextmanager
def held_elsewhere(path: Path, mode: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock (``mode``: shared or exclusive) until killed."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), mode], env=env,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        yield process
    finally:
        process.kill()
        process.wait(10)


def acquired_within(enter: object, seconds: float) -> bool:
    """Whether entering the context manager factory ``enter`` succeeds within ``seconds``."""
    done = threading.Event()

    def take() -> None:
        with enter():  # type: ignore[operator]
            done.set()

    threading.Thread(target=take, daemon=True).start()
    return done.wait(seconds)


def test_readers_share_and_a_writer_waits_for_them(tmp_path: Path) -> None:
    lock = ReadWriteFileLock(tmp_path / "index.lock")
    with held_elsewhere(lock.path, "shared"):
        assert acquired_within(lock.shared, 2.0)
        assert not acquired_within(lock.exclusive, 0.5)


def test_a_reader_waits_for_a_writer_and_a_killed_writer_lets_go(tmp_path: Path) -> None:
    lock = ReadWriteFileLock(tmp_path / "index.lock")
    with held_elsewhere(lock.path, "exclusive") as writer:
        assert not acquired_within(lock.shared, 0.5)
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        started = time.monotonic()
        with lock.shared():
            assert time.monotonic() - started < 2.0  # the kernel released it at the kill


def test_threads_of_one_process_exclude_each_other(tmp_path: Path) -> None:
    lock = ReadWriteFileLock(tmp_path / "index.lock")
    with lock.shared():
        assert not acquired_within(lock.exclusive, 0.3)
        assert acquired_within(lock.shared, 2.0)


def test_a_thread_may_nest_but_not_upgrade(tmp_path: Path) -> None:
    lock = ReadWriteFileLock(tmp_path / "index.lock")
    with lock.exclusive(), lock.shared(), lock.exclusive():
        pass  # nested sections inside an exclusive one are covered by it
    with lock.shared(), lock.shared(), pytest.raises(RuntimeError, match="exclusive"), \
            lock.exclusive():
        pass
    assert acquired_within(lock.exclusive, 2.0)  # everything was released


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    busy = pytest.raises(IngestBusyError, match="another ingest is already updating")
    with single_writer(tmp_path / "ingest.lock", "the index"), busy, \
            single_writer(tmp_path / "ingest.lock", "the index"):
        pass
    with single_writer(tmp_path / "ingest.lock", "the index"):
        pass  # free again once the first run ended
