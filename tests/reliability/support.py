"""Helpers shared by the reliability tests: settings, corpora, store checks.

The index checks read the data dir directly (chromadb + the saved keyword index), not through
``NewsBot``, so they judge what is on disk after a crash rather than what the code believes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import Settings
from ingest.keyword_index import KeywordIndex, fingerprint, index_dir_for

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CORPUS = REPO_ROOT / "data" / "articles"
COLLECTION = "newsbot_articles"


def make_settings(data_dir: Path, **env: Any) -> Settings:
    """Settings built from explicit values only (env var names as keys), never a `.env`."""
    return Settings(_env_file=None, NEWSBOT_DATA_DIR=data_dir, **env)


def write_variants(target: Path, copies: int, *, source: Path = SAMPLE_CORPUS) -> list[Path]:
    """``copies`` distinct articles made from the sample ones (a marker line after the headline
    makes every file's content, hash and chunk ids unique)."""
    target.mkdir(parents=True, exist_ok=True)
    originals = sorted(p for p in source.iterdir() if p.suffix == ".txt")
    written = []
    for i in range(copies):
        text = originals[i % len(originals)].read_text(encoding="utf-8")
        headline, _, body = text.partition("\n")
        path = target / f"variant_{i:03d}.txt"
        path.write_text(f"{headline} (edition {i})\nEdition {i} of this report.\n{body}",
                        encoding="utf-8")
        written.append(path)
    return written


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class IndexSnapshot:
    """What one data dir holds: every chunk id with its metadata, and the keyword index."""

    ids: list[str]  # as listed by Chroma, repeats kept so duplicates would show
    metadata: dict[str, dict[str, Any]]
    count: int
    collection_fingerprint: str
    keyword_fingerprint: str | None
    keyword_ids: list[str] | None

    @property
    def id_set(self) -> set[str]:
        return set(self.ids)


def snapshot(data_dir: Path, collection: str = COLLECTION) -> IndexSnapshot:
    """Read a local-mode data dir as a fresh reader would."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        path=str(data_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    coll = client.get_collection(collection)
    ids: list[str] = []
    metadata: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        page = coll.get(include=["metadatas"], limit=1000, offset=offset)
        if not page["ids"]:
            break
        for chunk_id, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
            ids.append(chunk_id)
            metadata[chunk_id] = dict(meta or {})
        offset += len(page["ids"])
    keyword_dir = index_dir_for(data_dir, str(data_dir / "chroma"), collection)
    keyword = KeywordIndex.load(keyword_dir)
    keyword_ids = None
    if keyword is not None:
        import json

        keyword_ids = json.loads((keyword_dir / "chunk_ids.json").read_text())
    return IndexSnapshot(
        ids=ids, metadata=metadata, count=coll.count(),
        collection_fingerprint=str((coll.metadata or {}).get("keyword_fingerprint")),
        keyword_fingerprint=keyword.fingerprint if keyword else None,
        keyword_ids=keyword_ids)


def index_problems(snap: IndexSnapshot, corpus: Path) -> list[str]:
    """Every way the index disagrees with the corpus on disk (empty list: consistent)."""
    problems: list[str] = []
    repeated = [i for i, n in Counter(snap.ids).items() if n > 1]
    if repeated:
        problems.append(f"duplicate chunk ids: {repeated[:5]}")
    if snap.count != len(snap.ids):
        problems.append(f"count() {snap.count} != listed ids {len(snap.ids)}")
    hashes: dict[str, str] = {}
    per_file: dict[str, set[int]] = {}
    expected: dict[str, int] = {}
    for chunk_id, meta in snap.metadata.items():
        file = str(meta["file"])
        path = corpus / file
        if not path.is_file():
            problems.append(f"orphan chunk {chunk_id}: {file} no longer exists")
            continue
        current = hashes.setdefault(file, sha256_file(path))
        if meta["content_hash"] != current:
            problems.append(f"stale chunk {chunk_id}: {file} has changed since")
        per_file.setdefault(file, set()).add(int(meta["chunk_index"]))
        expected[file] = int(meta["chunk_count"])
    for file, indices in per_file.items():
        if indices != set(range(expected[file])):
            problems.append(f"{file}: chunks {sorted(indices)} of {expected[file]}")
    fp = fingerprint(snap.ids)
    if snap.collection_fingerprint != fp:
        problems.append(f"collection keyword fingerprint {snap.collection_fingerprint} != {fp}")
    if snap.keyword_fingerprint != fp:
        problems.append(f"saved keyword index fingerprint {snap.keyword_fingerprint} != {fp}")
    if snap.keyword_ids is not None and sorted(snap.keyword_ids) != sorted(snap.ids):
        problems.append("keyword index ids differ from the collection's")
    return problems
