"""Restarts, end to end: the real client is stopped and started again against the same
``FakeDiscord``, as members would see it (recovery.py, cut_answers.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from bot.frontends.discord.cut_answers import CutAnswers
from bot.frontends.discord.formatting import INTERRUPTED
from bot.frontends.discord.recovery import ASK_AGAIN, SCAN_MESSAGES, AskedAtCooldown
from tests.fakes.discord_gateway import (
    ADMIN,
    BOT_ID,
    BOT_USER,
    CHANNEL_ID,
    FakeDiscord,
)
from tests.frontends.discord.conftest import StartBot
from tests.frontends.discord.support import FakeService, bot_message, has_citation_embed

pytestmark = pytest.mark.timeout(60)

THREADS = rf"/channels/{CHANNEL_ID}/messages/\d+/threads"


async def _thread_then_stop(start_bot: StartBot, fake_discord: FakeDiscord,
                            service: FakeService, **options: Any) -> int:
    """The first half of a restart: a question opens a thread (answered, with its hint), then
    the client stops. The thread's id."""
    client = await start_bot(service, **options)
    await fake_discord.user_message("what did Trump say?", mention_bot=True)
    thread_id = int((await fake_discord.wait_for_call("POST", THREADS)).match["mid"])
    await fake_discord.wait_for_call("POST", rf"/channels/{thread_id}/messages")  # the hint
    await client.close()
    return thread_id


def _threads_opened(fake: FakeDiscord) -> int:
    return len(fake.calls_to("POST", THREADS))


# -- answers cut by a shutdown -------------------------------------------------------------------


async def test_a_cut_answer_is_promised_and_finished_after_the_restart_however_busy_the_channel(
        start_bot: StartBot, fake_discord: FakeDiscord, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    slow = FakeService(stream=("Trump", "Trump said"), stream_pause=0.1, delay=6.0)
    store = CutAnswers.in_dir(tmp_path)
    client = await start_bot(slow, shutdown_grace=0.2, cut_answers=store)
    await fake_discord.user_message("what did Trump say?", mention_bot=True)
    await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages",
                                     lambda c: "▌" in (c.body.get("content") or ""))
    reply = bot_message(fake_discord, CHANNEL_ID, "▌")
    await client.close()  # what SIGTERM does
    edits = rf"/channels/{CHANNEL_ID}/messages/{reply['id']}"
    await fake_discord.wait_for_call("PATCH", edits, lambda c: c.body["content"] == INTERRUPTED)
    assert "Session is closed" not in caplog.text
    store.close()
    # While the bot is away the channel moves on: the reply leaves the window the start-up
    # scan reads, but the promise was written down.
    for n in range(SCAN_MESSAGES + 10):
        fake_discord.offline_message(f"chatter {n}")

    quick = FakeService()
    reopened = CutAnswers.in_dir(tmp_path)
    await start_bot(quick, cut_answers=reopened)
    await fake_discord.wait_for_call("PATCH", edits, has_citation_embed)
    assert quick.calls == [("what did Trump say?", ())]
    assert fake_discord.messages[int(reply["id"])]["content"] == quick.text
    # The cut answer never had its thread for follow-ups; the finished one gets it.
    await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages/{reply['id']}/threads")
    assert reopened.pending() == []
    reopened.close()


async def test_a_question_cut_before_anything_was_shown_is_promised_and_finished(
        start_bot: StartBot, fake_discord: FakeDiscord, tmp_path: Path) -> None:
    slow = FakeService(delay=6.0)  # no streaming: nothing is posted until the answer is done
    store = CutAnswers.in_dir(tmp_path)
    client = await start_bot(slow, shutdown_grace=0.1, cut_answers=store)
    asked = await fake_discord.user_message("what did Trump say?", mention_bot=True)
    await fake_discord.wait_until(lambda: len(slow.calls) == 1, timeout=5)
    await client.close()
    promise = await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages", lambda c: c.body["content"] == INTERRUPTED)
    assert str(promise.body["message_reference"]["message_id"]) == asked["id"]
    [cut] = store.pending()

    quick = FakeService()
    await start_bot(quick, cut_answers=store)
    await fake_discord.wait_for_call(
        "PATCH", rf"/channels/{CHANNEL_ID}/messages/{cut.message_id}", has_citation_embed)
    assert quick.calls == [("what did Trump say?", ())]
    store.close()


