"""Shared helpers and fixtures of the core's tests (registered in tests/conftest.py).

Embedding the sample corpus with the local MiniLM model is the slow part of these tests
(~5-10 s on a loaded 2-core machine), so the model is loaded once per session and wrapped in
the product's ``CachingEncoder`` that remembers vectors by text: the first ingest pays for
embedding, every later ingest of the same texts (server mode, a mutated copy, a rebuild) costs
only chunking and Chroma writes. The ingest *pipeline* still asks for every vector it needs, so
``chunks_embedded`` and the texts recorded by ``RecordingEncoder`` show exactly what it would
have embedded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from numpy.typing import NDArray

from ingest.embedding.cache import CachingEncoder
from tests.fakes.fake_model import embed_text

if TYPE_CHECKING:
    from bot.answering.retrieval import RetrievedChunk
    from bot.engine import NewsBot
    from bot.settings import Settings
    from ingest.embedding import Encoder
    from ingest.report import IngestReport

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT / "data" / "articles"
SAMPLE_FILES = tuple(sorted(p.name for p in CORPUS_DIR.iterdir() if p.is_file()))
SAUDI_QUESTION = "Where were the talks on the 30-day ceasefire held?"
SAUDI_FILE = "002_50adbc4de58b80e4.txt"
OFF_TOPIC_QUESTION = "What is the capital of Australia?"
ISOLATED_PREFIXES = ("NEWSBOT_", "CHROMA_", "OPENAI_", "DISCORD_")


# -- encoders ----------------------------------------------------------------------------------


class RecordingEncoder:
    """Passes through to another encoder and records every text it was asked to embed."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.texts.extend(texts)
        return self.inner.encode(texts)


class HashEncoder:
    """A fast deterministic bag-of-words encoder (the fake OpenAI server's) for bookkeeping
    tests, where what matters is which chunks are stored, not how well they match a question.
    ``delay`` (seconds per ``encode`` call) stretches an ingest so that a kill can land in it."""

    def __init__(self, name: str = "test-hash", dim: int = 64, delay: float = 0.0) -> None:
        self.name = name
        self.dim = dim
        self.delay = delay

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if self.delay:
            time.sleep(self.delay)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.asarray([embed_text(t, self.dim) for t in texts], dtype=np.float32)


def retrieved_chunk(file: str, text: str, **metadata: Any) -> RetrievedChunk:
    """A retrieved chunk of ``text`` from ``file``, for feeding the extractive answerer;
    ``metadata`` adds to or overrides what is stored with it (e.g. ``title``, ``chunk_index``)."""
    from bot.answering.retrieval import RetrievedChunk
    from ingest.store import StoredChunk

    stored = {"file": file, "title": file, **metadata}
    return RetrievedChunk(StoredChunk(f"id-{file}", text, stored), 0.8, 0.0, 0.0)


def write_quiz_set(root: Path, articles: Sequence[dict[str, Any]],
                   questions: Sequence[dict[str, Any]]) -> Path:
    """A news-quiz set in RealTimeQA's format under ``root``: ``corpus/articles.jsonl`` and
    ``questions.json`` (returned)."""
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "articles.jsonl").write_text(
        "".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    path = root / "questions.json"
    path.write_text(json.dumps(list(questions)), encoding="utf-8")
    return path


# -- settings and bots -------------------------------------------------------------------------


def make_settings(data_dir: Path, corpus_dir: Path | None = None, **env: Any) -> Settings:
    """Settings built from explicit env-style names only (no .env, no process environment)."""
    from bot.settings import Settings

    values: dict[str, Any] = {"NEWSBOT_DATA_DIR": data_dir, "NEWSBOT_LLM": "extractive", **env}
    if corpus_dir is not None:
        values["NEWSBOT_CORPUS_DIR"] = corpus_dir
    return Settings(_env_file=None, **values)


def copy_corpus(target: Path) -> Path:
    """A private copy of the sample articles at ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_FILES:
        shutil.copy2(CORPUS_DIR / name, target / name)
    return target


@dataclass(frozen=True)
class IndexedCorpus:
    """The sample corpus ingested once with the local model; tests must not write to it."""

    corpus_dir: Path
    data_dir: Path
    first: IngestReport
    second: IngestReport | None
    encoder: CachingEncoder

    def settings(self, **env: Any) -> Settings:
        return make_settings(self.data_dir, self.corpus_dir, **env)

    def bot(self, **env: Any) -> NewsBot:
        from bot.engine import NewsBot

        return NewsBot(self.settings(**env), encoder=self.encoder)


@pytest.fixture(scope="session")
def local_encoder() -> CachingEncoder:
    """The real local MiniLM model, loaded once, with vectors memoised by text."""
    from ingest.embedding import make_encoder

    # Unbounded in effect: a test session embeds a few thousand distinct texts at most.
    return CachingEncoder(make_encoder("local"), max_bytes=2**30)


@pytest.fixture(scope="session")
def indexed_corpus(tmp_path_factory: pytest.TempPathFactory,
                   local_encoder: CachingEncoder) -> IndexedCorpus:
    """The five sample articles ingested (twice: the second run must embed nothing)."""
    from bot.engine import NewsBot

    root = tmp_path_factory.mktemp("indexed")
    corpus = copy_corpus(root / "articles")
    settings = make_settings(root / "data", corpus)
    bot = NewsBot(settings, encoder=local_encoder)
    first = bot.ingest()
    second = bot.ingest()
    return IndexedCorpus(corpus, root / "data", first, second, local_encoder)


@pytest.fixture(scope="session")
def extractive_bot(indexed_corpus: IndexedCorpus) -> NewsBot:
    """One extractive bot over the shared index (read-only use)."""
    return indexed_corpus.bot()


# -- the CLI as a subprocess -------------------------------------------------------------------


def newsbot_executable() -> Path:
    """The installed console script next to the interpreter running the tests."""
    candidate = Path(sys.executable).parent / "newsbot"
    if not candidate.exists():
        raise FileNotFoundError(f"no `newsbot` console script next to {sys.executable}")
    return candidate


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without the developer's newsbot/chroma/openai/discord settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATED_PREFIXES)}
    env.update({"ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1", "COLUMNS": "200", **extra})
    return env


def run_newsbot(*args: str, cwd: Path, timeout: float = 120,
                **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``newsbot ARGS`` with a clean environment plus ``env``; never raises on exit codes."""
    return subprocess.run(
        [str(newsbot_executable()), *args], cwd=cwd, env=clean_env(**env),
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def error_lines(stderr: str) -> list[str]:
    """Non-empty stderr lines (what a user sees on failure)."""
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.fixture
def private_index(tmp_path: Path, local_encoder: CachingEncoder) -> IndexedCorpus:
    """A fresh, writable ingest of a private corpus copy (cheap: vectors come from the cache)."""
    from bot.engine import NewsBot

    corpus = copy_corpus(tmp_path / "articles")
    settings = make_settings(tmp_path / "data", corpus)
    bot = NewsBot(settings, encoder=local_encoder)
    return IndexedCorpus(corpus, tmp_path / "data", bot.ingest(), None, local_encoder)
