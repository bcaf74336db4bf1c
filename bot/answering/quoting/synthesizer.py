"""The quoting synthesizer ("extractive" backend): the sentences the evidence rules chose,
quoted and cited, or their refusal. No LLM, so it also carries a follow-up's topic itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.answering.evidence.gatherer import LABEL, EvidenceGatherer
from bot.answering.retrieval import Retrieval
from bot.answering.synthesizer import Synthesis
from bot.models import Turn

# Words carried over from the previous question when there is no LLM to rewrite a follow-up.
CARRIED_TOPIC_TURNS = 1


class ExtractiveSynthesizer:
    """Quotes the retrieved sentences that best answer the question, each cited."""

    label = LABEL

    def __init__(self, rules: EvidenceGatherer) -> None:
        self.rules = rules

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        previous = " ".join(turn.question for turn in history[-CARRIED_TOPIC_TURNS:])
        return f"{question} ({previous})"

    def synthesize(self, question: str, standalone: str, retrieval: Retrieval,
                   on_token: Callable[[str], None] | None = None) -> Synthesis:
        """The quoted answer, and the retrieval it quotes. Never streams."""
        return self.rules.gather(question, standalone, retrieval).synthesis
