"""The generation file: published whole, noticed with one stat."""

from __future__ import annotations

import os
from pathlib import Path

from ingest.generation import GENERATION_FILE, PROCESS_TOKEN, IndexCoordination


def test_publish_counts_up_and_names_the_fingerprint_and_process(tmp_path: Path) -> None:
    coordination = IndexCoordination(tmp_path)
    assert coordination.current() is None
    first = coordination.publish("abc")
    second = coordination.publish("def")
    assert (first.number, second.number) == (1, 2)
    assert coordination.current() == second
    assert second.fingerprint == "def" and second.writer == PROCESS_TOKEN
    assert PROCESS_TOKEN.startswith(f"{os.getpid()}-")
    # Written beside and renamed into place: no staging file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == [GENERATION_FILE]


def test_the_watch_sees_a_publish_and_nothing_else(tmp_path: Path) -> None:
    coordination = IndexCoordination(tmp_path)
    watch = coordination.watch()
    assert watch.changed()  # never looked: a reader must load
    watch.mark()
    assert not watch.changed()
    coordination.publish("abc")
    assert watch.changed()
    watch.mark()
    assert not watch.changed()
    watch.reset()
    assert watch.changed()


def test_an_unreadable_generation_file_counts_as_none(tmp_path: Path) -> None:
    (tmp_path / GENERATION_FILE).write_text("{not json")
    coordination = IndexCoordination(tmp_path)
    assert coordination.current() is None
    assert coordination.publish("abc").number == 1
