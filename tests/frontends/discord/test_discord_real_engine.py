"""One end-to-end run with the real engine: `/reindex` sample articles, then a mention.

Extractive backend (no LLM), a private data dir and two of the five sample articles: the
ingest embeds every chunk with the local model, which makes this the slowest Discord test.
"""

from __future__ import annotations

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
