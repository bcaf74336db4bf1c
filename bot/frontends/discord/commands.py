"""Slash commands: `/ask`, `/sources`, `/status`, `/reindex`.

Each handler checks the cheap things first (answered at once, ephemerally), then defers (Discord
wants a response within 3 s), calls the service off the event loop and follows up. Handlers are
plain functions of a ``BotContext`` and an interaction, so tests call them with mocks;
``install_commands`` wraps them as app commands on a tree.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

import discord
from discord import app_commands

from bot.answering.questions import MAX_QUESTION_CHARS
from bot.frontends.common.dates import date_range
from bot.frontends.common.errors import FAULT, error_text, log_failure, question_problem_text
from bot.frontends.common.limits import channel_allowed
from bot.frontends.common.streaming import StreamPump
from bot.frontends.discord.answering import deliver_answer
from bot.frontends.discord.context import BotContext
from bot.frontends.discord.formatting import (
    NO_PINGS,
    cooldown_text,
    not_here_text,
    roles_only_text,
    sources_list_embed,
    status_embed,
)
from bot.frontends.discord.mention_text import plain_mentions
from bot.frontends.discord.mentions import may_ask
from bot.frontends.discord.replies import AnswerPost, InteractionSender
from bot.frontends.discord.server_settings import ThreadReplies
from ingest.errors import BadInputError

T = TypeVar("T")
log = logging.getLogger(__name__)

REINDEX_FORBIDDEN = "Only members with the **Manage Server** permission can re-index the articles."
REINDEX_BUSY = "A re-index is already running; please wait for it to finish."


async def _refuse(interaction: discord.Interaction[Any], text: str) -> None:
    """An immediate, ephemeral answer (only the asker sees it)."""
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


def _channel_ids(channel: object, fallback_id: int | None) -> tuple[int, int | None]:
    """(channel id, parent id): a thread is allowed when its parent channel is."""
    if isinstance(channel, discord.Thread):
        return channel.id, channel.parent_id
    return getattr(channel, "id", None) or fallback_id or 0, None


async def ask(ctx: BotContext, interaction: discord.Interaction[Any], question: str,
              since: str | None = None, until: str | None = None) -> None:
    """`/ask question:… [since:YYYY-MM-DD] [until:YYYY-MM-DD]`: the answer with its sources
    as a followup."""
    problem = question_problem_text(question, ctx.config.max_question_chars)
    if problem:
        return await _refuse(interaction, problem)
    try:
        dates = date_range(since, until, since_name="since", until_name="until")
    except BadInputError as exc:
        return await _refuse(interaction, f"Sorry, {exc}.")
    channel_id, parent_id = _channel_ids(interaction.channel, interaction.channel_id)
    if not channel_allowed(channel_id, parent_id, ctx.config.channels):
        return await _refuse(interaction, not_here_text(ctx.config.channels))
    if interaction.guild_id is not None and not may_ask(ctx, interaction.guild_id,
                                                        interaction.user):
        return await _refuse(interaction, roles_only_text(
            ctx.server_settings.ask_roles(interaction.guild_id)))
    wait = ctx.cooldown.retry_after(interaction.user.id)
    if wait:
        return await _refuse(interaction, cooldown_text(wait))

    await interaction.response.defer(thinking=True)
    post = AnswerPost(InteractionSender(interaction))
    question = plain_mentions(question.strip(), interaction.guild)
    try:
        await deliver_answer(ctx, post, question, guild_id=interaction.guild_id,
                             channel_id=interaction.channel_id, quote_question=True,
                             dates=dates)
    except discord.HTTPException:
        log.exception("could not post an answer to /ask")


async def _followup(interaction: discord.Interaction[Any], text: str = "",
                    **extras: Any) -> None:
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS, **extras)


async def _private_report(interaction: discord.Interaction[Any], command: str,
                          fetch: Callable[[], T], render: Callable[[T], discord.Embed]) -> None:
    """Defer privately, fetch off the event loop, follow up with an embed or an apology."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        result = await asyncio.to_thread(fetch)
    except Exception as exc:
        log_failure(exc, command, interaction.guild_id, interaction.channel_id)
        return await _followup(interaction, error_text(exc))
    await _followup(interaction, embed=render(result))


