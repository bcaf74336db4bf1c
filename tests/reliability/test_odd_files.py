"""Odd files in the corpus: each is skipped with a message naming it, or ingested; nothing is
read from outside the corpus folder, and one bad file never stops the others."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from bot.engine import NewsBot
from ingest.report import IngestReport
from tests.core_fixtures import HashEncoder
from tests.reliability.support import (
    SAMPLE_CORPUS,
    index_problems,
    make_settings,
    snapshot,
)

OUTSIDE_MARKER = "OUTSIDE-THE-CORPUS-7f3a"
HUGE_BYTES = 50 * 1024 * 1024
IS_ROOT = os.geteuid() == 0


def ingest(corpus: Path, data_dir: Path) -> IngestReport:
    return NewsBot(make_settings(data_dir), encoder=HashEncoder()).ingest(corpus)


def reasons(report: IngestReport) -> dict[str, str]:
    return {skipped.name: skipped.reason for skipped in report.skipped}


def stored_text(data_dir: Path) -> str:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(data_dir / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    documents = client.get_collection("newsbot_articles").get(include=["documents"])
    return "\n".join(doc or "" for doc in documents["documents"] or [])


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, target)
    for path in target.iterdir():
        path.chmod(0o644)  # the repo's sample files are read-only
    return target


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(
        f"Private notes {OUTSIDE_MARKER}\nThis text lives outside the corpus folder and "
        f"must never be indexed. {OUTSIDE_MARKER}\n", encoding="utf-8")
    return folder


def test_odd_files_are_skipped_by_name_and_the_rest_ingested(
        corpus: Path, outside: Path, tmp_path: Path) -> None:
    (corpus / "binary.txt").write_bytes(b"GIF89a\x00\x01\x02" + os.urandom(4096))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.md").write_text(" \n\t\n  \n", encoding="utf-8")
    with (corpus / "huge.txt").open("wb") as huge:  # sparse: instant, no disk used
        huge.truncate(HUGE_BYTES)
    line = b"A long article line that repeats to fill fifty megabytes of text. " * 16 + b"\n"
    with (corpus / "huge text.md").open("wb") as big:
        big.write(line * (HUGE_BYTES // len(line) + 1))
    (corpus / "loop_a.txt").symlink_to(corpus / "loop_b.txt")
    (corpus / "loop_b.txt").symlink_to(corpus / "loop_a.txt")
    (corpus / "self.txt").symlink_to(corpus / "self.txt")
    (corpus / "dangling.txt").symlink_to(corpus / "gone.txt")
    (corpus / "escape.txt").symlink_to(outside / "secret.txt")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "escape_rel.txt").symlink_to(Path("..") / "outside" / "secret.txt")
    (corpus / "outside_dir").symlink_to(outside, target_is_directory=True)
    (corpus / "sub").mkdir()
    (corpus / "sub" / "loop").symlink_to(corpus, target_is_directory=True)
    (corpus / "folder.txt").mkdir()  # a folder with an article's suffix
    (corpus / "spaces in name.txt").write_text(
        "Harbour vote delayed\nThe harbour vote was delayed by a week.\n", encoding="utf-8")
    (corpus / "Zürich – Überblick 東京 ☃.md").write_text(
        "Überblick aus Zürich\nDer Stadtrat in Zürich hat am Montag getagt.\n", encoding="utf-8")

    started = time.monotonic()
    report = ingest(corpus, tmp_path / "data")
    elapsed = time.monotonic() - started

    skipped = reasons(report)
    assert skipped["binary.txt"] == "binary file (NUL bytes)"
    assert skipped["empty.txt"] == "empty file"
    assert skipped["blank.md"] == "empty file"
    assert skipped["huge.txt"].startswith("too large (52.4 MB")
    assert skipped["huge text.md"].startswith("too large (52.4 MB")
    for name in ("loop_a.txt", "loop_b.txt", "self.txt", "dangling.txt"):
        assert skipped[name].startswith("cannot resolve path"), name
    for name in ("escape.txt", "passwd.txt", "escape_rel.txt"):
        assert skipped[name] == "symlink points outside the corpus folder", name
    assert set(skipped) == {
        "binary.txt", "empty.txt", "blank.md", "huge.txt", "huge text.md", "loop_a.txt",
        "loop_b.txt", "self.txt", "dangling.txt", "escape.txt", "passwd.txt",
        "escape_rel.txt"}, "folder symlinks are not followed; a folder is not a file"
    assert report.files_added == 5 + 2  # the samples, plus the two odd names
    assert elapsed < 60, "the 50 MB files must be skipped by size, not read"

    data_dir = tmp_path / "data"
    text = stored_text(data_dir)
    assert OUTSIDE_MARKER not in text and "root:x:0:0" not in text
    files = {m["file"] for m in snapshot(data_dir).metadata.values()}
    assert {"spaces in name.txt", "Zürich – Überblick 東京 ☃.md"} <= files
    assert index_problems(snapshot(data_dir), corpus) == []


def test_cli_names_each_skipped_file(corpus: Path, outside: Path, tmp_path: Path) -> None:
    """What an operator sees: one warning line per skipped file, naming it and the reason."""
    from typer.testing import CliRunner

    from bot.frontends.cli.app import app

    (corpus / "empty file é.txt").write_bytes(b"")
    (corpus / "escape.txt").symlink_to(outside / "secret.txt")
    result = CliRunner().invoke(app, ["ingest", str(corpus), "--json"], env={
        "NEWSBOT_DATA_DIR": str(tmp_path / "data"), "NEWSBOT_EMBED": "local"})
    assert result.exit_code == 0, result.output
    output = result.output
    assert "warning: skipped empty file é.txt: empty file" in output
    assert "warning: skipped escape.txt: symlink points outside the corpus folder" in output


def test_unreadable_file(corpus: Path, tmp_path: Path) -> None:
    """chmod 000: skipped with the OS reason, and its old chunks kept (a passing problem).

    As root (CI containers), permissions do not block reading: the file is then ingested, and
    the test checks that instead of pretending."""
    locked = corpus / "locked.txt"
    locked.write_text("Locked article\nThe council locked the archive on Friday.\n",
                      encoding="utf-8")
    data_dir = tmp_path / "data"
    ingest(corpus, data_dir)
    locked.write_text("Locked article\nThe council reopened the archive on Monday.\n",
                      encoding="utf-8")
    locked.chmod(0o000)
    try:
        report = ingest(corpus, data_dir)
    finally:
        locked.chmod(0o644)
    if IS_ROOT:
        assert report.files_updated == 1 and not report.skipped
    else:
        assert reasons(report) == {"locked.txt": "unreadable (Permission denied)"}
        files = {m["file"] for m in snapshot(data_dir).metadata.values()}
        assert "locked.txt" in files  # the previous version is still answerable


def test_named_pipe_does_not_block_the_ingest(corpus: Path, tmp_path: Path) -> None:
    fifo = corpus / "pipe.txt"
    os.mkfifo(fifo)
    outcome: list[IngestReport | BaseException] = []

    def run() -> None:
        try:
            outcome.append(ingest(corpus, tmp_path / "data"))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():
        with open(fifo, "wb"):  # unblock the reader so the thread ends
            pass
        worker.join(20)
        pytest.fail("ingest blocked on a named pipe in the corpus")
    report = outcome[0]
    assert isinstance(report, IngestReport), report
    assert reasons(report) == {"pipe.txt": "not a regular file"}
    assert report.files_added == 5


def test_undecodable_file_name(corpus: Path, tmp_path: Path) -> None:
    """A file name that is not valid UTF-8 (possible on Linux) is skipped, named readably; the
    other files are ingested."""
    raw_name = os.path.join(os.fsencode(corpus), b"caf\xe9.txt")
    with open(raw_name, "wb") as handle:
        handle.write(b"Cafe article\nThe cafe opened on the harbour front on Sunday.\n")
    report = ingest(corpus, tmp_path / "data")
    assert report.files_added == 5
    assert reasons(report) == {"caf\\udce9.txt": "file name is not valid UTF-8; rename the file"}
