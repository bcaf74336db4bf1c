"""The news-format set (bot/evaluation/sets/news.yaml) and its fixture corpus: the set loads,
the corpus ingests every article — saved pages, feed entries, export records, front matter —
with the metadata a citation needs, and the engine's answers name the articles the set does.

One ingest of the 13 short articles with the session's local MiniLM model; no answer quality is
asserted here (that is what ``newsbot eval`` measures).
"""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

from bot.engine import NewsBot
from bot.evaluation.golden import NEWS_CORPUS, NEWS_SET, load_golden
from bot.evaluation.metrics import score_case
from ingest.embedding.cache import CachingEncoder
from ingest.report import IngestReport
from tests.core_fixtures import make_settings

ARTICLES = 13
FEED = "varenna-wire.xml"
EXPORT = "regional-export.jsonl"
NO_URL = "fisheries-bulletin-cod-quota.md"  # front matter without a link, on purpose


@pytest.fixture(scope="module")
def news_index(tmp_path_factory: pytest.TempPathFactory,
               local_encoder: CachingEncoder) -> tuple[NewsBot, IngestReport]:
    root = tmp_path_factory.mktemp("news")
    corpus = shutil.copytree(NEWS_CORPUS, root / "corpus")
    bot = NewsBot(make_settings(root / "data", corpus), encoder=local_encoder)
    return bot, bot.ingest()


def _stored_articles(bot: NewsBot) -> dict[str, dict[str, str]]:
    """Each stored article's metadata (from its first chunk), by article id."""
    assert bot.store.open(create=False)
    result = bot.store.collection.get(include=["metadatas"])
    articles: dict[str, dict[str, str]] = {}
    for meta in result["metadatas"] or []:
        article = str(meta.get("article_id") or meta["file"])
        articles.setdefault(article, {k: str(v) for k, v in meta.items()})
    return articles


def test_the_news_set_loads() -> None:
    cases = load_golden(NEWS_SET)
    kinds = Counter(case.kind for case in cases)
    assert len(cases) >= 20 and kinds["unanswerable"] >= 5
    assert kinds["dated"] >= 4 and kinds["latest"] >= 3 and kinds["conflict"] >= 3
    entries = {name for case in cases for name in case.files if "#" in name}
    assert any(name.startswith(f"{FEED}#") for name in entries)
    assert any(name.startswith(f"{EXPORT}#") for name in entries)
    linked = [case for case in cases if case.links]
    assert linked and all(not case.refuse for case in linked)


def test_every_article_ingests_with_title_date_url_and_site(
        news_index: tuple[NewsBot, IngestReport]) -> None:
    bot, report = news_index
    assert (report.files_added, report.files_skipped) == (ARTICLES, 0)
    assert report.warnings == []
    stored = _stored_articles(bot)
    assert len(stored) == ARTICLES
    assert sum(article.startswith(f"{FEED}#") for article in stored) == 4
    assert sum(article.startswith(f"{EXPORT}#") for article in stored) == 4
    for article, meta in stored.items():
        for key in ("title", "date", "site", "author"):
            assert meta.get(key), f"{article}: no {key}"
        assert meta.get("url", "").startswith("https://") or article == NO_URL, article
    assert "url" not in stored[NO_URL]
    dates = sorted(meta["date"] for meta in stored.values())
    assert (dates[0], dates[-1]) == ("2025-05-09", "2025-06-13")  # five weeks


def test_answers_name_feed_entries_and_carry_their_links(
        news_index: tuple[NewsBot, IngestReport]) -> None:
    bot, _ = news_index
    case = next(c for c in load_golden(NEWS_SET) if c.id == "news-petition-signatures")
    answer = bot.answer(case.question, top_k=5)
    # Retrieval is reported per article: an entry of the feed, not just the feed file.
    assert case.files[0] in answer.retrieved_articles
    assert {a.split("#")[0] for a in answer.retrieved_articles} == set(answer.retrieved_files)
    stored = _stored_articles(bot)
    for citation in answer.citations:  # each citation carries its own article's link
        assert citation.url == stored[citation.article_id].get("url", "")
    score = score_case(case, answer, 5)
    assert score.hitk
    assert score.link_ok == (not answer.refused and any(
        c.article_id == case.files[0] for c in answer.citations))
