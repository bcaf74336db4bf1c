"""The quoting synthesizer ("extractive" backend): the sentences the evidence rules chose,
quoted and cited, or their refusal. No LLM, so it also carries a follow-up's topic itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.answering.evidence.gatherer import LABEL, EvidenceGatherer
from bot.answering.retrieval import Retrieval
from bot.answering.synthesizer import Synthesis
from bot.models import Turn


class ExtractiveSynthesizer:
    """Quotes the retrieved sentences that best answer the question, each cited."""

    label = LABEL

    def __init__(self, rules: EvidenceGatherer) -> None:
        self.rules = rules

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        # Words carried over from the previous questions (``Tuning.carried_topic_turns``):
        # there is no LLM to rewrite a follow-up.
        turns = self.rules.tuning.carried_topic_turns
        if not history or not turns:
            return question
        previous = " ".join(turn.question for turn in history[-turns:])
        return f"{question} ({previous})"

    def synthesize(self, question: str, standalone: str, retrieval: Retrieval,
                   on_token: Callable[[str], None] | None = None) -> Synthesis:
        """The quoted answer, and the retrieval it quotes. Never streams."""
        return self.rules.gather(question, standalone, retrieval).synthesis
