"""Keeps the question sets (bot/evaluation/sets/golden.yaml and the held-out
bot/evaluation/sets/holdout.yaml) well-formed and honest.

"Honest" means every required fact can actually be found in an article the case
cites, so a failing evaluation points at the bot, never at a typo in the set.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

# The evaluator's own matching: the schema checks facts exactly as answers are scored.
from bot.evaluation.golden import DEFAULT_SET, HOLDOUT_SET, normalize, phrase_pattern

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = DEFAULT_SET
HOLDOUT = HOLDOUT_SET
ARTICLES = ROOT / "data" / "articles"

KINDS = {"single", "multi", "paraphrase", "conflict", "unanswerable"}
# Minimum number of cases per kind, and in all; the mix is part of what a set measures.
MINIMUMS = {
    GOLDEN: ({"single": 16, "multi": 6, "paraphrase": 8, "conflict": 5, "unanswerable": 10}, 44),
    HOLDOUT: ({"single": 8, "multi": 2, "paraphrase": 4, "conflict": 1, "unanswerable": 8}, 24),
}
MAX_FACT_GROUPS = 2  # a concise correct answer must be able to pass
ALLOWED_KEYS = {"id", "kind", "question", "facts", "files", "note", "refuse"}
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def load_cases(path: Path = GOLDEN) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, list), f"{path.name} must be a YAML list of cases"
    return data


SETS = {path: load_cases(path) for path in (GOLDEN, HOLDOUT)}
CASES = [case for cases in SETS.values() for case in cases]
ANSWERABLE = [c for c in CASES if not c.get("refuse")]
REFUSALS = [c for c in CASES if c.get("refuse")]


def article_text(name: str) -> str:
    return normalize((ARTICLES / name).read_text(encoding="utf-8"))


def test_case_shape() -> None:
    for case in CASES:
        assert isinstance(case, dict), case
        unknown = set(case) - ALLOWED_KEYS
        assert not unknown, f"{case.get('id')}: unknown keys {unknown}"
        assert isinstance(case.get("id"), str) and ID_RE.match(case["id"]), case.get("id")
        assert case.get("kind") in KINDS, f"{case['id']}: bad kind {case.get('kind')!r}"
        assert isinstance(case.get("question"), str) and case["question"].strip(), case["id"]
        assert "note" not in case or isinstance(case["note"], str), case["id"]


def test_ids_and_questions_unique_across_both_sets() -> None:
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


@pytest.mark.parametrize("case", ANSWERABLE, ids=lambda c: c["id"])
def test_answerable_case_has_facts_and_files(case: dict[str, Any]) -> None:
    assert case.get("refuse", False) is False
    facts = case.get("facts")
    assert isinstance(facts, list) and 1 <= len(facts) <= MAX_FACT_GROUPS
    for group in facts:
        assert isinstance(group, list) and group, f"empty fact group in {case['id']}"
        assert all(isinstance(alt, str) and alt.strip() for alt in group), group
    files = case.get("files")
    assert isinstance(files, list) and files
    assert len(set(files)) == len(files), f"duplicate file in {case['id']}"
    for name in files:
        assert (ARTICLES / name).is_file(), f"{case['id']}: no article {name}"


@pytest.mark.parametrize("case", ANSWERABLE, ids=lambda c: c["id"])
def test_every_fact_group_is_in_a_listed_article(case: dict[str, Any]) -> None:
    texts = [article_text(name) for name in case["files"]]
    for group in case["facts"]:
        patterns = [phrase_pattern(alt) for alt in group]
        assert any(p.search(t) for p in patterns for t in texts), (
            f"{case['id']}: none of {group} occurs in {case['files']}"
        )


def test_phrase_pattern_respects_word_edges() -> None:
    assert not phrase_pattern("UK").search("ukraine")
    assert phrase_pattern("UK").search("the uk and france")
    assert phrase_pattern("U.K.").search("the u.k. and france")
    assert phrase_pattern("10,000").search("a 10,000+ troop contingent")
