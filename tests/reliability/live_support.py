"""Helpers for the live-index tests: small synthetic articles, a real `newsbot ingest` process
embedding through the loopback OpenAI-compatible server, and a bot in this process that reads
the same data dir.

Every article is about one invented town, so a question names exactly one article, and its
one checkable fact (what the town's ferry terminal cost) changes when the article is edited.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.engine import NewsBot
from bot.models import Answer
from tests.core_fixtures import HashEncoder
from tests.fakes.openai_server import FakeOpenAIServer
from tests.reliability.support import REPO_ROOT, make_settings

EMBED_MODEL = "fake-embed"
EMBED_DIM = 64
_SYLLABLES = "ka ro vel mi tan so ber lin da ne gor shi val ter qui zo pa len dor fen".split()
_CLI = "from bot.frontends.cli.app import main; main()"


def town(i: int) -> str:
    """An invented, unique one-word town name for article ``i``."""
    n = len(_SYLLABLES)
    return (_SYLLABLES[i % n] + _SYLLABLES[(i // n) % n] + _SYLLABLES[(i // n // n) % n]
            + "ix").capitalize()


def article_text(i: int, cost: int) -> str:
    place = town(i)
    return (f"{place} opens a new ferry terminal\n\n"
            f"The town of {place} opened its new ferry terminal on Monday, the harbour office "
            f"said.\nThe ferry terminal in {place} cost {cost} million euros, officials "
            f"said.\nAbout {300 + i} passengers a day are expected to use it.\n")


def file_name(i: int) -> str:
    return f"town_{i:04d}.txt"


def write_article(corpus: Path, i: int, cost: int) -> Path:
    corpus.mkdir(parents=True, exist_ok=True)
    path = corpus / file_name(i)
    path.write_text(article_text(i, cost), encoding="utf-8")
    return path


def question(i: int) -> str:
    return f"How much did the ferry terminal in {town(i)} cost?"


def cost_quoted(answer: Answer) -> str:
    """The cited quotes together (where the cost figure must appear)."""
    return " ".join(c.quote for c in answer.citations)


@dataclass(frozen=True)
class Shop:
    """A data dir, its corpus and the embedding server that both processes use."""

    data_dir: Path
    corpus: Path
    server: FakeOpenAIServer

    def env(self) -> dict[str, str]:
        values = {
            "NEWSBOT_DATA_DIR": str(self.data_dir), "NEWSBOT_CORPUS_DIR": str(self.corpus),
            "NEWSBOT_EMBED": "openai", "NEWSBOT_OPENAI_EMBED_MODEL": EMBED_MODEL,
            "NEWSBOT_EMBED_BATCH_SIZE": "8", "OPENAI_BASE_URL": self.server.base_url,
            "OPENAI_API_KEY": "sk-test-live", "NEWSBOT_LLM": "extractive",
        }
        inherited = {k: v for k, v in os.environ.items()
                     if not k.startswith(("NEWSBOT_", "OPENAI_", "CHROMA_"))}
        path = os.pathsep.join(p for p in (str(REPO_ROOT), inherited.get("PYTHONPATH")) if p)
        return {**inherited, **values, "PYTHONPATH": path}

    def ingest_args(self) -> list[str]:
        return [sys.executable, "-c", _CLI, "ingest", str(self.corpus), "--json"]

    def start_ingest(self) -> subprocess.Popen[str]:
        """`newsbot ingest` in another process (cwd: the data dir's parent, no stray .env)."""
        return subprocess.Popen(self.ingest_args(), env=self.env(), cwd=self.data_dir.parent,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def ingest(self) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(self.ingest_args(), env=self.env(), cwd=self.data_dir.parent,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done

    def ask_in_new_process(self, text: str) -> subprocess.CompletedProcess[str]:
        """`newsbot ask --json`: a reader that loads the index from disk afresh."""
        return subprocess.run([sys.executable, "-c", _CLI, "ask", text, "--json"],
                              env=self.env(), cwd=self.data_dir.parent, capture_output=True,
                              text=True, timeout=120)

    def bot(self) -> NewsBot:
        """The answering side in this process. Its encoder computes locally the vectors the
        server returns (same function, same model name), so questions cost no request."""
        settings = make_settings(self.data_dir, NEWSBOT_CORPUS_DIR=self.corpus,
                                 NEWSBOT_EMBED="openai", NEWSBOT_OPENAI_EMBED_MODEL=EMBED_MODEL,
                                 NEWSBOT_LLM="extractive")
        return NewsBot(settings, encoder=HashEncoder(f"openai:{EMBED_MODEL}", EMBED_DIM))
