"""Sources that disagree: two near-top answer sentences, from different articles, that state
different values for the same thing (a figure, a name, a date, "President" against "Former
President").

Precision first: a "sources differ" note on an ordinary answer misleads more than a missed
disagreement. So a pair counts only when it is the same statement with one slot changed:

- **aligned**: the two sentences, word by word (``difflib.SequenceMatcher``, the standard
  library's longest-matching-block alignment; no dependency does this better for two short
  token lists), share most of their words (``Tuning.conflict_min_similarity``), differ in
  exactly one value slot — numbers against numbers, dates against dates, capitalised names
  against names, or a role word ("former", "acting") before the same title — and in at most
  ``Tuning.conflict_max_other_words`` other content words. Two slots changed (who *and*
  when) is another event, not a disagreement: "Trump spoke with Putin on Tuesday" / "… with
  Zelensky on Wednesday".
- **title**: the same titled name ("President Donald Trump") with a role word before it in
  one sentence and not in the other, however the rest is worded.

A disagreement is told only when it **bears on the question**: its kind of value is one the
question asks for (a "when" question is not told that two articles title a man differently;
an open question may be answered by any kind), and a title's disagreement only when the
question names the titled person or the title.

The detector reads only sentences; which ones to compare (the evidence's near-top
candidates, from different articles) is the gatherer's call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations

from bot.answering.evidence.answer_types import AnswerType, question_type
from bot.tuning import DEFAULTS, Tuning
from ingest.text_terms import STOP_WORDS

# The alignment's thresholds are ``Tuning.conflict_min_similarity`` (one statement) and
# ``Tuning.conflict_max_other_words`` (wording that may differ besides the value).
# Tokens of shared context shown either side of a value ("record 2.1 million tonnes of").
CONTEXT_BEFORE = 1
CONTEXT_AFTER = 2

_TOKEN = re.compile(r"[$€£]?\d(?:[\d,.]*\d)?%?|[^\W\d_]+(?:['’-][^\W\d_]+)*")
_MONTHS = frozenset("january february march april may june july august september october "
                    "november december jan feb mar apr jun jul aug sep sept oct nov dec".split())
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_SCALE = frozenset("hundred thousand million billion trillion percent per cent".split())
# Words that change a title's tense: "former President X" was, "President X" is.
ROLE_WORDS = frozenset("former ex late acting interim outgoing incoming then".split())
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
# The kinds of value that can answer each kind of question; an open question takes any.
_KINDS_ASKED: dict[AnswerType, frozenset[str]] = {
    AnswerType.AGE: frozenset({"number"}),
    AnswerType.COUNT: frozenset({"number"}),
    AnswerType.MONEY: frozenset({"number"}),
    AnswerType.SIZE: frozenset({"number"}),
    AnswerType.DURATION: frozenset({"number", "date"}),
    AnswerType.TIME: frozenset({"date"}),
    AnswerType.PERSON: frozenset({"name", "title"}),
    AnswerType.PLACE: frozenset({"name"}),
}


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        # "2,500" and "2500" are one figure.
        text = self.text.replace(",", "") if self.is_number else self.text
        return text.lower().replace("’", "'")

    @property
    def is_number(self) -> bool:
        return self.text[0].isdigit() or self.text[0] in "$€£"

    @property
    def is_date(self) -> bool:
        return self.key in _MONTHS or self.key in _WEEKDAYS or bool(_YEAR.fullmatch(self.text))

    @property
    def is_capitalised(self) -> bool:
        return self.text[0].isupper()


@dataclass(frozen=True)
class Side:
    """One article's statement: the sentence, the value it gives, and where it came from."""

    source: int  # 1-based number of the retrieved chunk the sentence is from
    sentence: str
    value: str  # the differing value with a little shared context, verbatim from the sentence
    date: str = ""  # the article's ISO date, "" when it has none


@dataclass(frozen=True)
class Conflict:
    """Two articles disagree; ``first`` is the older (an undated side comes first)."""

    kind: str  # "number", "date", "name" or "title"
    first: Side
    second: Side


@dataclass(frozen=True)
class Statement:
    """A sentence the detector may compare: its text, chunk number, article and date."""

    source: int
    text: str
    article: str
    date: str = ""


def tokens(sentence: str) -> list[Token]:
    return [Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(sentence)]


def find_conflict(anchors: Sequence[Statement], others: Sequence[Statement],
                  question: str = "", tuning: Tuning = DEFAULTS) -> Conflict | None:
    """The first disagreement between an ``anchors`` sentence (what the answer quotes) and
    another sentence of ``anchors`` or ``others`` (near-top candidates) from another article
    that bears on ``question`` (every one, without a question)."""
    pool = list(dict.fromkeys([*anchors, *others]))
    for a, b in combinations(pool, 2):
        if a.article == b.article or (a not in anchors and b not in anchors):
            continue
        found = disagreement(a.text, b.text, tuning)
        if found is not None and (not question or bears_on(*found, question)):
            kind, value_a, value_b = found
            first = Side(a.source, a.text, value_a, a.date)
            second = Side(b.source, b.text, value_b, b.date)
            if (second.date or "") < (first.date or ""):
                first, second = second, first
            return Conflict(kind, first, second)
    return None


def bears_on(kind: str, value_a: str, value_b: str, question: str) -> bool:
    """Whether a disagreement of ``kind`` between ``value_a`` and ``value_b`` answers part of
    ``question``: a kind of value it asks for, and for a title, the titled person named in
    the question (a word of the name, not of the title: "the presidency" is not "President
    Donald Trump")."""
    asked = question_type(question)
    if asked is not None and kind not in _KINDS_ASKED[asked]:
        return False
    if kind != "title":
        return True
    named = {t.key for value in (value_a, value_b)
             for t in [t for t in tokens(value) if t.is_capitalised and len(t.key) > 1][-2:]}
    asked_words = {t.key.split("'")[0] for t in tokens(question)}  # "Trump's" → "trump"
    return bool(named & asked_words)


