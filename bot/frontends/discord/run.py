"""``newsbot discord``: check the token, build the engine and the client, run until stopped."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.feedback.store import FeedbackStore
from bot.frontends.discord.client import build_client
from bot.frontends.discord.context import DiscordConfig
from bot.frontends.discord.cut_answers import CutAnswers
from bot.frontends.discord.server_settings import ServerSettingsStore
from bot.frontends.discord.token import bot_token
from bot.settings import Settings
from ingest.errors import BadInputError, ServiceUnavailableError

if TYPE_CHECKING:
    from bot.engine import NewsBot
    from ingest.sources.setup import BackgroundPoller

log = logging.getLogger(__name__)

class RedactSecret(logging.Filter):
    """Replaces a secret (the bot token) in every log line, whoever logged it."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secret:
            message = record.getMessage()
            if self.secret in message:
                record.msg = message.replace(self.secret, "[redacted]")
                record.args = ()
        return True


def configure_logging(level: str, token: str) -> None:
    """discord.py's log format on the root logger, with the token redacted everywhere."""
    number = logging.getLevelName(level.upper())  # an int for a known name, else a str
    discord.utils.setup_logging(level=number if isinstance(number, int) else logging.INFO,
                                root=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecret(token))


def run_discord(settings: Settings) -> None:
    """Run the bot in the foreground until Ctrl+C."""
    token = bot_token(settings)
    configure_logging(settings.log_level, token)

    from bot.engine import NewsBot  # slow (llama-index, onnxruntime): only when the bot runs

    service = NewsBot.from_settings(settings)
    feedback = FeedbackStore.in_dir(settings.data_dir)
    pruned = feedback.prune_unvoted()
    if pruned:
        log.info("forgot %d old answers nobody voted on", pruned)
    server_settings = ServerSettingsStore.in_dir(settings.data_dir,
                                                 settings.discord_thread_replies)
    cut_answers = CutAnswers.in_dir(settings.data_dir)
    client = build_client(service, feedback, DiscordConfig.from_settings(settings),
                          server_settings, cut_answers)
    poller = _start_poller(settings, service)
    try:
        client.run(token, log_handler=None)  # logging is configured above
    except discord.LoginFailure as exc:
        raise BadInputError("Discord rejected DISCORD_TOKEN: copy a fresh token from the "
                            "developer portal (Bot → Reset Token)") from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise BadInputError("the Message Content intent is not enabled: turn it on in the "
                            "developer portal (Bot → Privileged Gateway Intents)") from exc
    except (OSError, aiohttp.ClientError) as exc:
        raise ServiceUnavailableError(f"could not reach Discord: {exc}") from exc
    finally:
        if poller is not None:
            poller.stop()
        feedback.close()
        server_settings.close()
        cut_answers.close()


def _start_poller(settings: Settings, service: NewsBot) -> BackgroundPoller | None:
    """With sources configured, the same poll loop as `newsbot watch` on a thread of its own
    (fetching and ingesting block; the event loop never waits for them)."""
    if not (settings.sources or settings.sources_file):
        return None
    from ingest.sources.setup import BackgroundPoller, make_poller

    log.info("following the sources every %g min", settings.poll_minutes)
    return BackgroundPoller(make_poller(settings, settings, service.ingest)).start()
