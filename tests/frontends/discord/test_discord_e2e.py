"""End to end through discord.py's own HTTP and gateway code, against ``FakeDiscord``.

The real ``NewsbotClient`` logs in, syncs its commands, connects to the fake gateway and answers
slash commands, mentions and thread follow-ups; the checks read what it sent over REST.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from pathlib import Path
from typing import Any

import pytest

from bot.feedback.store import FeedbackStore
from bot.frontends.discord.mentions import THREAD_HINT
from bot.frontends.discord.server_settings import ServerSettingsStore
from bot.models import Citation
from tests.fakes.discord_gateway import (
    ADMIN,
    ADMIN_ID,
    ADMIN_ROLE_ID,
    BOT_ID,
    BOT_ROLE_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    GUILD_ID,
    OTHER_BOT,
    OTHER_CHANNEL_ID,
    FakeDiscord,
)
from tests.frontends.discord.conftest import StartBot
from tests.frontends.discord.support import (
    CITED_FILE,
    FakeService,
    bot_message,
    has_citation_embed,
)

pytestmark = pytest.mark.timeout(60)


def _assert_no_pings(fake: FakeDiscord) -> None:
    """Every message the bot sent or edited carried allowed_mentions with nothing to parse."""
    bodies = fake.sent_message_bodies()
    assert bodies
    for body in bodies:
        assert body.get("allowed_mentions", {}).get("parse") == [], body


async def test_login_syncs_guild_commands_and_connects(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    client = await start_bot(service)
    assert client.user is not None and client.user.id == BOT_ID
    assert fake_discord.identify is not None
    assert fake_discord.identify["intents"] & (1 << 15)  # message content
    synced = {c["name"] for c in fake_discord.commands[str(GUILD_ID)]}
    assert synced == {"ask", "sources", "status", "reindex", "config"}
    assert fake_discord.calls_to("PUT", rf"/applications/{BOT_ID}/guilds/{GUILD_ID}/commands")
    assert client.get_guild(GUILD_ID) is not None


async def test_slash_ask_defers_then_follows_up_with_citations(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService,
        feedback: FeedbackStore) -> None:
    await start_bot(service)
    interaction = await fake_discord.slash_command("ask", {"question": "What did Trump say?"})
    token = interaction["token"]

    deferral = await fake_discord.wait_for_call("POST", rf"/interactions/\d+/{token}/callback")
    assert deferral.body["type"] == 5  # deferred channel message ("thinking…")
    answer = await fake_discord.wait_for_call(
        "POST", rf"/webhooks/{BOT_ID}/{token}", has_citation_embed)
    assert "many elements of a deal were agreed [1]" in answer.body["content"]
    assert answer.query.get("wait") in ("1", "true")  # the bot needs the message back to edit it
    assert fake_discord.calls.index(deferral) < fake_discord.calls.index(answer)
    # 👍/👎 buttons under the answer, for an answer stored in the feedback store.
    custom_ids = [c["custom_id"] for row in answer.body["components"]
                  for c in row["components"]]
    assert [cid.rsplit(":", 2)[1] for cid in custom_ids] == ["up", "down"]
    assert service.calls == [("What did Trump say?", ())]
    _assert_no_pings(fake_discord)


async def test_mention_replies_opens_thread_and_follow_up_uses_history(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    asked = await fake_discord.user_message("what did Trump say about the call?",
                                            mention_bot=True)

    reply = await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages", has_citation_embed)
    assert str(reply.body["message_reference"]["message_id"]) == asked["id"]
    assert reply.body["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert "[1]" in reply.body["content"]
    thread_call = await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages/\d+/threads")
    thread_id = int(thread_call.match["mid"])
    await fake_discord.wait_for_call(
        "POST", rf"/channels/{thread_id}/messages",
        lambda c: c.body["content"] == THREAD_HINT)
    assert service.calls[0] == ("what did Trump say about the call?", ())

    # A follow-up in the thread needs no mention and is answered with the thread's history.
    await fake_discord.user_message("and what about the ceasefire?", channel_id=thread_id)
    await fake_discord.wait_for_call(
        "POST", rf"/channels/{thread_id}/messages", has_citation_embed)
    question, history = service.calls[1]
    assert question == "and what about the ceasefire?"
    assert history[0].question == "what did Trump say about the call?"
    assert "[1]" in history[0].answer
    # A thread of this session: its opening and its messages come from the client's cache,
    # not from REST reads on every follow-up.
    assert not fake_discord.calls_to("GET", rf"/channels/{thread_id}/messages")
    assert not fake_discord.calls_to("GET", rf"/channels/{CHANNEL_ID}/messages/{thread_id}")
    _assert_no_pings(fake_discord)


async def test_a_mention_of_the_bots_role_is_answered(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    await fake_discord.user_message(f"<@&{BOT_ROLE_ID}> what did Trump say?")
    await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages",
                                     has_citation_embed)
    assert service.calls == [("what did Trump say?", ())]


async def test_a_rest_429_is_waited_out_and_retried(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    fake_discord.rate_limit_next("POST", rf"/channels/{CHANNEL_ID}/messages$", retry_after=0.3)
    started = time.perf_counter()
    await fake_discord.user_message("what did Trump say?", mention_bot=True)
    await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages",
                                     has_citation_embed)
    posts = fake_discord.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages")
    assert [c.status for c in posts][:2] == [429, 200]
    assert time.perf_counter() - started >= 0.3


async def test_bots_and_itself_are_ignored(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    await fake_discord.user_message("answer me", author=OTHER_BOT, mention_bot=True)
    await fake_discord.user_message("a plain message without a mention")
    # A marker message proves the ones before it were processed (events arrive in order).
    await fake_discord.user_message("now me", mention_bot=True)
    await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages",
                                     has_citation_embed)
    assert [q for q, _ in service.calls] == ["now me"]


async def test_slow_answer_does_not_block_the_event_loop(
        start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    slow = FakeService(delay=1.0)
    await start_bot(slow)
    await fake_discord.user_message("slow question", mention_bot=True)
    await asyncio.sleep(0.1)  # the slow answer is now running in its worker thread
    started = time.perf_counter()
    interaction = await fake_discord.slash_command("sources")
    await fake_discord.wait_for_call("POST", rf"/webhooks/{BOT_ID}/{interaction['token']}")
    assert time.perf_counter() - started < 0.75  # /sources was not stuck behind the answer
    await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages",
                                     has_citation_embed)
    assert all(name != "MainThread" for name in slow.threads)


async def test_reindex_for_admins_only(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    refused = await fake_discord.slash_command("reindex")
    call = await fake_discord.wait_for_call(
        "POST", rf"/interactions/\d+/{refused['token']}/callback")
    assert call.body["type"] == 4 and call.body["data"]["flags"] & 64  # ephemeral refusal
    assert "Manage Server" in call.body["data"]["content"]

    allowed = await fake_discord.slash_command("reindex", user=ADMIN, roles=[ADMIN_ROLE_ID])
    await fake_discord.wait_for_call(
        "PATCH", rf"/webhooks/{BOT_ID}/{allowed['token']}/messages/\d+",
        lambda c: "Re-indexed" in c.body["content"])


async def test_vote_button_is_stored(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService,
        feedback: FeedbackStore) -> None:
    await start_bot(service)
    await fake_discord.user_message("what did Trump say?", mention_bot=True)
    reply = await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages",
                                             has_citation_embed)
    message_id = next(int(m["id"]) for m in fake_discord.messages.values()
                      if m["components"] and m["channel_id"] == str(CHANNEL_ID))
    down = reply.body["components"][0]["components"][1]["custom_id"]
    click = await fake_discord.click_button(message_id, down)
    thanks = await fake_discord.wait_for_call(
        "POST", rf"/interactions/\d+/{click['token']}/callback")
    assert thanks.body["data"]["flags"] & 64
    summary = feedback.summary()
    assert (summary.votes, summary.down) == (1, 1)
    assert summary.worst[0].cited_files == [CITED_FILE]


async def test_a_429_on_an_interaction_followup_is_survived(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    fake_discord.rate_limit_next("POST", r"/webhooks/", retry_after=0.2)
    interaction = await fake_discord.slash_command("ask", {"question": "What did Trump say?"})
    await fake_discord.wait_for_call("POST", rf"/webhooks/{BOT_ID}/{interaction['token']}",
                                     has_citation_embed)
    followups = fake_discord.calls_to("POST", rf"/webhooks/{BOT_ID}/{interaction['token']}")
    assert [c.status for c in followups] == [429, 200]


async def test_streaming_edits_the_reply_then_shows_the_final_answer(
        start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    final = "Trump said many elements of a deal were agreed [1]."
    streaming = FakeService(text=final, stream=("Trump", "Trump said many",
                                                "Trump said many elements [2]", "Trump said"
                                                " many elements of a deal [2]."),
                            stream_pause=0.1)
    await start_bot(streaming, edit_interval=0.25)
    await fake_discord.user_message("what did Trump say?", mention_bot=True)
    await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages/\d+/threads")

    first = fake_discord.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages")[0]
    assert first.body["content"].endswith("▌")  # a preview, marked as still writing
    edits = fake_discord.calls_to("PATCH", rf"/channels/{CHANNEL_ID}/messages/\d+")
    assert edits[-1].body["content"] == final  # the engine's final text (renumbered markers)
    assert has_citation_embed(edits[-1]) and edits[-1].body["components"]
    previews = [first, *edits[:-1]]
    assert all(c.body["content"].endswith("▌") for c in previews)
    gaps = [b.at - a.at for a, b in itertools.pairwise(previews)]
    assert all(gap >= 0.2 for gap in gaps), gaps  # at most one edit per interval
    _assert_no_pings(fake_discord)


async def test_answers_beyond_the_cap_are_queued_with_their_position(
        start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    slow = FakeService(delay=0.4)
    await start_bot(slow, max_concurrent=1)
    for n in range(3):
        await fake_discord.user_message(f"question {n}", mention_bot=True)
    threads = rf"/channels/{CHANNEL_ID}/messages/\d+/threads"
    await fake_discord.wait_until(lambda: len(fake_discord.calls_to("POST", threads)) == 3)
    posts = [c.body["content"] for c in fake_discord.calls_to(
        "POST", rf"/channels/{CHANNEL_ID}/messages")]
    assert sum("Queued, position 1" in p for p in posts) == 1
    assert sum("Queued, position 2" in p for p in posts) == 1
    edits = fake_discord.calls_to("PATCH", rf"/channels/{CHANNEL_ID}/messages/\d+")
    assert sum(has_citation_embed(e) for e in edits) == 2  # the queued notes became answers
    assert [q for q, _ in slow.calls] == ["question 0", "question 1", "question 2"]


async def test_a_long_answer_keeps_each_marker_with_its_sentence(
        start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    # Markers after the full stop, as models write them: "…peace. [4]".
    text = " ".join(f"Claim {i} about the talks and the peace. [1]" for i in range(100))
    await start_bot(FakeService(text=text))
    await fake_discord.user_message("tell me everything", mention_bot=True)
    await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages",
                                     has_citation_embed)
    posted = [c.body["content"] for c in fake_discord.calls_to(
        "POST", rf"/channels/{CHANNEL_ID}/messages") if c.body and c.body.get("content")]
    parts = [p for p in posted if "Claim" in p]
    assert len(parts) >= 2
    assert all(len(p) <= 2000 for p in parts)
    assert all(not p.startswith("[") and p.endswith("[1]") for p in parts)


async def test_status_shows_server_paths_only_to_managers(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)

    async def status_fields(**who: object) -> dict[str, str]:
        interaction = await fake_discord.slash_command("status", **who)  # type: ignore[arg-type]
        call = await fake_discord.wait_for_call(
            "POST", rf"/webhooks/{BOT_ID}/{interaction['token']}")
        [embed] = call.body["embeds"]
        return {f["name"]: f["value"] for f in embed["fields"]}

    member = await status_fields()
    assert member["files"] == "1" and member["chunks"] == "4" and member["backend"] == "fake"
    assert not {"corpus dir", "store", "collection"} & set(member)
    assert ".newsbot" not in str(member) and "data/articles" not in str(member)

    manager = await status_fields(user=ADMIN, roles=[ADMIN_ROLE_ID])
    assert manager["corpus dir"] == "data/articles" and manager["store"] == ".newsbot/chroma"


async def test_cooldown_reacts_instead_of_posting_and_spares_thread_follow_ups(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service, cooldown_seconds=60)
    await fake_discord.user_message("what did Trump say?", mention_bot=True)
    thread_call = await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages/\d+/threads")
    thread_id = int(thread_call.match["mid"])

    # Five quick questions in the channel: no "slow down" message, one ⏳ reaction each.
    quick = [await fake_discord.user_message(f"question {i}?", mention_bot=True)
             for i in range(5)]
    await fake_discord.wait_until(lambda: len(fake_discord.reactions) == 5)
    assert sorted(mid for mid, _ in fake_discord.reactions) == sorted(
        int(m["id"]) for m in quick)
    assert {emoji for _, emoji in fake_discord.reactions} == {"⏳"}
    channel_posts = [c.body.get("content", "") for c in fake_discord.calls_to(
        "POST", rf"/channels/{CHANNEL_ID}/messages")]
    assert not any("Slow down" in text for text in channel_posts)

    # A follow-up in the bot's thread seconds later is answered, cooldown or not.
    await fake_discord.user_message("and the ceasefire?", channel_id=thread_id)
    await fake_discord.wait_for_call("POST", rf"/channels/{thread_id}/messages",
                                     has_citation_embed)
    assert [q for q, _ in service.calls] == ["what did Trump say?", "and the ceasefire?"]


async def test_mention_markup_becomes_plain_text_in_questions_threads_and_answers(
        start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    # An article that itself contains mention markup, quoted in the answer and its sources.
    markup = f"<@&{ADMIN_ROLE_ID}> and <@{ADMIN_ID}> were told [1]."
    service = FakeService(text=f"@everyone {markup}", citations=(Citation(
        n=1, file=CITED_FILE, title=f"Memo to <@&{ADMIN_ROLE_ID}>",
        quote=f"A memo to <@&{ADMIN_ROLE_ID}> and <@{ADMIN_ID}> in <#{CHANNEL_ID}>.",
        score=0.8),))
    await start_bot(service)
    await fake_discord.user_message(
        f"@everyone <@&{ADMIN_ROLE_ID}> what did <@{ADMIN_ID}> say in <#{CHANNEL_ID}>?",
        mention_bot=True)
    reply = await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages", has_citation_embed)
    thread = await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages/\d+/threads")

    [(question, _)] = service.calls
    assert question == "@everyone @admins what did @admin say in #general?"
    assert thread.body["name"] == question
    shown = [reply.body["content"], str(reply.body["embeds"])]
    assert not any(re.search(r"<[@#]", text) for text in shown), shown
    assert "@admins and @role" not in reply.body["content"]  # names, not placeholders, …
    assert "@role and @user were told [1]." in reply.body["content"]  # … unless unknown
    _assert_no_pings(fake_discord)


async def _open_thread_with(fake: FakeDiscord, question: str) -> int:
    await fake.user_message(question, mention_bot=True)
    call = await fake.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages/\d+/threads")
    return int(call.match["mid"])


async def test_in_its_thread_the_bot_answers_the_asker_and_replies_not_chatter(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    thread_id = await _open_thread_with(fake_discord, "what did Trump say?")
    answer = bot_message(fake_discord, CHANNEL_ID, "[1]")

    await fake_discord.user_message("thanks, that's helpful!", channel_id=thread_id,
                                    author=ADMIN)
    await fake_discord.user_message("and the ceasefire?", channel_id=thread_id)  # the asker
    await fake_discord.wait_until(lambda: len(service.calls) == 2)
    # Another member asks by replying to the bot's answer (reply-ping off: no mention).
    await fake_discord.user_message("who proposed it?", channel_id=thread_id, author=ADMIN,
                                    reply_to=int(answer["id"]))
    await fake_discord.user_message(f"<@{BOT_ID}> and Kyiv?", channel_id=thread_id,
                                    author=ADMIN)
    await fake_discord.wait_until(lambda: len(service.calls) == 4)
    assert [q for q, _ in service.calls] == [
        "what did Trump say?", "and the ceasefire?", "who proposed it?", "and Kyiv?"]


async def test_follow_ups_carry_the_threads_conversation_without_rereading_it(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    thread_id = await _open_thread_with(fake_discord, "what did Trump say?")
    await fake_discord.wait_for_call("POST", rf"/channels/{thread_id}/messages",
                                     lambda c: c.body["content"] == THREAD_HINT)
    service.text = "Putin agreed to a pause [1]."
    await fake_discord.user_message("and Putin?", channel_id=thread_id)
    await fake_discord.wait_for_call("POST", rf"/channels/{thread_id}/messages",
                                     has_citation_embed)
    service.text = "The ceasefire would last 30 days [1]."
    await fake_discord.user_message("and the ceasefire?", channel_id=thread_id)
    await fake_discord.wait_until(lambda: len(service.calls) == 3)
    _, history = service.calls[2]
    assert [(t.question, t.answer) for t in history] == [
        ("what did Trump say?", "Trump said many elements of a deal were agreed [1]."),
        ("and Putin?", "Putin agreed to a pause [1]."),
    ]
    assert not fake_discord.calls_to("GET", rf"/channels/{thread_id}/messages")


async def test_thread_replies_can_require_a_mention(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service, thread_replies="mention")
    thread_id = await _open_thread_with(fake_discord, "what did Trump say?")
    await fake_discord.user_message("hmm, interesting", channel_id=thread_id)  # the asker
    await fake_discord.user_message("and the ceasefire?", channel_id=thread_id,
                                    mention_bot=True)
    await fake_discord.wait_until(lambda: len(service.calls) == 2)
    assert [q for q, _ in service.calls] == ["what did Trump say?", "and the ceasefire?"]


async def test_a_reply_to_an_answer_follows_the_reply_chain(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    await _open_thread_with(fake_discord, "what did Trump say?")
    first = bot_message(fake_discord, CHANNEL_ID, "[1]")
    # A Discord reply in the channel, reply-ping off: no mention, still a question to the bot.
    await fake_discord.user_message("when was that?", reply_to=int(first["id"]))
    await fake_discord.wait_until(lambda: len(service.calls) == 2)
    second = await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages",
        lambda c: (c.body.get("message_reference") or {}).get("message_id") is not None
        and c.body["message_reference"]["message_id"] != first.get("referenced_message"))
    question, history = service.calls[1]
    assert question == "when was that?"
    assert [t.question for t in history] == ["what did Trump say?"]
    assert "[1]" in history[0].answer
    assert second.body["content"]

    # One more reply down the chain carries both exchanges.
    reply = bot_message(fake_discord, CHANNEL_ID, "[1]")
    await fake_discord.user_message("and then?", reply_to=int(reply["id"]))
    await fake_discord.wait_until(lambda: len(service.calls) == 3)
    assert [t.question for t in service.calls[2][1]] == ["what did Trump say?",
                                                         "when was that?"]
    # The chain is the conversation: no second thread is opened for it.
    await asyncio.sleep(0.2)
    assert len(fake_discord.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages/\d+/threads")) == 1


async def test_an_ask_answer_quotes_its_question_and_can_be_followed_up(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    interaction = await fake_discord.slash_command("ask", {"question": "What did Trump say?"})
    answer = await fake_discord.wait_for_call(
        "POST", rf"/webhooks/{BOT_ID}/{interaction['token']}", has_citation_embed)
    assert answer.body["content"].startswith("> ❓ What did Trump say?\n")
    message = bot_message(fake_discord, CHANNEL_ID, "❓ What did Trump say?")
    await fake_discord.user_message("and Putin?", reply_to=int(message["id"]))
    await fake_discord.wait_until(lambda: len(service.calls) == 2)
    question, history = service.calls[1]
    assert question == "and Putin?"
    assert [(t.question, t.answer) for t in history] == [("What did Trump say?", service.text)]


async def test_a_dm_and_a_mention_in_another_channel_are_told_where_once(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service, channels=frozenset({CHANNEL_ID}))
    for _ in range(2):
        await fake_discord.direct_message("what did Trump say?")
        await fake_discord.user_message("what did Trump say?", channel_id=OTHER_CHANNEL_ID,
                                        mention_bot=True)
    await fake_discord.user_message("marker", mention_bot=True)  # answered: events are done
    await fake_discord.wait_until(lambda: len(service.calls) == 1)
    await asyncio.sleep(0.2)
    [dm] = [c.body["content"] for c in fake_discord.calls_to(
        "POST", rf"/channels/{DM_CHANNEL_ID}/messages")]
    assert "servers, not in direct messages" in dm
    [elsewhere] = [c.body["content"] for c in fake_discord.calls_to(
        "POST", rf"/channels/{OTHER_CHANNEL_ID}/messages")]
    assert elsewhere == ("I don't answer questions in this channel; please ask in one of: "
                         f"<#{CHANNEL_ID}>.")
    assert [q for q, _ in service.calls] == ["marker"]
    _assert_no_pings(fake_discord)


async def test_an_edited_question_is_answered_again_in_the_same_reply(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    asked = await fake_discord.user_message("what did Trump sya?", mention_bot=True)
    await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages",
                                     has_citation_embed)
    reply = bot_message(fake_discord, CHANNEL_ID, "[1]")
    service.text = "Trump said the call went well [1]."
    await fake_discord.user_edit(int(asked["id"]), f"<@{BOT_ID}> what did Trump say?")
    await fake_discord.wait_for_call(
        "PATCH", rf"/channels/{CHANNEL_ID}/messages/{reply['id']}",
        lambda c: "went well" in (c.body.get("content") or ""))
    assert [q for q, _ in service.calls] == ["what did Trump sya?", "what did Trump say?"]
    assert len(fake_discord.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages/\d+/threads")) == 1


async def test_an_edit_long_after_asking_is_left_alone(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service, edit_window=0.0)
    asked = await fake_discord.user_message("what did Trump sya?", mention_bot=True)
    await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages",
                                     has_citation_embed)
    await fake_discord.user_edit(int(asked["id"]), f"<@{BOT_ID}> what did Trump say?")
    await fake_discord.user_message("marker", mention_bot=True)
    await fake_discord.wait_until(lambda: len(service.calls) == 2)
    await asyncio.sleep(0.2)
    assert [q for q, _ in service.calls] == ["what did Trump sya?", "marker"]


# -- per-server and per-channel controls (/config) ---------------------------------------------


async def _config(fake: FakeDiscord, sub: str, options: dict[str, str] | None = None,
                  **who: Any) -> str:
    interaction = await fake.slash_command("config", options, subcommand=sub, **who)
    call = await fake.wait_for_call("POST", rf"/interactions/\d+/{interaction['token']}/callback")
    assert call.body["data"]["flags"] & 64  # only the one who asked sees it
    return str(call.body["data"]["content"])


async def test_config_is_for_managers_and_survives_a_restart(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService,
        tmp_path: Path) -> None:
    store = ServerSettingsStore.in_dir(tmp_path)
    client = await start_bot(service, server_settings=store)
    assert "Manage Server" in await _config(fake_discord, "roles", {"roles": "everyone"})
    shown = await _config(fake_discord, "roles", {"roles": f"<@&{ADMIN_ROLE_ID}>"},
                          user=ADMIN, roles=[ADMIN_ROLE_ID])
    assert f"Who may ask:** <@&{ADMIN_ROLE_ID}>" in shown
    shown = await _config(fake_discord, "channel", {"threads": "off", "replies": "mention"},
                          user=ADMIN, roles=[ADMIN_ROLE_ID])
    assert "threads for answers: off" in shown and "in threads, answer: mention" in shown
    await client.close()
    store.close()

    reopened = ServerSettingsStore.in_dir(tmp_path)
    await start_bot(service, server_settings=reopened)
    shown = await _config(fake_discord, "show", user=ADMIN, roles=[ADMIN_ROLE_ID])
    assert f"<@&{ADMIN_ROLE_ID}>" in shown and "threads for answers: off" in shown
    reopened.close()


async def test_only_allowed_roles_may_ask_and_others_are_told_once(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    await _config(fake_discord, "roles", {"roles": f"<@&{ADMIN_ROLE_ID}>"},
                  user=ADMIN, roles=[ADMIN_ROLE_ID])
    for _ in range(2):
        await fake_discord.user_message("what did Trump say?", mention_bot=True)  # a reader
    refused = await fake_discord.slash_command("ask", {"question": "What did Trump say?"})
    call = await fake_discord.wait_for_call(
        "POST", rf"/interactions/\d+/{refused['token']}/callback")
    assert "only members with these roles" in call.body["data"]["content"]
    await fake_discord.user_message("what did Putin say?", author=ADMIN, mention_bot=True)
    await fake_discord.wait_until(lambda: len(service.calls) == 1)
    await asyncio.sleep(0.2)
    assert [q for q, _ in service.calls] == ["what did Putin say?"]
    told = [c for c in fake_discord.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages")
            if "only members with these roles" in (c.body.get("content") or "")]
    assert len(told) == 1
    _assert_no_pings(fake_discord)


async def test_a_channel_without_mentions_and_threads(
        start_bot: StartBot, fake_discord: FakeDiscord, service: FakeService) -> None:
    await start_bot(service)
    await _config(fake_discord, "channel", {"mention": "off", "threads": "off"},
                  user=ADMIN, roles=[ADMIN_ROLE_ID])
    await fake_discord.user_message("what did Trump say?")  # no mention needed here
    await fake_discord.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages",
                                     has_citation_embed)
    await fake_discord.user_message("what about Putin?", channel_id=OTHER_CHANNEL_ID)
    await asyncio.sleep(0.3)
    assert [q for q, _ in service.calls] == ["what did Trump say?"]  # other channels: mention
    assert not fake_discord.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages/\d+/threads")


async def test_sources_link_their_titles_with_the_date_and_no_link_previews(
        start_bot: StartBot, fake_discord: FakeDiscord) -> None:
    # Issue 14: an article with a url and a date (a saved page, front matter).
    url = "https://harbourgazette.example/world/2025/03/11/ceasefire-talks-jeddah"
    service = FakeService(
        text=f"Delegates met in Jeddah on Tuesday [1]. More at {url}.", citations=(Citation(
            n=1, file="world/jeddah.html", title="Ceasefire talks move to Jeddah",
            quote="Ukrainian and American delegates met in Jeddah on Tuesday.", score=0.8,
            date="2025-03-11", url=url, site="The Harbour Gazette", author="Maria Lindqvist",
            title_given=True),))
    await start_bot(service)
    await fake_discord.user_message("where did the delegates meet?", mention_bot=True)
    reply = await fake_discord.wait_for_call(
        "POST", rf"/channels/{CHANNEL_ID}/messages", lambda c: bool(c.body.get("embeds")))

    [embed] = reply.body["embeds"]
    assert embed["description"].startswith(
        f"**1.** [Ceasefire talks move to Jeddah]({url}) · 2025-03-11 — “Ukrainian")
    # The link sits in the bot's embed, where Discord shows no preview; an address in the
    # answer text is wrapped in <…>, which shows it as a link without one. The sources embed
    # itself stays (a SUPPRESS_EMBEDS flag would hide it too).
    content = reply.body["content"]
    assert f"<{url}>" in content and not re.search(r"(?<!<)https?://", content)
    assert not int(reply.body.get("flags") or 0) & (1 << 2)
    _assert_no_pings(fake_discord)
