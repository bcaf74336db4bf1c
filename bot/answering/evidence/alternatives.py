"""Questions that offer alternatives, answered by naming the one the articles support.

"Which state banned ultraprocessed foods in public schools, California or New York?", "Did the
Eagles or the Chiefs win Super Bowl LIX?", "Is Trump described as the current or the former
president?" ask to choose. The alternatives are read from the asking sentence: a list after its
last comma (", California or New York?"), else the words on either side of "or" (a run of
capitalised words, "the Eagles", or one word, "current") when the sentence opens as a
yes-or-no question does ("Did …", "Is …").

The quoting backend opens its answer with the alternative its quotes name when they name exactly
one of them ("California. …"); quotes naming both, or neither, settle nothing and are shown as
they are. The LLM backend asks the model to name the supported one first
(``prompts/answer_alternatives.txt``); its sentences are checked as any others, and a sentence
that repeats the question with one alternative chosen is an answer, not the question said back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.evidence.yes_no import opens_with_auxiliary
from ingest.text_terms import terms

_ARTICLE = r"(?:(?:the|a|an)\s+)?"
_MAX_WORDS = 6
_CLAUSE_START = re.compile(r"(?:and|but|so|then|is it|was it|did|does|do|is|was|were|are|will|"
                           r"would|has|have|had|can|could|should|who|what|which|when|where|why|how)\b",
                           re.IGNORECASE)
_CAPITALISED_RUN = r"[A-Z][\w’'&.-]*(?:\s+[A-Z][\w’'&.-]*)*"
_AROUND_OR = re.compile(
    rf"(?:{_ARTICLE}({_CAPITALISED_RUN})|(\w+))\s+or\s+{_ARTICLE}(?:({_CAPITALISED_RUN})|(\w+))")


def alternatives(asked: str) -> tuple[str, ...]:
    """The alternatives the asking sentence ``asked`` offers, or () when it offers none."""
    if not asked.rstrip().endswith("?") or not re.search(r"\bor\b", asked):
        return ()
    found = _listed(asked.strip().rstrip("?").rstrip())
    if not found:
        # In the middle of the sentence only a question asking yes or no of two things
        # chooses ("Did the Eagles or the Chiefs win …?"); "Which countries would lead or
        # supply …?" asks for the countries that do either.
        if not opens_with_auxiliary(asked):
            return ()
        around = _AROUND_OR.search(asked)
        if not around:
            return ()
        found = (around.group(1) or around.group(2), around.group(3) or around.group(4))
    found = tuple(re.sub(rf"^{_ARTICLE}", "", a, flags=re.IGNORECASE) for a in found)
    # Each must have a word of its own: "whether or not" offers nothing to choose.
    if any(not terms(a) for a in found) or len({frozenset(terms(a)) for a in found}) < 2:
        return ()
    return found


def _listed(asked: str) -> tuple[str, ...]:
    """The alternatives listed after the sentence's last clause: "…, California or New York",
    "…, Paris, Lyon or Nice", "…: the Eagles or the Chiefs". An alternative with a comma of
    its own ("Charlotte, North Carolina or Minneapolis, Minnesota") has one as long before the
    "or" as after it."""
    head, sep, last = asked.rpartition(" or ")
    pieces = re.split(r"[,:]", head)
    if not sep or len(pieces) < 2:
        return ()
    commas = last.count(",")
    if commas:
        # As many pieces before "or" as the last alternative has: the one before it.
        if len(pieces) < commas + 2:
            return ()
        listed = [",".join(pieces[-commas - 1:]).strip()]
    else:
        # The pieces before "or", back to the first that is a clause, not an item.
        listed = []
        for piece in reversed(pieces[1:]):
            if not _item(piece.strip()):
                break
            listed.insert(0, piece.strip())
    found = (*listed, last.strip())
    return found if listed and all(_item(a) for a in found) else ()


def _item(text: str) -> bool:
    """Whether ``text`` reads as an item of a list: a few words, not a clause ("and did
    Russia agree", "creating colorful displays visible across the world")."""
    return bool(text) and len(text.split()) <= _MAX_WORDS and not _CLAUSE_START.match(text)


def names(sentence: str, alternative: str) -> bool:
    """Whether ``sentence`` names ``alternative``: every content word of it."""
    return set(terms(alternative)) <= set(terms(sentence))


def chosen(offered: Sequence[str], sentences: Sequence[str]) -> str | None:
    """The one alternative ``sentences`` name, or None when they name none or several."""
    named = [a for a in offered if any(names(s, a) for s in sentences)]
    return named[0] if len(named) == 1 else None


def without_alternatives(asked: str, offered: Sequence[str]) -> str:
    """``asked`` with its alternatives taken out: what a reply must add words beyond, besides
    the one alternative it chooses."""
    for alternative in offered:
        asked = re.sub(re.escape(alternative), " ", asked, flags=re.IGNORECASE)
    return asked


def choice_cut(question: str, offered: Sequence[str]) -> str:
    """``question`` as it reads without the list of alternatives it ends with ("Which state
    banned them, California or New York?" → "Which state banned them?"); unchanged when it
    offers none or they stand inside the sentence ("Did the Eagles or the Chiefs win?")."""
    if not offered:
        return question
    # ``alternatives`` gives each without its article ("…: the Eagles or the Chiefs?").
    escaped = [_ARTICLE + re.escape(alternative) for alternative in offered]
    tail = re.compile(r"\s*[,:]\s*(?:either\s+)?" + r"(?:\s*,\s*|\s+or\s+|\s*,\s*or\s+)".join(
        escaped) + r"\s*(?P<end>[?.!]*)\s*$", re.IGNORECASE)
    match = tail.search(question)
    if match is None:
        return question
    return question[:match.start()] + (match.group("end") or "?")
