"""Discord mention markup (``<@id>``, ``<@&id>``, ``<#id>``) as plain ``@name`` text.

Pings are off everywhere (``NO_PINGS``), but markup still renders as a pill in messages and
embeds, leaks as a raw ``<@&9001…>`` into thread names, and reaches the engine as tokens that
mean nothing to retrieval. Questions and everything shown pass through here first.

Why not ``discord.Message.clean_content``: it needs a message, and the bot's own answers and
article quotes are plain strings; it also leaves the bot's own mention as ``@newsbot``, which
``strip_mention`` removes from questions anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import discord

_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")


def plain_mentions(text: str, guild: discord.Guild | None = None,
                   users: Iterable[discord.abc.User] = ()) -> str:
    """``text`` with every mention as ``@name`` / ``#name``: names from ``users`` (a message's
    resolved mentions) or ``guild``, else a generic ``@user``, ``@role`` or ``#channel``."""
    known = {user.id: user.display_name for user in users}

    def user(match: re.Match[str]) -> str:
        user_id = int(match.group(1))
        member = guild.get_member(user_id) if guild is not None else None
        return "@" + (known.get(user_id) or (member.display_name if member else "user"))

    def role(match: re.Match[str]) -> str:
        found = guild.get_role(int(match.group(1))) if guild is not None else None
        return "@" + (found.name.lstrip("@") if found else "role")

    def channel(match: re.Match[str]) -> str:
        found = guild.get_channel_or_thread(int(match.group(1))) if guild is not None else None
        return "#" + (found.name if found else "channel")

    return _CHANNEL.sub(channel, _ROLE.sub(role, _USER.sub(user, text)))
