"""The Discord path under load and hostile input: the real discord.py client against the fake
Discord on loopback (the Discord engineer's stub and fixtures).

- 50 members mention the bot at once; the real engine (extractive) answers: every question is
  answered, those beyond the cap are first told their queue position, and no event-loop
  callback takes more than 100 ms.
- Questions (and answers) full of @everyone, role and user mentions never ping: every message
  the bot sends or edits carries ``allowed_mentions`` that parse nothing.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from bench.loop_watch import warm_default_executor, watch_slow_callbacks
from bot.engine import NewsBot
from bot.models import Answer, Citation, DateRange, Turn
from bot.service import StatusInfo
from ingest.embedding import Encoder
from ingest.embedding.vectors import WrappedEncoder
from ingest.report import IngestReport
from tests.fakes.discord_gateway import BOT_ID, CHANNEL_ID, FakeDiscord
from tests.frontends.discord.conftest import StartBot, settle
from tests.reliability.conftest import SharedIndex
from tests.reliability.loadcheck import (
    check_loop,
    frozen_heap,
    golden_questions,
    measure_other_load,
    summary,
    time_callbacks,
)
from tests.reliability.support import make_settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

CONCURRENT = 50
MAX_CONCURRENT = 4  # the default NEWSBOT_DISCORD_MAX_CONCURRENT
QUEUED = re.compile(r"Queued, position (\d+)")


def member(n: int) -> dict[str, Any]:
    """A distinct ordinary member per question, so the per-user cooldown stays as configured."""
    user_id = 910000000000000000 + n
    return {"id": str(user_id), "username": f"reader{n}", "discriminator": "0",
            "global_name": f"reader{n}", "avatar": None, "bot": False, "public_flags": 0,
            "flags": 0}


def assert_no_pings(fake: FakeDiscord) -> int:
    sends = fake.sent_message_bodies()
    assert sends
    for body in sends:
        assert (body.get("allowed_mentions") or {}).get("parse") == [], body
        assert not (body.get("allowed_mentions") or {}).get("replied_user"), body
    return len(sends)


def _final(fake: FakeDiscord, question_id: str) -> bool:
    """The bot's reply to the question is in its final state: sources shown, or refused."""
    reply = replies_to(fake, question_id)
    return reply is not None and (bool(reply["embeds"]) or "don't cover" in reply["content"])


def replies_to(fake: FakeDiscord, question_id: str) -> dict[str, Any] | None:
    return next((m for m in fake.messages.values()
                 if m["author"]["id"] == str(BOT_ID)
                 and str((m.get("message_reference") or {}).get("message_id")) == question_id),
                None)


class SlowerEncoder(WrappedEncoder):
    """The shared encoder, ``delay`` seconds slower a call: the engine as on a slower machine.
    With sentence vectors read from the store, an answer over the small shared index takes a
    few tens of ms — less than the gap between two mentions — so on a fast machine no mention
    would find every slot taken and the queue would go untested."""

    def __init__(self, inner: Encoder, delay: float) -> None:
        super().__init__(inner)
        self.delay = delay

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        time.sleep(self.delay)
        return self.inner.encode(texts)


