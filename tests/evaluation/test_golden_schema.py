"""Keeps the question sets (bot/evaluation/sets/golden.yaml, the held-out
bot/evaluation/sets/holdout.yaml and the news-format bot/evaluation/sets/news.yaml) well-formed
and honest.

"Honest" means every required fact can actually be found in an article the case
cites, so a failing evaluation points at the bot, never at a typo in the set. Each set's corpus
is read through newsbot's own loaders, so an entry of a feed or JSONL export is an article of
its own (``<file>#<entry>``) with the text, url and date ingest would give it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

# The evaluator's own matching: the schema checks facts exactly as answers are scored.
from bot.evaluation.golden import (
    DEFAULT_SET,
    HOLDOUT_SET,
    NEWS_CORPUS,
    NEWS_SET,
    matches_source,
    normalize,
    phrase_pattern,
)
from ingest.loaders.files import SkippedFile, discover, read_article

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = DEFAULT_SET
HOLDOUT = HOLDOUT_SET
NEWS = NEWS_SET
ARTICLES = ROOT / "data" / "articles"
# The corpus each set's facts, files and links are checked against.
CORPORA = {GOLDEN: ARTICLES, HOLDOUT: ARTICLES, NEWS: NEWS_CORPUS}

# "dated" (a time word picks the articles) and "latest" (the newer of two values) are the news
# set's own kinds.
KINDS = {"single", "multi", "paraphrase", "conflict", "dated", "latest", "unanswerable"}
# Minimum number of cases per kind, and in all; the mix is part of what a set measures.
MINIMUMS = {
    GOLDEN: ({"single": 16, "multi": 6, "paraphrase": 8, "conflict": 5, "unanswerable": 10}, 44),
    HOLDOUT: ({"single": 8, "multi": 2, "paraphrase": 4, "conflict": 1, "unanswerable": 8}, 24),
    NEWS: ({"single": 6, "dated": 4, "latest": 3, "conflict": 3, "unanswerable": 5}, 20),
}
MAX_FACT_GROUPS = 2  # a concise correct answer must be able to pass
ALLOWED_KEYS = {"id", "kind", "question", "facts", "files", "note", "refuse", "links"}
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def load_cases(path: Path = GOLDEN) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, list), f"{path.name} must be a YAML list of cases"
    return data


SETS = {path: load_cases(path) for path in (GOLDEN, HOLDOUT, NEWS)}
# (set, case) pairs, so a check knows which corpus a case is about.
CASES_IN = [(path, case) for path, cases in SETS.items() for case in cases]
CASES = [case for _, case in CASES_IN]
ANSWERABLE = [(path, c) for path, c in CASES_IN if not c.get("refuse")]
REFUSALS = [c for c in CASES if c.get("refuse")]


@dataclass(frozen=True)
class CorpusArticle:
    id: str  # the file's name, or <file>#<entry> for an entry of a feed or export
    text: str  # normalised title + text, as the evaluator compares
    url: str


@cache
def corpus_articles(corpus: Path) -> tuple[CorpusArticle, ...]:
    """Every article of ``corpus`` as ingest reads it (the real loaders, warnings included)."""
    found: list[CorpusArticle] = []
    for name in discover(corpus):
        read = read_article(corpus, name)
        assert not isinstance(read, SkippedFile), f"{name} skipped: {read.reason}"
        for article in read.iter_articles():
            assert article.text and not article.warnings, (name, article.id, article.warnings)
            found.append(CorpusArticle(article.id, normalize(f"{article.title}\n{article.text}"),
                                       article.metadata.get("url", "")))
    return tuple(found)


def listed_articles(path: Path, case: dict[str, Any]) -> list[CorpusArticle]:
    """The articles a case's ``files`` name: whole files or single entries."""
    return [a for a in corpus_articles(CORPORA[path])
            if any(matches_source(entry, a.id) for entry in case["files"])]


def _params(pairs: list[tuple[Path, dict[str, Any]]]) -> list[Any]:
    return [pytest.param(path, case, id=str(case["id"])) for path, case in pairs]


