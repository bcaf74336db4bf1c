"""The planted-conflict set (bot/evaluation/conflicts.py): what it plants, how it scores, and
``newsbot eval --set conflicts`` end to end on the shipped sample."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from bot.evaluation.conflicts import (
    NEITHER,
    ORIGINAL_ONLY,
    PLANTED_ONLY,
    SURFACED,
    ConflictCase,
    SourceArticle,
    build_set,
    outcome,
    plant,
    read_articles,
)
from bot.models import Answer, Citation
from ingest.loaders.files import read_article
from ingest.near_duplicates import same_story, shingles, similarity
from tests.core_fixtures import CORPUS_DIR, run_newsbot

ARTICLE = SourceArticle(
    "grain.md", "Velmora port ships record grain",
    "Velmora port ships record grain\n"
    "The port of Velmora shipped a record 2,100 tonnes of grain in January, harbour officials "
    "said on Monday. Harbour master Ilse Brandt thanked the crews who loaded ships through the "
    "night to clear the backlog.",
    date(2025, 2, 17))


def test_a_figure_and_a_name_are_planted_with_a_question_from_the_sentence() -> None:
    figure = plant(ARTICLE, "figure", 1)
    assert figure is not None
    case, brief = figure
    assert (case.original_value, case.planted_value) == ("2,100", "3,255")
    assert "3,255 tonnes" in brief and "2,100" not in brief
    assert case.question.startswith("According to the articles: ")
    assert "a record how many tonnes of grain" in case.question
    assert case.planted_day == date(2025, 2, 10)  # odd cases earlier, even ones later

    name = plant(ARTICLE, "name", 2)
    assert name is not None
    case, brief = name
    assert case.original_value == "Brandt" and case.planted_value in brief
    assert "Harbour master Ilse who thanked" in case.question
    assert case.planted_day == date(2025, 2, 24)


def test_nothing_is_planted_where_nothing_fits() -> None:
    short = SourceArticle("s.md", "t", "Title\nIt rained.", date(2025, 1, 1))
    assert plant(short, "figure", 1) is None and plant(short, "name", 1) is None


def test_the_set_writes_each_original_once_and_briefs_that_are_no_copies(
        tmp_path: Path) -> None:
    articles = list(read_articles(CORPUS_DIR))
    cases = build_set(articles, tmp_path)
    assert len(cases) >= 5
    assert len({c.question for c in cases}) == len(cases)
    assert len({(c.original_value, c.planted_value) for c in cases}) == len(cases)
    for case in cases:
        original = read_article(tmp_path, case.original_file)
        planted = read_article(tmp_path, case.planted_file)
        assert original.metadata["date"] == case.original_day.isoformat()  # type: ignore[union-attr]
        assert planted.metadata["date"] == case.planted_day.isoformat()  # type: ignore[union-attr]
        # A brief, not a copy: ingest would take a copy for the same story and keep one.
        brief = planted.text  # type: ignore[union-attr]
        full = original.text  # type: ignore[union-attr]
        assert not same_story(similarity(brief, full), len(shingles(brief)),
                              len(shingles(full)))
        assert case.planted_value in brief


CASE = ConflictCase("c", "figure", "q", "a.md", "b.md", "2,100", "3,255",
                    date(2025, 2, 17), date(2025, 2, 24))


def reply(text: str, *files: str, refused: bool = False) -> Answer:
    return Answer("q", text, refused=refused, citations=tuple(
        Citation(n, f, f, "", 0.5) for n, f in enumerate(files, start=1)))


def test_outcomes() -> None:
    both = "It shipped 2,100 tonnes [1]. Sources differ: 2,100 [1]; 3,255 [2]."
    assert outcome(CASE, reply(both, "a.md", "b.md")) == SURFACED
    # The original's figure cited from another article that states it too.
    assert outcome(CASE, reply(both, "other.md", "b.md")) == SURFACED
    assert outcome(CASE, reply(both, "b.md")) == NEITHER  # the original's side uncited
    assert outcome(CASE, reply("It shipped 3,255 tonnes [1].", "b.md")) == PLANTED_ONLY
    assert outcome(CASE, reply("It shipped 2,100 tonnes [1].", "a.md")) == ORIGINAL_ONLY
    # A figure inside a longer one is not the figure.
    assert outcome(CASE, reply("It shipped 12,100 tonnes [1].", "a.md")) == NEITHER
    assert outcome(CASE, reply("refused", refused=True)) == NEITHER


def test_newsbot_eval_conflicts_on_the_sample(tmp_path: Path) -> None:
    result = run_newsbot("eval", "--set", "conflicts", "--json", cwd=tmp_path, timeout=300,
                         NEWSBOT_DATA_DIR=str(tmp_path / "data"),
                         NEWSBOT_CORPUS_DIR=str(CORPUS_DIR), NEWSBOT_LLM="extractive")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    metrics = data["metrics"]
    assert data["set"] == "conflicts" and metrics["cases"] >= 5
    assert metrics["surfaced_rate"] >= 0.7, data["cases"]
    assert not (tmp_path / "data").exists()  # the set's corpus and index were temporary