async def test_an_interrupted_ask_promises_nothing_and_says_to_ask_again(
        start_bot: StartBot, fake_discord: FakeDiscord, tmp_path: Path) -> None:
    slow = FakeService(stream=("Trump", "Trump said"), stream_pause=0.1, delay=6.0)
    store = CutAnswers.in_dir(tmp_path)
    client = await start_bot(slow, shutdown_grace=0.2, cut_answers=store)
    interaction = await fake_discord.slash_command("ask", {"question": "What did Trump say?"})
    token = interaction["token"]
    await fake_discord.wait_for_call("POST", rf"/webhooks/{BOT_ID}/{token}",
                                     lambda c: "▌" in (c.body.get("content") or ""))
    await client.close()
    # The question lived in the interaction: a restart could not finish this one.
    await fake_discord.wait_for_call("PATCH", rf"/webhooks/{BOT_ID}/{token}/messages/\d+",
                                     lambda c: c.body.get("content") == ASK_AGAIN)
    assert not any(INTERRUPTED in str(body) for body in fake_discord.sent_message_bodies())
    assert store.pending() == []

    quick = FakeService()
    await start_bot(quick, cut_answers=store)
    await fake_discord.user_message("marker", mention_bot=True)  # recovery is done by now
    await fake_discord.wait_until(lambda: len(quick.calls) == 1)
    await asyncio.sleep(0.2)
    assert quick.calls == [("marker", ())]
    store.close()


