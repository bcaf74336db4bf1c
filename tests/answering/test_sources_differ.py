"""End to end: two articles that state different figures for one thing, and an answer that
says so, citing each with its date — in the quoting backend, the CLI, Discord's formatting
and the LLM backend (the fake OpenAI server, both evidence modes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.evidence.sources_differ import PREFIX
from bot.answering.sentences import split_sentences
from bot.engine import NewsBot
from bot.frontends.discord.formatting import answer_messages, sources_embed
from bot.models import Answer
from ingest.embedding.cache import CachingEncoder
from tests.core_fixtures import make_settings, run_newsbot
from tests.fakes.fake_model import Message, message_text, parse_sources
from tests.fakes.openai_server import FakeOpenAIServer

GRAIN = ("The port of Velmora shipped a record {} million tonnes of grain in January, "
         "harbour officials said on Monday.")
FIRST = f"""---
title: Velmora port ships record grain
date: 2025-02-17
source: Harbour Daily
---
{GRAIN.format("2.1")}
Dock workers loaded ships through the night to clear a backlog left by the winter storms.
The harbour master thanked the crews for their patience during the long shifts.
"""
SECOND = f"""---
title: Grain boom lifts Velmora's economy
date: 2025-02-24
source: Coast Ledger
---
Farmers in the north of the province say the harvest was the best in a decade.
{GRAIN.format("2.6")}
Local shops report brisk trade as seasonal workers spend their wages in town.
"""
OTHER = """---
title: Old bridge closed for repairs
date: 2025-02-20
source: Harbour Daily
---
The city closed the Old Tollgate Bridge on Monday after inspectors found cracks in its steel beams.
Engineers expect the repairs to take most of the spring.
"""
QUESTION = "How much grain did the port of Velmora ship in January?"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("conflict") / "articles"
    folder.mkdir()
    for name, text in {"first.md": FIRST, "second.md": SECOND, "bridge.md": OTHER}.items():
        (folder / name).write_text(text, "utf-8")
    return folder


@pytest.fixture(scope="module")
def data_dir(corpus: Path, local_encoder: CachingEncoder) -> Path:
    data = corpus.parent / "data"
    report = NewsBot(make_settings(data, corpus), encoder=local_encoder).ingest()
    assert report.files_added == 3
    return data


def bot(corpus: Path, data_dir: Path, encoder: CachingEncoder, **env: str) -> NewsBot:
    return NewsBot(make_settings(data_dir, corpus, **env), encoder=encoder)


def assert_both_sides_cited(answer: Answer) -> None:
    assert not answer.refused
    line = next(line for line in answer.text.splitlines() if line.startswith(PREFIX))
    by_file = {c.file: c for c in answer.citations}
    first, second = by_file["first.md"], by_file["second.md"]
    assert line == (f"{PREFIX} Harbour Daily (2025-02-17) says “record 2.1 million tonnes” "
                    f"[{first.n}]; Coast Ledger (2025-02-24) says “record 2.6 million tonnes” "
                    f"[{second.n}].")
    assert "2.1 million tonnes" in first.quote and first.date == "2025-02-17"
    assert "2.6 million tonnes" in second.quote and second.date == "2025-02-24"


def test_the_quoting_backend_says_the_sources_differ(
        corpus: Path, data_dir: Path, local_encoder: CachingEncoder) -> None:
    answer = bot(corpus, data_dir, local_encoder).answer(QUESTION)
    assert_both_sides_cited(answer)
    # Discord shows the sentence in the answer and both sources, dated, in the embed.
    assert PREFIX in "\n".join(answer_messages(answer))
    embed = sources_embed(answer)
    assert embed is not None and embed.description is not None
    assert "2025-02-17" in embed.description and "2025-02-24" in embed.description


def test_an_answer_its_sources_agree_on_has_no_such_sentence(
        corpus: Path, data_dir: Path, local_encoder: CachingEncoder) -> None:
    answer = bot(corpus, data_dir, local_encoder).answer(
        "Why was the Old Tollgate Bridge closed?")
    assert not answer.refused and "cracks" in answer.text
    assert PREFIX not in answer.text


def test_the_rule_can_be_switched_off(
        corpus: Path, data_dir: Path, local_encoder: CachingEncoder) -> None:
    answer = bot(corpus, data_dir, local_encoder,
                 NEWSBOT_RULES_OFF="conflicts").answer(QUESTION)
    assert not answer.refused and PREFIX not in answer.text


def test_the_cli_prints_the_sentence_and_both_dated_sources(
        corpus: Path, data_dir: Path, tmp_path: Path) -> None:
    result = run_newsbot("ask", QUESTION, cwd=tmp_path, NEWSBOT_DATA_DIR=str(data_dir),
                         NEWSBOT_CORPUS_DIR=str(corpus), NEWSBOT_LLM="extractive")
    assert result.returncode == 0, result.stderr
    assert f"{PREFIX} Harbour Daily (2025-02-17)" in result.stdout
    sources = result.stdout.split("Sources:", 1)[1]
    assert "2025-02-17" in sources and "2025-02-24" in sources


def answers_from_source_1(messages: list[Message]) -> str:
    """A model that answers with source 1's sentence about the tonnes, as written, citing it
    (a small model's answer to a figure question: one source's figure)."""
    prompt = "\n".join(message_text(m) for m in messages if m.get("role") != "assistant")
    body = parse_sources(prompt)[1]
    sentence = next(s.text for s in split_sentences(body) if "tonnes" in s.text)
    return f"{sentence} [1]"


@pytest.mark.parametrize("evidence", ["sentences", "passages"])
def test_the_llm_backend_appends_it_after_grounding(
        corpus: Path, data_dir: Path, local_encoder: CachingEncoder,
        openai_server: FakeOpenAIServer, evidence: str) -> None:
    llm_bot = bot(corpus, data_dir, local_encoder, NEWSBOT_LLM="openai",
                  OPENAI_BASE_URL=openai_server.base_url, OPENAI_API_KEY="test",
                  NEWSBOT_LLM_MAX_RETRIES="1", NEWSBOT_LLM_EVIDENCE=evidence)
    openai_server.responder = answers_from_source_1
    answer = llm_bot.answer(QUESTION)
    assert answer.backend.startswith("openai:"), answer.text
    assert openai_server.requests_to("/chat/completions")  # the model wrote the answer
    assert_both_sides_cited(answer)
    # The model's own sentence comes first, as written and checked.
    assert answer.text.splitlines()[0].startswith("The port of Velmora shipped")
