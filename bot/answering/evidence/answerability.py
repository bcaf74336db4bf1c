"""Cheap checks that a question can be answered from the corpus at all (extractive backend).

An extractive answer quotes the closest sentences, and close is not the same as answering:
"What did China say about the ceasefire?" retrieves ceasefire sentences that never mention
China. Without an LLM to notice, three general rules catch such questions:
- the question names something (a capitalised name) that no article mentions;
- the question asks "how many X" and no article mentions X;
- the question asks what came of a dated event ("the outcome of the call on Tuesday", "what
  did Putin say after the call on Tuesday?") and the articles, written before it, speak of
  that day only in the future tense ("will speak on Tuesday", "set to discuss", "scheduled for
  Tuesday"): they report the plan, not the outcome.
Words are compared as stemmed terms against the keyword index's vocabulary. News names
governments by their capitals ("London said…", "talks with Moscow"), so a capital counts as
known when its country is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.answering.evidence.answer_types import MONTH_NAME, WEEKDAY
from bot.tuning import DEFAULTS
from ingest.sentences import split_sentences
from ingest.text_terms import STOP_WORDS, terms

# Capitals that news writes for their governments → the words the country goes by.
_CAPITALS: dict[str, tuple[str, ...]] = {
    "London": ("Britain", "UK", "British"), "Washington": ("US", "America", "American"),
    "Moscow": ("Russia", "Russian"), "Kyiv": ("Ukraine", "Ukrainian"),
    "Kiev": ("Ukraine", "Ukrainian"), "Beijing": ("China", "Chinese"),
    "Paris": ("France", "French"), "Berlin": ("Germany", "German"),
    "Brussels": ("EU", "NATO"), "Tokyo": ("Japan", "Japanese"),
    "Ottawa": ("Canada", "Canadian"), "Rome": ("Italy", "Italian"),
    "Tehran": ("Iran", "Iranian"), "Ankara": ("Turkey", "Turkish"),
    "Jerusalem": ("Israel", "Israeli"), "Pyongyang": ("North Korea",),
    "Seoul": ("South Korea",), "Delhi": ("India", "Indian"), "Canberra": ("Australia",),
    "Warsaw": ("Poland", "Polish"), "Minsk": ("Belarus",),
}
_NAME = re.compile(r"\b[A-Z][\w’'-]*[A-Za-z]\b")
# "how many" and the words naming what is counted (up to the next stop word).
_HOW_MANY = re.compile(r"\bhow many ((?:[A-Za-z][\w-]*\s*){1,3})", re.IGNORECASE)


def unknown_subject(question: str, known: Callable[[str], bool], *,
                    time_words: bool = True) -> str | None:
    """A word of the question that ``known`` (the corpus's vocabulary, or the retrieved
    passages': ``passage_vocabulary``) lacks and that the answer hinges on. Without
    ``time_words`` a day or month name is no subject (passages seldom repeat the day a
    question names; a corpus that never names the month asked about cannot answer it). A
    hyphenated word ("US-brokered") is known when any of its parts is."""
    for match in _HOW_MANY.finditer(question):
        counted = []
        for word in match.group(1).split():
            if word.lower() in STOP_WORDS:
                break
            counted.append(word)
        # "how many global leaders": known if any of the words is (the head noun usually is).
        if counted and not any(_all_known(word, known) for word in counted):
            return " ".join(counted)
    first_word = re.match(r"\W*(\w+)", question)
    for match in _NAME.finditer(question):
        word = match.group(0)
        is_first = first_word is not None and match.start() == first_word.start(1)
        if is_first or word.lower() in STOP_WORDS or word == "I":
            continue
        if not time_words and _TIME_WORD.fullmatch(word):
            continue
        parts = word.split("-")
        if not any(_all_known(part, known) or _country_known(part, known) for part in parts):
            return word
    return None


_TIME_WORD = re.compile(rf"{WEEKDAY}|{MONTH_NAME}")
_DOTTED = re.compile(r"\b([A-Z])\.([A-Z])\.(?:([A-Z])\.)?")


def passage_vocabulary(texts: Iterable[str]) -> set[str]:
    """The terms of the passages, as ``unknown_subject`` reads words ("U.S." as "US")."""
    vocabulary: set[str] = set()
    for text in texts:
        vocabulary.update(terms(_DOTTED.sub(lambda m: "".join(g or "" for g in m.groups()),
                                            text)))
    return vocabulary


# Countries news names in several ways (short name, full name, demonym): any one of a group
# counts as known when another is.
_NAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("US", "USA", "America", "American", "Americans", "United States"),
    ("UK", "Britain", "British", "United Kingdom"),
    ("EU", "European Union", "Europe", "European"),
)
_OTHER_NAMES = {name: group for group in _NAME_GROUPS for name in group}


def _country_known(word: str, known: Callable[[str], bool]) -> bool:
    word = re.sub(r"[’']s$", "", word)
    others = _CAPITALS.get(word, ()) + _OTHER_NAMES.get(word, ())
    return any(_all_known(country, known) for country in others if country != word)


def _all_known(word: str, known: Callable[[str], bool]) -> bool:
    return all(known(term) for term in terms(word))


_WEEKDAY_OR_DATE = re.compile(rf"\b(?:{WEEKDAY}|tomorrow|{MONTH_NAME}\s\d{{1,2}})\b")
# A question about what already happened: its outcome, what was agreed or decided, or what
# followed the event ("what did Putin say after the call on Tuesday?").
_ASKS_OUTCOME = re.compile(
    r"\b(?:outcome|result|results|conclusion|happened|came of|come of|agreed|decided|"
    r"did (?:they|the two|both) (?:agree|decide)|"
    r"(?:after|following|since) (?:the|his|her|their|its|this|that)\s(?:[\w’'-]+\s){0,2}?"
    r"(?:call|conversation|meeting|talks|summit|visit|vote|speech))\b", re.IGNORECASE)
# Words that place a statement before the event: a plan, schedule or expectation.
_PLANNED = re.compile(
    r"\b(?:will|’ll|'ll|shall|plans?|planned|planning|set to|scheduled|expected to|due to|"
    r"to be held|upcoming|ahead of|prepares?|preparing|look(?:s|ing)? (?:very much )?forward|"
    r"going to|intends?|is to|are to)\b", re.IGNORECASE)


def only_planned(question: str, passages: Iterable[str],
                 share: float = DEFAULTS.planned_share,
                 min_sentences: int = DEFAULTS.planned_min_sentences) -> str | None:
    """The day an outcome question asks about, if the passages' sentences naming it (at least
    ``min_sentences``) only plan for it: at least ``share`` of them (``Tuning.planned_share``)
    speak of it as to come."""
    if not _ASKS_OUTCOME.search(question) or not _WEEKDAY_OR_DATE.search(question):
        return None  # most questions: no need to split the passages
    sentences = [s.text for passage in passages for s in split_sentences(passage)]
    for match in _WEEKDAY_OR_DATE.finditer(question):
        day = match.group(0)
        naming = {s for s in sentences if day.lower() in s.lower()}
        planned = [s for s in naming if _PLANNED.search(s)]
        if len(naming) >= min_sentences and len(planned) >= share * len(naming):
            return day
    return None
