"""Time words read against the corpus's dates (``bot/answering/dates.py``), the ``DateRange``
value, and the user's ``--since``/``--until`` text."""

from __future__ import annotations

from datetime import date

import pytest

from bot.answering.dates import asks_for_latest, question_dates, span_phrase
from bot.frontends.common.dates import date_range
from bot.models import DateRange
from ingest.dates import date_number, iso_date_number, number_date, span_where
from ingest.errors import BadInputError

NEWEST = date(2025, 3, 14)
DAYS = [date(2025, 2, 10), date(2025, 2, 21), NEWEST]


def _range(question: str, asked: DateRange | None = None) -> DateRange | None:
    return question_dates(question, asked, lambda: DAYS).range


@pytest.mark.parametrize(("question", "since", "until"), [
    ("What happened today?", NEWEST, NEWEST),
    ("What happened yesterday?", date(2025, 3, 13), date(2025, 3, 13)),
    ("What did the bank do this week?", date(2025, 3, 8), NEWEST),
    ("What happened in the past week?", date(2025, 3, 8), NEWEST),
    ("What happened in the last 7 days?", date(2025, 3, 8), NEWEST),
    ("What happened last week?", date(2025, 3, 1), date(2025, 3, 7)),
    ("What happened this month?", date(2025, 3, 1), NEWEST),
    ("What happened last month?", date(2025, 2, 1), date(2025, 2, 28)),
    ("What happened in the past month?", date(2025, 2, 13), NEWEST),
])
def test_span_phrases_end_on_the_newest_article_date(question: str, since: date,
                                                     until: date) -> None:
    assert _range(question) == DateRange(since, until)


def test_the_note_says_which_days_a_phrase_means() -> None:
    scope = question_dates("What happened this week?", None, lambda: DAYS)
    assert scope.note == ("“this week” is read as 2025-03-08 to 2025-03-14: the newest article "
                          "here is dated 2025-03-14.")


def test_no_phrase_or_no_dated_article_leaves_the_range_alone() -> None:
    asked = DateRange(since=date(2025, 1, 1))
    def days() -> list[date]:
        return []

    plain = question_dates("What did the bank do?", asked, days)
    assert (plain.range, plain.recent) == (asked, None)  # no dated article: no "present"
    scope = question_dates("What happened this week?", None, days)
    assert (scope.range, scope.note) == (None, "")  # an undated corpus: exactly as without


def test_a_phrase_is_read_within_the_askers_range() -> None:
    # --until 2025-02-25 makes 2025-02-21 the newest day: "this week" is the week before it.
    asked = DateRange(until=date(2025, 2, 25))
    assert _range("What happened this week?", asked) == DateRange(date(2025, 2, 15),
                                                                  date(2025, 2, 21))
    assert _range("What happened today?", DateRange(since=date(2025, 2, 20))) == \
        DateRange(NEWEST, NEWEST)


def test_the_first_phrase_counts_and_words_inside_others_do_not() -> None:
    assert span_phrase("Yesterday or today?") is not None
    assert span_phrase("Yesterday or today?")[0] == "yesterday"  # type: ignore[index]
    assert span_phrase("Who is the mayor of Todayville?") is None


def test_latest_questions() -> None:
    for question in ("What is the latest on the dam?", "Who is the current president?",
                     "What happened most recently?", "Which report is the newest?"):
        assert asks_for_latest(question), question
    assert not asks_for_latest("What did the report say about currents in the bay?")


def test_date_range_values() -> None:
    dates = DateRange(date(2025, 3, 1), date(2025, 3, 14))
    assert dates.contains(date(2025, 3, 1)) and dates.contains(date(2025, 3, 14))
    assert not dates.contains(date(2025, 2, 28))
    assert dates.describe() == "dated 2025-03-01 to 2025-03-14"
    assert DateRange(since=date(2025, 3, 1)).describe() == "dated 2025-03-01 or later"
    assert DateRange(until=date(2025, 3, 1)).describe() == "dated 2025-03-01 or earlier"
    assert dates.within(DateRange(since=date(2025, 3, 5))) == DateRange(date(2025, 3, 5),
                                                                         date(2025, 3, 14))
    assert DateRange(date(2025, 3, 2), date(2025, 3, 1)).empty


def test_date_numbers_keep_the_order_of_days() -> None:
    assert date_number(date(2025, 3, 14)) == 20250314 == iso_date_number("2025-03-14")
    assert number_date(20250314) == date(2025, 3, 14)
    assert iso_date_number("March 2025") is None
    assert span_where(None, None) == {"date_number": {"$gte": 0}}  # a date is still required
    assert span_where(date(2025, 3, 1), date(2025, 3, 14)) == {"$and": [
        {"date_number": {"$gte": 20250301}}, {"date_number": {"$lte": 20250314}}]}


def test_user_dates_are_iso_days() -> None:
    assert date_range(None, None) is None
    assert date_range("2025-03-01", None) == DateRange(since=date(2025, 3, 1))
    assert date_range(" 2025-03-01 ", "2025-03-01") == DateRange(date(2025, 3, 1),
                                                                  date(2025, 3, 1))
    with pytest.raises(BadInputError, match="--since must be a date as YYYY-MM-DD"):
        date_range("last week", None)
    with pytest.raises(BadInputError, match="--until 2025-02-30 is not a calendar date"):
        date_range(None, "2025-02-30")
    with pytest.raises(BadInputError, match="since 2025-03-10 is after until 2025-03-01"):
        date_range("2025-03-10", "2025-03-01", since_name="since", until_name="until")


def test_span_phrases_and_words_for_now_are_set_aside() -> None:
    from bot.answering.dates import without_span_words

    assert without_span_words("Was Kirk awarded the medal this week?").split() == \
        ["was", "kirk", "awarded", "the", "medal", "?"]
    assert "recently" not in without_span_words("Who recently won the US Open?")
    assert without_span_words("Who won on Tuesday?").split() == ["who", "won", "on", "tuesday?"]
