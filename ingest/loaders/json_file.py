"""JSON exports: a list of article objects, an object with that list under a common key
("articles" as NewsAPI returns, "items", "data", …), or a single article object. Decoded whole,
so it stays under the per-file size limit; big exports belong in JSONL, which streams."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ingest.loaders.base import Article
from ingest.loaders.records import LIST_KEYS, record_article


class JsonLoader:
    suffixes = frozenset({".json"})

    def load(self, name: str, text: str) -> list[Article]:
        if not text.strip():
            return []
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            return [Article(id=name, text="", warnings=(
                f"not valid JSON ({str(exc).split(':')[0]}); skipped",))]
        records: object = data
        if isinstance(data, Mapping):
            listed = next((data[key] for key in LIST_KEYS if isinstance(data.get(key), list)),
                          None)
            records = listed if listed is not None else [data]
        if not isinstance(records, list):
            return [Article(id=name, text="", warnings=(
                "JSON holds no article object or list of them; skipped",))]
        return [record_article(name, record, f"item {number}")
                for number, record in enumerate(records, start=1)]
