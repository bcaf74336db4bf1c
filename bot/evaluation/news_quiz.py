"""News-quiz sets: multiple-choice news questions asked open-ended, on news nobody here wrote.

The format is RealTimeQA's (Kasai et al., NeurIPS 2023), as laid out in
``../shared/bench/realtimeqa_dev``: a ``questions.json`` list of ``{id, question, date, choices,
gold, kind, gold_urls}`` and a corpus folder of articles (there one ``articles.jsonl``). Each
question is asked *without* its choices and answered only from articles dated on or before its
``date`` (what a reader on that day could have read). Scored as that set's README says:

- an answerable question is right when the answer names the gold choice and none of the other
  choices (the distractors); a refusal is a miss and a *false refusal*;
- a ``refuse`` question (none of its articles is in the corpus) is right only when refused;
- ``cites_gold_article``: an answer citing an article whose url is among the question's
  ``gold_urls`` (the search results the gold was found in);
- ``citation_support_independent``: the golden report's figure of the same name, by the same
  function (``metrics.independently_supported``: a citation counts when a sentence citing it
  passes the key-fact check against its quote), over the citations of every answer shown.

It measures; it is never tuned on. Its articles are used in place (never copied into the
repository: they belong to their publishers).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from bot.answering.markers import strip_markers
from bot.evaluation.golden import contains_phrase
from bot.evaluation.metrics import CitationCheck, citation_checks, percentile
from bot.models import Answer, DateRange
from ingest.errors import BadInputError
from ingest.text_terms import SMALL_NUMBER_WORDS, terms

ANSWERABLE = "answerable"
REFUSE = "refuse"


@dataclass(frozen=True)
class QuizCase:
    id: str
    question: str
    day: date  # answered only from articles dated on or before it
    choices: tuple[str, ...]
    gold: str
    refuse: bool
    gold_urls: frozenset[str] = field(default_factory=frozenset)

    @property
    def distractors(self) -> tuple[str, ...]:
        return tuple(c for c in self.choices if c != self.gold)


def is_quiz_set(path: Path) -> bool:
    """Whether ``path`` is a news-quiz set: a JSON list whose items carry ``choices``."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict) \
        and "choices" in data[0]


