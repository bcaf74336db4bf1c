"""The corpus changes while an ingest runs: the run finishes, the next one matches the corpus.

Edits land at exact moments through the progress callback (which the pipeline calls in its own
thread, between files), and at arbitrary moments from a concurrent thread.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.engine import NewsBot
from ingest import pipeline
from tests.core_fixtures import HashEncoder
from tests.reliability.support import (
    index_problems,
    make_settings,
    snapshot,
    write_variants,
)

COPIES = 30


class HookProgress:
    """Calls ``hooks[n]()`` right after the n-th file is done."""

    def __init__(self, hooks: dict[int, Callable[[], None]]) -> None:
        self.hooks = hooks
        self.files = 0

    def start(self, files_total: int) -> None:
        pass

    def file_done(self, name: str) -> None:
        self.files += 1
        if self.files in self.hooks:
            self.hooks[self.files]()

    def chunks_planned(self, count: int) -> None:
        pass

    def chunks_embedded(self, count: int) -> None:
        pass

    def sentences_embedded(self, count: int) -> None:
        pass


def bot_for(data_dir: Path, delay: float = 0.0) -> NewsBot:
    return NewsBot(make_settings(data_dir), encoder=HashEncoder(delay=delay))


def assert_matches_clean_ingest(data_dir: Path, corpus: Path, tmp_path: Path) -> None:
    got = snapshot(data_dir)
    assert index_problems(got, corpus) == []
    clean_dir = tmp_path / f"clean-{time.monotonic_ns()}"
    bot_for(clean_dir).ingest(corpus)
    clean = snapshot(clean_dir)
    assert got.id_set == clean.id_set and len(got.ids) == len(clean.ids)
    assert got.keyword_fingerprint == clean.keyword_fingerprint


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    write_variants(target, COPIES)
    return target


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize("already_indexed", [False, True], ids=["first-run", "update-run"])
def test_edits_and_deletes_at_exact_moments(already_indexed: bool, corpus: Path,
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "EMBED_BATCH", 8)  # writes interleave with reading
    data_dir = tmp_path / "data"
    files = sorted(corpus.iterdir())
    if already_indexed:
        bot_for(data_dir).ingest(corpus)
        for path in files[::4]:
            append(path, "\nUpdate: a later edition.\n")

    def edit_read_file() -> None:  # its chunks (old text) may still be waiting to be written
        append(files[2], "\nCorrection added while the ingest ran.\n")

    def delete_read_file() -> None:
        files[3].unlink()

    def delete_unread_file() -> None:
        files[20].unlink()

    def edit_unread_file() -> None:
        append(files[21], "\nLate addition.\n")

    def add_file() -> None:
        shutil.copy(files[0], corpus / "added_mid_run.txt")
        append(corpus / "added_mid_run.txt", "\nA distinct copy.\n")

    def replace_file() -> None:  # atomic replace by rename, as editors do
        staging = corpus / ".staging"
        staging.write_text("Replacement headline\nAll new text of this article, saved "
                           "by renaming over the old file.\n", encoding="utf-8")
        staging.replace(files[25])

    hooks = {5: edit_read_file, 6: delete_read_file, 10: delete_unread_file,
             11: edit_unread_file, 12: add_file, 15: replace_file}
    report = bot_for(data_dir).ingest(corpus, progress=HookProgress(hooks))
    assert [s.name for s in report.skipped] == [files[20].name]  # vanished before it was read
    assert "cannot resolve path" in report.skipped[0].reason

    second = bot_for(data_dir).ingest(corpus)
    assert second.files_skipped == 0
    assert second.files_added >= 1  # the file added mid-run
    assert_matches_clean_ingest(data_dir, corpus, tmp_path)
    third = bot_for(data_dir).ingest(corpus)  # and then it is stable
    assert third.chunks_embedded == 0 and third.files_unchanged == len(list(corpus.iterdir()))


def test_concurrent_editor_thread(corpus: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread edits, deletes, re-creates and adds files at random while the run goes on."""
    monkeypatch.setattr(pipeline, "EMBED_BATCH", 8)
    data_dir = tmp_path / "data"
    rng = random.Random(6)
    stop = threading.Event()
    edits: list[str] = []

    def editor() -> None:
        while not stop.is_set():
            path = rng.choice(sorted(corpus.iterdir()))
            action = rng.choice(["edit", "edit", "delete", "add"])
            if action == "edit" and path.exists():
                append(path, f"\nEdit {len(edits)}.\n")
            elif action == "delete":
                path.unlink(missing_ok=True)
            else:
                target = corpus / f"added_{len(edits)}.txt"
                target.write_text(f"Added article {len(edits)}\nBody text {len(edits)} of a "
                                  "new article added during the ingest.\n", encoding="utf-8")
            edits.append(f"{action} {path.name}")
            time.sleep(0.01)

    thread = threading.Thread(target=editor, daemon=True)
    thread.start()
    try:
        report = bot_for(data_dir, delay=0.02).ingest(corpus)
    finally:
        stop.set()
        thread.join(5)
    assert len(edits) > 10, "the editor should have raced the ingest"
    # The only skips a racing editor may cause: a file deleted before it was opened (or
    # between opening and reading), or one read between write_text's truncate and its write.
    race_reasons = ("cannot resolve path", "unreadable (No such file", "empty file")
    assert report.files_skipped == sum(1 for s in report.skipped
                                       if s.reason.startswith(race_reasons)), report.skipped

    bot_for(data_dir).ingest(corpus)
    assert_matches_clean_ingest(data_dir, corpus, tmp_path)


@pytest.mark.parametrize("change", ["emptied", "made-binary"])
def test_file_that_becomes_unindexable_loses_its_old_chunks(change: str, corpus: Path,
                                                            tmp_path: Path) -> None:
    """An article saved empty (or overwritten with binary data) no longer has the text its old
    chunks quote; answers must not keep citing it."""
    data_dir = tmp_path / "data"
    bot_for(data_dir).ingest(corpus)
    victim = sorted(corpus.iterdir())[0]
    victim.write_bytes(b"" if change == "emptied" else b"\x00\x01binary\x00" * 100)

    report = bot_for(data_dir).ingest(corpus)
    assert [s.name for s in report.skipped] == [victim.name]
    problems = index_problems(snapshot(data_dir), corpus)
    assert problems == []
