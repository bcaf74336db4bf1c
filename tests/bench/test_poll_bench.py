"""The polling benchmark runs end to end on a few small feeds (not a measurement): a poll
where every feed answers 304 fetches no body and ingests nothing, one without validators
re-sends every feed but writes and ingests nothing either, a new entry is one new article,
and the freshness run finds the entry through an answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import poll_bench

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_poll_bench_on_three_feeds(tmp_path: Path) -> None:
    out = tmp_path / "poll.json"
    assert poll_bench.main(["--feeds", "3", "--entries", "4", "--polls", "5", "--lag-runs", "1",
                            "--lag-interval", "2", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    polls = result["polls"]
    assert polls["cold"]["new_articles"] == 12 and polls["cold"]["ingested"]
    assert polls["cold"]["requests"] == 4  # robots.txt once (one host), then 3 feeds
    assert polls["all_304"] | {"cpu_s": 0, "wall_s": 0} == {
        "requests": 3, "not_modified": 3, "body_bytes": 0, "cpu_s": 0, "wall_s": 0,
        "new_articles": 0, "failed": 0, "ingested": False}
    assert polls["no_validators"]["not_modified"] == 0
    assert polls["no_validators"]["body_bytes"] > 0 and not polls["no_validators"]["ingested"]
    assert polls["one_new_entry"]["new_articles"] == 1
    assert polls["one_new_entry"]["chunks_embedded"] >= 1
    assert [m["poll"] for m in polls["memory_304_only"]["rss"]] == [0, 1, 5]
    assert polls["memory_304_only"]["ingests"] == 0
    [lag] = result["freshness"]["lags"]
    assert lag["lag_s"] == pytest.approx(lag["wait_for_poll_s"] + lag["processing_s"], abs=0.05)
