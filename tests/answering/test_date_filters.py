"""Dates in retrieval and answers, with the real engine: a small corpus of dated Markdown
articles (tests/answering/fixtures/dated: seven dates over five weeks, 2025-02-10 to
2025-03-14, and one undated article) in an embedded Chroma, the local model, extractive answers.

Two of the articles disagree: the older calls Elena Marsh "Former President", the newer
"President"; two give the central bank's rate (held in February, raised in March).
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from itertools import product
from pathlib import Path

import pytest

from bot.answering import retrieval
from bot.engine import NewsBot
from bot.models import DateRange
from ingest.dates import span_where
from ingest.embedding.cache import CachingEncoder
from ingest.errors import BadInputError
from tests.core_fixtures import IndexedCorpus, make_settings

DATED_CORPUS = Path(__file__).resolve().parent / "fixtures" / "dated"
GRAIN_QUESTION = "How much grain did the port of Velmora ship?"


@pytest.fixture(scope="module")
def dated_bot(tmp_path_factory: pytest.TempPathFactory,
              local_encoder: CachingEncoder) -> NewsBot:
    root = tmp_path_factory.mktemp("dated")
    corpus = shutil.copytree(DATED_CORPUS, root / "articles")
    bot = NewsBot(make_settings(root / "data", corpus), encoder=local_encoder)
    assert bot.ingest().files_added == 8
    return bot


def _dates(bot: NewsBot, query: str, dates: DateRange | None) -> list[tuple[str, str, bool]]:
    """(file, date, found by keywords) of each chunk retrieved for ``query``."""
    retrieval = bot.retriever.retrieve(query, 8, dates=dates)
    return [(c.chunk.file, c.chunk.article_field("date"), c.keyword_score > 0)
            for c in retrieval.chunks]


def test_a_range_limits_dense_and_keyword_hits_alike(dated_bot: NewsBot) -> None:
    everything = _dates(dated_bot, "Velmora grain", None)
    # Unlimited, the keyword side finds the grain report and the undated museum article.
    assert ("grain-record.md", "2025-02-17", True) in everything
    assert ("museum-reopens.md", "", True) in everything
    february = DateRange(date(2025, 2, 1), date(2025, 2, 20))
    limited = _dates(dated_bot, "Velmora grain", february)
    assert ("grain-record.md", "2025-02-17", True) in limited  # a keyword hit in range stays
    assert limited and all(day and february.contains(date.fromisoformat(day))
                           for _, day, _ in limited), limited
    march = _dates(dated_bot, "Velmora grain", DateRange(since=date(2025, 3, 1)))
    assert march and all(day >= "2025-03-01" for _, day, _ in march), march
    assert not any(by_keywords for *_, by_keywords in march)  # "Velmora" is not in March


def test_the_in_memory_span_selects_exactly_what_chromas_filter_selects(
        dated_bot: NewsBot) -> None:
    # Every span between the corpus's days, the days beside them and open ends: the chunk days
    # held per generation pick the same chunks as Chroma's `where` of the span, in the
    # generation (what retrieval asked Chroma for on every question before).
    retriever = dated_bot.retriever
    index = retriever.keyword_index()
    days = retriever.chunk_days(index)
    assert retriever.chunk_days(index) is days, "read once per generation, not per question"
    corpus = retriever.corpus_days()
    assert corpus[0] == date(2025, 2, 10) and corpus[-1] == date(2025, 3, 14)
    edges = [None, *corpus, *(day + timedelta(days=1) for day in corpus),
             corpus[0] - timedelta(days=1)]
    for first, last in product(edges, edges):
        expected = dated_bot.store.ids_where(span_where(first, last)) & index.ids
        assert days.sorted_ids(days.within(first, last)) == sorted(expected), (first, last)
    undated = dated_bot.store.ids_where({"file": "museum-reopens.md"})
    assert undated and not undated & set(days.sorted_ids(days.within(None, None)))


def test_a_span_asked_as_a_chroma_filter_retrieves_what_the_id_list_does(
        dated_bot: NewsBot, monkeypatch: pytest.MonkeyPatch) -> None:
    # Spans of more than MAX_IDS_IN_QUERY chunks are asked as Chroma's `where`: both ways
    # must retrieve the same chunks.
    spans = [DateRange(until=date(2025, 2, 20)), DateRange(since=date(2025, 3, 1)),
             DateRange(date(2025, 2, 17), date(2025, 3, 12)), DateRange(until=date(2025, 1, 1))]
    by_ids = {span: _dates(dated_bot, "Velmora grain rates", span) for span in spans}
    monkeypatch.setattr(retrieval, "MAX_IDS_IN_QUERY", 0)
    for span in spans:
        assert _dates(dated_bot, "Velmora grain rates", span) == by_ids[span], span
    assert by_ids[spans[0]] and by_ids[spans[-1]] == []


def test_answers_come_from_the_range_or_say_it_has_nothing(dated_bot: NewsBot) -> None:
    answer = dated_bot.answer(GRAIN_QUESTION, dates=DateRange(until=date(2025, 2, 20)))
    assert not answer.refused and "2.1 million tonnes" in answer.text
    assert {c.date for c in answer.citations} == {"2025-02-17"}

    elsewhere = dated_bot.answer(GRAIN_QUESTION, dates=DateRange(since=date(2025, 3, 1)))
    assert elsewhere.refused and not elsewhere.citations
    assert "Only articles dated 2025-03-01 or later were searched." in elsewhere.text

    none = dated_bot.answer(GRAIN_QUESTION, dates=DateRange(since=date(2026, 1, 1)))
    assert none.refused and "No article is dated 2026-01-01 or later." in none.text


def test_a_range_that_ends_before_it_starts_is_bad_input(dated_bot: NewsBot) -> None:
    with pytest.raises(BadInputError, match="starts"):
        dated_bot.answer(GRAIN_QUESTION, dates=DateRange(date(2025, 3, 2), date(2025, 3, 1)))


def test_this_week_is_the_last_seven_days_of_the_corpus(dated_bot: NewsBot) -> None:
    question = "What did the central bank do with interest rates?"
    both = dated_bot.answer(question)
    assert {c.date for c in both.citations} == {"2025-02-21", "2025-03-14"}
    # Sources of two dates: the answer says so (the rate was held, then raised).
    assert "Its sources are dated 2025-02-21 to 2025-03-14" in both.note
    this_week = dated_bot.answer(question.replace("?", " this week?"))
    assert [c.date for c in this_week.citations] == ["2025-03-14"]
    assert "Its sources are dated" not in this_week.note  # one day, nothing to reconcile
    assert "raised its main interest rate to 4.5 percent" in this_week.text
    assert "“this week” is read as 2025-03-08 to 2025-03-14" in this_week.note
    last_month = dated_bot.answer(question.replace("?", " last month?"))
    assert [c.date for c in last_month.citations] == ["2025-02-21"]


def test_a_question_about_the_present_reads_the_newest_article_first(dated_bot: NewsBot) -> None:
    # Without the recent-first rule the older article's sentence scores a little higher and
    # leads, also when the latest is asked for (no other rule orders near-equals by date) …
    every_day_alike = NewsBot(dated_bot.settings.model_copy(update={
        "rules_off": ["recent_first"]}), encoder=dated_bot.encoder)
    plain = every_day_alike.answer("What did Elena Marsh say about the Kestrel dam?")
    assert plain.citations[0].file == "marsh-dam-february.md"
    assert plain.text.startswith("Former President Elena Marsh")
    latest_question = "What is the latest on Elena Marsh and the Kestrel dam?"
    older_first = every_day_alike.answer(latest_question)
    assert older_first.citations[0].file == "marsh-dam-february.md"
    # … the newer one's near-duplicate sentence is not quoted beside it, though the answer
    # does say, dated, that the two disagree on her title …
    quoted, _, differ = older_first.text.partition("\nSources differ:")
    assert "President Elena Marsh" in quoted and quoted.count("President Elena Marsh") == 1
    assert "(2025-02-10) says “Former President Elena”" in differ
    assert "(2025-03-12) says “President Elena”" in differ
    # … with it, a question about the present reads the newest month first, and so does one
    # asking for the latest.
    present = dated_bot.answer("What did Elena Marsh say about the Kestrel dam?")
    assert present.citations[0].file == "marsh-dam-march.md"
    latest = dated_bot.answer(latest_question)
    assert latest.citations[0].file == "marsh-dam-march.md"
    assert latest.text.startswith("President Elena Marsh")
    assert "Former President" not in latest.text


def test_status_counts_dated_files_and_their_span(dated_bot: NewsBot) -> None:
    info = dated_bot.status()
    assert (info.files, info.dated_files) == (8, 7)
    assert (info.oldest_date, info.newest_date) == ("2025-02-10", "2025-03-14")


def test_an_undated_corpus_answers_time_words_as_before(indexed_corpus: IndexedCorpus) -> None:
    bot = indexed_corpus.bot()
    assert bot.store.open(create=False)
    assert bot.retriever.corpus_days() == []
    assert bot.status().dated_files == 0 and bot.status().newest_date == ""
    question = "What did Trump and Putin agree this week?"
    answer = bot.answer(question)
    assert "is read as" not in answer.note
    plain = bot.retriever.retrieve(question, 5)
    assert plain.dates is None
    # A range on an undated corpus leaves nothing: undated articles are outside every range.
    limited = bot.answer(question, dates=DateRange(since=date(2025, 1, 1)))
    assert limited.refused and "No article is dated 2025-01-01 or later." in limited.text