def test_case_shape() -> None:
    for case in CASES:
        assert isinstance(case, dict), case
        unknown = set(case) - ALLOWED_KEYS
        assert not unknown, f"{case.get('id')}: unknown keys {unknown}"
        assert isinstance(case.get("id"), str) and ID_RE.match(case["id"]), case.get("id")
        assert case.get("kind") in KINDS, f"{case['id']}: bad kind {case.get('kind')!r}"
        assert isinstance(case.get("question"), str) and case["question"].strip(), case["id"]
        assert "note" not in case or isinstance(case["note"], str), case["id"]


def test_ids_and_questions_unique_across_all_sets() -> None:
    # A held-out question that is also in the golden set would no longer be held out.
    ids = Counter(c["id"] for c in CASES)
    assert [i for i, n in ids.items() if n > 1] == []
    questions = Counter(normalize(c["question"]) for c in CASES)
    assert [q for q, n in questions.items() if n > 1] == []


@pytest.mark.parametrize("path", list(SETS), ids=lambda p: p.name)
def test_kind_minimums(path: Path) -> None:
    cases = SETS[path]
    minimums, total = MINIMUMS[path]
    counts = Counter(c["kind"] for c in cases)
    assert len(cases) >= total
    for kind, minimum in minimums.items():
        assert counts[kind] >= minimum, f"{path.name} {kind}: {counts[kind]} < {minimum}"


def test_refusal_cases_have_no_answer() -> None:
    for case in REFUSALS:
        assert case["refuse"] is True, case["id"]
        assert case["kind"] == "unanswerable", case["id"]
        assert "facts" not in case and "files" not in case, case["id"]
    # Every unanswerable case must be marked as a refusal, and vice versa.
    assert {c["id"] for c in CASES if c["kind"] == "unanswerable"} == {
        c["id"] for c in REFUSALS
    }


@pytest.mark.parametrize(("path", "case"), _params(ANSWERABLE))
def test_answerable_case_has_facts_and_files(path: Path, case: dict[str, Any]) -> None:
    assert case.get("refuse", False) is False
    facts = case.get("facts")
    assert isinstance(facts, list) and 1 <= len(facts) <= MAX_FACT_GROUPS
    for group in facts:
        assert isinstance(group, list) and group, f"empty fact group in {case['id']}"
        assert all(isinstance(alt, str) and alt.strip() for alt in group), group
    files = case.get("files")
    assert isinstance(files, list) and files
    assert len(set(files)) == len(files), f"duplicate file in {case['id']}"
    ids = [a.id for a in corpus_articles(CORPORA[path])]
    for name in files:
        assert any(matches_source(name, article) for article in ids), (
            f"{case['id']}: no article {name} in {CORPORA[path].name}")


@pytest.mark.parametrize(("path", "case"), _params(ANSWERABLE))
def test_every_fact_group_is_in_a_listed_article(path: Path, case: dict[str, Any]) -> None:
    texts = [a.text for a in listed_articles(path, case)]
    for group in case["facts"]:
        patterns = [phrase_pattern(alt) for alt in group]
        assert any(p.search(t) for p in patterns for t in texts), (
            f"{case['id']}: none of {group} occurs in {case['files']}"
        )


@pytest.mark.parametrize(("path", "case"),
                         _params([(p, c) for p, c in ANSWERABLE if "links" in c]))
def test_links_are_urls_of_listed_articles(path: Path, case: dict[str, Any]) -> None:
    links = case["links"]
    assert isinstance(links, list) and links and len(set(links)) == len(links), case["id"]
    urls = {a.url for a in listed_articles(path, case) if a.url}
    assert set(links) <= urls, f"{case['id']}: {set(links) - urls} is no listed article's url"


def test_phrase_pattern_respects_word_edges() -> None:
    assert not phrase_pattern("UK").search("ukraine")
    assert phrase_pattern("UK").search("the uk and france")
    assert phrase_pattern("U.K.").search("the u.k. and france")
    assert phrase_pattern("10,000").search("a 10,000+ troop contingent")
