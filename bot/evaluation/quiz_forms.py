"""A news-quiz set's questions asked in two more forms readers use: yes-or-no, and a choice.

**Yes or no** (``newsbot eval --yes-no``): does the bot say Yes and No rightly?

A news reader asks "Was Zohran Mamdani elected mayor of New York City?" as often as "Who was
elected …?". Each answerable quiz question whose asking sentence opens with "Who" or "Which"
is asked twice as a yes-or-no question: once with its gold choice (the answer is Yes), once
with its first distractor (No):

- "Who <auxiliary> …?" → "<Auxiliary> <choice> …?" ("Who was elected …?" → "Was Zohran
  Mamdani elected …?");
- "Who <verb> …?" → "Is it <choice> who <verb> …?";
- "Which <noun phrase> <verb> …?" → "Is it <choice> that <verb> …?" ("Which state banned …?"
  → "Is it California that banned …?"), when the verb can be told from the noun phrase (an
  auxiliary before a participle, a word in -ed or -ly, a common irregular past); an
  inverted question ("Which country is Pope Leo XIV from?") is skipped.

A scene-setting sentence before the asking one stays as it is. Scored by the answer's first
word: ``Yes``/``No``; anything else (quotes alone, a refusal) is *unsettled*. The figure that
matters most is ``wrong``: a verdict opposite to the truth, which a reader would believe.

**A choice** (``newsbot eval --choices``): each question asked with its gold and one distractor
named, "Which state banned ultraprocessed foods in public schools, California or New York?"
(the gold first in even cases, second in odd ones), and scored as the quiz is: right when the
answer names the gold and not the distractor; the questions to refuse, asked so too, must still
be refused.

The questions are made at run time from the set (never stored); like the set, they measure
and are never tuned on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.answering.evidence.yes_no import NO, YES, split_verdict
from bot.evaluation.metrics import percentile
from bot.evaluation.news_quiz import DatedAnswerFn, QuizCase, ask_dated, names, share
from bot.models import Answer
from ingest.sentences import split_sentences

_AUXILIARY = (r"(?:is|are|was|were|has|have|had|will|would|can|could|should|did|does|do|"
              r"might|may)")
_WHO_AUXILIARY = re.compile(rf"^Who\s+({_AUXILIARY})\s+(.+?)\?$", re.IGNORECASE)
_WHO = re.compile(r"^Who\s+(.+?)\?$", re.IGNORECASE)
_WHICH = re.compile(r"^Which\s+(?!of\b)(.+?)\?$", re.IGNORECASE)
_IRREGULAR_PAST = frozenset(
    "won lost saw said made took became led held hit got gave sold bought left kept set chose "
    "wrote broke began beat drew fell found grew met paid put rose sent spent struck told "
    "ran went shot stole".split())
_PARTICIPLE = re.compile(r"^(?:been|be|being|\w+ed|\w+en|won|made|held|sold|set|hit|led)$",
                         re.IGNORECASE)


@dataclass(frozen=True)
class YesNoCase:
    id: str
    question: str
    day: date  # answered from articles dated on or before it
    expected: str  # YES or NO
    choice: str


def distractor(case: QuizCase) -> str | None:
    """The case's first distractor neither containing the gold nor contained in it ("Bush",
    "George W. Bush": a quote naming one names the other), or None."""
    return next((d for d in case.distractors
                 if not names(case.gold, d) and not names(d, case.gold)), None)


def offering_choices(cases: Sequence[QuizCase]) -> list[QuizCase]:
    """Each case with a distractor, asked with it and the gold named (module docstring)."""
    offered = []
    for number, case in enumerate(cases):
        wrong = distractor(case)
        if wrong is None:
            continue
        pair = (case.gold, wrong) if number % 2 == 0 else (wrong, case.gold)
        question = f"{case.question.rstrip().rstrip('?').rstrip()}, {pair[0]} or {pair[1]}?"
        offered.append(replace(case, question=question, choices=(case.gold, wrong)))
    return offered


def yes_no_cases(cases: Sequence[QuizCase]) -> list[YesNoCase]:
    """Two yes-or-no questions per answerable case that can be turned: its gold (Yes) and its
    ``distractor`` (No)."""
    made: list[YesNoCase] = []
    for case in cases:
        if case.refuse:
            continue
        wrong = distractor(case)
        if wrong is None:
            continue
        for expected, choice in ((YES, case.gold), (NO, wrong)):
            question = turned(case.question, choice)
            if question is None:
                break
            made.append(YesNoCase(f"{case.id}-{expected.lower()}", question, case.day,
                                  expected, choice))
    return made


def turned(question: str, choice: str) -> str | None:
    """``question`` asked as a yes-or-no question about ``choice``, or None when its form is
    not one of those turned (module docstring)."""
    sentences = [s.text.strip() for s in split_sentences(question) if s.text.strip()]
    if not sentences:
        return None
    scene, asking = sentences[:-1], sentences[-1]
    yes_no = _turned_sentence(asking, choice)
    return None if yes_no is None else " ".join([*scene, yes_no])


def _turned_sentence(asking: str, choice: str) -> str | None:
    if match := _WHO_AUXILIARY.match(asking):
        auxiliary, rest = match.groups()
        return f"{auxiliary.capitalize()} {choice} {rest}?"
    if match := _WHO.match(asking):
        return f"Is it {choice} who {match.group(1)}?"
    if match := _WHICH.match(asking):
        words = match.group(1).split()
        for at in range(1, min(len(words), 5)):
            word = words[at]
            if re.fullmatch(_AUXILIARY, word, re.IGNORECASE):
                following = words[at + 1] if at + 1 < len(words) else ""
                if not _PARTICIPLE.match(following):
                    return None  # inverted: "Which country is Pope Leo XIV from?"
                return f"Is it {choice} that {' '.join(words[at:])}?"
            if word.lower() in _IRREGULAR_PAST or re.fullmatch(r"\w+(?:ed|ly)", word):
                return f"Is it {choice} that {' '.join(words[at:])}?"
    return None


def said(answer: Answer) -> str | None:
    """The verdict the answer opens with, or None (quotes alone, a refusal)."""
    if answer.refused:
        return None
    word, _ = split_verdict(answer.text)
    return word


@dataclass(frozen=True)
class YesNoScore:
    case: YesNoCase
    answer: Answer

    @property
    def verdict(self) -> str | None:
        return said(self.answer)

    @property
    def right(self) -> bool:
        return self.verdict == self.case.expected

    @property
    def wrong(self) -> bool:
        return self.verdict is not None and self.verdict != self.case.expected

    def to_json(self) -> dict[str, Any]:
        return {"id": self.case.id, "question": self.case.question,
                "expected": self.case.expected, "said": self.verdict, "right": self.right,
                "answer": self.answer.text, "total_ms": round(self.answer.timings.total, 1)}


@dataclass(frozen=True)
class YesNoMetrics:
    questions: int
    yes_right: float  # of the Yes questions, answered Yes
    no_right: float  # of the No questions, answered No
    wrong: float  # of all: the opposite verdict
    unsettled: float  # of all: no verdict
    p50_ms: float

    def to_json(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in vars(self).items()}


def yes_no_metrics(scores: Sequence[YesNoScore]) -> YesNoMetrics:
    yes = [s for s in scores if s.case.expected == YES]
    no = [s for s in scores if s.case.expected == NO]
    return YesNoMetrics(
        questions=len(scores),
        yes_right=share(sum(s.right for s in yes), len(yes)),
        no_right=share(sum(s.right for s in no), len(no)),
        wrong=share(sum(s.wrong for s in scores), len(scores)),
        unsettled=share(sum(s.verdict is None for s in scores), len(scores)),
        p50_ms=percentile([s.answer.timings.total for s in scores], 50))


def run_yes_no(answer: DatedAnswerFn, cases: Sequence[YesNoCase],
               progress: Callable[[int, int], None] | None = None) -> list[YesNoScore]:
    """Ask each yes-or-no question from articles dated on or before its day, and score it."""
    return [YesNoScore(case, given)
            for case, given in zip(cases, ask_dated(answer, cases, progress), strict=True)]
