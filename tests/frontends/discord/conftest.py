"""Fixtures for the Discord tests: a fake ``AnswerService`` and a real client on a fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.feedback.store import FeedbackStore
from bot.frontends.discord.client import NewsbotClient, build_client
from bot.frontends.discord.context import DiscordConfig
from bot.service import AnswerService
from tests.fakes.discord_gateway import GUILD_ID, FakeDiscord
from tests.frontends.discord.support import FakeService


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def feedback(tmp_path: Path) -> Iterator[FeedbackStore]:
    store = FeedbackStore.in_dir(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
def restore_discord_globals() -> Iterator[None]:
    """The client redirects process-wide class attributes; put them back after the test."""
    route_base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = route_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


StartBot = Callable[..., Awaitable[NewsbotClient]]


@pytest.fixture
async def start_bot(fake_discord: FakeDiscord, feedback: FeedbackStore,
                    restore_discord_globals: None) -> AsyncIterator[StartBot]:
    """Start the real client against the fake Discord; stopped after the test."""
    started: list[tuple[NewsbotClient, asyncio.Task[None]]] = []

    async def start(service: AnswerService, **config: Any) -> NewsbotClient:
        config = {"api_base": fake_discord.api_base, "guilds": (GUILD_ID,),
                  "cooldown_seconds": 0.0, "edit_interval": 0.05, **config}
        server_settings = config.pop("server_settings", None)
        cut_answers = config.pop("cut_answers", None)
        client = build_client(service, feedback, DiscordConfig(**config), server_settings,
                              cut_answers, guild_ready_timeout=0.05)
        task = asyncio.create_task(client.start("fake-token"))
        started.append((client, task))
        await asyncio.wait_for(client.wait_until_ready(), 10)
        return client

    yield start
    await settle()
    for client, task in started:
        await client.close()
        await asyncio.wait_for(task, 10)


_HANDLER_TASKS = ("discord.py: on_message", "discord.py: on_interaction", "CommandTree-invoker",
                  "discord-ui-")


async def settle(timeout: float = 10.0) -> None:
    """Wait for the bot's event handlers that are still running (a reply after the checked
    one, a thread being opened) so a test never stops the bot half-way through."""
    busy = [t for t in asyncio.all_tasks()
            if t.get_name().startswith(_HANDLER_TASKS) and not t.done()]
    if busy:
        await asyncio.wait(busy, timeout=timeout)