def disagreement(a: str, b: str,
                 tuning: Tuning = DEFAULTS) -> tuple[str, str, str] | None:
    """``(kind, value in a, value in b)`` when ``a`` and ``b`` state different values for the
    same slot, else None."""
    return _aligned(a, b, tuning) or _title(a, b)


def _aligned(a: str, b: str, tuning: Tuning) -> tuple[str, str, str] | None:
    ta, tb = tokens(a), tokens(b)
    ka, kb = [t.key for t in ta], [t.key for t in tb]
    matcher = SequenceMatcher(None, ka, kb, autojunk=False)
    if not ta or not tb or matcher.ratio() < tuning.conflict_min_similarity:
        return None
    slots: list[tuple[str, int, int, int, int]] = []
    other_words = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        kind = _slot_kind(ta, i1, i2, tb, j1, j2)
        if kind is None:
            other_words += sum(_is_content(t) for t in [*ta[i1:i2], *tb[j1:j2]])
        else:
            slots.append((kind, i1, i2, j1, j2))
    if len(slots) != 1 or other_words > tuning.conflict_max_other_words:
        return None
    kind, i1, i2, j1, j2 = slots[0]
    return kind, _shown(a, ta, i1, i2), _shown(b, tb, j1, j2)


def _slot_kind(ta: list[Token], i1: int, i2: int,
               tb: list[Token], j1: int, j2: int) -> str | None:
    """What kind of value a differing stretch changes, or None for other wording."""
    left, right = ta[i1:i2], tb[j1:j2]
    if left and right:
        if _all(left, _is_number_part) and _all(right, _is_number_part) and \
                any(t.is_number for t in left) and any(t.is_number for t in right):
            return "number"
        if _all(left, lambda t: t.is_date or t.is_number) and \
                _all(right, lambda t: t.is_date or t.is_number) and \
                any(t.is_date for t in [*left, *right]):
            return "date"
        if i1 > 0 and j1 > 0 and _all(left, _is_name_part) and _all(right, _is_name_part):
            return "name"
        return None
    # One side adds words: a role word before a title ("former President") is a slot.
    added, after = (left, ta[i2:i2 + 1]) if left else (right, tb[j2:j2 + 1])
    if added and _all(added, lambda t: t.key in ROLE_WORDS) and after and \
            after[0].is_capitalised:
        return "title"
    return None


def _all(stretch: list[Token], test: Callable[[Token], bool]) -> bool:
    return all(test(t) for t in stretch)


def _is_number_part(token: Token) -> bool:
    return token.is_number or token.key in _SCALE


def _is_name_part(token: Token) -> bool:
    return token.is_capitalised and not token.is_date and token.key not in STOP_WORDS


def _is_content(token: Token) -> bool:
    return token.key not in STOP_WORDS and len(token.key) > 1


def _shown(sentence: str, toks: list[Token], i1: int, i2: int) -> str:
    """The changed stretch with a little context either side, verbatim from ``sentence``
    (for an insertion, the words it was inserted before)."""
    start = max(0, i1 - CONTEXT_BEFORE)
    end = min(len(toks), i2 + CONTEXT_AFTER)
    return sentence[toks[start].start:toks[end - 1].end]


def _title(a: str, b: str) -> tuple[str, str, str] | None:
    """The same titled name with a role word before it in one sentence only."""
    in_a, in_b = _titled_names(a), _titled_names(b)
    for name, (role_a, shown_a) in in_a.items():
        if name in in_b:
            role_b, shown_b = in_b[name]
            if role_a != role_b:
                return "title", shown_a, shown_b
    return None


def _titled_names(sentence: str) -> dict[str, tuple[bool, str]]:
    """Each "Title Given Family" run of three or more capitalised words (a title and a
    two-word name: "President Donald Trump"), keyed by its last three words, with whether a
    role word stands before it (over a few capitalised words: "former U.S. President"), and
    the words as written from the role word or the run's start."""
    found: dict[str, tuple[bool, str]] = {}
    toks = tokens(sentence)
    i = 0
    while i < len(toks):
        j = i
        while j < len(toks) and _in_title_run(toks[j]) and \
                (j == i or _adjacent(sentence, toks[j - 1], toks[j])):
            j += 1
        if j - i >= 3:
            key = " ".join(t.key for t in toks[j - 3:j])
            begin = i
            while begin > 0 and i - begin < 3 and _in_title_run(toks[begin - 1]) and \
                    _adjacent(sentence, toks[begin - 1], toks[begin]):
                begin -= 1  # "U.S." splits into capitalised letters
            role = begin > 0 and toks[begin - 1].key in ROLE_WORDS
            begin = begin - 1 if role else i
            found.setdefault(key, (role, sentence[toks[begin].start:toks[j - 1].end]))
        i = max(j, i + 1)
    return found


def _in_title_run(token: Token) -> bool:
    """A word of a titled name: capitalised, not a role word, and not a dateline's capitals
    ("WASHINGTON:"; short capitals such as "US" or "UK" are kept)."""
    if len(token.text) == 1:  # the letters of "U.S." (stop words to the term index)
        return token.is_capitalised
    return _is_name_part(token) and token.key not in ROLE_WORDS and \
        not (token.text.isupper() and len(token.text) > 3)


def _adjacent(sentence: str, left: Token, right: Token) -> bool:
    """Only spaces or an abbreviation's periods between two tokens ("U.S. President")."""
    return not sentence[left.end:right.start].strip(" .")
