"""What every Discord handler needs, in one object: the answer service, the feedback store,
the configuration and the shared limits. Handlers take it as an argument, so tests build one
with fakes instead of starting a client.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import discord

from bot.answering.backends import answer_concurrency
from bot.answering.questions import MAX_QUESTION_CHARS
from bot.feedback.store import FeedbackStore
from bot.frontends.common.limits import AnswerGate, Cooldown
from bot.frontends.discord.bounded import BoundedMap
from bot.frontends.discord.cut_answers import CutAnswers
from bot.frontends.discord.server_settings import ServerSettingsStore, ThreadReplies
from bot.frontends.discord.threads import OpeningCache, SessionMessages
from bot.service import AnswerService

if TYPE_CHECKING:
    from bot.frontends.discord.replies import AnswerPost
    from bot.settings import Settings


@dataclass(frozen=True)
class DiscordConfig:
    """The Discord knobs of ``Settings``, plus timings tests may shorten."""

    guilds: tuple[int, ...] = ()
    channels: frozenset[int] = frozenset()
    cooldown_seconds: float = 10.0
    # Answers in progress at once: NEWSBOT_DISCORD_MAX_CONCURRENT, capped at how many the
    # backend writes at once (one for a local model); askers beyond it are told they are queued.
    max_concurrent: int = 4
    api_base: str | None = None
    max_question_chars: int = MAX_QUESTION_CHARS
    edit_interval: float = 1.0  # seconds between edits of a streaming reply
    history_messages: int = 20  # thread messages read back for a follow-up
    thread_replies: ThreadReplies = "asker"  # see Settings.discord_thread_replies
    edit_window: float = 300.0  # seconds after asking in which an edited question is re-answered
    shutdown_grace: float = 20.0  # seconds answers in progress may take to finish on shutdown
    recovery_window: float = 3600.0  # on start, look this far back for unanswered questions
    handle_signals: bool = False  # SIGTERM closes gracefully (set by `newsbot discord`)

    @classmethod
    def from_settings(cls, settings: Settings) -> DiscordConfig:
        return cls(
            guilds=tuple(settings.discord_guilds),
            channels=frozenset(settings.discord_channels),
            cooldown_seconds=settings.discord_cooldown_seconds,
            max_concurrent=min(settings.discord_max_concurrent,
                               answer_concurrency(settings) or settings.discord_max_concurrent),
            api_base=settings.discord_api_base,
            thread_replies=settings.discord_thread_replies,
            handle_signals=True,
            # Discord's own message limit is 2,000 characters; never accept more than that.
            max_question_chars=min(settings.max_question_chars, MAX_QUESTION_CHARS),
        )


@dataclass
class BotContext:
    """The service, the store and the limits shared by all handlers of one bot."""

    service: AnswerService
    feedback: FeedbackStore | None
    config: DiscordConfig
    cooldown: Cooldown
    gate: AnswerGate
    server_settings: ServerSettingsStore = field(
        default_factory=lambda: ServerSettingsStore(None))
    reindex_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Question message id → our reply and when it was asked: an edited question re-answers
    # into the same reply. Bounded: only recent questions can be edited into a new answer.
    answered: BoundedMap[int, tuple[discord.Message, float]] = field(
        default_factory=lambda: BoundedMap(1000))
    # Answers being written; on shutdown they get a grace period, then are marked interrupted.
    in_flight: set[AnswerPost] = field(default_factory=set)
    closing: bool = False  # shutting down: no new questions (a restart catches them up)
    # Messages on_message has taken up since start: the start-up scan leaves them alone.
    handled: BoundedMap[int, bool] = field(default_factory=lambda: BoundedMap(10_000))
    # Replies cut by a shutdown that promise to be finished (in memory: none are promised).
    cut_answers: CutAnswers = field(default_factory=lambda: CutAnswers(None))
    # Thread id → the exchange it was opened on: read once, not on every follow-up.
    openings: OpeningCache = field(default_factory=OpeningCache)
    # discord.py's message cache, read as thread history when complete (set by the client).
    session_messages: SessionMessages | None = None
    # (user, channel) pairs already told where the bot answers: said once, not every time.
    told_where: BoundedMap[tuple[int, int], bool] = field(
        default_factory=lambda: BoundedMap(10_000))

    @classmethod
    def create(cls, service: AnswerService, feedback: FeedbackStore | None,
               config: DiscordConfig,
               server_settings: ServerSettingsStore | None = None,
               cut_answers: CutAnswers | None = None) -> BotContext:
        """``server_settings`` and ``cut_answers`` default to in-memory stores (nothing kept
        across restarts)."""
        return cls(service=service, feedback=feedback, config=config,
                   cooldown=Cooldown(config.cooldown_seconds),
                   gate=AnswerGate(config.max_concurrent),
                   server_settings=server_settings or ServerSettingsStore(
                       None, config.thread_replies),
                   cut_answers=cut_answers or CutAnswers(None))


class HasBotContext(Protocol):
    """A client that carries a ``BotContext`` (button callbacks reach it via the client)."""

    ctx: BotContext
