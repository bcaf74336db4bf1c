"""Time words in a question, read against the articles' own dates rather than the clock.

A news collection may be months old: asked "what happened this week?", a reader of it means
the articles' latest week, not the calendar's. So every span below ends on the newest article
date (the newest within the range the asker set, if they set one):

- "today": that day; "yesterday": the day before it;
- "this week", "the past week", "the last 7 days": the 7 days ending on it; "last week": the
  7 days before those;
- "this month": its calendar month, up to it; "last month": the calendar month before;
- "the past month", "the last 30 days": the 30 days ending on it.

- "this year": its calendar year, up to it; "last year": the calendar year before.

Any other question is taken to be about the present, as a news reader means it ("Which storm
is churning in the Caribbean?", "Who recently won…?", "What is the latest on…?"), unless it
names a past time (an earlier year, "last year", "ago", "in the past", "history"): it is
answered from the articles of the ``recent_days`` (``bot.tuning.Tuning``; 30) ending on that
newest day when they answer
it about as well as the whole range does (``recent_window``; the engine compares), and from
older ones only when they don't, with a note saying how old the answer is.

"Latest", "most recent", "newest" and "current" also ask the LLM backend to reword only the
newest article's chosen sentences (``asks_for_latest``). Only the first span phrase of a
question counts. When no article has a date, no word changes anything: the question is
answered exactly as it would be without it.

This is the answering side's one date module. The days it reads the words against are the
stored day numbers (``ingest/dates.py``, through ``HybridRetriever.corpus_days``); the asker's
own range arrives as a ``DateRange``, typed into a front-end (``bot/frontends/common/dates.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.models import DateRange
from bot.tuning import DEFAULTS

_DAY = timedelta(days=1)


def _days_ending(days: int) -> Callable[[date], DateRange]:
    return lambda newest: DateRange(newest - (days - 1) * _DAY, newest)


def _last_week(newest: date) -> DateRange:
    return DateRange(newest - 13 * _DAY, newest - 7 * _DAY)


def _this_month(newest: date) -> DateRange:
    return DateRange(newest.replace(day=1), newest)


def _last_month(newest: date) -> DateRange:
    last_day = newest.replace(day=1) - _DAY
    return DateRange(last_day.replace(day=1), last_day)


def _this_year(newest: date) -> DateRange:
    return DateRange(newest.replace(month=1, day=1), newest)


def _last_year(newest: date) -> DateRange:
    return DateRange(date(newest.year - 1, 1, 1), date(newest.year - 1, 12, 31))


# Checked in this order: "in the last week" is the past 7 days, "last week" the week before.
_SPANS: tuple[tuple[re.Pattern[str], Callable[[date], DateRange]], ...] = (
    (re.compile(r"\btoday\b"), _days_ending(1)),
    (re.compile(r"\byesterday\b"), lambda newest: DateRange(newest - _DAY, newest - _DAY)),
    (re.compile(r"\b(?:this week|(?:the )?past week|the last week|"
                r"(?:the )?(?:past|last) (?:7|seven) days)\b"), _days_ending(7)),
    (re.compile(r"\blast week\b"), _last_week),
    (re.compile(r"\bthis month\b"), _this_month),
    (re.compile(r"\b(?:(?:the )?past month|the last month|"
                r"(?:the )?(?:past|last) (?:30|thirty) days)\b"), _days_ending(30)),
    (re.compile(r"\blast month\b"), _last_month),
    (re.compile(r"\bthis year(?:'s|’s)?\b"), _this_year),
    (re.compile(r"\blast year(?:'s|’s)?\b"), _last_year),
)
# A question that names its own time (a month, an earlier year) or asks how things changed
# over time ("since it closed", "between May and June", "first reported … revised") is not
# about the present alone: it reads every article in its range.
_PAST = re.compile(r"\b(?:ago|in the past|history|historic(?:al|ally)?|once|originally|"
                   r"first (?:reported|announced|time in)|at first|decades?|centur(?:y|ies)|"
                   r"chang(?:e|ed|es|ing)|since|between|before|earlier|previous(?:ly)?|"
                   r"compared?|used to|revised|january|february|march|april|(?:in|of) may|"
                   r"june|july|august|september|october|november|december)\b")
_YEAR = re.compile(r"\b(?:1[89]|20)\d{2}\b")
_LATEST = re.compile(r"\b(?:latest|most recent(?:ly)?|newest|current(?:ly)?)\b")


_NOW_WORDS = re.compile(r"\b(?:recently|now|currently|so far|yet)\b")


def without_span_words(question: str) -> str:
    """``question`` (lower-cased) without its span phrases and words for "now" ("this week",
    "recently"): what it asks about, the time aside. The date range answers those; an article
    rarely repeats them ("the last penny was minted on Wednesday", asked "… this week?")."""
    lowered = question.lower()
    for pattern, _ in _SPANS:
        lowered = pattern.sub(" ", lowered)
    return _NOW_WORDS.sub(" ", lowered)


def asks_for_latest(question: str) -> bool:
    """True when the question asks for the newest state of things ("the latest on…")."""
    return _LATEST.search(question.lower()) is not None


def span_phrase(question: str) -> tuple[str, Callable[[date], DateRange]] | None:
    """The question's first span phrase ("this week") and what it means for a newest day."""
    lowered = question.lower()
    found = [(match.start(), match.group(0), span_of)
             for pattern, span_of in _SPANS if (match := pattern.search(lowered))]
    if not found:
        return None
    _, phrase, span_of = min(found, key=lambda item: item[0])
    return phrase, span_of


