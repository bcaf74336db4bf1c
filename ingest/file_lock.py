"""Locks on files in the data dir, so processes sharing one embedded index take turns.

Why our own few lines over fcntl and not a library (filelock, portalocker): those give an
exclusive lock only, and this needs a readers-writer lock (many questions at once, one commit
at a time) that a killed process can never leave held. ``flock`` is both: shared or
exclusive, and released by the kernel when the holder dies, even by ``kill -9``.

Each acquisition opens its own file descriptor, and ``flock`` locks belong to the open file,
not the process, so threads of one process exclude each other exactly as processes do. A thread
that already holds the lock may take it again (nested store calls inside one retrieval or one
commit step); asking for the exclusive lock while holding only the shared one is a bug (two
such threads would wait for each other forever) and raises.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from ingest.errors import IngestBusyError


class IndexLock(Protocol):
    """What the store needs: a section for reading and one for writing."""

    def shared(self) -> AbstractContextManager[None]: ...

    def exclusive(self) -> AbstractContextManager[None]: ...


class NoLock:
    """For a Chroma server, which orders its clients' requests itself."""

    @contextmanager
    def shared(self) -> Iterator[None]:
        yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        yield


class ReadWriteFileLock:
    """A readers-writer lock on one file, across threads and processes (``flock``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._held = threading.local()  # this thread's mode ("shared"/"exclusive") and depth

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._hold(fcntl.LOCK_SH, "shared"):
            yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._hold(fcntl.LOCK_EX, "exclusive"):
            yield

    @contextmanager
    def _hold(self, operation: int, mode: str) -> Iterator[None]:
        held: str | None = getattr(self._held, "mode", None)
        if held == "exclusive" or held == mode:
            self._held.depth += 1  # nested: the outer section already covers it
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        if held == "shared":
            raise RuntimeError("the exclusive index lock was asked for while holding the "
                               "shared one")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, operation)
            self._held.mode, self._held.depth = mode, 0
            try:
                yield
            finally:
                self._held.mode = None
        finally:
            os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def single_writer(path: Path, what: str) -> Iterator[None]:
    """Hold ``path`` exclusively for a whole ingest run, or fail at once if another holds it
    (``IngestBusyError``): two runs interleaving their commits would publish each other's
    half-done work."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IngestBusyError(f"another ingest is already updating {what}; wait for it to "
                                  "finish, then run this one again") from None
        yield
    finally:
        os.close(fd)
