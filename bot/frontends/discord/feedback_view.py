"""👍 / 👎 buttons under each answer, stored in the feedback store.

The answer's id lives in each button's ``custom_id`` (``newsbot:vote:up:42``) and the button is
a ``DynamicItem`` registered on the client at start-up, so a click on an answer posted before a
restart still reaches ``VoteButton.callback``: no per-message state is kept in memory.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Literal, cast

import discord

from bot.frontends.discord.context import HasBotContext
from bot.frontends.discord.formatting import NO_PINGS

log = logging.getLogger(__name__)

VoteName = Literal["up", "down"]
_EMOJI: dict[VoteName, str] = {"up": "👍", "down": "👎"}


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"newsbot:vote:(?P<vote>up|down):(?P<answer_id>\d+)",
):
    """One vote button; everything it needs is parsed back out of its ``custom_id``."""

    def __init__(self, answer_id: int, vote: VoteName) -> None:
        super().__init__(discord.ui.Button(
            style=discord.ButtonStyle.secondary, emoji=_EMOJI[vote],
            custom_id=f"newsbot:vote:{vote}:{answer_id}"))
        self.answer_id = answer_id
        self.vote: VoteName = vote

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str]) -> VoteButton:
        return cls(int(match["answer_id"]), cast(VoteName, match["vote"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        store = cast(HasBotContext, interaction.client).ctx.feedback
        recorded = False
        if store is not None:
            try:
                recorded = await asyncio.to_thread(
                    store.record_vote, self.answer_id, interaction.user.id,
                    1 if self.vote == "up" else -1)
            except Exception:
                log.exception("could not store a vote")
        text = ("Thanks for the feedback!" if recorded
                else "Sorry, I could not record that vote.")
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


def feedback_view(answer_id: int) -> discord.ui.View:
    """The two buttons for one stored answer; never times out."""
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(answer_id, "up"))
    view.add_item(VoteButton(answer_id, "down"))
    return view
