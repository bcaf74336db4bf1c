"""How well each citation-support check agrees with hand labels.

``python -m bot.evaluation.support_agreement [--labels FILE] [--json] [--llm-judge]`` reads a
labels file (default: ``sets/support_labels.yaml``; schema below), runs every check on each
(question, claim, quote) and prints, per check, its accuracy, its precision and recall for
*unsupported* (of the citations it calls unsupported, how many are; of those that are, how many
it finds) and how many labels from real runs (not constructed) it gets right. The word checks
are deterministic, so their figures reproduce exactly; ``--llm-judge`` adds the configured LLM.

Each label is a mapping: ``id``, ``origin`` (where the triple came from: ``<set>/<backend>``
for a real run, ``constructed`` for a hard case written from a real quote), ``question``,
``claim`` (the answer sentence, with its ``[n]`` marker), ``quote`` (the cited quote),
``supported`` (the hand label) and ``reason`` (one line saying why).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.answering.citations import SUPPORT_THRESHOLD, support
from bot.evaluation.key_facts import check_key_facts
from ingest.errors import BadInputError
from ingest.text_terms import terms

LABELS_FILE = "support_labels.yaml"
_FIELDS = ("id", "origin", "question", "claim", "quote", "supported", "reason")


@dataclass(frozen=True)
class SupportLabel:
    id: str
    origin: str
    question: str
    claim: str
    quote: str
    supported: bool
    reason: str

    @property
    def real(self) -> bool:
        """From a real run, not constructed by hand around a real quote."""
        return self.origin != "constructed"


#: A check: (question, claim, quote) → supported?
Check = Callable[[str, str, str], bool]


def _support_as_metric(question: str, claim: str, quote: str) -> bool:
    # What ``citation_support`` computes: all of the claim's words, the question ignored.
    return support(claim, quote) >= SUPPORT_THRESHOLD


def _support_as_engine(question: str, claim: str, quote: str) -> bool:
    # What grounding drops on: only the words the claim adds to the question.
    return support(claim, quote, frozenset(terms(question))) >= SUPPORT_THRESHOLD


def _key_facts(question: str, claim: str, quote: str) -> bool:
    return check_key_facts(claim, quote, question).supported


CHECKS: dict[str, Check] = {
    "support (citation_support)": _support_as_metric,
    "support minus question (grounding)": _support_as_engine,
    "key facts (citation_support_independent)": _key_facts,
}


def default_labels_path() -> Path:
    return Path(str(resources.files("bot.evaluation").joinpath("sets", LABELS_FILE)))


def load_labels(path: Path) -> list[SupportLabel]:
    """The labels of ``path``; a malformed file or entry is a one-line ``BadInputError``."""
    try:
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BadInputError(f"{path}: not a readable YAML labels file ({exc})") from None
    if not isinstance(items, list) or not items:
        raise BadInputError(f"{path}: a labels file is a non-empty YAML list")
    labels = []
    for number, item in enumerate(items, start=1):
        missing = [f for f in _FIELDS if not isinstance(item, dict) or f not in item]
        if missing:
            raise BadInputError(f"{path}: label {number} lacks {', '.join(missing)}")
        if not isinstance(item["supported"], bool):
            raise BadInputError(f"{path}: label {number} ({item['id']}): supported must be "
                                f"true or false")
        labels.append(SupportLabel(
            id=str(item["id"]), origin=str(item["origin"]), question=str(item["question"]),
            claim=str(item["claim"]), quote=str(item["quote"]), supported=item["supported"],
            reason=str(item["reason"])))
    ids = [label.id for label in labels]
    if len(set(ids)) != len(ids):
        raise BadInputError(f"{path}: label ids repeat")
    return labels


@dataclass(frozen=True)
class Agreement:
    """One check against the labels; 'positive' means *unsupported*."""

    check: str
    total: int
    correct: int
    true_unsupported: int  # called unsupported, labelled unsupported
    called_unsupported: int
    labelled_unsupported: int
    disagreements: tuple[str, ...]  # ids where check and label differ
    real_correct: int = 0  # of the labels from real runs (origin not "constructed")
    real_total: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def precision(self) -> float:
        return self.true_unsupported / self.called_unsupported if self.called_unsupported \
            else 0.0

    @property
    def recall(self) -> float:
        return self.true_unsupported / self.labelled_unsupported if self.labelled_unsupported \
            else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "labels": self.total, "accuracy": round(self.accuracy, 3),
                "unsupported_precision": round(self.precision, 3),
                "unsupported_recall": round(self.recall, 3),
                "called_unsupported": self.called_unsupported,
                "labelled_unsupported": self.labelled_unsupported,
                "real_runs": {"labels": self.real_total, "correct": self.real_correct},
                "disagreements": list(self.disagreements)}


def agreement(name: str, check: Check, labels: Sequence[SupportLabel]) -> Agreement:
    calls = [check(label.question, label.claim, label.quote) for label in labels]
    return Agreement(
        check=name, total=len(labels),
        correct=sum(call == label.supported for call, label in zip(calls, labels, strict=True)),
        true_unsupported=sum(not call and not label.supported
                             for call, label in zip(calls, labels, strict=True)),
        called_unsupported=sum(not call for call in calls),
        labelled_unsupported=sum(not label.supported for label in labels),
        disagreements=tuple(label.id for call, label in zip(calls, labels, strict=True)
                            if call != label.supported),
        real_correct=sum(call == label.supported
                         for call, label in zip(calls, labels, strict=True) if label.real),
        real_total=sum(label.real for label in labels))


def _llm_judge_check() -> dict[str, Check]:
    """The LLM judge as a check; a reply that is neither YES nor NO counts as unsupported (a
    judge that cannot answer has not confirmed the citation)."""
    from bot.evaluation.llm_judges import judge_support, openai_like, skip_reason
    from bot.settings import Settings

    settings = Settings()
    reason = skip_reason(settings)
    if reason:
        raise BadInputError(f"--llm-judge: {reason}")
    llm = openai_like(settings)

    def judge(question: str, claim: str, quote: str) -> bool:
        verdict = judge_support(llm, question, claim, quote)
        if verdict is None:
            print(f"LLM judge: neither YES nor NO on {claim[:60]!r}", file=sys.stderr)
        return verdict is True

    return {f"LLM judge ({settings.llm_model})": judge}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.evaluation.support_agreement",
        description="Agreement of the citation-support checks with hand labels.")
    parser.add_argument("--labels", type=Path, default=None,
                        help=f"labels file (default: the shipped {LABELS_FILE})")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--llm-judge", action="store_true",
                        help="also ask the configured LLM (prompts/support_judge.txt)")
    args = parser.parse_args(argv)
    path = args.labels or default_labels_path()
    try:
        labels = load_labels(path)
        checks = dict(CHECKS)
        if args.llm_judge:
            checks.update(_llm_judge_check())
    except BadInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = [agreement(name, check, labels) for name, check in checks.items()]
    if args.json:
        print(json.dumps({"labels": str(path), "checks": [r.to_json() for r in results]}))
        return 0
    unsupported = sum(not label.supported for label in labels)
    print(f"{len(labels)} labels ({unsupported} unsupported) from {path}")
    print(f"{'check':<42} {'accuracy':>8} {'P(unsup)':>8} {'R(unsup)':>8} {'real runs':>9}  "
          f"disagrees on")
    for r in results:
        print(f"{r.check:<42} {r.accuracy:>8.3f} {r.precision:>8.3f} {r.recall:>8.3f} "
              f"{f'{r.real_correct}/{r.real_total}':>9}  {', '.join(r.disagreements) or '—'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
