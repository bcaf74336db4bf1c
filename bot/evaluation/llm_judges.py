"""LLM-as-judge scores from llama-index's Faithfulness, Relevancy and Correctness evaluators.

They need an LLM: the configured OpenAI-compatible model (the openai backend with a key or a
base URL). Without one the judges are *skipped* — reported as such, never as a failure — so the
deterministic metrics in ``metrics.py`` stay the gate and these are extra information.

What each judge sees, per answered (not refused) answerable case:
- Faithfulness: the answer against the quotes it cites (is it supported by its evidence?).
- Relevancy: question + answer against the cited quotes (do they address the question?).
- Correctness: question + answer against a reference built from the case's required facts,
  scored 1–5 by the judge; reported as the mean and as mean/5.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.answering.backends import OPENAI, resolve_backend
from bot.answering.markers import strip_markers
from bot.settings import Settings
from prompts import load_prompt

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from bot.evaluation.metrics import CaseScore

log = logging.getLogger(__name__)

JUDGES: tuple[str, ...] = ("faithfulness", "relevancy", "correctness")
EVAL_EXTRA_INSTALL = "pip install 'newsbot[eval]'"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class JudgeReport:
    status: str  # "ok" or "skipped"
    reason: str = ""
    model: str = ""
    judged: int = 0
    errors: int = 0
    means: dict[str, float | None] = field(default_factory=dict)
    per_case: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def rates(self) -> dict[str, float]:
        """Judge scores on a 0–1 scale (correctness divided by 5), for tables and charts."""
        scale = {"correctness": 5.0}
        return {f"judge_{name}": value / scale.get(name, 1.0)
                for name, value in self.means.items() if value is not None}

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "model": self.model,
                "judged": self.judged, "errors": self.errors,
                "means": {k: None if v is None else round(v, 4) for k, v in self.means.items()},
                "per_case": self.per_case}


def skip_reason(settings: Settings) -> str | None:
    """Why the judges cannot run with these settings, or None when they can."""
    if resolve_backend(settings).name != OPENAI:
        return "no LLM configured (extractive backend); use --llm openai with a key or base URL"
    if not settings.openai_api_key and not settings.openai_base_url:
        return "the openai backend needs OPENAI_API_KEY or OPENAI_BASE_URL"
    return eval_extra_missing()


def eval_extra_missing() -> str | None:
    """Why llama-index's OpenAI-compatible LLM is not there, or None when it is.

    The judges and the baseline's LLM need it; newsbot itself does not (its openai backend
    calls the SDK directly), so it comes with the ``eval`` extra, not by default.
    """
    try:
        import llama_index.llms.openai_like  # noqa: F401
    except ImportError:
        return f"llama-index-llms-openai-like is not installed: {EVAL_EXTRA_INSTALL}"
    return None


def openai_like(settings: Settings) -> LLM:
    """The configured chat model as a llama-index LLM (OpenAILike, imported lazily)."""
    from llama_index.llms.openai_like import OpenAILike

    key = settings.openai_key()
    # reuse_client=False: each sync evaluate() runs in a fresh event loop, and a reused async
    # client keeps pooled connections bound to the previous loop ("Connection error").
    return OpenAILike(model=settings.llm_model, api_base=settings.openai_base_url,
                      api_key=key or "not-needed", is_chat_model=True, temperature=0.0,
                      max_retries=settings.llm_max_retries, timeout=settings.llm_timeout,
                      reuse_client=False)


def parse_score(text: str) -> tuple[float | None, str]:
    """CorrectnessEvaluator's reply: a score on its first line, then the reasoning.

    llama-index's default parser raises on a reply with no newline (a bare "4"); this one takes
    the first number anywhere in the first non-empty line.
    """
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None, "No response"
    match = _NUMBER.search(lines[0])
    return (float(match.group(0)) if match else None), "\n".join(lines[1:])


def reference_from_facts(facts: Sequence[Sequence[str]]) -> str:
    return "The answer must state: " + "; ".join(" or ".join(group) for group in facts) + "."


def run_judges(results: Sequence[CaseScore], settings: Settings,
               llm: LLM | None = None) -> JudgeReport:
    """Judge every answered answerable case; a judge that errors counts as an error, not 0."""
    reason = skip_reason(settings) if llm is None else None
    if reason:
        return JudgeReport(status="skipped", reason=reason)
    from llama_index.core.evaluation import (
        BaseEvaluator,
        CorrectnessEvaluator,
        FaithfulnessEvaluator,
        RelevancyEvaluator,
    )

    judge_llm = llm or openai_like(settings)
    evaluators: dict[str, BaseEvaluator] = {
        "faithfulness": FaithfulnessEvaluator(llm=judge_llm),
        "relevancy": RelevancyEvaluator(llm=judge_llm),
        "correctness": CorrectnessEvaluator(llm=judge_llm, parser_function=parse_score),
    }
    report = JudgeReport(status="ok", model=judge_llm.metadata.model_name)
    sums: dict[str, list[float]] = {name: [] for name in JUDGES}
    for result in results:
        answer = result.answer
        if result.case.refuse or answer.refused or not answer.citations:
            continue
        common: dict[str, Any] = {"query": answer.question, "response": answer.text,
                                  "contexts": [c.quote for c in answer.citations]}
        scores: dict[str, float | None] = {}
        for name, evaluator in evaluators.items():
            extra: dict[str, Any] = (
                {"reference": reference_from_facts(result.case.facts)}
                if name == "correctness" else {})
            score: float | None
            try:
                score = evaluator.evaluate(**common, **extra).score
            except Exception as exc:  # one bad judge reply must not sink the whole report
                log.warning("%s judge failed on %s: %s", name, result.case.id, exc)
                score = None
            scores[name] = score
            if score is None:
                report.errors += 1
            else:
                sums[name].append(float(score))
        report.per_case[result.case.id] = scores
        report.judged += 1
    report.means = {name: (sum(v) / len(v) if v else None) for name, v in sums.items()}
    return report


def judge_support(llm: LLM, question: str, claim: str, quote: str) -> bool | None:
    """The model's verdict on whether ``quote`` states what ``claim`` says (prompt:
    ``prompts/support_judge.txt``); None when the reply is neither YES nor NO.

    Measured against the hand labels by ``python -m bot.evaluation.support_agreement
    --llm-judge``; the key-fact check, not this judge, is the reported metric (see
    docs/evaluation.md for why)."""
    prompt = load_prompt("support_judge").format(
        question=question, quote=quote,
        claim=re.sub(r"\s+([.,;:!?])", r"\1", strip_markers(claim)).strip())
    reply = llm.complete(prompt).text.strip().upper()
    word = re.match(r"\W*(YES|NO)\b", reply)
    return None if word is None else word.group(1) == "YES"

