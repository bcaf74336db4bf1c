"""SIGKILL an ingest at many moments; the next run must end exactly where a clean ingest does.

"Exactly" means: the same set of chunk ids as a clean ingest of the same corpus into a fresh
dir, no duplicates, no orphans (every chunk's file exists and still has the stored content
hash), a complete chunk set per file, and a keyword index whose fingerprint matches.

The kill lands at a precise step because the driver prints every progress event (see
``ingest_driver.py``); the real ``newsbot ingest`` CLI is killed too, in the trial that embeds
through the loopback OpenAI-compatible server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.engine import NewsBot
from tests.core_fixtures import HashEncoder
from tests.fakes.openai_server import FakeOpenAIServer
from tests.reliability.kill_support import nth, run_and_kill, run_forked_and_kill
from tests.reliability.support import (
    IndexSnapshot,
    index_problems,
    make_settings,
    snapshot,
    write_variants,
)

pytestmark = pytest.mark.slow

COPIES = 60  # ~190 chunks: 12 batches of 16
# Batches of 16 chunks with 0.1 s each: the embedding phase lasts over a second.
OPTIONS = {"batch": 16, "delay": 0.1}


def clean_ingest(data_dir: Path, corpus: Path) -> IndexSnapshot:
    NewsBot(make_settings(data_dir), encoder=HashEncoder()).ingest(corpus)
    return snapshot(data_dir)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("kill") / "corpus"
    write_variants(target, COPIES)
    return target


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> IndexSnapshot:
    """A clean ingest of the corpus into a fresh dir: what every recovered run must equal."""
    ref = clean_ingest(tmp_path_factory.mktemp("reference"), corpus)
    assert index_problems(ref, corpus) == []
    assert len(ref.ids) > 150
    return ref


def assert_same_as_reference(data_dir: Path, corpus: Path, ref: IndexSnapshot) -> None:
    got = snapshot(data_dir)
    assert index_problems(got, corpus) == []
    assert len(got.ids) == len(ref.ids) == got.count
    assert got.id_set == ref.id_set, (
        f"missing {len(ref.id_set - got.id_set)}, extra {len(got.id_set - ref.id_set)}")
    assert got.keyword_fingerprint == ref.keyword_fingerprint


def stored_count(data_dir: Path) -> int:
    """Chunks on disk right after the kill (for the report; -1 if the store will not open)."""
    try:
        return snapshot(data_dir).count
    except Exception:
        return -1


Trigger = Callable[[str, list[str]], bool]

# (name, trigger, extra delay after the trigger, steps to linger at)
TRIALS: list[tuple[str, Trigger, float, tuple[str, ...]]] = [
    ("after-start", nth("start", 1), 0.0, ()),
    ("first-file-chunked", nth("planned", 1), 0.0, ()),
    ("first-batch-stored", nth("embedded", 1), 0.0, ()),
    ("mid-embedding+50ms", nth("embedded", 5), 0.05, ()),
    ("all-files-read", lambda line, _: line.startswith(f"file {COPIES} "), 0.0, ()),
    ("before-keyword-index", nth("keyword-build", 1), 0.1, ("keyword-build",)),
]


@pytest.mark.parametrize(("name", "trigger", "delay", "pause"), TRIALS,
                         ids=[t[0] for t in TRIALS])
def test_kill_during_first_ingest(name: str, trigger: Trigger, delay: float,
                                  pause: tuple[str, ...], corpus: Path, reference: IndexSnapshot,
                                  tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = run_forked_and_kill(data_dir, corpus, trigger, extra_delay=delay,
                                 pause_after=pause, **OPTIONS)
    assert result.killed, f"the ingest finished before the kill point: {result.lines[-3:]}"
    assert result.returncode == -9
    at_kill = stored_count(data_dir)

    NewsBot(make_settings(data_dir), encoder=HashEncoder()).ingest(corpus)

    assert_same_as_reference(data_dir, corpus, reference)
    print(f"\n[kill] {name}: killed after {result.seconds:.1f} s with {at_kill}/"
          f"{len(reference.ids)} chunks stored; recovered exactly")


def test_kill_twice_then_recover(corpus: Path, reference: IndexSnapshot, tmp_path: Path) -> None:
    """Two kills in a row (the second one during the resumed run) still recover exactly."""
    data_dir = tmp_path / "data"
    first = run_forked_and_kill(data_dir, corpus, nth("embedded", 3), **OPTIONS)
    second = run_forked_and_kill(data_dir, corpus, nth("embedded", 2), **OPTIONS)
    assert first.killed and second.killed
    assert any(line.startswith("planned") for line in second.lines)

    NewsBot(make_settings(data_dir), encoder=HashEncoder()).ingest(corpus)
    assert_same_as_reference(data_dir, corpus, reference)


def edit_corpus(corpus: Path) -> tuple[set[str], set[str]]:
    """A later state: a third of the files changed, five removed, two new ones.

    Returns the names of the edited and of the removed files."""
    files = sorted(corpus.iterdir())
    for path in files[::3]:
        path.write_text(path.read_text(encoding="utf-8") + "\nCorrection: figures updated.\n",
                        encoding="utf-8")
    removed = files[1:26:5]
    for path in removed:
        path.unlink()
    write_variants(corpus / "new", 2)
    return {p.name for p in files[::3]}, {p.name for p in removed}


@pytest.mark.parametrize("moment", ["replacing-old-versions", "pruning-removed-files"])
def test_kill_during_update(moment: str, corpus: Path, tmp_path: Path) -> None:
    """Kill an incremental run between writing new versions and deleting old ones, or while
    pruning removed files: the next run still equals a clean ingest of the new corpus."""
    mine = tmp_path / "corpus"
    data_dir = tmp_path / "data"
    shutil.copytree(corpus, mine)
    NewsBot(make_settings(data_dir), encoder=HashEncoder()).ingest(mine)
    edited, removed = edit_corpus(mine)
    new_reference = clean_ingest(tmp_path / "reference", mine)

    # Replacing an edited file deletes its old version ("delete <edited>"); pruning deletes
    # the removed files after the last file was read. Kill on the 3rd / 2nd of those.
    targets, which = (edited, 3) if moment == "replacing-old-versions" else (removed, 2)

    def trigger(line: str, seen: list[str]) -> bool:
        def hit(s: str) -> bool:
            return s.startswith("delete ") and s.split(" ", 1)[1] in targets
        return hit(line) and sum(map(hit, seen)) == which

    pause = tuple(f"delete {name}" for name in targets)
    result = run_forked_and_kill(data_dir, mine, trigger, pause_after=pause, **OPTIONS)
    assert result.killed, result.lines[-3:]
    left = index_problems(snapshot(data_dir), mine)
    assert left, "the kill should have left work for the next run"

    NewsBot(make_settings(data_dir), encoder=HashEncoder()).ingest(mine)
    assert_same_as_reference(data_dir, mine, new_reference)
    print(f"\n[kill] update/{moment}: killed with {len(left)} inconsistencies on disk; "
          "recovered exactly")


def test_kill_real_cli_ingest(corpus: Path, tmp_path: Path) -> None:
    """The real `newsbot ingest` command, embedding through the loopback OpenAI-compatible
    server, killed after its first batch (64 chunks) is stored, then run again to completion."""
    newsbot = Path(sys.executable).parent / "newsbot"
    data_dir = tmp_path / "data"
    small = tmp_path / "corpus"  # 30 files, ~96 chunks: two batches of the pipeline
    small.mkdir()
    for path in sorted(corpus.iterdir())[:30]:
        shutil.copy2(path, small / path.name)
    reference = clean_ingest(tmp_path / "reference", small)
    corpus = small
    with FakeOpenAIServer() as server:
        env = {
            "NEWSBOT_DATA_DIR": str(data_dir), "NEWSBOT_EMBED": "openai",
            "NEWSBOT_OPENAI_EMBED_MODEL": "fake-embed", "NEWSBOT_EMBED_BATCH_SIZE": "4",
            "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test-kill",
            "NEWSBOT_LLM": "extractive",
        }
        env = {**{k: v for k, v in os.environ.items()
                  if not k.startswith(("NEWSBOT_", "OPENAI_", "CHROMA_"))}, **env}
        result = run_and_kill(
            [str(newsbot), "ingest", str(corpus), "--json"], lambda _line, _seen: False,
            env=env, cwd=tmp_path,  # cwd: no stray .env
            # 1 size probe + 16 requests of 4 for the first batch, then 3 into the second.
            poll=lambda: len(server.requests_to("/embeddings")) >= 20)
        assert result.killed
        at_kill = stored_count(data_dir)
        finished = subprocess.run([str(newsbot), "ingest", str(corpus), "--json"], env=env,
                                  cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert 0 < report["chunks_embedded"] < len(reference.ids)  # resumed, not redone
    assert_same_as_reference(data_dir, corpus, reference)
    print(f"\n[kill] newsbot ingest CLI: killed with {at_kill}/{len(reference.ids)} chunks "
          f"stored; the next run embedded {report['chunks_embedded']}; recovered exactly")
