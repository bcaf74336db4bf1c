"""The LLM synthesizer: the model writes the answer from evidence the extractive rules chose,
and its ``[n]`` markers become citations; an answer with no supported citation is never shown.

The order of work, and why:
1. The extractive rules decide first whether the articles can answer at all (an unknown
   subject, a day spoken of only as planned, a kind of value nobody gives, nothing close
   enough). They are cheap and measured (refusal accuracy 1.0 on the golden set); a refusal
   there costs no model call.
2. The model sees only the sentences those rules chose to quote (``evidence.py``): a short
   prompt is fast on CPU and keeps a small model on the answering sentence.
3. Each sentence of the reply is shown only with a source that states it (``grounding.py``).
   A reply that is unusable — markers and no words, the question said back, no sentence a
   source states — is replaced by the extractive answer from the same evidence, labelled
   as quotes. A "not covered" on evidence the rules found answerable shows the same quotes
   under a line saying the model found no direct answer: measured on Qwen2.5-Coder 1.5B
   (docs/evaluation.md), a small model's "not covered" there was mostly wrong, and refusing
   would withhold answers the articles give; the line keeps the reader warned.
4. But a reply that answers *and* says the sources don't cover it ("… [1]. The articles don't
   cover this."), none of whose sentences a source states, is refused: the model and the
   grounding agree there is no answer in what was found. With the 1.5B model on the golden
   set, the quotes shown instead held the answer in 1 of 8 such replies, and their citations
   were the least precise the bot made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.answering.citations import resolve_citations
from bot.answering.dates import asks_for_latest
from bot.answering.extractive.synthesizer import ExtractiveSynthesizer
from bot.answering.llm.chat_model import ChatModel
from bot.answering.llm.evidence import evidence_sources, newest_article_only, whole_passages
from bot.answering.llm.grounding import ground
from bot.answering.llm.messages import NOT_COVERED, answer_messages, condense_messages
from bot.answering.llm.reply import (
    adds_refusal,
    canonical_markers,
    is_refusal,
    lacks_substance,
)
from bot.answering.retrieval import Retrieval, RetrievedChunk
from bot.answering.synthesizer import Synthesis, refusal
from bot.models import Answer, Turn

log = logging.getLogger(__name__)

NO_SUPPORTED_ANSWER = "what the model wrote is not in the closest passages"
NO_DIRECT_ANSWER = ("The model found no direct answer in the articles; "
                    "these are the closest passages (quoted):")


class LLMSynthesizer:
    """Asks ``chat_model`` to answer from the evidence ``rules`` chose, citing it."""

    def __init__(self, chat_model: ChatModel, rules: ExtractiveSynthesizer) -> None:
        self.chat_model = chat_model
        self.rules = rules

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
        evidence = self.rules.gather(question, standalone, retrieval)
        quoted = evidence.synthesis
        if not evidence.answerable:
            return Synthesis(replace(quoted.answer, backend=self.label), quoted.retrieval)
        chosen = evidence.sentences
        if asks_for_latest(standalone):
            chosen = newest_article_only(chosen)
        sources = evidence_sources(quoted.retrieval.chunks, chosen)
        streamed = _held_while_not_covered(on_token)
        raw = self.chat_model.chat(answer_messages(standalone, sources), streamed)
        if _says_not_covered(raw):
            # The chosen sentences missed it (a paraphrased question): one more look, at the
            # whole retrieved passages. Slower, but only for these questions.
            sources = whole_passages(quoted.retrieval.chunks)
            raw = self.chat_model.chat(answer_messages(standalone, sources), streamed)
        if _says_not_covered(raw):
            # The two disagree: say so, and let the reader judge the closest passages.
            log.info("the model found no answer in passages the rules found answerable: %r",
                     raw[:200])
            return Synthesis(
                replace(quoted.answer, text=f"{NO_DIRECT_ANSWER}\n{quoted.answer.text}"),
                quoted.retrieval)
        answer = self._grounded_answer(question, standalone, raw, sources)
        if answer is None and adds_refusal(raw):  # see 4. above
            return Synthesis(refusal(question, self.label, NO_SUPPORTED_ANSWER),
                             quoted.retrieval)
        if answer is None:
            return quoted
        return Synthesis(answer, quoted.retrieval)

    def _grounded_answer(self, question: str, standalone: str, raw: str,
                         sources: Sequence[RetrievedChunk]) -> Answer | None:
        """The model's reply as an answer, or None when it is not one to show."""
        reply = canonical_markers(raw, len(sources))
        if lacks_substance(reply, standalone):
            # "[1] [2][3]" or the question said back: nothing to show, whatever it cites.
            log.warning("LLM reply without substance replaced by the quotes: %r", raw[:200])
            return None
        reply = ground(reply, sources, standalone)
        if lacks_substance(reply, standalone):
            log.warning("no sentence of the LLM reply is supported by a source: %r", raw[:200])
            return None
        cited = resolve_citations(reply, sources, drop_unsupported=True)
        if not cited.citations:
            # An answer that cites nothing, or whose every citation fails the support check
            # (e.g. "PWNED [1]" obeying an injected instruction), is not grounded: never show it.
            log.warning("LLM answer without supported citations replaced by the quotes")
            return None
        return Answer(question=question, text=cited.text, citations=cited.citations,
                      backend=self.label, unsupported_citations=cited.unsupported)


def _says_not_covered(raw: str) -> bool:
    return raw.strip().startswith(NOT_COVERED.rstrip(".")) or is_refusal(raw)


def _held_while_not_covered(
        on_token: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """``on_token`` that is not told a reply while it reads as the "not covered" phrase: that
    reply is retried or replaced, and a reader should not watch it flash by first."""
    if on_token is None:
        return None
    phrase = NOT_COVERED.rstrip(".")

    def feed(text: str) -> None:
        so_far = text.strip()
        if phrase.startswith(so_far) or so_far.startswith(phrase):
            return
        on_token(text)

    return feed
