"""The Discord client: owns the command tree (synced in ``setup_hook``), the feedback buttons
and ``on_message``. Following discord.py's ``examples/app_commands``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from typing import Any

import discord
import yarl
from discord import app_commands

from bot.feedback.store import FeedbackStore
from bot.frontends.discord.commands import install_commands
from bot.frontends.discord.context import BotContext, DiscordConfig
from bot.frontends.discord.cut_answers import CutAnswers
from bot.frontends.discord.feedback_view import VoteButton
from bot.frontends.discord.formatting import NO_PINGS
from bot.frontends.discord.mentions import handle_message
from bot.frontends.discord.recovery import drain, recover
from bot.frontends.discord.server_settings import ServerSettingsStore
from bot.frontends.discord.threads import SessionMessages
from bot.service import AnswerService

log = logging.getLogger(__name__)


def redirect_rest_api(api_base: str) -> None:
    """Send discord.py's REST calls to ``api_base`` (a local stub in tests).

    discord.py has no public option for this: every route (and every interaction webhook) is
    built from the class attribute ``Route.BASE``, so that is the one internal we set. It is
    process-wide, which is fine for a process that runs one bot.
    """
    discord.http.Route.BASE = api_base.rstrip("/")


class NewsbotClient(discord.Client):
    """A ``Client`` with a ``CommandTree``; all behaviour lives in the handler modules."""

    def __init__(self, ctx: BotContext, **options: Any) -> None:
        intents = discord.Intents.default()
        # Privileged (enable it in the developer portal): mentions and thread follow-ups
        # need the text of messages.
        intents.message_content = True
        # newsbot never joins voice: skip the start-up warnings about missing voice libraries.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(intents=intents, allowed_mentions=NO_PINGS, **options)
        self.ctx = ctx
        ctx.session_messages = SessionMessages(lambda: self.cached_messages,
                                               options.get("max_messages", 1000))
        self._recovery: asyncio.Task[None] | None = None  # the start-up scan, run once
        self.tree: app_commands.CommandTree[NewsbotClient] = app_commands.CommandTree(self)
        install_commands(self.tree, ctx)

    async def login(self, token: str) -> None:
        if self.ctx.config.api_base:
            redirect_rest_api(self.ctx.config.api_base)
        await super().login(token)

    async def setup_hook(self) -> None:
        # Runs after login (a bad token has already failed fast) and before the gateway.
        await self._warm_up()
        # Buttons are matched by their custom_id pattern, so votes on answers posted before a
        # restart still arrive.
        self.add_dynamic_items(VoteButton)
        if self.ctx.config.api_base:
            await self._use_api_gateway()
        await self._sync_commands()
        if self.ctx.config.handle_signals:
            self._close_on_sigterm()

    def _close_on_sigterm(self) -> None:
        """SIGTERM (systemd, docker stop) closes like Ctrl+C: answers in progress get their
        grace period instead of being cut off mid-message."""
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows; not main thread
            loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(self.close()))

    async def close(self) -> None:
        if not self.ctx.closing and not self.is_closed():
            await drain(self.ctx)
        await super().close()

    async def _warm_up(self) -> None:
        """Load the embedding model and open the store now, so a broken store stops the bot
        with one line before it goes online and the first question does not pay for it."""
        status = await asyncio.to_thread(self.ctx.service.status)
        if not status.chunks:
            log.warning("the index is empty: run `newsbot ingest` (or /reindex in Discord); "
                        "until then every question is declined")
        # The engine, the index and discord.py leave ~200,000 long-lived objects; a full
        # garbage collection walking them holds the GIL for 150-180 ms (measured), stalling the
        # event loop. Freezing them moves them out of the collector's reach.
        gc.collect()
        gc.freeze()

    async def _use_api_gateway(self) -> None:
        """Connect to the gateway the configured API names (``GET /gateway/bot``).

        A plain ``Client`` always dials ``DiscordWebSocket.DEFAULT_GATEWAY`` (only the sharded
        client asks the API), so with a redirected API we ask it ourselves and set that.
        """
        _, url, _ = await self.http.get_bot_gateway()
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)

    async def _sync_commands(self) -> None:
        """Guild sync is instant (NEWSBOT_DISCORD_GUILDS); global sync can take up to an hour."""
        try:
            if self.ctx.config.guilds:
                for guild_id in self.ctx.config.guilds:
                    guild = discord.Object(id=guild_id)
                    self.tree.copy_global_to(guild=guild)
                    synced = await self.tree.sync(guild=guild)
                    log.info("synced %d commands to guild %s", len(synced), guild_id)
            else:
                synced = await self.tree.sync()
                log.info("synced %d global commands", len(synced))
        except discord.HTTPException:
            # Mentions still work; slash commands need the applications.commands scope.
            log.exception("could not sync slash commands (was the bot invited with the "
                          "applications.commands scope?)")

    async def on_ready(self) -> None:
        user = self.user
        log.info("logged in as %s (id %s) in %d servers", user, user and user.id,
                 len(self.guilds))
        if self.ctx.session_messages is not None:  # a new session: an empty message cache
            self.ctx.session_messages.session_started()
        if self._recovery is None:  # on_ready also fires after a reconnect: scan once
            self._recovery = asyncio.create_task(
                recover(self, self.ctx, discord.utils.utcnow()), name="newsbot-recovery")

    async def on_message(self, message: discord.Message) -> None:
        if self.user is None:
            return
        await handle_message(self.ctx, message, self.user)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        # Raw: also for messages from before a restart, which discord.py has not cached.
        self.ctx.openings.forget(payload.message_id)
        if self.ctx.session_messages is not None:
            self.ctx.session_messages.forget(payload.channel_id, payload.message_id)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if self.ctx.session_messages is not None:
            self.ctx.session_messages.forget(payload.channel_id, payload.message_id)

    async def on_raw_bulk_message_delete(self,
                                         payload: discord.RawBulkMessageDeleteEvent) -> None:
        if self.ctx.session_messages is not None and payload.message_ids:
            self.ctx.session_messages.forget(payload.channel_id, min(payload.message_ids))

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        # Discord also sends an edit when it adds a link preview: only a changed text counts.
        if self.user is None or before.content == after.content:
            return
        await handle_message(self.ctx, after, self.user, edited=True)


def build_client(service: AnswerService, feedback: FeedbackStore | None,
                 config: DiscordConfig, server_settings: ServerSettingsStore | None = None,
                 cut_answers: CutAnswers | None = None, **options: Any) -> NewsbotClient:
    """The client for ``service``, with fresh limits; ``options`` go to ``discord.Client``."""
    return NewsbotClient(
        BotContext.create(service, feedback, config, server_settings, cut_answers), **options)
