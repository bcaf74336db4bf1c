"""What the model is shown for a "latest" question: the newest article's sentences only."""

from __future__ import annotations

from bot.answering.evidence.for_model import newest_article_only
from bot.answering.evidence.selection import Candidate


def candidate(source: int, text: str, date: str) -> Candidate:
    return Candidate(source=source, text=text, terms=frozenset(), keyword=0.0, date=date)


def test_older_articles_give_way_to_the_newest() -> None:
    newer = candidate(2, "The estimate rose to 22 million crowns.", "2025-06-10")
    older = candidate(1, "Repairs will cost 14 million crowns.", "2025-05-12")
    same_day = candidate(3, "Reopening slipped to December.", "2025-06-10")
    assert newest_article_only([newer, older, same_day]) == (newer, same_day)


def test_one_date_or_none_leaves_the_sentences_alone() -> None:
    undated = [candidate(1, "A.", ""), candidate(2, "B.", "")]
    assert newest_article_only(undated) == tuple(undated)
    one_day = [candidate(1, "A.", "2025-06-10"), candidate(2, "B.", "2025-06-10")]
    assert newest_article_only(one_day) == tuple(one_day)
