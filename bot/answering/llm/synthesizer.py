"""The LLM synthesizer: numbered sources to a chat model, its ``[n]`` markers resolved to
citations; an answer with no supported citation is never shown."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from bot.answering.citations import resolve_citations
from bot.answering.llm.chat_model import ChatModel
from bot.answering.llm.messages import NOT_COVERED, answer_messages, condense_messages
from bot.answering.llm.reply import canonical_markers, is_refusal, lacks_substance
from bot.answering.retrieval import Retrieval
from bot.answering.synthesizer import Synthesis, refusal
from bot.models import Answer, Turn

log = logging.getLogger(__name__)


class LLMSynthesizer:
    """Asks ``chat_model`` to answer from the retrieved chunks, citing them."""

    def __init__(self, chat_model: ChatModel) -> None:
        self.chat_model = chat_model

    @property
    def label(self) -> str:
        return self.chat_model.label

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        rewritten = self.chat_model.chat(condense_messages(question, history)).strip()
        return rewritten or question

    def synthesize(self, question: str, standalone: str, retrieval: Retrieval,
                   on_token: Callable[[str], None] | None = None) -> Synthesis:
        raw = self.chat_model.chat(answer_messages(standalone, retrieval.chunks), on_token)
        if raw.strip().startswith(NOT_COVERED.rstrip(".")) or is_refusal(raw):
            return Synthesis(refusal(question, self.label), retrieval)
        reply = canonical_markers(raw, len(retrieval.chunks))
        if lacks_substance(reply, standalone):
            # "[1] [2][3]" or the question said back: nothing to show, whatever it cites.
            log.warning("LLM reply without substance was replaced by a refusal: %r", raw[:200])
            return Synthesis(refusal(question, self.label), retrieval)
        cited = resolve_citations(reply, retrieval.chunks)
        if not cited.citations or cited.unsupported == len(cited.citations):
            # An answer that cites nothing, or whose every citation fails the support check
            # (e.g. "PWNED [1]" obeying an injected instruction), is not grounded: never show it.
            log.warning("LLM answer without supported citations was replaced by a refusal")
            return Synthesis(refusal(question, self.label), retrieval)
        answer = Answer(question=question, text=cited.text, citations=cited.citations,
                        backend=self.label, unsupported_citations=cited.unsupported)
        return Synthesis(answer, retrieval)
