"""What kind of answer a question asks for, and whether a sentence contains one.

The extractive backend has no model that reads; it ranks sentences by similarity, and similar
is not the same as answering: "How long is the ceasefire?" is most similar to sentences about a
"long-lasting" peace, while the answer is the one with "30-day". Classic question answering
(before neural readers) closed that gap with answer types: "how long" wants a duration, "how
old" an age, "when" a time. Here they do two jobs:
- a sentence holding an answer of the asked type ranks higher (``bonus`` in the scorer);
- a question whose type is narrow (an age, a duration, a count, an amount of money) is refused
  when no retrieved sentence holds such a value at all: the articles cannot answer it, however
  similar they are.

Only what the question itself already says is discounted ("the 30-day ceasefire" in the
question does not make "30-day" an answer).
"""

from __future__ import annotations

import re
from enum import Enum

_NUMBER_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|trillion|dozens?|"
    r"hundreds|thousands|millions|billions|several|a few|a couple of)")
_NUMBER = rf"(?:\d[\d,.]*|{_NUMBER_WORDS})"
_UNIT = r"(?:second|minute|hour|day|night|week|fortnight|month|year|decade|centur(?:y|ie))s?"
WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
MONTH_NAME = (r"(?:January|February|March|April|May|June|July|August|September|October|"
              r"November|December)")
# A month's name, or as news abbreviates it ("Sept.", "Nov").
MONTH = rf"(?:{MONTH_NAME}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"


class AnswerType(Enum):
    DURATION = "duration"
    AGE = "age"
    COUNT = "count"
    MONEY = "amount of money"
    SIZE = "size"  # "how large/big/high/far": usually a number, but "how high are tensions?"
    TIME = "time"
    PERSON = "person"
    PLACE = "place"


# Narrow types: a sentence without such a value cannot answer the question.
NARROW = frozenset({AnswerType.DURATION, AnswerType.AGE, AnswerType.COUNT, AnswerType.MONEY})

_CURRENCY_WORDS = (r"(?:dollars?|euros?|pounds? sterling|pounds|roubles?|rubles?|yuan|yen|"
                   r"hryvnias?|francs?|rupees?)")

_QUESTION_TYPES: list[tuple[re.Pattern[str], AnswerType]] = [
    (re.compile(r"\bhow old\b|\b(?:what|which) age\b|\bat what age\b", re.I), AnswerType.AGE),
    (re.compile(rf"\bhow long\b|\bfor how many {_UNIT}\b|\bhow many {_UNIT}\b", re.I),
     AnswerType.DURATION),
    # Before COUNT: "how much will it cost" wants money, which a head count does not answer.
    (re.compile(r"\bhow much (?:money\b|(?:[\w’'-]+\s){0,6}?(?:cost|costs|spend|spent|pay|"
                r"paid|worth|charge|charged|raise|raised|owe|owes|invest|invested|fund|funded|"
                r"earn|earned)\b)|\bhow expensive\b|\bwhat (?:is|was|will be|would be) the "
                r"(?:price|budget|bill)\b", re.I), AnswerType.MONEY),
    (re.compile(r"\bhow (?:many|much)\b|\bwhat (?:number|percentage|proportion|share|amount)\b",
                re.I), AnswerType.COUNT),
    (re.compile(r"^\W*when\b|\b(?:what|which|in what) (?:day|date|year|month|time|century|"
                r"decade|period)\b|\bwhen (?:did|does|do|was|were|is|will)\b", re.I),
     AnswerType.TIME),
    (re.compile(r"\bhow (?:large|big|high|far|fast|tall|deep|wide)\b", re.I), AnswerType.SIZE),
    (re.compile(r"^\W*(?:who|whom|whose)\b|\b(?:who|whom)\b", re.I), AnswerType.PERSON),
    (re.compile(r"^\W*where\b|\b(?:which|what) (?:country|countries|city|cities|town|region|"
                r"place|capital|state)\b|\bwhere (?:did|does|do|was|were|is|will)\b", re.I),
     AnswerType.PLACE),
]

_QUANTITY = re.compile(rf"\b{_NUMBER}\b|\b\d+%|[$€£]\s?\d", re.I)
_VALUE_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    AnswerType.DURATION: re.compile(
        rf"\b{_NUMBER}[- ]{_UNIT}\b|\b(?:for|over|within|after) (?:{_UNIT}|(?:a|an|several|"
        rf"many|some) {_UNIT})\b|\bsince (?:\d{{4}}|{MONTH}|{WEEKDAY}|last)\b"
        rf"|\b(?:until|till|through) (?:\d{{4}}|{MONTH}|the end of)\b", re.I),
    AnswerType.AGE: re.compile(
        r"\b\d{1,3}[- ]years?[- ]old\b|\baged? \d{1,3}\b|\bage of \d{1,3}\b|"
        r"[A-Z][a-z]+,\s\d{1,3},\s"),  # "Zelensky, 47, said…"
    AnswerType.COUNT: _QUANTITY,
    AnswerType.MONEY: re.compile(
        rf"[$€£¥₽]\s?\d|\b(?:US|USD|EUR|GBP)\s?\$?\d|\b{_NUMBER}(?:\s(?:million|billion|"
        rf"trillion|bn|m))?\s{_CURRENCY_WORDS}\b", re.I),
    AnswerType.SIZE: _QUANTITY,
    AnswerType.TIME: re.compile(
        rf"\b{WEEKDAY}\b|\b{MONTH}(?:\s\d{{1,2}})?\b|\b(?:1[0-9]|20)\d{{2}}s?\b|"
        rf"\b\d{{1,2}}(?:st|nd|rd|th) century\b|\b(?:yesterday|today|tomorrow|tonight|"
        rf"(?:last|next|this|earlier this|later this) (?:week|month|year|weekend|morning)|"
        rf"{_NUMBER} {_UNIT} (?:ago|later|earlier))\b", re.I),
    # Two or more capitalised words in a row, or a capitalised word after a title.
    AnswerType.PERSON: re.compile(
        r"\b[A-Z][a-z’'-]+(?:\s(?:[A-Z]\.|[A-Z][a-z’'-]+))+\b|"
        r"\b(?:Mr|Mrs|Ms|Dr|President|Minister|Secretary|spokesman|spokeswoman|spokesperson|"
        r"envoy|adviser|King|Queen|Duke|Pope)\.?\s[A-Z][a-z’'-]+\b"),
    AnswerType.PLACE: re.compile(
        r"\b(?:in|at|to|from|near|across|inside)\s(?:the\s)?[A-Z][\w’'-]+"),
}


def question_type(question: str) -> AnswerType | None:
    """The kind of value ``question`` asks for, or None for open questions ("what", "why")."""
    for pattern, kind in _QUESTION_TYPES:
        if pattern.search(question):
            return kind
    return None


def holds_answer(sentence: str, kind: AnswerType, question: str) -> bool:
    """Whether ``sentence`` contains a value of ``kind`` that the question does not already say.
    """
    asked = question.lower()
    return any(match.group(0).lower() not in asked
               for match in _VALUE_PATTERNS[kind].finditer(sentence))
