"""Cheap checks that a question can be answered from the corpus at all (extractive backend).

An extractive answer quotes the closest sentences, and close is not the same as answering:
"What did China say about the ceasefire?" retrieves ceasefire sentences that never mention
China. Without an LLM to notice, two general rules catch such questions:
- the question names something (a capitalised name) that no article mentions;
- the question asks "how many X" and no article mentions X.
Words are compared as stemmed terms against the keyword index's vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.text_terms import STOP_WORDS, terms

_NAME = re.compile(r"\b[A-Z][\w’'-]*[A-Za-z]\b")
# "how many" and the words naming what is counted (up to the next stop word).
_HOW_MANY = re.compile(r"\bhow many ((?:[A-Za-z][\w-]*\s*){1,3})", re.IGNORECASE)


def unknown_subject(question: str, known: Callable[[str], bool]) -> str | None:
    """A word of the question that the corpus never mentions and that the answer hinges on."""
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
        if not _all_known(word, known):
            return word
    return None


def _all_known(word: str, known: Callable[[str], bool]) -> bool:
    return all(known(term) for term in terms(word))
