"""Scoring ``Answer`` values against golden cases: per case, then in aggregate.

Every definition here is written out in ``docs/evaluation.md``; keep the two in step. The same
functions score our engine and the vanilla baseline, so their numbers are comparable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.answering.citations import SUPPORT_THRESHOLD, support
from bot.answering.markers import marker_numbers, strip_markers
from bot.evaluation.golden import GoldenCase, contains_phrase, matches_source
from bot.evaluation.key_facts import check_key_facts
from bot.models import Answer, Citation
from ingest.sentences import MARKER_PATTERN, split_sentences

# A run of citation markers ("[2]", "[1][3]") and the space before it: what closes a claim.
_MARKER_RUN = re.compile(r"(?:\s*" + MARKER_PATTERN + r")+")

#: Scores in [0, 1] where higher is better, in the order tables and charts show them.
#: ``citation_links`` is measured only on sets whose cases list ``links`` (absent otherwise).
RATE_METRICS: tuple[str, ...] = (
    "pass_rate", "fact_accuracy", "hit@1", "hit@k", "mrr", "citation_precision",
    "citation_support", "citation_support_independent", "refusal_accuracy", "citation_links",
)


@dataclass(frozen=True)
class CaseScore:
    """What one answer got right and wrong."""

    case: GoldenCase
    answer: Answer
    facts_ok: bool  # every fact group present (False for refuse cases)
    refusal_ok: bool  # refused exactly when the case says it should be
    hit1: bool
    hitk: bool
    reciprocal_rank: float
    citations: int
    precise_files: int  # distinct cited articles that are among the case's files
    supported_citations: int  # citations whose quote supports a sentence citing it
    # The same by the key-fact check (``key_facts.py``), which the engine does not use.
    independently_supported: int = 0
    # A citation carries one of the case's links; None when not scored (no links, refused).
    link_ok: bool | None = None

    @property
    def cited_files(self) -> list[str]:
        return list(dict.fromkeys(c.file for c in self.answer.citations))

    @property
    def cited_articles(self) -> list[str]:
        """Distinct cited articles: an entry of a feed or export counts on its own."""
        return list(dict.fromkeys(_cited_article(c) for c in self.answer.citations))

    @property
    def passed(self) -> bool:
        """Refuse case: refused. Answerable: answered, all facts, and a right file cited."""
        if self.case.refuse:
            return self.answer.refused
        return not self.answer.refused and self.facts_ok and self.precise_files > 0

    @property
    def latency_ms(self) -> float:
        return self.answer.timings.total

    def problems(self) -> list[str]:
        """Why the case failed, in words (empty when it passed)."""
        if self.case.refuse:
            return [] if self.answer.refused else ["answered a question it should refuse"]
        found: list[str] = []
        if self.answer.refused:
            found.append("refused an answerable question")
        if not self.facts_ok:
            missing = [" | ".join(g) for g in self.case.facts if not _group_present(self.answer, g)]
            found.append("missing facts: " + "; ".join(missing))
        if not self.answer.refused and self.precise_files == 0:
            found.append("cites none of the expected files")
        if not self.hitk:
            found.append("no expected file retrieved")
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.case.id, "kind": self.case.kind, "question": self.case.question,
            "passed": self.passed, "refused": self.answer.refused,
            "expected_refusal": self.case.refuse, "facts_ok": self.facts_ok,
            "hit@1": self.hit1, "hit@k": self.hitk,
            "reciprocal_rank": round(self.reciprocal_rank, 4),
            "answer": self.answer.text, "cited_files": self.cited_files,
            "cited_articles": self.cited_articles,
            "expected_files": list(self.case.files),
            "retrieved_files": list(self.answer.retrieved_files),
            "retrieved_articles": list(_retrieved(self.answer)),
            "cited_urls": list(dict.fromkeys(c.url for c in self.answer.citations if c.url)),
            "expected_links": list(self.case.links), "links_ok": self.link_ok,
            "citations": self.citations, "unsupported_citations":
                self.citations - self.supported_citations,
            "unsupported_citations_independent":
                self.citations - self.independently_supported,
            "citation_checks": [check.to_json() for check in citation_checks(self.answer)],
            "latency_ms": round(self.latency_ms, 1),
            "first_token_ms": round(self.answer.timings.first_token, 1),
            "backend": self.answer.backend, "problems": self.problems(),
        }


def _cited_article(citation: Citation) -> str:
    # The baseline's citations name only a file (it reads raw files, not articles).
    return citation.article_id or citation.file


def _retrieved(answer: Answer) -> tuple[str, ...]:
    """Retrieved articles, best first; answers that know only files (the baseline) give those."""
    return answer.retrieved_articles or answer.retrieved_files


def _expected(case: GoldenCase, source: str) -> bool:
    return any(matches_source(entry, source) for entry in case.files)


def _cites_expected(case: GoldenCase, citation: Citation) -> bool:
    """A citation matches an expected entry by its article id or by its file: a case that
    names a whole feed is satisfied by any of its entries. A citation that names only a file
    does not match one entry of it (the file holds others)."""
    return _expected(case, _cited_article(citation))


def link_carried(case: GoldenCase, answer: Answer) -> bool | None:
    """Whether a citation of the answer carries one of the case's links (exact url); None
    when there is nothing to score: the case lists no links, or the answer was refused."""
    if not case.links or answer.refused:
        return None
    return any(c.url in case.links for c in answer.citations)


def answer_body(answer: Answer) -> str:
    """The answer text without ``[n]`` markers (a marker must not split or join words)."""
    return strip_markers(answer.text, " ")


def _group_present(answer: Answer, group: Sequence[str]) -> bool:
    body = answer_body(answer)
    return any(contains_phrase(body, alternative) for alternative in group)


def facts_present(answer: Answer, facts: Sequence[Sequence[str]]) -> bool:
    """All fact groups occur in the answer, each as a whole phrase (case-insensitive)."""
    return bool(facts) and all(_group_present(answer, group) for group in facts)


def supported_citations(answer: Answer) -> int:
    """Citations whose quote covers enough of at least one sentence that cites them.

    The same rule the engine logs (``bot.answering.citations.support`` ≥ ``SUPPORT_THRESHOLD``),
    recomputed here so the baseline is judged by the identical test. A citation that no
    sentence of the text refers to is unsupported. The engine drops what fails this rule, so
    for newsbot it is 1.0 by construction; ``independently_supported`` is the honest check.
    """
    claims = _claims_by_number(answer)
    return sum(
        1 for c in answer.citations
        if any(support(claim, c.quote) >= SUPPORT_THRESHOLD for claim in claims.get(c.n, []))
    )


@dataclass(frozen=True)
class CitationCheck:
    """One citation judged both ways, against the sentences of the answer that cite it."""

    n: int
    claims: tuple[str, ...]
    quote: str
    support: bool  # ``support()`` ≥ threshold for some citing sentence (the engine's rule)
    key_facts: bool  # ``check_key_facts`` passes for some citing sentence
    reason: str  # why the key-fact check failed (its first citing sentence), else ""

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "claims": list(self.claims), "quote": self.quote,
                "support": self.support, "key_facts": self.key_facts, "reason": self.reason}


def _claims_by_number(answer: Answer) -> dict[int, list[str]]:
    """Source number → the claims citing it. A claim is the text a marker run closes, back to
    the previous run or the sentence start: a quoted headline has no full stop, so "Headline
    [2] The next quote… [3]" is one split sentence holding two claims, and judging each
    citation against both would fail it for the other's facts."""
    claims: dict[int, list[str]] = {}
    for sentence in split_sentences(answer.text):
        start = 0
        for run in _MARKER_RUN.finditer(sentence.text):
            claim = sentence.text[start:run.end()].strip()
            start = run.end()
            if not any(ch.isalnum() for ch in strip_markers(claim, " ")):
                claim = sentence.text  # markers alone ("… stop. [1]"): the sentence is the claim
            for number in marker_numbers(run.group()):
                claims.setdefault(number, []).append(claim)
    return claims


