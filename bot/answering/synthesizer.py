"""The seam between retrieval and an answer: a ``Synthesizer`` turns retrieved chunks into an
``Answer`` (text with ``[n]`` markers resolved to citations, or a refusal).

Two implementations: ``extractive/`` quotes the articles' sentences (no LLM), ``llm/`` asks a
chat model. The engine knows only this protocol; each synthesizer owns its own thresholds and
refusal rules. ``backends.py`` picks one from the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.answering.retrieval import Retrieval
from bot.models import Answer, Turn

REFUSAL = "The articles don't cover this, so I can't answer it from them."


@dataclass(frozen=True)
class Synthesis:
    """An answer and the retrieval it drew on (a synthesizer may have looked deeper)."""

    answer: Answer
    retrieval: Retrieval


class Synthesizer(Protocol):
    """Writes the answer to a question from what was retrieved for it."""

    @property
    def label(self) -> str:
        """The ``Answer.backend`` this synthesizer's answers carry (e.g. ``openai:gpt-4o-mini``)."""
        ...

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        """The question to retrieve for: a follow-up made understandable on its own."""
        ...

    def synthesize(self, question: str, standalone: str, retrieval: Retrieval,
                   on_token: Callable[[str], None] | None = None) -> Synthesis:
        """The answer from ``retrieval`` (``on_token`` gets streamed text, if it streams)."""
        ...


def refusal(question: str, backend: str, reason: str | None = None) -> Answer:
    """The answer that says the articles don't cover ``question`` (with a reason, if known)."""
    text = f"{REFUSAL} ({reason})" if reason else REFUSAL
    return Answer(question=question, text=text, refused=True, backend=backend)
