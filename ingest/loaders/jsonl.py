"""JSON Lines exports: one article per line, read line by line so that a 100,000-article export
streams with flat memory (``StreamingLoader``). A malformed line is that article's loss only."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from ingest.loaders.base import Article
from ingest.loaders.records import record_article


class JsonLinesLoader:
    suffixes = frozenset({".jsonl", ".ndjson"})

    def load(self, name: str, text: str) -> list[Article]:
        return list(self.stream(name, text.splitlines()))

    def stream(self, name: str, lines: Iterable[str]) -> Iterator[Article]:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"line {number}"
            try:
                record = json.loads(line)
            except ValueError as exc:  # JSONDecodeError, and RecursionError-free ValueErrors
                yield Article(id=f"{name}#{where}", text="", warnings=(
                    f"{where}: malformed JSON ({str(exc).split(':')[0]}); skipped",))
                continue
            if isinstance(record, dict) and "_newsbot_skipped" in record:  # see files.py
                yield Article(id=f"{name}#{where}", text="",
                              warnings=(f"{record['_newsbot_skipped']}; skipped",))
                continue
            yield record_article(name, record, where)
