"""`newsbot discord` with sources configured, as a user runs it (a subprocess against the fake
Discord, a feed on a real 127.0.0.1 server): it polls the feed in the same process, answers
from what it fetched, shows the source in `/status`, and keeps answering while a poll is
stuck on a slow feed (the poll never runs on the event loop)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.fakes.discord_gateway import ADMIN, ADMIN_ROLE_ID, BOT_ID, GUILD_ID, FakeDiscord
from tests.fakes.feed_server import FeedServer, Route, rss

REPO_ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

DAM = ("The Marsh dam on the Brisca river opened its floodgates on Monday after three days of "
       "heavy rain, the water authority said.")


def _feed(server: FeedServer) -> bytes:
    return rss("Brisca Courier", [{
        "title": "Marsh dam opens", "link": server.url("/news/dam-opens"),
        "date": format_datetime(datetime.now(UTC), usegmt=True), "content": f"<p>{DAM}</p>"}])


async def _status_fields(fake: FakeDiscord) -> tuple[dict[str, str], float]:
    started = time.monotonic()
    interaction = await fake.slash_command("status", user=ADMIN, roles=[ADMIN_ROLE_ID])
    call = await fake.wait_for_call("POST", rf"/webhooks/{BOT_ID}/{interaction['token']}",
                                    timeout=30)
    [embed] = call.body["embeds"]
    return {f["name"]: f["value"] for f in embed["fields"]}, time.monotonic() - started


async def test_discord_polls_the_sources_off_the_event_loop(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    with FeedServer() as feeds:
        feeds.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n",
                                            content_type="text/plain")
        feeds.routes["/feed.xml"] = Route(_feed(feeds))
        async with FakeDiscord() as fake:
            env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO_ROOT),
                   "ANONYMIZED_TELEMETRY": "False", "DISCORD_TOKEN": "fake-token",
                   "NEWSBOT_DISCORD_API_BASE": fake.api_base,
                   "NEWSBOT_DISCORD_GUILDS": str(GUILD_ID), "NEWSBOT_DISCORD_COOLDOWN": "0",
                   "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
                   "NEWSBOT_CORPUS_DIR": str(tmp_path / "corpus"), "NEWSBOT_LLM": "extractive",
                   "NEWSBOT_SOURCES": feeds.url("/feed.xml"), "NEWSBOT_POLL_MINUTES": "0.02",
                   "NEWSBOT_FETCH_HOST_DELAY": "0", "NEWSBOT_FETCH_TIMEOUT": "30"}
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", "from bot.frontends.cli.app import main; main()",
                "discord", cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE)
            try:
                await fake.wait_for_call("PUT", r"/applications/\d+/guilds/\d+/commands",
                                         timeout=60)
                await asyncio.wait_for(fake.guild_delivered.wait(), 30)
                # The first poll fetched and ingested the feed: /status shows it.
                deadline = time.monotonic() + 60
                while True:
                    fields, _ = await _status_fields(fake)
                    if "checked" in fields.get("sources", "") and fields["chunks"] != "0":
                        break
                    assert time.monotonic() < deadline, fields
                    await asyncio.sleep(0.5)
                assert f"(feed {feeds.url('/feed.xml')}): checked " in fields["sources"]
                assert fields["newest article age"] == "today"

                # The question is answered from the fetched entry.
                await fake.user_message("When did the Marsh dam open its floodgates?",
                                        mention_bot=True)
                reply = await fake.wait_for_call(
                    "POST", r"/channels/\d+/messages", lambda c: bool(c.body.get("embeds")),
                    timeout=30)
                assert "Monday" in reply.body["content"]
                assert feeds.url("/news/dam-opens") in reply.body["embeds"][0]["description"]

                # A poll stuck on a slow feed does not hold up the bot.
                feeds.routes["/feed.xml"] = Route(_feed(feeds), delay=8.0)
                deadline = time.monotonic() + 20
                while feeds.in_flight == 0:
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.05)
                _, took = await _status_fields(fake)
                assert feeds.in_flight == 1  # still waiting for the feed
                assert took < 3.0
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    _, stderr = await asyncio.wait_for(process.communicate(), 30)
                except TimeoutError:
                    process.kill()
                    raise
    assert b"Traceback" not in stderr, stderr.decode()[-2000:]