async def sources(ctx: BotContext, interaction: discord.Interaction[Any]) -> None:
    """`/sources`: the indexed articles (only the asker sees the list)."""
    await _private_report(interaction, "/sources", ctx.service.sources, sources_list_embed)


async def status(ctx: BotContext, interaction: discord.Interaction[Any]) -> None:
    """`/status`: the index and the answering backend; where its files live on the server
    only for members with Manage Server."""
    operator = bool(interaction.permissions.manage_guild)

    def fetch() -> dict[str, Any]:
        info = ctx.service.status()
        return info.to_json() if operator else info.public_json()

    await _private_report(interaction, "/status", fetch, status_embed)


def reindex_summary(summary: Mapping[str, Any]) -> str:
    """The ingest summary's simple values as one line."""
    parts = [f"{key.replace('_', ' ')}: {value}" for key, value in summary.items()
             if isinstance(value, str | int | float | bool)]
    return "✅ Re-indexed. " + (", ".join(parts) if parts else "")


async def reindex(ctx: BotContext, interaction: discord.Interaction[Any]) -> None:
    """`/reindex`: re-ingest the corpus, editing one message with progress. Manage Server only."""
    if not interaction.permissions.manage_guild:
        return await _refuse(interaction, REINDEX_FORBIDDEN)
    if ctx.reindex_lock.locked():
        return await _refuse(interaction, REINDEX_BUSY)

    async with ctx.reindex_lock:
        await interaction.response.defer(ephemeral=True, thinking=True)
        post = AnswerPost(InteractionSender(interaction, ephemeral=True))
        pump = StreamPump(post.show, ctx.config.edit_interval, asyncio.get_running_loop(),
                          render=lambda line: f"🔄 Re-indexing… {line}"[:2000])
        try:
            summary = await asyncio.to_thread(ctx.service.reindex,
                                              on_progress=pump.threadsafe_feed)
        except Exception as exc:
            log_failure(exc, "/reindex", interaction.guild_id, interaction.channel_id)
            text = error_text(exc)
        else:
            text = reindex_summary(summary.to_json())
        finally:
            await pump.stop()
        await post.show(text[:2000])


_ROLE_MENTION = re.compile(r"<@&(\d+)>")
SWITCH = Literal["on", "off"]
CONFIG_FORBIDDEN = "Only members with the **Manage Server** permission can change my settings."


def config_text(ctx: BotContext, guild_id: int, channel_id: int, parent_id: int | None) -> str:
    """What ``/config`` shows: who may ask in the server, and how this channel behaves."""
    roles = ctx.server_settings.ask_roles(guild_id)
    here = ctx.server_settings.channel(channel_id, parent_id)
    who = ", ".join(f"<@&{r}>" for r in sorted(roles)) if roles else "everyone"
    return (f"**Who may ask:** {who} (members with Manage Server always may)\n"
            f"**This channel:** mention required: {'on' if here.mention_required else 'off'}"
            f" · threads for answers: {'on' if here.threads else 'off'}"
            f" · in threads, answer: {here.thread_replies}")


async def config_roles(ctx: BotContext, interaction: discord.Interaction[Any],
                       roles: str) -> None:
    """``/config roles roles:<@Role …|everyone>``: who may ask in this server."""
    if not interaction.permissions.manage_guild or interaction.guild_id is None:
        return await _refuse(interaction, CONFIG_FORBIDDEN)
    role_ids = frozenset(int(r) for r in _ROLE_MENTION.findall(roles))
    if not role_ids and roles.strip().lower().lstrip("@") != "everyone":
        return await _refuse(interaction, "Mention the roles that may ask (e.g. @Readers), "
                                          "or write `everyone`.")
    await asyncio.to_thread(ctx.server_settings.set_ask_roles, interaction.guild_id, role_ids)
    channel_id, parent_id = _channel_ids(interaction.channel, interaction.channel_id)
    await _refuse(interaction, "✅ Saved.\n" + config_text(
        ctx, interaction.guild_id, channel_id, parent_id))


