"""Index generations: how processes sharing one embedded data dir agree on what is published.

An ingest writes its new chunks while readers keep answering from the last *generation*; it
then, in one short exclusive step, deletes what it replaced, installs the keyword index of the
new chunk set and bumps ``index.generation`` (written to a temporary file and renamed, so it is
read whole or not at all). A reader checks the file with one ``stat`` per question and, when it
changed, reopens embedded Chroma (whose vector index a process loads into memory once and
never refreshes from another process's writes) and loads the matching keyword index.

The locks (``file_lock``): ``index.lock`` is shared by every retrieval and taken exclusively
by every commit step and every reopen; ``ingest.lock`` keeps to one ingest at a time.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from ingest.file_lock import ReadWriteFileLock, single_writer

# Who published a generation: a pid alone repeats (every container's first process is pid 1,
# and a restarted bot may get its predecessor's), so a random part is added.
PROCESS_TOKEN = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
GENERATION_FILE = "index.generation"
LOCK_FILE = "index.lock"
WRITER_FILE = "ingest.lock"


@dataclass(frozen=True)
class Generation:
    number: int
    fingerprint: str  # the keyword fingerprint of the published chunk-id set
    writer: str  # the process that published it (``PROCESS_TOKEN``: it need not reopen)


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class GenerationWatch:
    """Tells, with one ``stat``, whether the generation file changed since ``mark()``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._marked = False

    def changed(self) -> bool:
        return not self._marked or _signature(self.path) != self._seen

    def mark(self) -> None:
        self._seen, self._marked = _signature(self.path), True

    def reset(self) -> None:
        """Make the next ``changed()`` true (a reader that must reopen whatever the file says)."""
        self._marked = False


class IndexCoordination:
    """The files in an embedded data dir through which its readers and its writer agree."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.lock = ReadWriteFileLock(data_dir / LOCK_FILE)
        self.generation_path = data_dir / GENERATION_FILE

    def single_writer(self) -> AbstractContextManager[None]:
        return single_writer(self.data_dir / WRITER_FILE, f"the index in {self.data_dir}")

    def current(self) -> Generation | None:
        """The published generation; None before the first publish (or if the file is
        unreadable, which only a hand edit can cause: the writer renames it into place)."""
        try:
            data = json.loads(self.generation_path.read_text())
            return Generation(int(data["generation"]), str(data["fingerprint"]),
                              str(data.get("writer", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def publish(self, fingerprint: str) -> Generation:
        """Bump the generation; the caller holds ``lock.exclusive()`` and has already written
        both halves of the index."""
        previous = self.current()
        generation = Generation((previous.number if previous else 0) + 1, fingerprint,
                                PROCESS_TOKEN)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd, staging = tempfile.mkstemp(prefix=".generation-", dir=self.data_dir)
        try:
            with os.fdopen(fd, "w") as out:
                json.dump({"generation": generation.number, "fingerprint": fingerprint,
                           "writer": generation.writer}, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(staging, self.generation_path)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise
        return generation

    def watch(self) -> GenerationWatch:
        return GenerationWatch(self.generation_path)

