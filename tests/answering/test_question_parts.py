"""Splitting a compound question into the questions it asks."""

from __future__ import annotations

import pytest

from bot.answering.question_parts import question_parts
from bot.tuning import DEFAULTS


@pytest.mark.parametrize(("question", "parts"), [
    ("Where did US delegates negotiate with the Ukrainians, and where did the US envoy hold "
     "talks with the Russian side?",
     ("Where did US delegates negotiate with the Ukrainians",
      "where did the US envoy hold talks with the Russian side?")),
    ("What rate was first reported, and when was the revision published?",
     ("What rate was first reported", "when was the revision published?")),
    ("Who met, and when, and why?", ("Who met", "when", "why?")),
])
def test_a_further_question_after_and_is_a_part(question: str,
                                                 parts: tuple[str, ...]) -> None:
    assert question_parts(question) == parts


@pytest.mark.parametrize("question", [
    "Who spoke for the White House and for the Kremlin ahead of the call?",  # one question word
    "Where were the talks held?",
    "What did Trump and Putin discuss?",
    "and what?",  # nothing before the further question
    "",
])
def test_a_question_asking_one_thing_has_no_parts(question: str) -> None:
    assert question_parts(question) == ()


def test_parts_are_capped() -> None:
    question = ", and ".join(["who"] + ["what"] * 5)
    assert len(question_parts(question)) == DEFAULTS.max_question_parts
    assert len(question_parts(question, 2)) == 2


def test_a_part_pointing_back_carries_the_part_before_it() -> None:
    assert question_parts("What rate was first reported and what was it revised to?") == (
        "What rate was first reported",
        "what was it revised to? (What rate was first reported)")
    assert question_parts("Where did Witkoff meet Putin, and what did he say?")[1] == \
        "what did he say? (Where did Witkoff meet Putin)"
