"""Questions offering alternatives: which they offer, the one the quotes name, and the
refusal rules reading the question without them."""

from __future__ import annotations

import pytest

from bot.answering.evidence.alternatives import (
    alternatives,
    choice_cut,
    chosen,
    without_alternatives,
)
from tests.core_fixtures import IndexedCorpus


@pytest.mark.parametrize(("asked", "offered"), [
    ("Which state banned ultraprocessed foods in public schools, California or New York?",
     ("California", "New York")),
    ("Which is it, Paris, Lyon or Nice?", ("Paris", "Lyon", "Nice")),
    # An alternative with a comma of its own has one on either side of "or".
    ("Where is the Nobel Peace Prize awarded, Oslo, Norway or Brussels, Belgium?",
     ("Oslo, Norway", "Brussels, Belgium")),
    ("Who won Super Bowl LIX: the Philadelphia Eagles or the Kansas City Chiefs?",
     ("Philadelphia Eagles", "Kansas City Chiefs")),
    ("Did the Eagles or the Chiefs win Super Bowl LIX?", ("Eagles", "Chiefs")),
    ("Is Donald Trump described as the current or the former US president?",
     ("current", "former")),
    # A clause is no item of a list; "lead or supply" in a wh-question asks for either.
    ("What did Macron say about troops, and did Russia agree or refuse?", ()),
    ("Which countries would lead or supply most of a peacekeeping force for Ukraine?", ()),
    ("Did he say whether or not he would go?", ()),
    ("Who won the race?", ()),
])
def test_the_alternatives_a_question_offers(asked: str, offered: tuple[str, ...]) -> None:
    assert alternatives(asked) == offered


def test_the_one_alternative_the_quotes_name_is_chosen() -> None:
    offered = ("California", "New York")
    assert chosen(offered, ["California became the first state to ban them."]) == "California"
    # Both named, or neither: nothing is settled.
    assert chosen(offered, ["California and New York weighed bans."]) is None
    assert chosen(offered, ["A bill was introduced."]) is None
    assert without_alternatives("Which state, California or New York?", offered).split() == \
        ["Which", "state,", "or", "?"]


# -- end to end on the sample corpus, extractive ------------------------------------------------

OFFERED = "Where were the talks on the 30-day ceasefire held, Saudi Arabia or Qatar?"


def test_the_answer_names_the_alternative_its_quotes_name(indexed_corpus: IndexedCorpus) -> None:
    answer = indexed_corpus.bot().answer(OFFERED)
    # "Qatar", which no article names, is a choice offered, not the question's subject.
    assert not answer.refused
    assert answer.text.startswith("Saudi Arabia. ") and answer.citations
    # Switched off, the unknown name refuses the question.
    switched_off = indexed_corpus.bot(NEWSBOT_RULES_OFF="alternatives").answer(OFFERED)
    assert switched_off.refused and "Qatar" in switched_off.text


def test_a_question_reads_without_the_alternatives_it_ends_with() -> None:
    for question, cut in [
            ("Where were the talks held, Saudi Arabia or Qatar?", "Where were the talks held?"),
            ("Which city saw raids: Charlotte, North Carolina or Chicago, Illinois?",
             "Which city saw raids?"),
            ("Who won Super Bowl LIX: the Eagles or the Chiefs?", "Who won Super Bowl LIX?"),
            ("Did the Eagles or the Chiefs win the Super Bowl?",
             "Did the Eagles or the Chiefs win the Super Bowl?"),
            ("Who won the vote?", "Who won the vote?")]:
        assert choice_cut(question, alternatives(question)) == cut