@dataclass(frozen=True)
class QuestionDates:
    """What a question is answered from: the asker's range, narrowed by its time words."""

    range: DateRange | None
    # How a time word was read, for the reader ("" when none was): the corpus's "today" is
    # rarely the reader's, so the answer says which days it means.
    note: str = ""
    # A question about the present: the recent days to answer from first (``recent_window``).
    recent: DateRange | None = None


def question_dates(question: str, asked: DateRange | None,
                   corpus_days: Callable[[], Iterable[date]],
                   recent_days: int = DEFAULTS.recent_days) -> QuestionDates:
    """The range to answer ``question`` from. ``corpus_days`` gives the days articles are
    dated (asked only when the question has a span phrase: it may read the whole store);
    ``recent_days``: how far back the present reaches (``recent_window``)."""
    found = span_phrase(question)
    if found is None:
        newest_day = _newest(asked, corpus_days)
        if newest_day is None:
            return QuestionDates(asked)
        return QuestionDates(asked, recent=recent_window(question, newest_day, asked,
                                                         recent_days))
    phrase, span_of = found
    newest = _newest(asked, corpus_days)
    if newest is None:
        return QuestionDates(asked)  # no dated article: the words cannot be placed
    span = span_of(newest).within(asked)
    days = span.describe().removeprefix("dated ")
    return QuestionDates(span, f"“{phrase}” is read as {days}: the newest article here is "
                               f"dated {newest.isoformat()}.")


def _newest(asked: DateRange | None, corpus_days: Callable[[], Iterable[date]]) -> date | None:
    """The newest article day within ``asked``: the day "now" means for the question."""
    return max((day for day in corpus_days() if asked is None or asked.contains(day)),
               default=None)


def recent_window(question: str, newest: date, asked: DateRange | None,
                  days: int = DEFAULTS.recent_days) -> DateRange | None:
    """The ``days`` ending on ``newest`` for a question about the present, or None for one
    that names a past time (an earlier year than ``newest``'s, "ago", "history")."""
    lowered = question.lower()
    if _PAST.search(lowered) or any(int(y) < newest.year for y in _YEAR.findall(lowered)):
        return None
    return DateRange(newest - (days - 1) * _DAY, newest).within(asked)


def as_of_note(newest_cited: str, days: int = DEFAULTS.recent_days) -> str:
    """The note of a present-tense answer that only older articles give (``days``: how far
    back the present reached)."""
    return (f"No article of the last {days} days answers it; this is as of "
            f"{newest_cited}, the newest article that does.")


def sources_span_note(days: Iterable[str]) -> str:
    """A note for an answer whose sources are dated differently (ISO days, "" for undated):
    in news a later report often corrects an earlier one, so a reader should know the quotes
    are not of one day. "" when fewer than two dates."""
    known = sorted({day for day in days if day})
    if len(known) < 2:
        return ""
    return (f"Its sources are dated {known[0]} to {known[-1]}; where they differ, "
            "the newer may correct the older.")
