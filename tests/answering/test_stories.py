"""One story, many outlets, at answer time: retrieval spends its slots on distinct stories, the
newest copy of a story is the one read, and the citation says where else the story ran.

The end-to-end tests ingest planted wire copies with the real local model and answer with the
extractive backend; the unit tests feed ``one_copy_per_story`` stored chunks directly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.retrieval import HybridRetriever
from bot.answering.stories import one_copy_per_story, story_of
from bot.engine import NewsBot
from bot.frontends.cli.app import print_answer
from bot.frontends.discord.formatting import citation_line
from bot.models import Answer, Citation
from ingest.embedding.cache import CachingEncoder
from ingest.store import StoredChunk
from tests.core_fixtures import make_settings
from tests.ingest.test_near_duplicates import COPY, OTHER, WIRE

CORRECTED = WIRE.replace("42 million pounds", "48 million pounds")


def _chunk(chunk_id: str, article: str, story: str = "", date: str = "",
           ingested_at: int = 0) -> StoredChunk:
    metadata: dict[str, str | int] = {"file": article, "title": article}
    if story:
        metadata["story"] = story
    if date:
        metadata["date"] = date
    if ingested_at:
        metadata["ingested_at"] = ingested_at
    return StoredChunk(chunk_id, "text", metadata)


def test_a_copy_gives_its_slot_to_the_next_story() -> None:
    ranked = [_chunk("a0", "a", "a"), _chunk("b0", "b", "a"), _chunk("c0", "c"),
              _chunk("a1", "a", "a")]
    distinct = one_copy_per_story(ranked, 2)
    assert distinct.ids == ["a0", "c0"]
    assert [c.id for c in distinct.copies["a0"]] == ["b0"] and distinct.copies["c0"] == ()
    # Chunks stored before stories were count as their own article's story.
    assert story_of(ranked[2]) == "c"


def test_the_newest_copy_takes_the_best_rank_of_its_story() -> None:
    ranked = [_chunk("old", "old", "old", "2025-03-01"), _chunk("x", "x"),
              _chunk("new", "new", "old", "2025-03-02"),
              _chunk("same-day-later", "fix", "x", "", ingested_at=20)]
    distinct = one_copy_per_story(ranked, 3)
    assert distinct.ids == ["new", "same-day-later"]
    assert [c.id for c in distinct.copies["new"]] == ["old"]
    assert [c.id for c in distinct.copies["same-day-later"]] == ["x"]


def _write(corpus: Path, name: str, text: str, site: str, day: str, url: str = "") -> None:
    link = f"url: {url}\n" if url else ""
    (corpus / name).write_text(f"---\nsite: {site}\ndate: {day}\n{link}---\n{text}\n",
                               encoding="utf-8")


@pytest.fixture(scope="module")
def wire_corpus(tmp_path_factory: pytest.TempPathFactory,
                local_encoder: CachingEncoder) -> NewsBot:
    root = tmp_path_factory.mktemp("wire")
    corpus = root / "corpus"
    corpus.mkdir()
    _write(corpus, "wire.md", WIRE, "Wire Service", "2025-03-01")
    _write(corpus, "copy.md", COPY, "Daily Post", "2025-03-01",
           "https://www.dailypost.example/bridge")
    _write(corpus, "other.md", OTHER, "Marlow Times", "2025-03-01")
    bot = NewsBot(make_settings(root / "data", corpus), encoder=local_encoder)
    bot.ingest()
    return bot


def test_planted_copies_are_one_citation_that_says_where_else_it_ran(
        wire_corpus: NewsBot) -> None:
    answer = wire_corpus.answer("How much will the Harbour Bridge repairs cost?")
    assert "42 million" in answer.text
    cited = [c for c in answer.citations if c.file in {"wire.md", "copy.md"}]
    assert len(cited) == 1
    other_site = {"wire.md": "dailypost.example", "copy.md": "Wire Service"}[cited[0].file]
    assert cited[0].also_in == (other_site,)
    assert answer.to_json()["citations"][0]["also_in"] == list(answer.citations[0].also_in)


def test_retrieval_spends_no_slot_on_a_copy_and_keeps_other_writers(
        wire_corpus: NewsBot, local_encoder: CachingEncoder) -> None:
    retriever = HybridRetriever(wire_corpus.store, local_encoder, wire_corpus.keyword_dir)
    chunks = retriever.retrieve("Harbour Bridge closure Marlow council", 3).chunks
    files = [c.chunk.file for c in chunks]
    assert len({"wire.md", "copy.md"} & set(files)) == 1
    assert "other.md" in files  # the same topic by another writer is not a copy


def test_a_corrected_copy_is_preferred(tmp_path: Path, local_encoder: CachingEncoder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "wire.md", WIRE, "Wire Service", "2025-03-01")
    _write(corpus, "wire-corrected.md", CORRECTED, "Wire Service", "2025-03-02")
    # Recency off: the preference for the newer copy is the story's, not the recency rule's.
    bot = NewsBot(make_settings(tmp_path / "data", corpus, NEWSBOT_RULES_OFF="recent_first"),
                  encoder=local_encoder)
    bot.ingest()
    answer = bot.answer("How much will the Harbour Bridge repairs cost?")
    assert "48 million" in answer.text and "42 million" not in answer.text
    assert [c.file for c in answer.citations] == ["wire-corrected.md"]
    retriever = HybridRetriever(bot.store, local_encoder, bot.keyword_dir)
    chunks = retriever.retrieve("How much will the Harbour Bridge repairs cost?", 2).chunks
    assert {c.chunk.file for c in chunks} == {"wire-corrected.md"}  # the old copy takes none
    assert [c.file for c in chunks[0].copies] == ["wire.md"]


def test_the_cli_and_discord_say_where_else_the_story_ran(
        capsys: pytest.CaptureFixture[str]) -> None:
    citation = Citation(n=1, file="wire.md", title="Bridge to close", quote="It will close.",
                        score=0.9, also_in=("Daily Post", "Evening News"))
    print_answer(Answer(question="q", text="It will close [1].", citations=(citation,)))
    assert "also ran in: Daily Post, Evening News" in capsys.readouterr().out
    assert "also ran in: Daily Post, Evening News" in citation_line(citation)
    plain = Citation(n=1, file="wire.md", title="Bridge to close", quote="x", score=0.9)
    assert "also ran in" not in citation_line(plain)
