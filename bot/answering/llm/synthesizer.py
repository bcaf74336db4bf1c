"""The LLM synthesizer: the model reads what retrieval found and writes the answer, and its
``[n]`` markers become citations; an answer with no supported citation is never shown.

Two ways to give the model its evidence (``NEWSBOT_LLM_EVIDENCE``; docs/evaluation.md has the
measurements on every set):

**passages** (the default for OpenAI and llama-index providers). Only what is certain refuses
before the model reads: nothing retrieved, nothing above the relevance floor, nothing in the
date range (the engine does those), passages that never name what the question is about.
The model then reads the retrieved passages — the best sentences of each with a sentence either
side, best first, headline and date on each, within ``NEWSBOT_LLM_EVIDENCE_TOKENS``
(``evidence.passage_windows``) — and judges itself whether they answer. The extractive word
rules (an unknown name, a planned day, a missing kind of value) do not veto it: on news nobody
here wrote they refused little and kept the model from passages that answered. Its "not
covered" is a refusal. Each sentence it writes is shown only with a source that states it
(``grounding.py``); a reply none of whose sentences a source states is not shown: the
extractive answer takes its place if the rules find one, else it is a refusal.

**sentences** (the default for a local model or a self-hosted server: a small model on CPU).
The extractive rules decide first whether the articles can answer at all, and the model sees
only the one to three sentences they chose to quote. Before it answers, the model is asked in
one word whether they answer the question (rule ``model_judges``; ``messages.judge_messages``
shares the answer prompt's prefix, so a self-hosted server's cache keeps the sources' prefill).
On No it is asked again over the passages (as "passages" shows them), and answers from them on
Yes; No again is a refusal, the model's own finding. A yes-or-no question, whose answer may
itself be "No", is not judged. A reply that is unusable is replaced by
those quotes; a "not covered" gets one more look at the passages (as "passages" shows them,
within the same token budget), then the quotes under a line saying the model found no direct
answer; a reply that answers *and* says the sources don't cover it, none of whose sentences a
source states, is refused (with the 1.5B model on the golden set the quotes shown instead held
the answer in 1 of 8 such replies).

In both modes, when two articles' best sentences state different values for the same thing
(``evidence/conflicts.py``), the checked answer gets one more sentence naming both sides with
their dates, each cited (``evidence/sources_differ.py``). It is appended, not asked of the
model: built from the two source sentences it is right by construction, costs no second call,
and in "sentences" mode the model never sees the disagreeing copy (a near-duplicate the quotes
leave out). With the 1.5B model 42 of 45 planted conflicts were surfaced (docs/evaluation.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.answering.citations import resolve_citations
from bot.answering.dates import asks_for_latest
from bot.answering.evidence.alternatives import choice_cut, names
from bot.answering.evidence.conflicts import Conflict
from bot.answering.evidence.for_model import (
    evidence_sources,
    newest_article_only,
    passage_windows,
)
from bot.answering.evidence.gatherer import EvidenceGatherer
from bot.answering.evidence.sources_differ import with_conflict
from bot.answering.evidence.yes_no import (
    NO,
    asks_yes_no,
    consistent,
    negated,
    split_verdict,
    with_lead,
)
from bot.answering.llm.chat_model import VERDICT_TOKENS, ChatModel
from bot.answering.llm.grounding import ground
from bot.answering.llm.messages import (
    NOT_COVERED,
    answer_messages,
    condense_messages,
    judge_messages,
)
from bot.answering.llm.reply import (
    adds_refusal,
    canonical_markers,
    is_refusal,
    judged_unanswered,
    lacks_substance,
)
from bot.answering.markers import strip_markers
from bot.answering.question_parts import asked_part
from bot.answering.retrieval import Retrieval, RetrievedChunk
from bot.answering.synthesizer import Synthesis, refusal
from bot.models import Answer, Turn
from ingest.sentences import split_sentences
from ingest.text_terms import terms

log = logging.getLogger(__name__)

NO_SUPPORTED_ANSWER = "what the model wrote is not in the closest passages"
NO_DIRECT_ANSWER = ("The model found no direct answer in the articles; "
                    "these are the closest passages (quoted):")
MODEL_FOUND_NONE = "The closest articles, read by the model, don't answer it."
PASSAGES = "passages"


class LLMSynthesizer:
    """Asks ``chat_model`` to answer from the evidence ``rules`` chose, citing it."""

    def __init__(self, chat_model: ChatModel, rules: EvidenceGatherer, *,
                 evidence: str = PASSAGES, evidence_tokens: int = 450) -> None:
        self.chat_model = chat_model
        self.rules = rules
        self.evidence = evidence
        self.evidence_tokens = evidence_tokens

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
        if self.evidence == PASSAGES:
            return self._from_passages(question, standalone, retrieval, on_token)
        return self._from_chosen_sentences(question, standalone, retrieval, on_token)

    def _from_passages(self, question: str, standalone: str, retrieval: Retrieval,
                       on_token: Callable[[str], None] | None) -> Synthesis:
        """The model reads the passages and judges; see "passages" above."""
        # The word rules that hold here: passages that never name what the question is
        # about, or never state the figure it names its story by, cannot answer it, however
        # the model reads them (a 1.5B model wraps the question's own premise around a fact
        # of another story).
        not_in_passages = self.rules.missing_in_passages(question, retrieval)
        if not_in_passages:
            return Synthesis(refusal(question, self.label, not_in_passages), retrieval)
        sources = self._windows(standalone, retrieval)
        if not sources:
            return Synthesis(refusal(question, self.label), retrieval)
        raw = self.chat_model.chat(answer_messages(standalone, sources, *self._hints),
                                   _held_while_not_covered(on_token))
        if _says_not_covered(raw):
            return Synthesis(refusal(question, self.label, MODEL_FOUND_NONE), retrieval)
        answer = self._grounded_answer(question, standalone, raw, sources)
        if answer is not None:
            conflict = self.rules.conflict(standalone, retrieval)
            return Synthesis(_told_apart(answer, conflict, retrieval.chunks), retrieval)
        # What it wrote is in no source: the rules' quotes if they find an answer (labelled
        # as quotes), else nothing.
        if not self.rules.rules.on("quote_fallback"):
            return Synthesis(refusal(question, self.label, NO_SUPPORTED_ANSWER), retrieval)
        quoted = self.rules.gather(question, standalone, retrieval).synthesis
        if quoted.answer.refused:
            return Synthesis(refusal(question, self.label, NO_SUPPORTED_ANSWER),
                             quoted.retrieval)
        return quoted

    def _from_chosen_sentences(self, question: str, standalone: str, retrieval: Retrieval,
                               on_token: Callable[[str], None] | None) -> Synthesis:
        """The rules decide, the model rewords their quotes; see "sentences" above."""
        evidence = self.rules.gather(question, standalone, retrieval)
        quoted = evidence.synthesis
        if not evidence.answerable:
            return Synthesis(replace(quoted.answer, backend=self.label), quoted.retrieval)
        chosen = evidence.sentences
        if asks_for_latest(standalone):
            chosen = newest_article_only(chosen)
        sources = evidence_sources(quoted.retrieval.chunks, chosen)
        on_passages = False  # the model reads the passages, not the rules' sentences
        if self._judges(standalone) and self._judged_unanswered(standalone, sources):
            # The model, asked first, finds the rules' sentences don't answer: it reads the
            # passages, and finding no answer there either, refuses.
            sources, on_passages = self._windows(standalone, quoted.retrieval), True
            if not sources or self._judged_unanswered(standalone, sources):
                return Synthesis(refusal(question, self.label, MODEL_FOUND_NONE),
                                 quoted.retrieval)
        streamed = _held_while_not_covered(on_token)
        raw = self.chat_model.chat(answer_messages(standalone, sources, *self._hints), streamed)
        if _says_not_covered(raw) and not on_passages:
            # The chosen sentences missed it (a paraphrased question): one more look, at the
            # whole retrieved passages. Slower, but only for these questions.
            sources = self._windows(standalone, quoted.retrieval)
            raw = self.chat_model.chat(answer_messages(standalone, sources, *self._hints), streamed)
        if _says_not_covered(raw):
            # The two disagree: say so, and let the reader judge the closest passages.
            log.info("the model found no answer in passages the rules found answerable: %r",
                     raw[:200])
            return Synthesis(
                replace(quoted.answer, text=f"{NO_DIRECT_ANSWER}\n{quoted.answer.text}"),
                quoted.retrieval)
        answer = self._grounded_answer(question, standalone, raw, sources)
        if answer is None and self._refuses_question(raw, standalone):  # see above
            return Synthesis(refusal(question, self.label, NO_SUPPORTED_ANSWER),
                             quoted.retrieval)
        if answer is None:
            return quoted
        return Synthesis(_told_apart(answer, evidence.conflict, quoted.retrieval.chunks),
                         quoted.retrieval)

    def _windows(self, standalone: str, retrieval: Retrieval) -> list[RetrievedChunk]:
        """The retrieved passages as the model reads them (``passage_windows``)."""
        return passage_windows(standalone, retrieval.query_vector, retrieval.chunks,
                               self.rules.sentence_encoder, self.evidence_tokens,
                               self.rules.tuning)

    def _asks_yes_no(self, standalone: str) -> bool:
        return asks_yes_no(asked_part(standalone, self.rules.tuning.min_asking_words))

    def _judges(self, standalone: str) -> bool:
        """Whether the model is asked first if the sources answer (rule ``model_judges``).
        Not for a yes-or-no question, whose own answer may be "No"."""
        return self.rules.rules.on("model_judges") and not self._asks_yes_no(standalone)

    def _judged_unanswered(self, standalone: str, sources: Sequence[RetrievedChunk]) -> bool:
        # Asked without the alternatives a question ends with ("…, California or New York?"):
        # sources naming neither are no answer to the choice, but may answer the question.
        asked = choice_cut(standalone, self.rules.offered(standalone))
        reply = self.chat_model.chat(judge_messages(asked, sources), max_tokens=VERDICT_TOKENS)
        log.debug("the model judged whether %d sources answer: %r", len(sources), reply)
        return judged_unanswered(reply)

    @property
    def _yes_no(self) -> bool:
        return self.rules.rules.on("yes_no")

    def _refuses_question(self, raw: str, standalone: str) -> bool:
        """Whether ``raw`` answers and also says the sources don't (``adds_refusal``), not
        counting a sentence that only says an offered alternative is not mentioned ("The
        sources do not mention Italy."): that is about a choice, not the question."""
        offered = self.rules.offered(standalone)
        if offered:
            raw = " ".join(s.text for s in split_sentences(raw)
                           if not (is_refusal(s.text) and any(names(s.text, a) for a in offered)))
        return adds_refusal(raw)

    @property
    def _hints(self) -> tuple[bool, bool]:
        """Which question forms the prompt asks the model to answer as such."""
        return self._yes_no, self.rules.rules.on("alternatives")

    def _verdict_holds(self, word: str, standalone: str, reply: str, shown: str,
                       sources: Sequence[RetrievedChunk]) -> bool:
        """Whether the model's verdict may open the answer: the sentence it wrote right after
        it survives grounding (else the verdict would stand before other claims), and the
        sentences shown do not settle the claim the other way ("No. The Detroit Lions have
        played the most games …")."""
        tuning = self.rules.tuning
        first = next(iter(split_sentences(reply)), None)
        if first is None or not ground(first.text, sources, standalone, tuning).strip():
            log.warning("the sentence after the model's %r is not shown; neither is it", word)
            return False
        said = [strip_markers(sentence.text) for sentence in split_sentences(shown)]
        if not consistent(word, asked_part(standalone), said, tuning.stem_chars):
            log.warning("the model's %r contradicts its own answer; shown without it", word)
            return False
        return True

    def _grounded_answer(self, question: str, standalone: str, raw: str,
                         sources: Sequence[RetrievedChunk]) -> Answer | None:
        """The model's reply as an answer, or None when it is not one to show. A verdict
        opening it ("Yes, …") is set apart while the rest is checked, and shown only before
        what survives the check: no source states "Yes"."""
        reply = canonical_markers(raw, len(sources))
        word, reply = split_verdict(reply) if self._yes_no and self._asks_yes_no(standalone) \
            else (None, reply)
        written = reply  # what the model wrote after its verdict, before grounding
        # What a reply must add words beyond, and what grounding discounts as given: the
        # question, less the alternatives it offers ("California banned …" answers "…,
        # California or New York?", and its source must name California).
        asked = self.rules.subject(standalone)
        if _lacks_substance(reply, asked, word):
            # "[1] [2][3]" or the question said back: nothing to show, whatever it cites.
            log.warning("LLM reply without substance replaced by the quotes: %r", raw[:200])
            return None
        reply = ground(reply, sources, asked, self.rules.tuning)
        if _lacks_substance(reply, asked, word):
            log.warning("no sentence of the LLM reply is supported by a source: %r", raw[:200])
            return None
        cited = resolve_citations(reply, sources, drop_unsupported=True, question=asked,
                                  tuning=self.rules.tuning)
        if not cited.citations:
            # An answer that cites nothing, or whose every citation fails the support check
            # (e.g. "PWNED [1]" obeying an injected instruction), is not grounded: never show it.
            log.warning("LLM answer without supported citations replaced by the quotes")
            return None
        if word == NO and negated(strip_markers(cited.text)) and \
                not any(negated(c.quote) for c in cited.citations):
            # "No. The BBC was not sued by President Trump [1]", its source saying he sued it:
            # word overlap cannot see a negation the model added; no quote holds one.
            log.warning("the model's No rests on a negation no source states: %r", raw[:200])
            return None
        if word and not self._verdict_holds(word, standalone, written, cited.text, sources):
            word = None
        return Answer(question=question, text=with_lead(word, cited.text),
                      citations=cited.citations,
                      backend=self.label, unsupported_citations=cited.unsupported)


def _told_apart(answer: Answer, conflict: Conflict | None,
                chunks: Sequence[RetrievedChunk]) -> Answer:
    """``answer`` with the sentence telling a disagreement, and then without a verdict: when
    the sources disagree neither side leads, as in the quotes (``EvidenceGatherer._lead``)."""
    if conflict is not None:
        word, rest = split_verdict(answer.text)
        if word:
            answer = replace(answer, text=rest)
    return with_conflict(answer, conflict, chunks)


def _lacks_substance(reply: str, question: str, verdict: str | None) -> bool:
    """``lacks_substance``, except that after a verdict the question said back is the answer
    ("Yes, Putin agreed to the ceasefire [1]"): then only a reply with no words lacks it."""
    if verdict:
        return not terms(strip_markers(reply))
    return lacks_substance(reply, question)


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