def load_quiz(path: Path) -> list[QuizCase]:
    """The cases of a quiz set; the first malformed one is a one-line ``BadInputError``."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(f"{path}: not a readable JSON quiz set ({exc})") from None
    if not isinstance(items, list):
        raise BadInputError(f"{path}: a quiz set is a JSON list of questions")
    cases = []
    for number, item in enumerate(items, start=1):
        named = item.get("id", "?") if isinstance(item, dict) else "?"
        where = f"{path}: question {number} ({named})"
        try:
            kind = str(item["kind"])
            if kind not in (ANSWERABLE, REFUSE):
                raise BadInputError(f"{where}: kind must be {ANSWERABLE!r} or {REFUSE!r}")
            cases.append(QuizCase(
                id=str(item["id"]), question=str(item["question"]).strip(),
                day=date.fromisoformat(str(item["date"])),
                choices=tuple(str(c) for c in item["choices"]), gold=str(item["gold"]),
                refuse=kind == REFUSE, gold_urls=frozenset(item.get("gold_urls") or ())))
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInputError(f"{where}: missing or malformed field ({exc})") from None
    return cases


def names(text: str, choice: str) -> bool:
    """Whether ``text`` names ``choice``: the phrase itself, or every content word of it
    (stemmed, as the keyword index reads words), so "Missouri and Texas" is named by "one
    from Missouri and another from Texas" and "Ben & Jerry’s" by "Ben & Jerry's"; or a
    name by its initials, an acronym spelled out (``_names_by_initials``)."""
    text, choice = _plain(text), _plain(choice)
    if contains_phrase(text, choice) or _names_by_initials(text, choice):
        return True
    wanted = set(terms(choice))
    return bool(wanted) and wanted <= set(terms(text))


# A name of two or more capitalised words ("United Kingdom", "British Broadcasting
# Corporation"): news writes it either way, spelled out or as its initials ("U.K.", "BBC").
_CAPITALISED_NAME = re.compile(
    r"\b[A-Z][a-z]+(?:\s+(?:of\s+|the\s+|and\s+)*[A-Z][a-z]+)+\b")
_ACRONYM = re.compile(r"(?:[A-Z]\.?){2,6}")
_SMALL_WORDS = frozenset({"of", "the", "and"})


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split() if word not in _SMALL_WORDS)


def _names_by_initials(text: str, choice: str) -> bool:
    """Whether ``text`` names ``choice`` by initials: a spelled-out choice by its acronym
    ("the U.K." names "United Kingdom"), an acronym choice spelled out ("British Broadcasting
    Corporation", "Leaders of the European Union" name "BBC", "EU"). Only a whole choice: a
    choice with other words is named by its words."""
    if _ACRONYM.fullmatch(choice):
        # Initials of consecutive capitalised words anywhere in a run of them.
        wanted = choice.replace(".", "")
        return any(wanted in _initials(m.group(0)) for m in _CAPITALISED_NAME.finditer(text))
    if _CAPITALISED_NAME.fullmatch(choice):
        dotted = r"\.?".join(_initials(choice))
        return re.search(rf"(?<![\w.]){dotted}\.?(?!\w)", text) is not None
    return False


def _plain(text: str) -> str:
    """Unicode composed the same way, curly quotes straight, numbers up to twenty as digits
    ("Ten inmates escaped" names the choice "10"), a number's thousands separators dropped
    ("$2,000" is one number, not a "2" and a "000"), citation markers out ("[3]" names no
    choice "3")."""
    plain = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    plain = _THOUSANDS.sub("", strip_markers(plain, " "))
    return _NUMBER_WORD.sub(lambda m: str(SMALL_NUMBER_WORDS.index(m.group(0).lower())), plain)


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_NUMBER_WORD = re.compile(rf"\b(?:{'|'.join(SMALL_NUMBER_WORDS)})\b", re.IGNORECASE)


_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


@dataclass(frozen=True)
class QuizScore:
    case: QuizCase
    answer: Answer

    @property
    def names_gold(self) -> bool:
        return names(self.answer.text, self.case.gold)

    @property
    def names_distractor(self) -> bool:
        return any(names(self.answer.text, d) for d in self.case.distractors
                   if not names(self.case.gold, d))  # "Bush" inside "George W. Bush"

    @property
    def right(self) -> bool:
        if self.case.refuse:
            return self.answer.refused
        return not self.answer.refused and self.names_gold and not self.names_distractor

    @property
    def cites_gold_article(self) -> bool:
        return any(c.url in self.case.gold_urls for c in self.answer.citations)

    @cached_property
    def citation_checks(self) -> list[CitationCheck]:
        """Each citation judged as golden's are (``bot.evaluation.metrics``), once: the count
        below and the JSON both read it."""
        return citation_checks(self.answer)

    @property
    def independently_supported(self) -> int:
        """Citations whose quote the key-fact check finds supporting a sentence citing them:
        the golden report's own count, so the two sets' ``citation_support_independent`` mean
        the same thing."""
        return sum(1 for check in self.citation_checks if check.key_facts)

    def to_json(self) -> dict[str, Any]:
        a = self.answer
        return {"id": self.case.id, "question": self.case.question,
                "date": self.case.day.isoformat(), "kind": REFUSE if self.case.refuse
                else ANSWERABLE, "gold": self.case.gold, "right": self.right,
                "refused": a.refused, "names_gold": self.names_gold,
                "names_distractor": self.names_distractor,
                "cites_gold_article": self.cites_gold_article,
                "citations": len(a.citations),
                "independently_supported": self.independently_supported, "answer": a.text,
                # As golden's cases list them: each citation's verdicts and the reason.
                "citation_checks": [c.to_json() for c in self.citation_checks],
                "cited": [{"title": c.title, "date": c.date, "url": c.url}
                          for c in a.citations],
                "total_ms": round(a.timings.total, 1),
                "first_token_ms": round(a.timings.first_token, 1)}


@dataclass(frozen=True)
class QuizMetrics:
    answerable: int
    to_refuse: int
    answerable_right: float
    refused_right: int  # refuse questions refused
    false_refusal_rate: float
    cites_gold_article: float  # of answerable questions answered
    p50_ms: float
    p95_ms: float
    first_token_p50_ms: float
    # Of the citations of every answer shown (refuse questions answered included, as golden's
    # ``citation_support_independent``): those the key-fact check finds supported.
    citation_support_independent: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in vars(self).items()}


def quiz_metrics(scores: Sequence[QuizScore]) -> QuizMetrics:
    answerable = [s for s in scores if not s.case.refuse]
    to_refuse = [s for s in scores if s.case.refuse]
    answered = [s for s in answerable if not s.answer.refused]
    shown = [s for s in scores if not s.answer.refused]
    times = [s.answer.timings.total for s in scores]
    firsts = [s.answer.timings.first_token for s in scores if s.answer.timings.first_token]
    return QuizMetrics(
        answerable=len(answerable), to_refuse=len(to_refuse),
        answerable_right=share(sum(s.right for s in answerable), len(answerable)),
        refused_right=sum(s.right for s in to_refuse),
        false_refusal_rate=share(len(answerable) - len(answered), len(answerable)),
        cites_gold_article=share(sum(s.cites_gold_article for s in answered), len(answered)),
        p50_ms=percentile(times, 50), p95_ms=percentile(times, 95),
        first_token_p50_ms=percentile(firsts, 50),
        citation_support_independent=share(sum(s.independently_supported for s in shown),
                                            sum(len(s.answer.citations) for s in shown)))


def share(part: float, whole: int) -> float:
    return part / whole if whole else 0.0


#: Asks one question limited to a date range (``NewsBot.answer`` or the baseline's).
DatedAnswerFn = Callable[[str, DateRange], Answer]


class DatedQuestion(Protocol):
    """A question asked as of a day (a quiz case, or one of its other forms)."""

    @property
    def question(self) -> str: ...

    @property
    def day(self) -> date: ...


def ask_dated(answer: DatedAnswerFn, cases: Sequence[DatedQuestion],
              progress: Callable[[int, int], None] | None = None) -> list[Answer]:
    """Each case's question answered from articles dated on or before its day, in order."""
    answers = []
    for done, case in enumerate(cases, start=1):
        answers.append(answer(case.question, DateRange(until=case.day)))
        if progress:
            progress(done, len(cases))
    return answers


def run_quiz(answer: DatedAnswerFn, cases: Sequence[QuizCase],
             progress: Callable[[int, int], None] | None = None) -> list[QuizScore]:
    """Ask each case open-ended, from articles dated on or before its day, and score it."""
    return [QuizScore(case, given)
            for case, given in zip(cases, ask_dated(answer, cases, progress), strict=True)]
