"""SIGKILL an ingest half-way through a JSONL export (issue 14): the next run completes it and
ends exactly where a clean ingest does, article by article (same chunk ids, none twice)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.engine import NewsBot
from tests.core_fixtures import HashEncoder
from tests.reliability.kill_support import run_and_kill
from tests.reliability.support import make_settings, snapshot

pytestmark = pytest.mark.slow

ARTICLES = 40


def _write(corpus: Path, edited: bool = False) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": f"a{i}", "title": f"Story {i}",
                         "text": f"Story {i} {'(corrected) ' if edited and i % 2 else ''}"
                                 f"took place in town {i}. " * 3})
             for i in range(ARTICLES)]
    (corpus / "export.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _ids(data_dir: Path) -> list[str]:
    return snapshot(data_dir).ids


def _embedded_batches(_line: str, lines: list[str]) -> bool:
    return sum(line.startswith("embedded") for line in lines) >= 3


@pytest.mark.parametrize("edited", [False, True], ids=["first-ingest", "edited-file"])
def test_a_run_killed_mid_file_is_completed_by_the_next(tmp_path: Path, edited: bool) -> None:
    corpus, data_dir = tmp_path / "corpus", tmp_path / "data"
    _write(corpus)
    if edited:  # killed while replacing half of the entries of an indexed file
        NewsBot(make_settings(data_dir), encoder=HashEncoder()).ingest(corpus)
        _write(corpus, edited=True)
    result = run_and_kill(
        [sys.executable, "-m", "tests.reliability.ingest_driver", str(data_dir), str(corpus),
         "--delay", "0.1", "--batch", "4"], _embedded_batches)
    assert result.killed, result.lines

    report = NewsBot(make_settings(data_dir), encoder=HashEncoder()).ingest(corpus)
    assert report.files_unchanged > 0  # what was done before the kill is not redone
    reference_dir = tmp_path / "reference"
    NewsBot(make_settings(reference_dir), encoder=HashEncoder()).ingest(corpus)
    recovered, reference = _ids(data_dir), _ids(reference_dir)
    assert [i for i, n in Counter(recovered).items() if n > 1] == []
    assert sorted(recovered) == sorted(reference)
    articles = {str(meta["article_id"]) for meta in snapshot(data_dir).metadata.values()}
    assert len(articles) == ARTICLES
