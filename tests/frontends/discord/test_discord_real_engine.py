"""One end-to-end run with the real engine: `/reindex` sample articles, then a mention.

Extractive backend (no LLM), a private data dir and two of the five sample articles: the
ingest embeds every chunk with the local model, which makes this the slowest Discord test.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.fakes.discord_gateway import ADMIN, ADMIN_ROLE_ID, BOT_ID, CHANNEL_ID, FakeDiscord
from tests.frontends.discord.conftest import StartBot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

engine = pytest.importorskip("bot.engine", reason="bot.engine (the answering engine) is not "
                             "importable yet")
SAMPLE_DIR = Path(__file__).resolve().parents[3] / "data" / "articles"
ARTICLES = ("000_205b20b4e116fe41.txt", "002_50adbc4de58b80e4.txt")


async def test_reindex_then_mention_with_the_real_engine(
        start_bot: StartBot, fake_discord: FakeDiscord, tmp_path: Path) -> None:
    corpus = tmp_path / "articles"
    corpus.mkdir()
    for name in ARTICLES:
        shutil.copy2(SAMPLE_DIR / name, corpus / name)
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", corpus_dir=corpus,
                        llm="extractive")
    await start_bot(engine.NewsBot.from_settings(settings))

    reindex = await fake_discord.slash_command("reindex", user=ADMIN, roles=[ADMIN_ROLE_ID])
    done = await fake_discord.wait_for_call(
        "PATCH", rf"/webhooks/{BOT_ID}/{reindex['token']}/messages/\d+",
        lambda c: "Re-indexed" in c.body["content"], timeout=90)
    assert "files added: 2" in done.body["content"]

    await fake_discord.user_message("How many soldiers die each week, according to Trump?",
                                    mention_bot=True)
    reply = await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages", lambda c: bool(c.body.get("embeds")),
        timeout=30)
    assert "2,500" in reply.body["content"] and "[1]" in reply.body["content"]
    description = reply.body["embeds"][0]["description"]
    assert ".txt`" in description and "**1.**" in description
    # Presentation (issue 13, item 8): no banner in the text, how it was made in the footer,
    # one number per article, and a title only where the article has a headline.
    assert "Extractive answer" not in reply.body["content"]
    assert reply.body["embeds"][0]["footer"]["text"].startswith(
        "Sentences quoted from the articles; no LLM · extractive")
    cited = re.findall(r"`(\d{3}_\w+\.txt)`", description)
    assert cited and len(cited) == len(set(cited))
    assert "U.S. President Donald Trump has said" not in description.split("—")[0]

    # A question the articles don't cover: refused, without a thread or vote buttons.
    threads = rf"/channels/{CHANNEL_ID}/messages/\d+/threads"
    await fake_discord.wait_for_call("POST", threads)  # the answer's thread
    asked = await fake_discord.user_message("What is the capital of Australia?",
                                            mention_bot=True)
    refusal = await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages",
        lambda c: str((c.body.get("message_reference") or {}).get("message_id")) == asked["id"],
        timeout=30)
    assert "don't cover" in refusal.body["content"] or "could not" in refusal.body["content"]
    assert not refusal.body.get("components")
    await asyncio.sleep(0.5)  # a thread would be opened right after the reply
    assert len(fake_discord.calls_to("POST", threads)) == 1
