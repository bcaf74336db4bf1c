"""The word rules both backends share: from a retrieval to the sentences worth quoting, or a
refusal with its reason.

It owns every refusal rule (an unknown subject, a subject none of the passages names, a planned
day with no outcome, a narrow answer type nobody gives, sentences too far from the question) and
the deeper second look for narrow answer types. The quoting backend shows what it finds as the
answer; the LLM backend uses it as hints, as the chosen sentences a small model reads, and as
the fallback when the model's reply is unusable.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answering.citations import resolve_citations
from bot.answering.evidence import selection
from bot.answering.evidence.alternatives import alternatives, chosen, without_alternatives
from bot.answering.evidence.answerability import (
    only_planned,
    passage_vocabulary,
    unknown_subject,
)
from bot.answering.evidence.conflicts import Conflict, Statement, find_conflict
from bot.answering.evidence.figures import unstated_figure
from bot.answering.evidence.sources_differ import with_conflict
from bot.answering.evidence.yes_no import verdict, with_lead
from bot.answering.question_parts import asked_part
from bot.answering.retrieval import HybridRetriever, Retrieval
from bot.answering.synthesizer import Synthesis, refusal
from bot.models import Answer
from bot.rules import RuleSwitches
from bot.tuning import DEFAULTS, Tuning
from ingest.embedding.cache import CachingEncoder

#: The backend name of an answer made of the rules' quotes.
LABEL = "extractive"
# Its thresholds are ``bot.tuning.Tuning``'s: the best sentence is not an answer when both its
# embedding similarity to the question and its score are below ``sentence_floor`` (0.30,
# measured on the golden set: off-topic questions peak at 0.23 similarity and 0.25 score;
# answerable ones reach at least 0.29 and 0.34 on one or the other; either signal alone
# refused a paraphrase, "club of wealthy nations" → G7, or a meta question, "described as the
# current or the former president?"); a narrow answer type nobody gives is looked for once
# ``deeper_factor`` times deeper; ``planned_share`` is the planned-day rule's bar.


@dataclass(frozen=True)
class Evidence:
    """What the extractive rules found: their answer or refusal, and the sentences the answer
    quotes (best first; empty for a refusal)."""

    synthesis: Synthesis
    sentences: tuple[selection.Candidate, ...]
    # Two articles among the near-top sentences stating different values (already told in
    # the synthesis's answer); None when they agree or the rule is off.
    conflict: Conflict | None = None

    @property
    def answerable(self) -> bool:
        return not self.synthesis.answer.refused


class EvidenceGatherer:
    """Finds the retrieved sentences that best answer the question (each cited), or why the
    articles cannot answer it."""

    label = LABEL

    def __init__(self, retriever: HybridRetriever, sentence_encoder: CachingEncoder,
                 tuning: Tuning = DEFAULTS) -> None:
        self.retriever = retriever
        # Remembers sentences already embedded: in a running bot most candidates repeat.
        self.sentence_encoder = sentence_encoder
        self.tuning = tuning

    @property
    def rules(self) -> RuleSwitches:
        """Which rules are on (the tuning's switches)."""
        return self.tuning.rules

    def gather(self, question: str, standalone: str, retrieval: Retrieval) -> Evidence:
        """The quoted answer (or refusal) and the sentences it quotes; the retrieval in it is
        deeper than asked when the first chunks lack the kind of value the question asks
        for."""
        rules = self.rules
        # The names a question offers to choose from are not what it is about: "…, California
        # or New York?" is answered by articles that name one of them.
        subject = self.subject(question)
        missing = rules.on("unknown_subject") and \
            unknown_subject(subject, retrieval.keyword_index.knows)
        if missing:
            return self._refuse(question, retrieval, f"No article mentions “{missing}”.")
        not_in_passages = self.missing_in_passages(question, retrieval)
        if not_in_passages:
            return self._refuse(question, retrieval, not_in_passages)
        planned_day = rules.on("planned_day") and \
            only_planned(question, (c.chunk.text for c in retrieval.chunks),
                         self.tuning.planned_share, self.tuning.planned_min_sentences)
        if planned_day:
            return self._refuse(question, retrieval, (
                f"They speak of {planned_day} only as planned, written before it; "
                "they don't report what came of it."))
        result = self._extract(standalone, retrieval)
        if result.missing_type is not None:
            # "How long…" retrieves chunks about the subject; the one giving the duration may
            # rank a little lower. Look deeper once before concluding the articles lack it.
            retrieval = self.retriever.retrieve(
                standalone, retrieval.top_k * self.tuning.deeper_factor, again=retrieval)
            result = self._extract(standalone, retrieval)
        if result.missing_type is not None:
            return self._refuse(
                question, retrieval,
                f"No article gives the {result.missing_type.value} it asks for.")
        below_floor = max(result.best_dense, result.best_score) < self.tuning.sentence_floor
        if not result.raw_text or (below_floor and rules.on("sentence_floor")):
            return self._refuse(question, retrieval)
        cited = resolve_citations(result.raw_text, retrieval.chunks, quotes=result.quotes,
                                  tuning=self.tuning)
        conflict = self._conflict(question, result, retrieval)
        answer = Answer(question=question,
                        text=with_lead(self._lead(question, result, conflict), cited.text),
                        note=selection.NOTE,
                        citations=cited.citations, backend=self.label,
                        unsupported_citations=cited.unsupported)
        answer = with_conflict(answer, conflict, retrieval.chunks)
        return Evidence(Synthesis(answer, retrieval), result.chosen, conflict)

    def _lead(self, question: str, result: selection.ExtractiveResult,
              conflict: Conflict | None) -> str | None:
        """What the quotes settle, to open the answer with: the verdict of a yes-or-no
        question, or the one alternative they name of those the question offers; None when
        they settle nothing, or the sources disagree (then neither side leads)."""
        if conflict is not None:
            return None
        asked = asked_part(question, self.tuning.min_asking_words)
        quoted = [c.text for c in result.chosen]
        if self.rules.on("yes_no"):
            word = verdict(asked, quoted, self.tuning.stem_chars)
            if word:
                return word
        alternative = chosen(self.offered(question), quoted)
        return alternative[:1].upper() + alternative[1:] if alternative else None

    def conflict(self, standalone: str, retrieval: Retrieval) -> Conflict | None:
        """Whether the retrieved articles' best answers to ``standalone`` disagree (for a
        backend that did not gather: the LLM reading whole passages)."""
        if not self.rules.on("conflicts") or not retrieval.chunks:
            return None
        return self._conflict(standalone, self._extract(standalone, retrieval), retrieval)

    def _conflict(self, question: str, result: selection.ExtractiveResult,
                  retrieval: Retrieval) -> Conflict | None:
        if not self.rules.on("conflicts"):
            return None

        def statement(candidate: selection.Candidate) -> Statement:
            chunk = retrieval.chunks[candidate.source - 1].chunk
            return Statement(candidate.source, candidate.text, chunk.article_id,
                             candidate.date)

        return find_conflict([statement(c) for c in result.chosen],
                             [statement(c) for c in result.near_top], question, self.tuning)

    def missing_in_passages(self, question: str, retrieval: Retrieval) -> str | None:
        """Why the retrieved passages cannot answer a question naming something none of them
        mentions (``named_in_passages``) or identifying its story by a figure none of them
        states (``figure_in_passages``), or None. In a large collection the corpus-wide check
        passes almost every name; the passages are what an answer is made from."""
        passages = [f"{c.chunk.title} {c.chunk.text}" for c in retrieval.chunks]
        question = self.subject(question)
        if self.rules.on("named_in_passages"):
            unnamed = unknown_subject(question, passage_vocabulary(passages).__contains__,
                                      time_words=False)
            if unnamed:
                return f"None of the closest articles mentions “{unnamed}”."
        if self.rules.on("figure_in_passages"):
            figure = unstated_figure(question, passages, self.tuning.figure_tolerance)
            if figure:
                return f"None of the closest articles gives the figure “{figure}”."
        return None

    def offered(self, question: str) -> tuple[str, ...]:
        """The alternatives ``question``'s asking sentence offers to choose from, () when it
        offers none or rule ``alternatives`` is off."""
        if not self.rules.on("alternatives"):
            return ()
        return alternatives(asked_part(question, self.tuning.min_asking_words))

    def subject(self, question: str) -> str:
        """``question`` without the alternatives it offers: what it is about, for the rules
        that refuse a question whose subject the articles never name, and for grounding."""
        return without_alternatives(question, self.offered(question))

    def _extract(self, standalone: str, retrieval: Retrieval) -> selection.ExtractiveResult:
        return selection.extract(standalone, retrieval.query_vector, retrieval.chunks,
                                 self.sentence_encoder,
                                 require_type=self.rules.on("answer_type"), tuning=self.tuning)

    def _refuse(self, question: str, retrieval: Retrieval,
                reason: str | None = None) -> Evidence:
        return Evidence(Synthesis(refusal(question, self.label, reason), retrieval), ())
