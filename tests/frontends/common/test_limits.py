"""Cooldown, the cap on answers in progress, the channel allow-list, the question length."""

from __future__ import annotations

import asyncio

from bot.frontends.common.errors import question_problem_text as question_problem
from bot.frontends.common.limits import AnswerGate, Cooldown, channel_allowed


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_cooldown_is_per_user_and_refusals_do_not_extend_it() -> None:
    clock = Clock()
    cooldown = Cooldown(10, clock)
    assert cooldown.retry_after(1) == 0
    assert cooldown.retry_after(2) == 0  # another user is not affected
    clock.now += 4
    assert cooldown.retry_after(1) == 6
    clock.now += 5
    assert cooldown.retry_after(1) == 1  # the refused try at +4 did not restart the wait
    clock.now += 1
    assert cooldown.retry_after(1) == 0


def test_zero_cooldown_never_waits() -> None:
    cooldown = Cooldown(0, Clock())
    assert cooldown.retry_after(1) == 0 and cooldown.retry_after(1) == 0


async def test_gate_queues_beyond_the_cap_with_positions() -> None:
    gate = AnswerGate(2)
    release = asyncio.Event()
    positions: list[tuple[str, int]] = []
    order: list[str] = []

    async def job(name: str) -> None:
        async def queued(position: int) -> None:
            positions.append((name, position))

        async with gate.slot(queued):
            order.append(name)
            await release.wait()

    tasks = [asyncio.create_task(job(name)) for name in "abcd"]
    await asyncio.sleep(0.01)
    assert gate.active == 2 and gate.waiting == 2
    assert positions == [("c", 1), ("d", 2)]
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["a", "b", "c", "d"] and gate.active == 0 and gate.waiting == 0


async def test_gate_releases_its_slot_on_errors() -> None:
    gate = AnswerGate(1)
    try:
        async with gate.slot():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    async with gate.slot():
        assert gate.active == 1


def test_channel_allow_list() -> None:
    assert channel_allowed(5, None, frozenset())  # empty: everywhere
    assert channel_allowed(5, None, {5})
    assert not channel_allowed(6, None, {5})
    assert channel_allowed(77, 5, {5})  # a thread of an allowed channel
    assert not channel_allowed(77, 6, {5})


def test_question_problems() -> None:
    assert question_problem("What happened?") is None
    assert question_problem("x" * 2000) is None
    too_long = question_problem("x" * 2001)
    assert too_long is not None and "2,001" in too_long and "2,000" in too_long
    empty = question_problem("   ")
    assert empty is not None and "question" in empty
