"""The quality gate's thresholds, in one place: the CI test and ``newsbot eval`` read these.

Lowering a number here is a product decision, not a test fix: write down why in the commit.
"""

from __future__ import annotations

from typing import Final

#: metric name (as in ``Metrics.scores()``) → the minimum the embedded default must reach.
GATE: Final[dict[str, float]] = {
    "fact_accuracy": 0.85,
    "hit@5": 0.95,
    "citation_precision": 0.95,
    "refusal_accuracy": 1.0,
}

#: Chunks retrieved per question by the gate; ``hit@5`` is measured at this depth.
GATE_TOP_K: Final[int] = 5


def gate_failures(scores: dict[str, float]) -> dict[str, tuple[float, float]]:
    """Metrics below their threshold: name → (measured, required)."""
    return {name: (scores.get(name, 0.0), minimum) for name, minimum in GATE.items()
            if scores.get(name, 0.0) < minimum}