async def config_channel(ctx: BotContext, interaction: discord.Interaction[Any],
                         mention: SWITCH | None = None, threads: SWITCH | None = None,
                         replies: ThreadReplies | None = None) -> None:
    """``/config channel``: this channel's (and its threads') behaviour."""
    if not interaction.permissions.manage_guild or interaction.guild_id is None:
        return await _refuse(interaction, CONFIG_FORBIDDEN)
    channel_id, parent_id = _channel_ids(interaction.channel, interaction.channel_id)
    await asyncio.to_thread(
        ctx.server_settings.set_channel, parent_id or channel_id,
        mention_required=None if mention is None else mention == "on",
        threads=None if threads is None else threads == "on", thread_replies=replies)
    await _refuse(interaction, "✅ Saved.\n" + config_text(
        ctx, interaction.guild_id, channel_id, parent_id))


async def config_show(ctx: BotContext, interaction: discord.Interaction[Any]) -> None:
    if not interaction.permissions.manage_guild or interaction.guild_id is None:
        return await _refuse(interaction, CONFIG_FORBIDDEN)
    channel_id, parent_id = _channel_ids(interaction.channel, interaction.channel_id)
    await _refuse(interaction, config_text(ctx, interaction.guild_id, channel_id, parent_id))


def _config_group(ctx: BotContext) -> app_commands.Group:
    group = app_commands.Group(
        name="config", description="Who may ask, and how the bot behaves here (Manage Server)",
        guild_only=True, default_permissions=discord.Permissions(manage_guild=True))

    @group.command(name="roles", description="Roles that may ask (mention them), or everyone")
    @app_commands.describe(roles="@Role @Role … or `everyone`")
    async def roles_command(interaction: discord.Interaction[Any], roles: str) -> None:
        await config_roles(ctx, interaction, roles)

    @group.command(name="channel", description="How the bot behaves in this channel")
    @app_commands.describe(mention="Questions need a mention (off: every message is one)",
                           threads="Open a thread on each answer",
                           replies="In its threads, answer the asker or only mentions")
    async def channel_command(interaction: discord.Interaction[Any],
                              mention: SWITCH | None = None, threads: SWITCH | None = None,
                              replies: ThreadReplies | None = None) -> None:
        await config_channel(ctx, interaction, mention, threads, replies)

    @group.command(name="show", description="Show the settings of this server and channel")
    async def show_command(interaction: discord.Interaction[Any]) -> None:
        await config_show(ctx, interaction)

    return group


def install_commands(tree: app_commands.CommandTree[Any], ctx: BotContext) -> None:
    """Add the four commands to ``tree``, each bound to ``ctx``."""

    @tree.command(name="ask", description="Ask a question about the news articles")
    @app_commands.describe(
        question="What you want to know",
        since="Only articles dated on or after this day, YYYY-MM-DD (undated ones are left out)",
        until="Only articles dated on or before this day, YYYY-MM-DD (undated ones are left out)")
    async def ask_command(interaction: discord.Interaction[Any],
                          question: app_commands.Range[str, 1, MAX_QUESTION_CHARS],
                          since: app_commands.Range[str, 1, 40] | None = None,
                          until: app_commands.Range[str, 1, 40] | None = None) -> None:
        await ask(ctx, interaction, question, since, until)

    @tree.command(name="sources", description="List the indexed articles")
    async def sources_command(interaction: discord.Interaction[Any]) -> None:
        await sources(ctx, interaction)

    @tree.command(name="status", description="Show the index and answering backend status")
    async def status_command(interaction: discord.Interaction[Any]) -> None:
        await status(ctx, interaction)

    @tree.error
    async def on_command_error(interaction: discord.Interaction[Any],
                               error: app_commands.AppCommandError) -> None:
        # Log the detail, show the short apology; never a traceback in chat. An unexpected
        # error is a bug: "try again" would fail again, so the apology says to tell the operator.
        log.error("slash command %s failed", interaction.command and interaction.command.name,
                  exc_info=error)
        try:
            if interaction.response.is_done():
                await _followup(interaction, FAULT)
            else:
                await _refuse(interaction, FAULT)
        except discord.HTTPException:
            log.warning("could not tell the user about a failed command", exc_info=True)

    tree.add_command(_config_group(ctx))

    @tree.command(name="reindex", description="Re-ingest the articles (Manage Server only)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def reindex_command(interaction: discord.Interaction[Any]) -> None:
        await reindex(ctx, interaction)
