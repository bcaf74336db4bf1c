"""The one check of a question before it is answered: control characters out, not empty, not
too long. The engine raises on a problem; front-ends ask first and word it for their users."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.settings import MAX_QUESTION_CHARS  # defined in the bottom layer; re-exported here
from ingest.errors import BadInputError


@dataclass(frozen=True)
class QuestionProblem:
    """Why a question is not answered: it is empty, or ``length`` exceeds ``limit``."""

    empty: bool
    length: int = 0
    limit: int = 0

    def message(self) -> str:
        if self.empty:
            return "the question is empty"
        return f"the question is {self.length:,} characters long; the limit is {self.limit:,}"


def normalize_question(question: str) -> str:
    """Strip control characters (keeping newlines and tabs) and surrounding space."""
    return "".join(
        ch for ch in question
        if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    ).strip()


def question_problem(question: str, max_chars: int = MAX_QUESTION_CHARS) -> QuestionProblem | None:
    """What is wrong with ``question`` (after normalizing it), or ``None``."""
    cleaned = normalize_question(question)
    if not cleaned:
        return QuestionProblem(empty=True)
    if len(cleaned) > max_chars:
        return QuestionProblem(empty=False, length=len(cleaned), limit=max_chars)
    return None


def clean_question(question: str, max_chars: int) -> str:
    """The normalized question, or ``BadInputError`` when it is empty or over-long."""
    problem = question_problem(question, max_chars)
    if problem is not None:
        raise BadInputError(problem.message())
    return normalize_question(question)
