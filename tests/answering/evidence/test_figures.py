"""Figures a question names its story by (``figure_in_passages``)."""

from __future__ import annotations

import pytest

from bot.answering.evidence.figures import figures, unstated_figure
from bot.answering.synthesizer import REFUSAL
from tests.core_fixtures import IndexedCorpus

TOLERANCE = 0.10


@pytest.mark.parametrize(("text", "expected"), [
    ("A rare painting sold for $236 million at auction", [("$236 million", 236e6, False)]),
    ("recalled nearly 200,000 vehicles", [("200,000", 200_000, True)]),
    ("after more than 60 years in business", [("60", 60, True)]),
    ("the nearly $1.8 billion Powerball jackpot", [("$1.8 billion", 1.8e9, True)]),
    ("A 10-year-old girl and a 16-pound turkey", [("10", 10, False), ("16", 16, False)]),
    ("236 million dollars", [("236 million", 236e6, False)]),
    # In words, as news writes small numbers and round ones.
    ("Ten inmates and a dozen guards", [("Ten", 10, False), ("a dozen", 12, False)]),
    ("nearly one million people", [("one million", 1e6, True)]),
])
def test_figures_are_read_by_value(text: str, expected: list[tuple[str, float, bool]]) -> None:
    assert [(f.text, f.value, f.approximate) for f in figures(text)] == expected


@pytest.mark.parametrize("text", [
    "in 2024", "on Nov. 4", "on Sept 17", "the 4th time", "COVID-19", "G7 leaders", "an F-35",
    "the 1990s",
])
def test_years_days_ordinals_and_names_are_not_figures(text: str) -> None:
    assert figures(text) == []


def test_a_figure_no_passage_states_is_unstated() -> None:
    passages = ["The Dutch masterpiece fetched $62 million at auction on Tuesday."]
    assert unstated_figure("A painting sold for $236 million this week. Who painted it?",
                           passages, TOLERANCE) == "$236 million"


@pytest.mark.parametrize(("question", "passage"), [
    # Questions round silently: a passage figure that rounds to the question's states it.
    ("A painting sold for $236 million. Who painted it?", "It sold for $236.4 million."),
    ("Which automaker recalled nearly 200,000 vehicles?", "BMW recalls 196,000 cars."),
    # Said to be rounded: within the tolerance.
    ("Which chain closed after more than 60 years?", "The chain, founded 63 years ago, closed."),
    # Written another way: the same value.
    ("Who was offered a $1 trillion pay package?", "a pay package worth $1,000,000,000,000"),
    ("Which leader convened 29 global leaders?", "Starmer convened 29 global leaders."),
    ("Why were 12 protesters arrested?", "Police arrested a dozen protesters on Monday."),
])
def test_a_figure_a_passage_states_in_its_own_way_is_stated(question: str, passage: str) -> None:
    assert unstated_figure(question, [passage], TOLERANCE) is None


def test_small_numbers_and_questions_without_figures_are_never_unstated() -> None:
    # A number below ten is too common to name a story.
    assert unstated_figure("Which 3 countries signed?", ["Three countries signed."],
                           TOLERANCE) is None
    assert unstated_figure("Who signed the accord?", ["Nobody."], TOLERANCE) is None


def test_a_figure_stated_about_something_else_is_unstated() -> None:
    # The same number, in a sentence sharing no word with the question: another story.
    passages = ["Evacuations dropped to 92,000, down from almost 200,000 people days ago."]
    assert unstated_figure("Which automaker recalled nearly 200,000 vehicles?", passages,
                           TOLERANCE) == "200,000"


def test_an_exact_figure_is_not_stated_by_a_near_one() -> None:
    assert unstated_figure("Who died at age 84?", ["He died at 85."], TOLERANCE) == "84"


# -- end to end on the sample corpus -----------------------------------------------------------

PLANNED = "Who laid out plans for a western peacekeeping force of more than {} troops?"


def test_a_question_naming_a_figure_no_passage_states_is_refused_with_the_reason(
        indexed_corpus: IndexedCorpus) -> None:
    # The articles plan a force of more than 10,000: a question about 50,000 is another story.
    answer = indexed_corpus.bot().answer(PLANNED.format("50,000"))
    assert answer.refused and answer.citations == ()
    assert answer.text.startswith(REFUSAL) and "figure “50,000”" in answer.text
    # The answerable question, with the figure the articles state, is answered.
    stated = indexed_corpus.bot().answer(PLANNED.format("10,000"))
    assert not stated.refused and "Starmer" in stated.text
    # The rule is a switch: off, the question about 50,000 is answered from the same passages.
    switched_off = indexed_corpus.bot(NEWSBOT_RULES_OFF="figure_in_passages")
    assert not switched_off.answer(PLANNED.format("50,000")).refused
