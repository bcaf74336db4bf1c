"""Running a golden set through an answering function and scoring what comes back.

The function is ``NewsBot.answer`` (the very entry point the CLI and Discord call) or the
vanilla baseline's ``answer``; both return ``Answer`` values, scored by the same metrics.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.evaluation.golden import GoldenCase
from bot.evaluation.metrics import CaseScore, Metrics, aggregate, score_case
from bot.models import Answer
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.engine import NewsBot
    from bot.evaluation.llm_judges import JudgeReport

AnswerFn = Callable[[str], Answer]
#: Called after each case with (cases done, cases total).
ProgressFn = Callable[[int, int], None]


@dataclass
class EvalRun:
    """One system's answers to a set, scored."""

    name: str  # "newsbot" or "baseline"
    backend: str
    results: list[CaseScore]
    metrics: Metrics
    judges: JudgeReport | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "backend": self.backend,
            "metrics": self.metrics.to_json(),
            "judges": self.judges.to_json() if self.judges else {"status": "not run"},
            "cases": [r.to_json() for r in self.results],
        }


def run_cases(answer: AnswerFn, cases: Sequence[GoldenCase], k: int,
              progress: ProgressFn | None = None) -> list[CaseScore]:
    """Ask every case's question once, in order, and score the answers."""
    results: list[CaseScore] = []
    for done, case in enumerate(cases, start=1):
        results.append(score_case(case, answer(case.question), k))
        if progress:
            progress(done, len(cases))
    return results


def evaluate(name: str, backend: str, answer: AnswerFn, cases: Sequence[GoldenCase], k: int,
             progress: ProgressFn | None = None) -> EvalRun:
    results = run_cases(answer, cases, k, progress)
    return EvalRun(name, backend, results, aggregate(results, k))


def bot_answer_fn(bot: NewsBot, k: int) -> AnswerFn:
    """``NewsBot.answer`` at retrieval depth ``k``, with no history (each case stands alone).

    Streamed, as Discord asks, so an LLM answer's time to first token is measured."""
    return lambda question: bot.answer(question, top_k=k, on_token=_ignore)


def _ignore(_text: str) -> None:
    pass


def eval_settings(settings: Settings, corpus: Path) -> Settings:
    """Settings whose index is private to ``corpus``: never the user's own index.

    Keyed by the corpus path and everything that shapes the index (embedding, chunking), so
    re-running is an incremental no-op and two corpora never share a collection — also with a
    Chroma server, where a separate data dir alone would not separate collections.
    """
    key = "|".join([str(corpus.resolve()), settings.embed, settings.openai_embed_model,
                    str(settings.chunk_size), str(settings.chunk_overlap)])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return settings.model_copy(update={
        "data_dir": settings.data_dir / "eval" / digest,
        "corpus_dir": corpus,
        "collection": f"newsbot_eval_{digest}",
    })
