"""The Discord bot token, checked before discord.py loads (no discord import here)."""

from __future__ import annotations

from bot.settings import Settings
from ingest.errors import BadInputError

MISSING_TOKEN = ("DISCORD_TOKEN is not set: put your bot's token (Discord developer portal → "
                 "your application → Bot → Reset Token) in the environment or .env; "
                 "see docs/discord.md")


def bot_token(settings: Settings) -> str:
    """The token, or a ``BadInputError`` (exit 2) saying what to set."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        raise BadInputError(MISSING_TOKEN)
    return token
