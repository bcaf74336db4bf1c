"""The quality gate's thresholds, in one place: the CI test and ``newsbot eval`` read these.

They were set on the golden set (``golden.DEFAULT_SET``) and mean nothing on another set: a
held-out or news set is measured, not gated (``applies_to``).

Lowering a number here is a product decision, not a test fix: write down why in the commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from bot.evaluation.golden import DEFAULT_SET

if TYPE_CHECKING:
    from bot.evaluation.news_quiz import QuizMetrics

#: metric name (as in ``Metrics.scores()``) → the target the embedded default must reach
#: (issue 4). ``newsbot eval`` reports against these; the CI test reports each one that is
#: not met as an expected failure with the cases that pull it down.
GATE: Final[dict[str, float]] = {
    "fact_accuracy": 0.85,
    "hit@5": 0.95,
    "citation_precision": 0.95,
    "refusal_accuracy": 1.0,
}

#: What CI enforces today: a floor just under the figures measured on the embedded default
#: (chunk 128/16, top-k 5; see docs/evaluation.md), so any regression fails the build. Fact
#: accuracy (0.886) may lose one case and stay at its target, refusal accuracy (1.0) one case
#: (1/57 ≈ 0.018) and fail its target test visibly while the build stays green.
#: Citation precision's target is the one not met: the extractive backend measured 0.77 (fact
#: accuracy 0.89, refusal accuracy 1.0); every setting of its sentence selection that raised
#: precision lowered fact accuracy further (docs/evaluation.md has the sweep). Raise a floor
#: whenever the measured figure rises.
REGRESSION_FLOOR: Final[dict[str, float]] = {
    "fact_accuracy": 0.85,
    "hit@5": 0.95,
    "citation_precision": 0.74,
    "refusal_accuracy": 0.98,
}

#: The extractive backend's floor on the RealTimeQA development set (``newsbot eval --set
#: ../shared/bench/realtimeqa_dev/questions.json --strict``), just under its measured figures
#: (docs/evaluation.md: 0.533 and 7 of 15 at the final code of issue 21's first stop), so a
#: change that loses answers or refusals on news nobody here wrote fails CI.
#: A measuring stick, not a target: nothing is tuned to its questions.
QUIZ_FLOOR: Final[dict[str, float]] = {
    "answerable_right": 0.62,  # measured 0.644 (58 of 90); two questions of slack
    "refused_right": 8,  # measured 9 of 15
}

#: Chunks retrieved per question by the gate; ``hit@5`` is measured at this depth.
GATE_TOP_K: Final[int] = 5


def gate_failures(scores: dict[str, float]) -> dict[str, tuple[float, float]]:
    """Metrics below their threshold: name → (measured, required). A metric the run did not
    measure is not a failure: ``hit@5`` exists only when the run retrieved 5 chunks."""
    return {name: (scores[name], minimum) for name, minimum in GATE.items()
            if name in scores and scores[name] < minimum}


def applies_to(set_path: Path) -> bool:
    """Whether the gate judges a run of this question set: the shipped golden set, or a
    byte-identical copy of it. Any other set (held-out, news, a user's own) has no thresholds:
    they were chosen for the golden set's cases."""
    try:
        return set_path.samefile(DEFAULT_SET) or set_path.read_bytes() == DEFAULT_SET.read_bytes()
    except OSError:
        return False


def quiz_floor_failures(metrics: QuizMetrics) -> dict[str, tuple[float, float]]:
    """The news-quiz figures below ``QUIZ_FLOOR``: name → (measured, floor)."""
    measured = metrics.to_json()
    return {name: (float(measured[name]), floor) for name, floor in QUIZ_FLOOR.items()
            if float(measured[name]) < floor}
