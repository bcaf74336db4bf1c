"""What newsbot remembers of each source between polls (and between runs): the validators of
its last response, when it was last checked, when it last brought a new article, its last
error and how long to back off after failures.

One JSON file in the data dir, replaced atomically (write a temporary file, fsync, rename), so
`newsbot status` in another process always reads a whole file, and a crash mid-write leaves
the previous one. JSON rather than SQLite: a few hundred small records written once a poll by
one writer, and readable by an operator.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STATE_FILE = "sources.json"
# Backoff after the n-th failure in a row: the poll interval times 2**(n-1), at most this.
MAX_BACKOFF_SECONDS = 24 * 3600.0


@dataclass
class SourceState:
    name: str
    kind: str = ""
    location: str = ""
    etag: str = ""
    last_modified: str = ""
    last_check: float = 0.0  # epoch seconds; 0: never
    last_success: float = 0.0
    last_new_article: float = 0.0
    last_error: str = ""
    failures: int = 0  # in a row
    next_attempt: float = 0.0  # no request before this (backoff)
    newest_article: str = ""  # ISO day of its newest article seen
    articles: int = 0  # entries (feed) in its last response
    signature: str = ""  # a folder's listing fingerprint, to skip unchanged folders
    retention_cutoff: str = ""  # the corpus entry: the NEWSBOT_KEEP_DAYS day last applied

    def failed(self, now: float, error: str, interval: float,
               retry_after: float | None = None) -> None:
        """Record a failure and back off exponentially (longer if the server asked)."""
        self.last_check = now
        self.last_error = error
        self.failures += 1
        backoff = min(interval * 2 ** (self.failures - 1), MAX_BACKOFF_SECONDS)
        self.next_attempt = now + max(backoff, retry_after or 0.0)

    def succeeded(self, now: float) -> None:
        self.last_check = self.last_success = now
        self.last_error = ""
        self.failures = 0
        self.next_attempt = 0.0


class StateStore:
    """The sources' states in ``<data dir>/sources.json``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / STATE_FILE

    def load(self) -> dict[str, SourceState]:
        """Every source's state; an unreadable file counts as empty (and is logged): the
        worst case is one unconditional fetch of each feed."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s (%s); starting the sources afresh", self.path, exc)
            return {}
        known = {f.name for f in fields(SourceState)}
        states: dict[str, SourceState] = {}
        for name, values in (raw.get("sources") or {}).items():
            if isinstance(values, dict):
                clean: dict[str, Any] = {k: v for k, v in values.items() if k in known}
                clean["name"] = name
                states[name] = SourceState(**clean)
        return states

    def save(self, states: dict[str, SourceState]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"version": 1,
                   "sources": {name: asdict(state) for name, state in sorted(states.items())}}
        write_atomically(self.path, json.dumps(payload, indent=1, ensure_ascii=False))


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so readers see the old file or the new, never half."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
