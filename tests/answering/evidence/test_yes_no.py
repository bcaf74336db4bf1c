"""Yes-or-no questions: the rules' verdict (a quoted sentence stating the whole claim), the
model's verdict kept apart from the sentences grounding checks, and both end to end."""

from __future__ import annotations

import pytest

from bot.answering.evidence.yes_no import (
    NO,
    YES,
    asks_yes_no,
    consistent,
    split_verdict,
    verdict,
    with_lead,
)
from tests.core_fixtures import IndexedCorpus

PUTIN = "Has Putin agreed to the 30-day ceasefire?"


@pytest.mark.parametrize(("asked", "expected"), [
    (PUTIN, True),
    ("Did the Fed cut rates?", True),
    ("Were the talks held in Saudi Arabia?", True),
    ("Where were the talks held?", False),
    # Alternatives ask to choose, a negated question makes "Yes" ambiguous.
    ("Is Donald Trump described as the current or the former US president?", False),
    ("Didn't Putin agree to the ceasefire?", False),
    ("Is it not true that Putin agreed?", False),
])
def test_which_questions_ask_yes_or_no(asked: str, expected: bool) -> None:
    assert asks_yes_no(asked) is expected


def test_a_sentence_stating_the_whole_claim_settles_it() -> None:
    assert verdict(PUTIN, ["Putin agreed on Tuesday to a 30-day ceasefire."], 5) == YES
    assert verdict(PUTIN, ["Putin has not agreed to the 30-day ceasefire, aides said."],
                   5) == NO
    assert verdict(PUTIN, ["Putin refused to agree to the 30-day ceasefire."], 5) == NO


def test_a_sentence_stating_part_of_the_claim_settles_nothing() -> None:
    # Putin and the ceasefire, but not that he agreed: the reader judges the quotes.
    assert verdict(PUTIN, ["Trump is seeking Putin’s support for a 30-day ceasefire proposal "
                           "that Ukraine accepted last week."], 5) is None
    assert verdict("Where were the talks held?", ["The talks were held in Riyadh."], 5) is None


def test_a_negation_before_the_claim_is_another_subjects() -> None:
    sentence = ("Lincoln wasn't the first president to issue a Thanksgiving proclamation — "
                "George Washington did it in 1789.")
    assert verdict("Did George Washington issue the first Thanksgiving proclamation?",
                   [sentence], 5) == YES


def test_sentences_settling_it_both_ways_settle_nothing() -> None:
    assert verdict(PUTIN, ["Putin agreed to the 30-day ceasefire.",
                           "Putin did not agree to the 30-day ceasefire."], 5) is None


def test_a_replys_verdict_is_set_apart_and_put_back() -> None:
    assert split_verdict("Yes, Putin agreed [1].") == (YES, "Putin agreed [1].")
    assert split_verdict("No. He refused [2].") == (NO, "He refused [2].")
    assert split_verdict("Nobody agreed [1].") == (None, "Nobody agreed [1].")
    # "No" that is a word of the sentence is no verdict: set apart, it would turn it around.
    assert split_verdict("No one was hurt [1].") == (None, "No one was hurt [1].")
    assert split_verdict("Yes — he agreed [1].") == (YES, "He agreed [1].")
    assert with_lead(YES, "Putin agreed [1].") == "Yes. Putin agreed [1]."
    assert with_lead(YES, "") == ""  # nothing survived the check: no bare verdict
    assert with_lead(None, "Putin agreed [1].") == "Putin agreed [1]."


def test_a_verdict_its_own_sentences_contradict_is_inconsistent() -> None:
    lions = "Is it Detroit Lions that has played the most games on Thanksgiving Day?"
    said = ["The Detroit Lions have played the most games on Thanksgiving Day."]
    assert not consistent(NO, lions, said, 5)
    assert consistent(YES, lions, said, 5)
    # A sentence missing one word of the claim still contradicts a verdict.
    penny = "Is it the penny that was minted for the last time this week?"
    assert not consistent(NO, penny, ["The very last penny was minted on Wednesday."], 5)
    # Sentences that settle nothing take the verdict at its word.
    assert consistent(NO, lions, ["The Lions have played on Thanksgiving since 1934."], 5)


# -- end to end on the sample corpus, extractive -----------------------------------------------

HELD = "Were negotiations for a 30-day ceasefire held in Saudi Arabia?"


def test_the_quotes_open_with_the_verdict_they_settle(indexed_corpus: IndexedCorpus) -> None:
    answer = indexed_corpus.bot().answer(HELD)
    assert answer.text.startswith("Yes. ") and "Saudi Arabia" in answer.text
    assert answer.citations
    # Quotes that do not state the claim carry no verdict.
    unsettled = indexed_corpus.bot().answer(PUTIN)
    assert not unsettled.refused and not unsettled.text.startswith(("Yes", "No"))
    # The rule is a switch: off, the same quotes without the verdict.
    switched_off = indexed_corpus.bot(NEWSBOT_RULES_OFF="yes_no").answer(HELD)
    assert switched_off.text == answer.text.removeprefix("Yes. ")
