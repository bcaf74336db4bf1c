"""Helpers shared by the reliability tests: settings, a fast encoder, corpora, store checks.

The index checks read the data dir directly (chromadb + the saved keyword index), not through
``NewsBot``, so they judge what is on disk after a crash rather than what the code believes.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bot.settings import Settings
from ingest.keyword_index import KeywordIndex, fingerprint, index_dir_for

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CORPUS = REPO_ROOT / "data" / "articles"
COLLECTION = "newsbot_articles"


def make_settings(data_dir: Path, **env: Any) -> Settings:
    """Settings built from explicit values only (env var names as keys), never a `.env`."""
    return Settings(_env_file=None, NEWSBOT_DATA_DIR=data_dir, **env)


class HashEncoder:
    """A deterministic bag-of-words encoder: fast, so crash tests spend their time in the
    pipeline and the store, not in a neural model. ``delay`` (seconds per ``encode`` call)
    stretches a run so that a kill can land inside it."""

    def __init__(self, dim: int = 64, delay: float = 0.0) -> None:
        self.name = f"test-hash-{dim}"
        self.dim = dim
        self.delay = delay

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if self.delay:
            time.sleep(self.delay)
        out = np.full((len(texts), self.dim), 0.01, dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


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


def copy_corpus(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


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


_SOURCE_BLOCK = re.compile(r"^Source (\d+) \(file: [^\n]*\):\n(.*?)(?=^Source \d+ \(file: |\Z)",
                           re.MULTILINE | re.DOTALL)
_SENTENCE = re.compile(r".+?[.!?](?=\s|$)", re.DOTALL)


def citing_responder(messages: list[dict[str, Any]]) -> str:
    """A model that answers with source 1's first sentence and cites it: ``"<sentence> [1]"``.

    Why not the fake server's ``default_responder``: it reads a source header up to the first
    colon, so with our ``Source N (file: F; title: T):`` blocks it quotes "F; title: T" (the
    headline, often not in the chunk) and the citation fails the support check."""
    prompt = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    blocks = {int(n): text for n, text in _SOURCE_BLOCK.findall(prompt)}
    if 1 not in blocks:
        return "The articles don't cover this."
    body = " ".join(blocks[1].split("\n\nQuestion:")[0].split())
    first = _SENTENCE.match(body)
    return f"{(first.group(0) if first else body).strip()} [1]"
