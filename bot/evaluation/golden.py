"""Loading a golden question set (YAML or JSON Lines) into ``GoldenCase`` values.

The schema is documented in ``bot/evaluation/sets/README.md``; this loader checks what the evaluator
relies on and reports the first problem as one ``BadInputError`` line naming the case.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ingest.errors import BadInputError

#: The question sets shipped with the package (``sets/``): the golden set ``newsbot eval`` runs
#: by default, the held-out set that is measured but never tuned on, and the news-format set
#: with its own fixture corpus (feeds, exports, saved pages; ``--corpus NEWS_CORPUS``).
SETS_DIR = Path(__file__).resolve().parent / "sets"
DEFAULT_SET = SETS_DIR / "golden.yaml"
HOLDOUT_SET = SETS_DIR / "holdout.yaml"
NEWS_SET = SETS_DIR / "news.yaml"
NEWS_CORPUS = SETS_DIR / "news_corpus"


@dataclass(frozen=True)
class GoldenCase:
    """One question and what a right answer must contain (or that it must be refused)."""

    id: str
    question: str
    kind: str = "single"
    facts: tuple[tuple[str, ...], ...] = ()  # every group must appear; a group is any-of
    # Articles that support the answer: a file name, or an article id ``<file>#<entry>`` for
    # one entry of a feed or export (``matches_source``).
    files: tuple[str, ...] = ()
    refuse: bool = False
    note: str = ""
    # Any-of: the url a citation of a right answer should carry (empty: not checked).
    links: tuple[str, ...] = ()


def matches_source(expected: str, source: str) -> bool:
    """Whether ``source`` (a file name or an article id) is the expected entry ``expected``.

    An article id ``<file>#<entry>`` matches itself and its file's name, so a case may name a
    whole feed or one of its entries; a one-article file's id is its name."""
    return source == expected or source.startswith(expected + "#")


def normalize(text: str) -> str:
    """Lower-case and collapse whitespace (how answers and facts are compared)."""
    return re.sub(r"\s+", " ", text).strip().lower()


@cache
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Match ``phrase`` as a whole phrase: "UK" must not match inside "Ukraine".

    Word boundaries are asserted only at edges that are word characters, so "U.K." and
    "10,000" still match next to punctuation. The golden-set schema test uses it too.
    """
    norm = normalize(phrase)
    start = r"\b" if re.match(r"\w", norm) else ""
    end = r"\b" if re.search(r"\w$", norm) else ""
    return re.compile(start + re.escape(norm) + end)


def contains_phrase(text: str, phrase: str) -> bool:
    return phrase_pattern(phrase).search(normalize(text)) is not None


def _shipped(path: Path) -> Path:
    """Where a relative path that is not here would be among the sets shipped with newsbot
    (by its last part), so ``--set bot/evaluation/sets/news.yaml`` and ``--corpus
    bot/evaluation/sets/news_corpus`` also work from an installed package."""
    return SETS_DIR / path.name


def resolve_set_path(path: Path | None) -> Path:
    """The question set to run: ``path`` as given, else the shipped set of that name; the
    golden set shipped with newsbot when none is given."""
    if path is None:
        return DEFAULT_SET
    if path.is_file():
        return path
    if not path.is_absolute() and _shipped(path).is_file():
        return _shipped(path)
    raise BadInputError(f"no golden set at {path}")


def resolve_corpus_path(path: Path) -> Path:
    """The ``--corpus`` folder: ``path`` as given, else the shipped fixture corpus of that name."""
    if path.is_dir():
        return path
    if not path.is_absolute() and _shipped(path).is_dir():
        return _shipped(path)
    raise BadInputError(f"--corpus {path} is not a folder")


def load_golden(path: Path) -> list[GoldenCase]:
    """Read and validate a golden set: a YAML list of mappings or one JSON object per line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInputError(f"cannot read golden set {path}: {exc.strerror}") from None
    raw = _parse(text, path)
    if not isinstance(raw, list) or not raw:
        raise BadInputError(f"{path}: a golden set is a non-empty list of cases")
    cases = [_case(item, i, path) for i, item in enumerate(raw, start=1)]
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise BadInputError(f"{path}: duplicate case id {case.id!r}")
        seen.add(case.id)
    return cases


def _parse(text: str, path: Path) -> Any:
    if path.suffix.lower() == ".jsonl":
        try:
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{path}: invalid JSON on line {exc.lineno}: {exc.msg}") from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInputError(f"{path}: invalid YAML: {exc}".splitlines()[0]) from None


def _strings(value: Any, what: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise BadInputError(f"{where}: {what} must be a list of non-empty strings")
    return tuple(value)


def _case(item: Any, position: int, path: Path) -> GoldenCase:
    where = f"{path}: case {position}"
    if not isinstance(item, dict):
        raise BadInputError(f"{where} is not a mapping")
    case_id = item.get("id") or f"case-{position}"
    where = f"{path}: case {case_id!r}"
    question = item.get("question")
    if not isinstance(question, str) or not question.strip():
        raise BadInputError(f"{where} has no question")
    refuse = item.get("refuse", False) is True
    facts: tuple[tuple[str, ...], ...] = ()
    files: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    if not refuse:
        groups = item.get("facts")
        if not isinstance(groups, list) or not groups:
            raise BadInputError(f"{where} needs facts (a list of any-of groups) or refuse: true")
        facts = tuple(_strings(group, "each fact group", where) for group in groups)
        files = _strings(item.get("files"), "files", where)
        if "links" in item:
            links = _strings(item["links"], "links", where)
    return GoldenCase(
        id=str(case_id), question=question.strip(),
        kind=str(item.get("kind") or ("unanswerable" if refuse else "single")),
        facts=facts, files=files, refuse=refuse, note=str(item.get("note") or ""),
        links=links)
