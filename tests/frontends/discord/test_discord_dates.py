"""`/ask` with the optional `since`/`until` options, through the real client on the gateway
stub: the range reaches the service as a ``DateRange``; a bad date is told to the asker alone
and never reaches it."""

from __future__ import annotations

from datetime import date

import pytest

from bot.frontends.discord.formatting import status_embed
from bot.models import DateRange
from bot.service import StatusInfo
from tests.fakes.discord_gateway import BOT_ID, FakeDiscord
from tests.frontends.discord.conftest import StartBot
from tests.frontends.discord.support import CITED_FILE, FakeService

pytestmark = pytest.mark.timeout(60)


async def test_ask_since_until_reach_the_service_as_a_date_range(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    synced = next(c for c in fake_discord.commands.get(next(iter(fake_discord.commands)), [])
                  if c["name"] == "ask")
    options = {o["name"]: o for o in synced["options"]}
    assert not options["since"].get("required") and not options["until"].get("required")
    assert "YYYY-MM-DD" in options["since"]["description"]

    interaction = await fake_discord.slash_command(
        "ask", {"question": "What did Trump say?", "since": "2025-03-01"})
    answer = await fake_discord.wait_for_call(
        "POST", rf"/webhooks/{BOT_ID}/{interaction['token']}",
        lambda c: CITED_FILE in str((c.body or {}).get("embeds")))
    assert "many elements of a deal were agreed" in answer.body["content"]
    assert service.dates == [DateRange(since=date(2025, 3, 1))]

    await fake_discord.slash_command("ask", {"question": "And Putin?", "since": "2025-03-01",
                                             "until": "2025-03-14"})
    await fake_discord.wait_until(lambda: len(service.dates) == 2)
    assert service.dates[1] == DateRange(date(2025, 3, 1), date(2025, 3, 14))


@pytest.mark.parametrize(("options", "told"), [
    ({"since": "last week"}, "since must be a date as YYYY-MM-DD"),
    ({"until": "2025-02-30"}, "until 2025-02-30 is not a calendar date"),
    ({"since": "2025-03-10", "until": "2025-03-01"}, "since 2025-03-10 is after until 2025-03-01"),
])
async def test_a_bad_date_is_an_ephemeral_message(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService,
        options: dict[str, str], told: str) -> None:
    await start_bot(service)
    interaction = await fake_discord.slash_command(
        "ask", {"question": "What did Trump say?", **options})
    call = await fake_discord.wait_for_call(
        "POST", rf"/interactions/\d+/{interaction['token']}/callback")
    assert call.body["type"] == 4 and call.body["data"]["flags"] & 64  # only the asker sees it
    assert told in call.body["data"]["content"]
    assert service.calls == []


def test_status_shows_members_the_dated_files_and_their_span() -> None:
    info = StatusInfo(corpus_dir="/srv/news", store="/srv/chroma", collection="c",
                      collection_exists=True, files=8, chunks=8, embedding_model="m",
                      backend="extractive", llm_setting="auto", dated_files=7,
                      oldest_date="2025-02-10", newest_date="2025-03-14")
    fields = {f.name: f.value for f in status_embed(info.public_json()).fields}
    assert (fields["dated files"], fields["oldest date"], fields["newest date"]) == (
        "7", "2025-02-10", "2025-03-14")
    assert "corpus dir" not in fields  # still only counts for members