async def test_50_concurrent_mentions_are_answered_or_queued(
        start_bot: StartBot, fake_discord: FakeDiscord, shared_index: SharedIndex) -> None:
    engine = NewsBot(make_settings(shared_index.data_dir, NEWSBOT_LLM="extractive"),
                     encoder=SlowerEncoder(shared_index.encoder, 0.3))
    await warm_default_executor()
    await start_bot(engine, cooldown_seconds=10.0, max_concurrent=MAX_CONCURRENT)
    questions = golden_questions(CONCURRENT)
    threads = rf"/channels/{CHANNEL_ID}/messages/\d+/threads"

    with frozen_heap(), measure_other_load() as others, \
            watch_slow_callbacks(asyncio.get_running_loop()) as slow, time_callbacks() as times:
        sent_at: dict[str, float] = {}
        started = time.monotonic()
        for n, question in enumerate(questions):
            payload = await fake_discord.user_message(question, mention_bot=True,
                                                      author=member(n))
            sent_at[payload["id"]] = time.monotonic()
        await fake_discord.wait_until(lambda: all(_final(fake_discord, q) for q in sent_at),
                                      timeout=240)
        wall = time.monotonic() - started
        await settle()

    latencies: list[float] = []
    queued_positions: list[int] = []
    for question_id, asked_at in sent_at.items():
        reply = replies_to(fake_discord, question_id)
        assert reply is not None, f"question {question_id} got no reply"
        first = next(c for c in fake_discord.calls_to("POST", rf"/channels/{CHANNEL_ID}/messages")
                     if str((c.body.get("message_reference") or {}).get("message_id"))
                     == question_id)
        told = QUEUED.search(first.body["content"])
        if told:
            queued_positions.append(int(told.group(1)))
        else:  # not queued: the first message already is the answer (extractive: no preview)
            assert first.body.get("embeds") or "don't cover" in first.body["content"], first.body
        # The final state: an answer with its sources, or the engine's refusal; no queue note,
        # no streaming marker left behind.
        assert not QUEUED.search(reply["content"]) and not reply["content"].endswith("▌")
        assert reply["embeds"] or "don't cover" in reply["content"], reply["content"]
        edits = fake_discord.calls_to("PATCH", rf"/channels/{CHANNEL_ID}/messages/{reply['id']}")
        done_at = edits[-1].at if edits else first.at
        latencies.append(done_at - asked_at)

    loop_line = check_loop("discord", slow, times, others)
    # Those who found every slot taken were told where they stood: positions are counted at
    # arrival, and answers finish while later mentions still arrive, so not all 46 queue.
    assert queued_positions and all(1 <= p <= CONCURRENT - MAX_CONCURRENT
                                    for p in queued_positions)
    sends = assert_no_pings(fake_discord)
    answered = sum(bool(replies_to(fake_discord, q)["embeds"]) for q in sent_at)  # type: ignore[index]
    # Every answer with sources opens its follow-up thread; a refusal has nothing to follow up.
    assert len(fake_discord.calls_to("POST", threads)) == answered
    print(f"\n[load] discord x{CONCURRENT} mentions in {wall:.1f} s; "
          f"{summary('mention-to-final-answer', latencies)}; queued {len(queued_positions)} "
          f"(max position {max(queued_positions)}); with sources {answered}; "
          f"{sends} sends, all without pings\n{loop_line}")


class EchoService:
    """The worst case for pings: an engine whose answer repeats the question verbatim."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    def answer(self, question: str, history: Sequence[Turn] = (), *,
               on_token: Callable[[str], None] | None = None,
               top_k: int | None = None, dates: DateRange | None = None) -> Answer:
        self.questions.append(question)
        if on_token is not None:
            on_token(question[:50])
        text = f"You asked: {question} [1]"
        return Answer(question=question, text=text, backend="echo", citations=(
            Citation(n=1, file="x.txt", title=f"Title {question[:80]}",
                     quote=f"Quote {question[:200]}", score=0.9),))

    def sources(self) -> list[Any]:
        return []

    def status(self) -> StatusInfo:
        return StatusInfo(corpus_dir="", store="", collection="echo", collection_exists=True,
                          files=1, chunks=1, embedding_model="", backend="echo",
                          llm_setting="auto")

    def reindex(self, on_progress: Callable[[str], None] | None = None) -> IngestReport:
        return IngestReport()


HOSTILE = ["@everyone", "@here", "<@&900000000000000400>", "<@900000000000000300>",
           "<@!900000000000000301>", "<#900000000000000201>", "```\n@everyone\n```",
           "**@here**", "> @everyone", "||<@&900000000000000400>||", "@\u200beveryone",
           "ceasefire", "Trump", "what did Putin say?", "\u202e@everyone", "[1]"]


def hostile_questions(count: int, seed: int = 6) -> list[str]:
    rng = random.Random(seed)
    questions = [" ".join(rng.choice(HOSTILE) for _ in range(rng.randint(1, 6)))
                 for _ in range(count)]
    return [*questions, "x @everyone " * 400, "   "]  # over the limit, and empty


async def test_hostile_mentions_never_ping(start_bot: StartBot,
                                           fake_discord: FakeDiscord) -> None:
    service = EchoService()
    await start_bot(service, cooldown_seconds=0.0, edit_interval=0.01)
    questions = hostile_questions(30)
    for n, question in enumerate(questions):
        await fake_discord.user_message(question, mention_bot=True, author=member(n))
    # Every question gets exactly one reply (an answer, or the limit/empty message).
    await fake_discord.wait_until(
        lambda: sum(1 for m in fake_discord.messages.values()
                    if m["author"]["id"] == str(BOT_ID) and m.get("message_reference"))
        >= len(questions), timeout=60)
    await settle()
    assert_no_pings(fake_discord)
    assert len(service.questions) == len(questions) - 2  # the long and empty ones are refused
    echoed = [m["content"] for m in fake_discord.messages.values()
              if m["author"]["id"] == str(BOT_ID)]
    assert any("@everyone" in c for c in echoed)  # the text is there; it just cannot ping
