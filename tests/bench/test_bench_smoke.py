"""The benchmark scripts still run end to end, on a corpus small enough for CI.

Not a measurement: it only checks that ``bench/run.py`` produces every result file, the
tables and the plot, so the benchmarks cannot rot silently. Start-up timing (dozens of cold
processes) is left to the real run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import run
from bench.synthetic_corpus import make_article, write_corpus

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(900)


def test_synthetic_corpus_is_deterministic_distinct_and_nested(tmp_path: Path) -> None:
    small = write_corpus(tmp_path / "a", 5)
    again = write_corpus(tmp_path / "b", 8)
    for path in sorted(small.glob("*.txt")):
        assert (again / path.name).read_text() == path.read_text()  # 5 is a prefix of 8
    texts = [make_article(i).text for i in range(50)]
    assert len(set(texts)) == 50
    assert all(len(t.splitlines()) >= 4 for t in texts)


@pytest.mark.slow
def test_bench_run_end_to_end_on_a_tiny_corpus(tmp_path: Path) -> None:
    out, docs = tmp_path / "out", tmp_path / "docs"
    common = ["--out", str(out), "--docs", str(docs), "--questions", "4",
              "--answer-questions", "2"]
    # 20 articles ingested with the real model; 30 take the large-corpus path
    # (model on a sample, pipeline with the stand-in encoder, real re-ingest).
    assert run.main(["--sizes", "20,30", "--real-max", "20", "--query-sizes", "150,300",
                     "--only", "ingest,query,report", *common]) == 0

    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    for stage in ("ingest_raw_20", "ingest_pipeline_20", "ingest_reingest_20",
                  "ingest_vanilla_20", "query_vanilla_20", "query_ingested_20",
                  "ingest_stub_20", "ingest_raw_30", "ingest_stub_30", "ingest_reingest_30",
                  "build_300", "query_300"):
        assert stage in results, stage
    assert results["ingest_reingest_20"]["files_unchanged"] == 20
    assert results["ingest_reingest_30"]["files_unchanged"] == 30
    assert results["ingest_reingest_30"]["chunks"] == 0  # nothing re-embedded
    assert results["query_300"]["chunks"] >= 300
    assert results["query_300"]["keyword_rebuilt"] is False

    doc = (docs / "benchmarks.md").read_text()
    assert "### Ingest throughput" in doc and "| 20 |" in doc
    assert (docs / "benchmarks" / "latency_throughput.png").stat().st_size > 10_000


@pytest.mark.slow
def test_ablation_switches_a_rule_off_and_reports_each_set(tmp_path: Path) -> None:
    """bench/ablation.py end to end on the news set (two questions): the run with every rule
    on and the run with one off both come back, as a table row and in the JSON."""
    out = tmp_path / "ablation.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.ablation", "--rules", "sentence_floor", "--sets", "news",
         "--every", "13", "--out", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| rule off | news") and len(rows) == 3
    results = json.loads(out.read_text())
    assert set(results) == {"(all on)", "sentence_floor"}
    assert results["sentence_floor"]["news"]["cases"] == 2


@pytest.mark.slow
def test_ablation_runs_squad_with_the_rule_off(tmp_path: Path) -> None:
    """SQuAD goes through bench/squad_normans.py, tuned and with the rule off through
    NEWSBOT_TUNE: with the sentence floor raised to 0.99 the floor refuses every answerable
    question, and switched off it refuses far fewer."""
    out = tmp_path / "ablation.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.ablation", "--rules", "sentence_floor", "--sets", "squad",
         "--every", "8", "--tune", "sentence_floor=0.99", "--out", str(out),
         "--squad-out", str(tmp_path / "squad")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "NEWSBOT_RULES_OFF": "", "NEWSBOT_TUNE": ""})
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    on, off = results["(all on)"]["squad"], results["sentence_floor"]["squad"]
    assert on["false_refusal_rate"] == 1.0
    assert off["false_refusal_rate"] < 0.5
