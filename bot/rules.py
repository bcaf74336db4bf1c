"""The answering rules by name, so each can be switched off (``NEWSBOT_RULES_OFF``) and
measured: an ablation runs the evaluator with one name off (docs/evaluation.md, "every rule
earns its place"). A rule stays only if switching it off loses across the sets, not on the one
it was written for.

It sits at the bottom with the settings, below both backends and the engine: it names
rules, it runs none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Every rule that can be switched off, and what it does when on.
RULES: dict[str, str] = {
    "unknown_subject": "refuse a question naming something (or counting something) that no "
                       "article mentions",
    "named_in_passages": "refuse a question naming something that none of the retrieved "
                         "passages mentions (though the corpus may)",
    "figure_in_passages": "refuse a question that names its story by a figure (an amount, "
                          "a count) that none of the retrieved passages states",
    "planned_day": "refuse an outcome question whose day the articles speak of only as planned",
    "answer_type": "refuse when no sentence holds the kind of value asked (an age, a "
                   "duration, a count), after looking deeper once",
    "sentence_floor": "refuse when the best sentence is below Tuning.sentence_floor on both "
                      "signals",
    "questions_not_quoted": "a sentence that asks a question is never quoted as an answer",
    "asked_part": "a question that sets the scene first is answered by the sentences closest "
                  "to its asking sentence",
    "recent_first": "a question about the present is answered from the last "
                    "Tuning.recent_days first, older articles only when those don't answer",
    "yes_no": "a yes-or-no question is answered Yes or No when a quoted sentence states its "
              "whole claim (No when negated there); the LLM is asked for the verdict",
    "alternatives": "a question offering alternatives ('…, California or New York?') is "
                    "answered by naming the one the quotes name, when they name exactly one; "
                    "the LLM is asked to name it first",
    "conflicts": "when near-top sentences of two articles state different values for one "
                 "thing, the answer says so and cites each side with its date",
    "model_judges": "LLM, rules' sentences: the model is asked first whether the sentences "
                    "answer the question; on No it reads the passages, and No again refuses",
    "quote_fallback": "LLM: a reply no source states gives way to the rules' quotes (off: "
                      "refused)",
}


@dataclass(frozen=True)
class RuleSwitches:
    """Which rules are off; every rule is on by default."""

    off: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(self.off - RULES.keys())
        if unknown:
            raise ValueError(f"unknown rule {', '.join(unknown)}; the rules are: "
                             f"{', '.join(RULES)}")

    def on(self, name: str) -> bool:
        assert name in RULES, name  # a typo in the code, not in the settings
        return name not in self.off

    @classmethod
    def from_names(cls, names: Iterable[str]) -> RuleSwitches:
        return cls(frozenset(n.strip() for n in names if n.strip()))


ALL_ON = RuleSwitches()
