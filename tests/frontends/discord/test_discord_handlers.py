"""Slash-command and message handlers with mocked interactions and messages.

``MagicMock(spec=…)`` stands in for discord.py objects, ``AsyncMock`` for their coroutines; the
service is ``FakeService``. Every send/edit the handlers make is checked for
``allowed_mentions=AllowedMentions.none()``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.feedback.store import FeedbackStore
from bot.frontends.common.errors import APOLOGY
from bot.frontends.discord import commands
from bot.frontends.discord.context import BotContext
from bot.frontends.discord.formatting import NO_PINGS
from bot.frontends.discord.mentions import COOLDOWN_REACTION, THREAD_HINT, handle_message
from bot.frontends.discord.threads import read_opening, thread_history
from ingest.errors import BadInputError, ServiceUnavailableError
from tests.frontends.discord.support import CITED_FILE, FakeService, make_ctx

ME_ID = 1
USER_ID = 2
GUILD_ID = 3
CHANNEL_ID = 10

# -- mocks ---------------------------------------------------------------------------------


class Outbox:
    """Records every message the handlers send or edit, whichever mock they went through."""

    SENDS = ("send", "reply", "edit", "send_message", "followup.send")

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any], Any]] = []

    def mock(self, name: str, make_result: Callable[[], Any] = lambda: None) -> AsyncMock:
        async def record(*args: Any, **kwargs: Any) -> Any:
            result = make_result()
            self.calls.append((name, args, kwargs, result))
            return result

        return AsyncMock(side_effect=record)

    def results(self, name: str) -> list[Any]:
        return [result for called, _, _, result in self.calls if called == name]

    def assert_no_pings(self) -> int:
        """Every send/edit said ``allowed_mentions=AllowedMentions.none()``; returns how many."""
        sends = [(n, a, k) for n, a, k, _ in self.calls if n in self.SENDS]
        for name, args, kwargs in sends:
            assert kwargs.get("allowed_mentions") is NO_PINGS, (name, args, kwargs)
        return len(sends)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


def _sent_message(outbox: Outbox) -> MagicMock:
    sent = MagicMock(spec=discord.WebhookMessage)
    sent.edit = outbox.mock("edit", lambda: sent)
    return sent


def _reply(outbox: Outbox) -> MagicMock:
    reply = MagicMock(spec=discord.Message)
    reply.edit = outbox.mock("edit", lambda: reply)
    thread = MagicMock(spec=discord.Thread)
    thread.send = outbox.mock("send", lambda: _reply(outbox))
    reply.create_thread = outbox.mock("create_thread", lambda: thread)
    return reply


def make_interaction(outbox: Outbox, *, user_id: int = USER_ID, channel_id: int = CHANNEL_ID,
                     manage_guild: bool = False) -> MagicMock:
    interaction = MagicMock(spec=discord.Interaction)
    interaction.user = MagicMock(spec=discord.Member)
    interaction.user.id = user_id
    interaction.guild_id = GUILD_ID
    interaction.channel_id = channel_id
    interaction.channel = MagicMock(spec=discord.TextChannel)
    interaction.channel.id = channel_id
    interaction.permissions = discord.Permissions(manage_guild=manage_guild)
    interaction.response = MagicMock()
    interaction.response.defer = AsyncMock()
    interaction.response.send_message = outbox.mock("send_message")
    interaction.response.is_done = MagicMock(return_value=False)
    interaction.followup = MagicMock()
    interaction.followup.send = outbox.mock("followup.send", lambda: _sent_message(outbox))
    return interaction


def make_me() -> MagicMock:
    me = MagicMock(spec=discord.ClientUser)
    me.id = ME_ID
    return me


def make_user(user_id: int = USER_ID, *, bot: bool = False) -> MagicMock:
    user = MagicMock(spec=discord.Member)
    user.id = user_id
    user.bot = bot
    return user


def make_channel(outbox: Outbox, channel_id: int = CHANNEL_ID) -> MagicMock:
    channel = MagicMock(spec=discord.TextChannel)
    channel.id = channel_id
    channel.send = outbox.mock("send", lambda: _reply(outbox))
    return channel


def make_message(outbox: Outbox, content: str, *, author: MagicMock | None = None,
                 channel: MagicMock | None = None, mention_me: bool = True,
                 in_guild: bool = True) -> MagicMock:
    message = MagicMock(spec=discord.Message)
    message.content = f"<@{ME_ID}> {content}" if mention_me else content
    message.author = author or make_user()
    message.channel = channel or make_channel(outbox)
    message.mentions = [make_user(ME_ID, bot=True)] if mention_me else []
    message.role_mentions = []
    message.guild = MagicMock(spec=discord.Guild) if in_guild else None
    if message.guild is not None:
        message.guild.id = GUILD_ID
        message.guild.self_role = None
    message.reply = outbox.mock("reply", lambda: _reply(outbox))
    return message


@pytest.fixture
def ctx(service: FakeService, feedback: FeedbackStore) -> BotContext:
    return make_ctx(service, feedback, edit_interval=0.01)


def test_the_outbox_catches_a_send_without_allowed_mentions(outbox: Outbox) -> None:
    outbox.calls.append(("send", ("hi",), {}, None))
    with pytest.raises(AssertionError):
        outbox.assert_no_pings()


# -- /ask ------------------------------------------------------------------------------------


async def test_ask_defers_then_follows_up_with_sources_and_buttons(outbox: Outbox,
        ctx: BotContext, service: FakeService, feedback: FeedbackStore) -> None:
    interaction = make_interaction(outbox)
    await commands.ask(ctx, interaction, "What did Trump say?")

    interaction.response.defer.assert_awaited_once_with(thinking=True)
    interaction.followup.send.assert_awaited_once()
    call = interaction.followup.send.await_args
    assert call.args[0] == f"> ❓ What did Trump say?\n{service.text}"
    assert CITED_FILE in call.kwargs["embed"].description
    assert isinstance(call.kwargs["view"], discord.ui.View)
    assert len(call.kwargs["view"].children) == 2
    assert call.kwargs["wait"] is True
    assert service.calls == [("What did Trump say?", ())]
    assert outbox.assert_no_pings() >= 1
    assert feedback.summary().votes == 0  # stored for voting, no votes yet


async def test_ask_refuses_an_over_long_question_without_calling_the_service(outbox: Outbox,
        ctx: BotContext, service: FakeService) -> None:
    interaction = make_interaction(outbox)
    await commands.ask(ctx, interaction, "x" * 2001)
    interaction.response.send_message.assert_awaited_once()
    assert interaction.response.send_message.await_args.kwargs["ephemeral"] is True
    assert "2,000" in interaction.response.send_message.await_args.args[0]
    interaction.response.defer.assert_not_awaited()
    assert service.calls == []
    outbox.assert_no_pings()


async def test_ask_outside_the_allow_list_is_refused(outbox: Outbox, service: FakeService) -> None:
    ctx = make_ctx(service, channels=frozenset({99}))
    interaction = make_interaction(outbox, channel_id=CHANNEL_ID)
    await commands.ask(ctx, interaction, "What did Trump say?")
    text = interaction.response.send_message.await_args.args[0]
    assert "<#99>" in text and interaction.response.send_message.await_args.kwargs["ephemeral"]
    assert service.calls == []


async def test_ask_in_a_thread_of_an_allowed_channel_is_answered(
        outbox: Outbox, service: FakeService) -> None:
    ctx = make_ctx(service, channels=frozenset({CHANNEL_ID}))
    interaction = make_interaction(outbox, channel_id=555)
    interaction.channel = MagicMock(spec=discord.Thread)
    interaction.channel.id = 555
    interaction.channel.parent_id = CHANNEL_ID
    await commands.ask(ctx, interaction, "What did Trump say?")
    assert len(service.calls) == 1


async def test_ask_cooldown_answers_with_an_ephemeral_note(
        outbox: Outbox, service: FakeService) -> None:
    ctx = make_ctx(service, cooldown_seconds=10)
    await commands.ask(ctx, make_interaction(outbox), "first question")
    second = make_interaction(outbox)
    await commands.ask(ctx, second, "second question")
    note = second.response.send_message.await_args
    assert "again in 10 s" in note.args[0] and note.kwargs["ephemeral"] is True
    other_user = make_interaction(outbox, user_id=77)
    await commands.ask(ctx, other_user, "someone else's question")
    assert [q for q, _ in service.calls] == ["first question", "someone else's question"]


async def test_a_failing_service_shows_a_short_apology_and_logs_the_detail(outbox: Outbox,
        service: FakeService, caplog: pytest.LogCaptureFixture) -> None:
    service.error = ServiceUnavailableError("chroma at http://db:8000 refused the connection")
    interaction = make_interaction(outbox)
    with caplog.at_level(logging.ERROR):
        await commands.ask(make_ctx(service), interaction, "What did Trump say?")
    shown = interaction.followup.send.await_args.args[0]
    assert shown == APOLOGY
    assert "chroma" not in shown and "Traceback" not in shown
    assert "refused the connection" in caplog.text  # the detail is in the log


async def test_a_bad_input_error_shows_its_own_message(
        outbox: Outbox, service: FakeService) -> None:
    service.error = BadInputError("the question is empty after cleaning")
    interaction = make_interaction(outbox)
    await commands.ask(make_ctx(service), interaction, "???")
    assert interaction.followup.send.await_args.args[0] == "the question is empty after cleaning"


async def test_streamed_text_is_previewed_then_replaced_by_the_final_answer(outbox: Outbox,
        feedback: FeedbackStore) -> None:
    service = FakeService(stream=("Trump", "Trump said [3]"), stream_pause=0.05)
    interaction = make_interaction(outbox)
    await commands.ask(make_ctx(service, feedback, edit_interval=0.01), interaction, "q?")
    first = interaction.followup.send.await_args_list[0]
    assert first.args[0].endswith("▌")
    preview = outbox.results("followup.send")[0]
    final = preview.edit.await_args_list[-1]
    assert final.kwargs["content"] == f"> ❓ q?\n{service.text}" and "embed" in final.kwargs
    assert outbox.assert_no_pings() >= 3


async def test_everyone_in_an_answer_or_question_pings_nobody(outbox: Outbox, ctx: BotContext,
                                                             service: FakeService) -> None:
    service.text = "@everyone <@&123> <@456> said so [1]."
    message = make_message(outbox, "@everyone what happened?")
    await handle_message(ctx, message, make_me())
    assert service.calls[0][0] == "@everyone what happened?"
    assert message.reply.await_args.args[0] == "@everyone @role @user said so [1]."
    assert outbox.assert_no_pings() >= 2


# -- /sources, /status, /reindex ---------------------------------------------------------------


async def test_sources_and_status_follow_up_with_embeds(outbox: Outbox, ctx: BotContext) -> None:
    interaction = make_interaction(outbox)
    await commands.sources(ctx, interaction)
    interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    assert CITED_FILE in interaction.followup.send.await_args.kwargs["embed"].description

    interaction = make_interaction(outbox)
    await commands.status(ctx, interaction)
    fields = interaction.followup.send.await_args.kwargs["embed"].fields
    assert ("backend", "fake") in [(f.name, f.value) for f in fields]
    outbox.assert_no_pings()


async def test_reindex_needs_manage_server(outbox: Outbox, ctx: BotContext) -> None:
    interaction = make_interaction(outbox, manage_guild=False)
    reindex = MagicMock(wraps=ctx.service.reindex)
    ctx.service.reindex = reindex  # type: ignore[method-assign]
    await commands.reindex(ctx, interaction)
    refusal = interaction.response.send_message.await_args
    assert "Manage Server" in refusal.args[0] and refusal.kwargs["ephemeral"] is True
    interaction.response.defer.assert_not_awaited()
    reindex.assert_not_called()


async def test_reindex_shows_progress_then_the_summary(outbox: Outbox, ctx: BotContext) -> None:
    interaction = make_interaction(outbox, manage_guild=True)
    await commands.reindex(ctx, interaction)
    interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    first = interaction.followup.send.await_args_list[0]
    assert first.args[0].startswith("🔄 Re-indexing…") and first.kwargs["ephemeral"] is True
    message = outbox.results("followup.send")[0]
    assert message.edit.await_args.kwargs["content"] == (
        "✅ Re-indexed. files added: 1, files updated: 0, files unchanged: 0, files removed: 0, "
        "files skipped: 0, chunks embedded: 4, chunks total: 4, lines dropped: 0, "
        "articles expired: 0, seconds: 0.0, sentences embedded: 0, sentence seconds: 0.0")
    outbox.assert_no_pings()


async def test_only_one_reindex_at_a_time(outbox: Outbox, ctx: BotContext) -> None:
    async with ctx.reindex_lock:
        interaction = make_interaction(outbox, manage_guild=True)
        await commands.reindex(ctx, interaction)
    assert "already running" in interaction.response.send_message.await_args.args[0]


# -- mentions and threads --------------------------------------------------------------------


async def test_a_mention_is_answered_as_a_reply_and_opens_a_thread(outbox: Outbox,
        ctx: BotContext, service: FakeService) -> None:
    message = make_message(outbox, "what did Trump say?")
    await handle_message(ctx, message, make_me())
    assert service.calls == [("what did Trump say?", ())]
    reply_call = message.reply.await_args
    assert reply_call.kwargs["mention_author"] is False
    assert CITED_FILE in reply_call.kwargs["embed"].description
    reply = outbox.results("reply")[0]
    reply.create_thread.assert_awaited_once_with(name="what did Trump say?")
    thread = outbox.results("create_thread")[0]
    thread.send.assert_awaited_once_with(THREAD_HINT, allowed_mentions=NO_PINGS)
    outbox.assert_no_pings()


async def test_a_mention_of_the_bots_own_role_counts(
        outbox: Outbox, ctx: BotContext, service: FakeService) -> None:
    message = make_message(outbox, "<@&555> what did Trump say?", mention_me=False)
    assert message.guild is not None
    message.guild.self_role = MagicMock(spec=discord.Role)
    message.guild.self_role.id = 555
    other_role = MagicMock(spec=discord.Role)
    other_role.id = 555
    message.role_mentions = [other_role]
    await handle_message(ctx, message, make_me())
    assert service.calls == [("what did Trump say?", ())]


@pytest.mark.parametrize("author", [make_user(5, bot=True), make_user(ME_ID, bot=True)],
                         ids=["another bot", "itself"])
async def test_bots_and_itself_are_ignored(outbox: Outbox, ctx: BotContext, service: FakeService,
                                           author: MagicMock) -> None:
    message = make_message(outbox, "answer me", author=author)
    await handle_message(ctx, message, make_me())
    assert service.calls == [] and message.reply.await_count == 0


async def test_messages_without_a_mention_and_dms_are_ignored(outbox: Outbox, ctx: BotContext,
                                                              service: FakeService) -> None:
    await handle_message(ctx, make_message(outbox, "chatting", mention_me=False), make_me())
    await handle_message(ctx, make_message(outbox, "hi", in_guild=False), make_me())
    assert service.calls == []


async def test_a_mention_outside_the_allow_list_is_told_where_once(outbox: Outbox,
        service: FakeService) -> None:
    ctx = make_ctx(service, channels=frozenset({99}))
    message = make_message(outbox, "what did Trump say?")
    await handle_message(ctx, message, make_me())
    assert service.calls == []
    assert message.reply.await_args.args[0] == (
        "I don't answer questions in this channel; please ask in one of: <#99>.")
    again = make_message(outbox, "what did Trump say?")
    await handle_message(ctx, again, make_me())
    assert again.reply.await_count == 0 and service.calls == []


async def test_an_over_long_mention_gets_a_short_refusal(outbox: Outbox, ctx: BotContext,
                                                         service: FakeService) -> None:
    message = make_message(outbox, "x" * 2500)
    await handle_message(ctx, message, make_me())
    assert "2,000" in message.reply.await_args.args[0]
    assert service.calls == []
    outbox.assert_no_pings()


async def test_a_mention_during_cooldown_gets_a_reaction_not_a_message(
        outbox: Outbox, service: FakeService) -> None:
    ctx = make_ctx(service, cooldown_seconds=30)
    await handle_message(ctx, make_message(outbox, "first"), make_me())
    second = make_message(outbox, "second")
    await handle_message(ctx, second, make_me())
    second.add_reaction.assert_awaited_once_with(COOLDOWN_REACTION)
    second.reply.assert_not_awaited()
    assert [q for q, _ in service.calls] == ["first"]


async def _history(messages: list[MagicMock]) -> AsyncIterator[MagicMock]:
    for message in reversed(messages):  # newest first, like discord.py
        yield message


def _posted(author: MagicMock, content: str) -> MagicMock:
    message = MagicMock(spec=discord.Message)
    message.author = author
    message.content = content
    return message


def make_thread(outbox: Outbox, history: list[MagicMock], *, owner_id: int = ME_ID
                ) -> MagicMock:
    thread = MagicMock(spec=discord.Thread)
    thread.id = 700
    thread.parent_id = CHANNEL_ID
    thread.owner_id = owner_id
    thread.name = "what did Trump say?"
    starter = _posted(make_user(ME_ID, bot=True), "Trump said X [1].")
    starter.reference = MagicMock()
    starter.reference.resolved = _posted(make_user(), f"<@{ME_ID}> what did Trump say?")
    thread.starter_message = starter
    thread.history = MagicMock(side_effect=lambda **kw: _history(history))
    thread.send = outbox.mock("send", lambda: _reply(outbox))
    return thread


async def test_thread_history_pairs_questions_with_the_bot_answers(outbox: Outbox) -> None:
    me, user, other_bot = make_user(ME_ID, bot=True), make_user(), make_user(9, bot=True)
    thread = make_thread(outbox, [
        _posted(me, "Ask follow-up questions here."),  # the hint: not part of a turn
        _posted(user, "and Putin?"),
        _posted(me, "Putin agreed [1]."),
        _posted(me, "More text [2]."),  # a second part of the same answer
        _posted(other_bot, "beep"),
        _posted(user, f"<@{ME_ID}> and the ceasefire?"),
    ])
    first = await read_opening(thread, ME_ID)
    turns = await thread_history(thread, MagicMock(), ME_ID, limit=20, first=first)
    assert [(t.question, t.answer) for t in turns] == [
        ("what did Trump say?", "Trump said X [1]."),
        ("and Putin?", "Putin agreed [1].\nMore text [2]."),
        ("and the ceasefire?", ""),
    ]


async def test_a_follow_up_in_our_thread_needs_no_mention(outbox: Outbox, ctx: BotContext,
                                                          service: FakeService) -> None:
    user = make_user()
    earlier = [_posted(user, "and Putin?"), _posted(make_user(ME_ID, bot=True), "He agreed.")]
    thread = make_thread(outbox, earlier)
    message = make_message(outbox, "and the ceasefire?", channel=thread, mention_me=False)
    await handle_message(ctx, message, make_me())
    question, history = service.calls[0]
    assert question == "and the ceasefire?"
    assert [t.question for t in history] == ["what did Trump say?", "and Putin?"]
    message.reply.assert_awaited_once()
    assert outbox.results("reply")[0].create_thread.await_count == 0  # no thread in a thread


async def test_a_follow_up_reads_the_threads_opening_once_and_keeps_it(
        outbox: Outbox, ctx: BotContext, service: FakeService) -> None:
    # A thread from before a restart: its opening is not in discord.py's cache, so it is
    # fetched from the parent channel, once, for both "is this the asker?" and the history.
    thread = make_thread(outbox, [])
    starter = thread.starter_message
    thread.starter_message = None
    thread.parent = MagicMock(spec=discord.TextChannel)
    thread.parent.fetch_message = AsyncMock(return_value=starter)
    for text in ("and Putin?", "and the ceasefire?"):
        await handle_message(ctx, make_message(outbox, text, channel=thread, mention_me=False),
                             make_me())
    assert thread.parent.fetch_message.await_count == 1
    assert [[t.question for t in history] for _, history in service.calls] == [
        ["what did Trump say?"]] * 2
    # Our reply (or the question) edited: the next follow-up reads the opening again.
    starter.content = "Trump said Y [1]."
    ctx.openings.forget(starter.id)
    await handle_message(ctx, make_message(outbox, "and Kyiv?", channel=thread,
                                           mention_me=False), make_me())
    assert thread.parent.fetch_message.await_count == 2
    assert service.calls[-1][1][0].answer == "Trump said Y [1]."


async def test_other_peoples_threads_need_a_mention(outbox: Outbox, ctx: BotContext,
                                                    service: FakeService) -> None:
    thread = make_thread(outbox, [], owner_id=USER_ID)
    await handle_message(ctx, make_message(outbox, "hello", channel=thread, mention_me=False),
                         make_me())
    assert service.calls == []


async def test_a_vote_click_is_stored(outbox: Outbox, tmp_path: Path, service: FakeService) -> None:
    from bot.frontends.discord.feedback_view import VoteButton

    store = FeedbackStore.in_dir(tmp_path)
    answer_id = store.record_answer(question="q", answer="a", cited_files=["f.txt"],
                                    backend="fake")
    interaction = make_interaction(outbox, user_id=4242)
    interaction.client = MagicMock()
    interaction.client.ctx = make_ctx(service, store)
    await VoteButton(answer_id, "down").callback(interaction)
    assert interaction.response.send_message.await_args.kwargs["ephemeral"] is True
    summary = store.summary()
    assert (summary.down, summary.worst[0].cited_files) == (1, ["f.txt"])
    store.close()