def citation_checks(answer: Answer) -> list[CitationCheck]:
    """Every citation of the answer judged by ``support()`` and by the key-fact check; a
    citation no sentence refers to fails both."""
    claims = _claims_by_number(answer)
    checks = []
    for c in answer.citations:
        citing = claims.get(c.n, [])
        verdicts = [check_key_facts(claim, c.quote, answer.question) for claim in citing]
        checks.append(CitationCheck(
            n=c.n, claims=tuple(citing), quote=c.quote,
            support=any(support(claim, c.quote) >= SUPPORT_THRESHOLD for claim in citing),
            key_facts=any(v.supported for v in verdicts),
            reason="" if any(v.supported for v in verdicts)
            else verdicts[0].reason if verdicts else "no sentence cites it"))
    return checks


def independently_supported(answer: Answer) -> int:
    """Citations for which some sentence citing them passes the key-fact check against the
    quote (``bot.evaluation.key_facts``): an independent reading of ``supported_citations``,
    which repeats the engine's own rule."""
    return sum(1 for check in citation_checks(answer) if check.key_facts)


def score_case(case: GoldenCase, answer: Answer, k: int) -> CaseScore:
    """Score one answer; ``k`` is the retrieval depth the answer was produced with."""
    retrieved = _retrieved(answer)
    rank = next((i for i, name in enumerate(retrieved, start=1) if _expected(case, name)), 0)
    # Articles of the top-k chunks (one per chunk, deduped, so at most k of them).
    top_k = retrieved[:k]
    precise = {_cited_article(c) for c in answer.citations if _cites_expected(case, c)}
    return CaseScore(
        case=case, answer=answer,
        facts_ok=not case.refuse and facts_present(answer, case.facts),
        refusal_ok=answer.refused == case.refuse,
        hit1=rank == 1, hitk=any(_expected(case, name) for name in top_k),
        reciprocal_rank=1.0 / rank if rank else 0.0,
        citations=len(answer.citations),
        precise_files=len(precise),
        supported_citations=supported_citations(answer),
        independently_supported=independently_supported(answer),
        link_ok=link_carried(case, answer),
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation, as numpy's default."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


@dataclass(frozen=True)
class Metrics:
    """Aggregate scores of one run; ``scores()`` is what tables, JSON and the gate read."""

    cases: int
    answerable: int
    refuse_cases: int
    k: int
    pass_rate: float
    fact_accuracy: float
    hit1: float
    hitk: float
    mrr: float
    citation_precision: float
    citation_support: float
    refusal_accuracy: float
    missed_refusals: int
    false_refusals: int
    latency_p50_ms: float
    latency_p95_ms: float
    cited_files_scored: int = 0  # the denominator of citation precision
    # Share of answered cases with ``links`` whose citations carry one; None when no such
    # case was answered (the set lists no links), so it is reported as absent, not as 0.
    citation_links: float | None = None
    link_cases: int = 0  # its denominator
    # Over the answers that streamed (an LLM wrote them); 0 when none did.
    first_token_p50_ms: float = 0.0
    first_token_p95_ms: float = 0.0
    # ``citation_support`` by the key-fact check: over the same citations, by another rule.
    citation_support_independent: float = 0.0

    def scores(self) -> dict[str, float]:
        """Rates keyed by name; ``hit@k`` also appears under its real depth (``hit@5``).
        ``citation_links`` is there only when it was measured."""
        scores = {
            "pass_rate": self.pass_rate, "fact_accuracy": self.fact_accuracy,
            "hit@1": self.hit1, "hit@k": self.hitk, f"hit@{self.k}": self.hitk,
            "mrr": self.mrr, "citation_precision": self.citation_precision,
            "citation_support": self.citation_support,
            "citation_support_independent": self.citation_support_independent,
            "refusal_accuracy": self.refusal_accuracy,
        }
        if self.citation_links is not None:
            scores["citation_links"] = self.citation_links
        return scores

    def to_json(self) -> dict[str, Any]:
        return {
            **{name: round(value, 4) for name, value in self.scores().items()},
            "citation_links": None if self.citation_links is None
            else round(self.citation_links, 4),
            "link_cases": self.link_cases,
            "k": self.k, "cases": self.cases, "answerable": self.answerable,
            "refuse_cases": self.refuse_cases, "missed_refusals": self.missed_refusals,
            "false_refusals": self.false_refusals, "cited_files_scored": self.cited_files_scored,
            "latency_p50_ms": round(self.latency_p50_ms, 1),
            "latency_p95_ms": round(self.latency_p95_ms, 1),
            "first_token_p50_ms": round(self.first_token_p50_ms, 1),
            "first_token_p95_ms": round(self.first_token_p95_ms, 1),
        }


def aggregate(results: Sequence[CaseScore], k: int) -> Metrics:
    """Aggregate per-case scores (definitions: docs/evaluation.md)."""
    answerable = [r for r in results if not r.case.refuse]
    refuse = [r for r in results if r.case.refuse]
    answered = [r for r in answerable if not r.answer.refused]
    # Citation support is about every answer that was shown, refuse cases included.
    shown = [r for r in results if not r.answer.refused]
    cited_files = sum(len(r.cited_articles) for r in answered)
    latencies = [r.latency_ms for r in results]
    first_tokens = [r.answer.timings.first_token for r in results if r.answer.timings.first_token]
    linked = [r.link_ok for r in results if r.link_ok is not None]
    return Metrics(
        cases=len(results), answerable=len(answerable), refuse_cases=len(refuse), k=k,
        pass_rate=_ratio(sum(r.passed for r in results), len(results)),
        fact_accuracy=_ratio(sum(r.facts_ok for r in answerable), len(answerable)),
        hit1=_ratio(sum(r.hit1 for r in answerable), len(answerable)),
        hitk=_ratio(sum(r.hitk for r in answerable), len(answerable)),
        mrr=_ratio(sum(r.reciprocal_rank for r in answerable), len(answerable)),
        citation_precision=_ratio(sum(r.precise_files for r in answered), cited_files),
        citation_support=_ratio(sum(r.supported_citations for r in shown),
                                sum(r.citations for r in shown)),
        citation_support_independent=_ratio(sum(r.independently_supported for r in shown),
                                            sum(r.citations for r in shown)),
        refusal_accuracy=_ratio(sum(r.refusal_ok for r in results), len(results)),
        missed_refusals=sum(1 for r in refuse if not r.answer.refused),
        false_refusals=sum(1 for r in answerable if r.answer.refused),
        latency_p50_ms=percentile(latencies, 50), latency_p95_ms=percentile(latencies, 95),
        cited_files_scored=cited_files,
        citation_links=_ratio(sum(linked), len(linked)) if linked else None,
        link_cases=len(linked),
        first_token_p50_ms=percentile(first_tokens, 50) if first_tokens else 0.0,
        first_token_p95_ms=percentile(first_tokens, 95) if first_tokens else 0.0,
    )