async def test_a_reply_left_mid_stream_by_a_crash_is_finished_on_start(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    asked = fake_discord.offline_message(f"<@{BOT_ID}> what did Trump say?")
    broken = fake_discord.offline_message("…neutrality. ▌", author=BOT_USER,
                                          reply_to=int(asked["id"]))
    await start_bot(service)
    await fake_discord.wait_for_call(
        "PATCH", rf"/channels/{CHANNEL_ID}/messages/{broken['id']}", has_citation_embed)
    assert service.calls == [("what did Trump say?", ())]  # answered once, not twice


# -- questions missed while down ------------------------------------------------------------------


def test_the_cooldown_is_replayed_at_the_times_questions_were_asked() -> None:
    cooldown = AskedAtCooldown(10.0)
    cooldown.accept(1, 100.0)  # answered before the restart
    assert cooldown.retry_after(1, 104.0) == 6.0  # too soon after it
    assert cooldown.retry_after(1, 109.0) == 1.0  # a refused try does not restart the wait
    assert cooldown.retry_after(1, 110.0) == 0.0
    assert cooldown.retry_after(1, 95.0) == 0.0  # before anything let through
    assert cooldown.retry_after(2, 104.0) == 0.0  # per user


async def test_mentions_sent_while_down_are_answered_on_start(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    missed = fake_discord.offline_message(f"<@{BOT_ID}> what did Trump say?")
    answered = fake_discord.offline_message(f"<@{BOT_ID}> an old question")
    fake_discord.offline_message("It was answered [1].", author=BOT_USER,
                                 reply_to=int(answered["id"]))
    fake_discord.offline_message("just chatting, no mention")
    await start_bot(service)
    reply = await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages",
                                             has_citation_embed)
    assert str(reply.body["message_reference"]["message_id"]) == missed["id"]
    await asyncio.sleep(0.2)
    assert service.calls == [("what did Trump say?", ())]


async def test_a_restart_answers_none_of_the_questions_the_cooldown_turned_away(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    client = await start_bot(service, cooldown_seconds=60)
    await fake_discord.user_message("what did Trump say?", mention_bot=True)
    await fake_discord.wait_until(lambda: _threads_opened(fake_discord) == 1)
    spam = [await fake_discord.user_message(f"question {i}?", mention_bot=True)
            for i in range(4)]
    await fake_discord.wait_until(lambda: len(fake_discord.reactions) == 4)
    await client.close()
    # Someone else asks while the bot is down: a legitimate question it missed.
    missed = fake_discord.offline_message(f"<@{BOT_ID}> what did Putin say?", author=ADMIN)

    again = FakeService()
    await start_bot(again, cooldown_seconds=60)
    reply = await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages",
        lambda c: str((c.body.get("message_reference") or {}).get("message_id")) == missed["id"])
    assert has_citation_embed(reply)
    await fake_discord.wait_until(lambda: _threads_opened(fake_discord) >= 2)
    await asyncio.sleep(0.3)
    # The spam was scanned before the missed question (oldest first): none of it answered.
    assert again.calls == [("what did Putin say?", ())]
    assert _threads_opened(fake_discord) == 2
    assert sorted(mid for mid, _ in fake_discord.reactions) == sorted(
        int(m["id"]) for m in spam)  # nothing new turned away either


async def test_questions_missed_while_down_meet_the_cooldown_as_they_were_asked(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    first = fake_discord.offline_message(f"<@{BOT_ID}> question 0?")
    too_soon = fake_discord.offline_message(f"<@{BOT_ID}> question 1?")
    others = fake_discord.offline_message(f"<@{BOT_ID}> what did Putin say?", author=ADMIN)
    time.sleep(1.1)  # one cooldown later (ids carry the time they were posted)
    later = fake_discord.offline_message(f"<@{BOT_ID}> question 2?")

    await start_bot(service, cooldown_seconds=1.0)
    await fake_discord.wait_until(lambda: len(service.calls) == 3 and bool(
        fake_discord.reactions))
    await asyncio.sleep(0.2)
    assert [q for q, _ in service.calls] == ["question 0?", "what did Putin say?",
                                             "question 2?"]
    # As live: the one asked too soon gets ⏳ (now, so the member sees it) and no answer.
    assert fake_discord.reactions == [(int(too_soon["id"]), "⏳")]
    replied = {str(c.body["message_reference"]["message_id"]) for c in fake_discord.calls_to(
        "POST", rf"/channels/{CHANNEL_ID}/messages") if c.body.get("message_reference")}
    assert replied == {first["id"], others["id"], later["id"]}


async def test_a_follow_up_missed_in_the_bots_thread_is_answered_in_context(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    thread_id = await _thread_then_stop(start_bot, fake_discord, service, cooldown_seconds=60)
    fake_discord.offline_message("and the ceasefire?", channel_id=thread_id)  # the asker

    again = FakeService()
    await start_bot(again, cooldown_seconds=60)
    await fake_discord.wait_for_call("POST", rf"/channels/{thread_id}/messages",
                                     has_citation_embed)
    [(question, history)] = again.calls
    assert question == "and the ceasefire?"
    # A thread from before the restart: its opening and messages are read from Discord.
    assert [t.question for t in history] == ["what did Trump say?"]
    assert "[1]" in history[0].answer
    assert fake_discord.calls_to("GET", rf"/channels/{CHANNEL_ID}/messages/{thread_id}")


async def test_follow_ups_in_a_thread_from_before_the_restart_read_it_from_discord_once(
        start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    thread_id = await _thread_then_stop(start_bot, fake_discord, FakeService())

    # A new session starts with an empty message cache: the opening (our reply the thread was
    # started on, in the parent channel) must be read from Discord, and only once however
    # many follow-ups need it ("is this the asker?", the history's first exchange).
    again = FakeService()
    await start_bot(again)
    for asked, text in enumerate(("and Putin?", "and the ceasefire?", "and Kyiv?"), start=1):
        await fake_discord.user_message(text, channel_id=thread_id)
        await fake_discord.wait_until(lambda asked=asked: len(
            [c for c in fake_discord.calls_to("POST", rf"/channels/{thread_id}/messages")
             if has_citation_embed(c)]) == asked)  # answered, so the next one reads it
    assert [[t.question for t in history] for _, history in again.calls] == [
        ["what did Trump say?"],
        ["what did Trump say?", "and Putin?"],
        ["what did Trump say?", "and Putin?", "and the ceasefire?"]]
    assert all("[1]" in t.answer for t in again.calls[2][1])
    assert len(fake_discord.calls_to("GET", rf"/channels/{CHANNEL_ID}/messages/{thread_id}")) == 1
    # The thread's messages too: read once, then what the gateway delivered since is added.
    reads = [c for c in fake_discord.calls_to("GET", rf"/channels/{thread_id}/messages")
             if c.query["limit"] != str(SCAN_MESSAGES)]  # not the start-up scan's
    assert len(reads) == 1


async def test_an_edit_in_a_thread_from_before_the_restart_makes_the_next_follow_up_reread_it(
        start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    thread_id = await _thread_then_stop(start_bot, fake_discord, FakeService())
    chatter = fake_discord.offline_message("Putin is next", channel_id=thread_id, author=ADMIN)

    again = FakeService()
    await start_bot(again)

    async def follow_up(text: str, asked: int) -> None:
        await fake_discord.user_message(text, channel_id=thread_id)
        await fake_discord.wait_until(lambda: len(
            [c for c in fake_discord.calls_to("POST", rf"/channels/{thread_id}/messages")
             if has_citation_embed(c)]) == asked)

    def reads() -> int:
        return len([c for c in fake_discord.calls_to("GET", rf"/channels/{thread_id}/messages")
                    if c.query["limit"] != str(SCAN_MESSAGES)])

    await follow_up("and Putin?", 1)
    await fake_discord.user_edit(int(chatter["id"]), "Zelensky is next")
    await follow_up("and the ceasefire?", 2)
    # The read held the old text of the edited message: read again, and the new text is used.
    assert reads() == 2
    assert "Zelensky is next" in [t.question for t in again.calls[1][1]]
