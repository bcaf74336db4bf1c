"""Recency as a news reader means it: a question about the present is answered from the newest
articles that answer it, older ones only when nothing newer does (then the note says as of
when); "this year" and "last year" are calendar years; and the rule can be switched off."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.answering.dates import question_dates, recent_window
from bot.engine import NewsBot
from bot.models import DateRange
from bot.rules import RULES, RuleSwitches
from bot.tuning import DEFAULTS
from ingest.embedding.cache import CachingEncoder
from tests.core_fixtures import make_settings

NEWEST = date(2025, 10, 28)


@pytest.mark.parametrize("question", [
    "Which storm is churning in the Caribbean?",
    "Who recently won the award?",
    "Which award show announced its 2026 nominees?",  # a year not before the newest day
])
def test_a_question_about_the_present_reads_the_recent_days_first(question: str) -> None:
    window = recent_window(question, NEWEST, None)
    assert window == DateRange(date(2025, 9, 29), NEWEST)
    assert (NEWEST - window.since).days == DEFAULTS.recent_days - 1  # type: ignore[operator]


@pytest.mark.parametrize("question", [
    "Which storm hit the Caribbean in 2024?",
    "Who won the title ten years ago?",
    "What is the history of the bridge?",
])
def test_a_question_naming_a_past_time_reads_everything(question: str) -> None:
    assert recent_window(question, NEWEST, None) is None


def test_this_year_and_last_year_are_calendar_years() -> None:
    days = [date(2024, 10, 1), NEWEST]
    this = question_dates("Who played in this year's World Series?", None, lambda: days)
    assert this.range == DateRange(date(2025, 1, 1), NEWEST)
    last = question_dates("Who won last year?", None, lambda: days)
    assert last.range == DateRange(date(2024, 1, 1), date(2024, 12, 31))


def test_an_asked_range_bounds_the_window() -> None:
    asked = DateRange(until=date(2025, 10, 10))
    scope = question_dates("Which storm is churning?", asked, lambda: [date(2025, 10, 9), NEWEST])
    assert scope.recent == DateRange(date(2025, 9, 10), date(2025, 10, 9))


def _storms(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "kirk.md").write_text(
        "---\ntitle: Storm update\ndate: 2024-10-05\n---\n"
        "Hurricane Kirk is slowly churning in the Caribbean, forecasters said on Saturday. "
        "The island of Barvala closed its schools for the storm.\n", encoding="utf-8")
    (corpus / "melissa.md").write_text(
        "---\ntitle: Storm update\ndate: 2025-10-27\n---\n"
        "Hurricane Melissa is slowly churning in the Caribbean, forecasters said on Monday. "
        "Airlines cancelled flights to the region.\n", encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def storms(tmp_path_factory: pytest.TempPathFactory, local_encoder: CachingEncoder) -> Path:
    root = tmp_path_factory.mktemp("storms")
    corpus = _storms(root)
    NewsBot(make_settings(root / "data", corpus), encoder=local_encoder).ingest()
    return root


def _bot(root: Path, encoder: CachingEncoder, **env: str) -> NewsBot:
    return NewsBot(make_settings(root / "data", root / "corpus", **env), encoder=encoder)


def test_the_newest_article_answers_a_present_question(
        storms: Path, local_encoder: CachingEncoder) -> None:
    answer = _bot(storms, local_encoder).answer("Which storm is churning in the Caribbean?")
    assert "Melissa" in answer.text and "Kirk" not in answer.text
    assert "as of" not in answer.note


def test_an_older_article_answers_when_nothing_newer_does_and_says_as_of_when(
        storms: Path, local_encoder: CachingEncoder) -> None:
    answer = _bot(storms, local_encoder).answer("Which island closed its schools?")
    assert "Barvala" in answer.text
    days = DEFAULTS.recent_days
    assert f"No article of the last {days} days answers it; this is as of 2024-10-05" \
        in answer.note


def test_the_rule_switched_off_reads_every_article_alike(
        storms: Path, local_encoder: CachingEncoder) -> None:
    bot = _bot(storms, local_encoder, NEWSBOT_RULES_OFF="recent_first")
    answer = bot.answer("Which storm is churning in the Caribbean?")
    assert "Kirk" in answer.text  # both storms' sentences answer equally: both are quoted
    assert "as of" not in answer.note


def test_rules_are_switched_off_by_their_names_only(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, NEWSBOT_RULES_OFF="recent_first, sentence_floor")
    assert settings.rule_switches() == RuleSwitches(frozenset({"recent_first",
                                                               "sentence_floor"}))
    with pytest.raises(ValueError, match="unknown rule typo"):
        make_settings(tmp_path, NEWSBOT_RULES_OFF="typo")
    assert all(RuleSwitches().on(name) for name in RULES)


@pytest.mark.parametrize("question", [
    "How has the estimated cost of repairing the bridge changed since it closed?",
    "How did the council's decisions change between May and June?",
    "What unemployment rate was first reported for April, and what was it revised to?",
])
def test_a_question_about_change_over_time_reads_everything(question: str) -> None:
    assert recent_window(question, NEWEST, None) is None


def test_may_the_verb_is_no_month() -> None:
    assert recent_window("Which city may soon see federal agents?", NEWEST, None) is not None


def test_how_far_back_the_present_reaches_is_tuned(
        storms: Path, local_encoder: CachingEncoder) -> None:
    """``recent_days`` reaches the engine: a present reaching back past the older article
    (387 days before the newest) answers from it without the "as of" note."""
    answer = _bot(storms, local_encoder, NEWSBOT_TUNE="recent_days=400").answer(
        "Which island closed its schools?")
    assert "Barvala" in answer.text and "as of" not in answer.note
    answer = _bot(storms, local_encoder, NEWSBOT_TUNE="recent_days=3").answer(
        "Which island closed its schools?")
    assert "No article of the last 3 days answers it; this is as of 2024-10-05" in answer.note
