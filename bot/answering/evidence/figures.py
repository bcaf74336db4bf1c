"""Figures a question identifies its story by, and whether the passages state them.

A news question often names its event by a figure: "A rare painting sold for $236 million at
auction this week", "recalled nearly 200,000 vehicles", "closed all stores after more than 60
years". Passages that never state that figure are about another story, however close their
words: the same reasoning as a name none of them mentions (``named_in_passages``), for numbers.
Numbers are compared by value, so "$236 million", "236 million dollars" and "$236,000,000" are
one figure, and so are "12" and "a dozen". A passage figure that rounds to the question's at the
question's precision states it ("$236 million" is stated by "$236.4 million", "200,000" by
"196,000": questions round silently), and a question that says it rounds ("nearly", "more
than", "about") accepts a passage figure within ``Tuning.figure_tolerance`` of its own as well.
The figure must be stated in a sentence sharing a content word with the question: the
evacuation of "almost 200,000 people" does not state a recall of "nearly 200,000 vehicles".

Not figures: years (dates are the date rules' job), days of a month ("Nov. 4"), ordinals
("4th") and numbers glued to a name ("G7", "COVID-19", "F-35"). A question's number below ten
names no story ("two teams", "3 years"): too common to tell one from another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.answering.evidence.answer_types import MONTH
from ingest.sentences import split_sentences
from ingest.text_terms import SMALL_NUMBER_WORDS, terms

_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
           "mn": 1e6, "bn": 1e9}
_NUMBER = re.compile(
    r"(?<![\w.,/-])(?P<money>[$€£])?\s?(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<decimals>\.\d+)?"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|mn)\b)?"
    r"(?P<after>[\w-]*)")
_AFTER_MONTH = re.compile(rf"{MONTH}\s?$", re.IGNORECASE)
_APPROXIMATE = re.compile(
    r"\b(?:nearly|almost|about|around|roughly|approximately|some|over|more than|less than|"
    r"fewer than|under|at least|up to|close to|upwards of|just over|just under)\s*$",
    re.IGNORECASE)
# Numbers news writes in words; "a dozen" is twelve.
_WORD_VALUES = {w: float(v) for v, w in enumerate(SMALL_NUMBER_WORDS)} | {
    "thirty": 30.0, "forty": 40.0, "fifty": 50.0, "sixty": 60.0, "seventy": 70.0,
    "eighty": 80.0, "ninety": 90.0, "hundred": 100.0, "a hundred": 100.0, "dozen": 12.0,
    "a dozen": 12.0}
_WORD_NUMBER = re.compile(
    rf"\b(?P<word>{'|'.join(sorted(_WORD_VALUES, key=len, reverse=True))})"
    r"(?:\s(?P<scale>thousand|million|billion|trillion))?\b", re.IGNORECASE)
_MIN_FIGURE = 10
_YEARS = range(1000, 2101)


@dataclass(frozen=True)
class Figure:
    text: str  # as the question writes it: "$236 million"
    value: float
    approximate: bool  # the question rounds it: "nearly 200,000"
    # Half a unit of its last non-zero digit: "236 million" is 235.5 to 236.5 million.
    precision: float = 0.0


def figures(text: str) -> list[Figure]:
    """The figures ``text`` states, in order (see the module's docstring for what is not)."""
    found: list[tuple[int, Figure]] = []
    for match in _NUMBER.finditer(text):
        if _is_date_or_name(text, match):
            continue
        found.append((match.start(), Figure(
            text[match.start():match.start("after")].strip(), _value(match),
            _rounded(text, match.start()), _precision(match))))
    for match in _WORD_NUMBER.finditer(text):
        scale = _scale(match)
        found.append((match.start(), Figure(
            match.group(0), _WORD_VALUES[match.group("word").lower()] * scale,
            _rounded(text, match.start()), 0.5 * scale)))
    return [figure for _, figure in sorted(found, key=lambda item: item[0])]


def _rounded(text: str, start: int) -> bool:
    """Whether the figure starting at ``start`` is said to be rounded ("nearly", "over")."""
    return bool(_APPROXIMATE.search(text[max(0, start - 20):start]))


def unstated_figure(question: str, passages: Iterable[str], tolerance: float) -> str | None:
    """The first figure of ``question`` that none of ``passages`` states in a sentence sharing
    a word with the question, or None."""
    asked = [f for f in figures(question) if f.value >= _MIN_FIGURE]
    if not asked:
        return None
    # A figure states the question's only in a sentence about something the question names:
    # "down from almost 200,000 people" does not state "recalled nearly 200,000 vehicles".
    wanted = {t for t in terms(question) if not t[:1].isdigit()}
    stated = [f.value for passage in passages for sentence in split_sentences(passage)
              if wanted & set(terms(sentence.text)) for f in figures(sentence.text)]
    for figure in asked:
        slack = max(figure.precision, tolerance * figure.value if figure.approximate else 0.0)
        if not any(abs(value - figure.value) <= slack + 1e-9 for value in stated):
            return figure.text
    return None


def _scale(match: re.Match[str]) -> float:
    scale = match.group("scale")
    return _SCALES[scale.lower()] if scale else 1.0


def _value(match: re.Match[str]) -> float:
    digits = match.group("digits").replace(",", "")
    return float(digits + (match.group("decimals") or "")) * _scale(match)


def _precision(match: re.Match[str]) -> float:
    digits = match.group("digits").replace(",", "")
    decimals = (match.group("decimals") or "")[1:].rstrip("0")
    unit = 10.0 ** -len(decimals) if decimals else 10.0 ** (len(digits) - len(digits.rstrip("0")))
    return unit / 2 * _scale(match)


def _is_date_or_name(text: str, match: re.Match[str]) -> bool:
    after = match.group("after")
    if after and not after.startswith("-"):
        return True  # "4th", "1990s", "2nd": an ordinal or glued to a word ("16-pound" is not)
    plain = not (match.group("money") or match.group("scale") or match.group("decimals")
                 or "," in match.group("digits"))
    if plain and int(match.group("digits")) in _YEARS:
        return True
    return bool(_AFTER_MONTH.search(text[max(0, match.start() - 12):match.start()]))
