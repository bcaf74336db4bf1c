"""Yes-or-no questions answered Yes or No, when a quoted sentence settles them.

"Has Putin agreed to the 30-day ceasefire?" asks for a verdict, not for quotes. Without a model
that reads, the rules give one only when a chosen sentence states the question's whole claim:
every content word of the asking sentence (stemmed, names cut to ``Tuning.stem_chars`` letters
so "Russian" finds "Russia"; time words aside, "this week", "recently": the date range holds
them) is in it. Then it is "Yes", or "No" when a negation ("not",
"refused", "rejected", "denied") stands among those words. A sentence that states only part of
the claim settles nothing: the quotes are shown as they are and the reader judges. Two chosen
sentences that settle it opposite ways settle nothing either.

The LLM backend asks the model itself for the verdict (``prompts/answer_yes_no.txt``) and
checks the sentences after it like any other (``llm/grounding.py``).

A question that offers alternatives ("current or former president?") asks to choose, not
yes or no; one that is itself negated ("Didn't …", "Is it not …") is left alone, since "Yes"
to it is ambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.dates import without_span_words
from ingest.text_terms import terms

YES, NO = "Yes", "No"

_AUXILIARY = (r"(?:is|are|was|were|am|do|does|did|has|have|had|will|would|can|could|should|"
              r"shall|may|might|must)")
_ASKS = re.compile(rf"^\W*{_AUXILIARY}\s+(?=\w)", re.IGNORECASE)
_ALTERNATIVES = re.compile(r"\bor\b|\bwhether\b", re.IGNORECASE)
_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|none|nobody|nothing|cannot|refus\w*|reject\w*|"
    r"den(?:y|ies|ied|ying)|declin\w*|\w+n['’]t)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
# "Yes, …" or "No. …" opening a reply: the verdict, apart from the sentence it introduces.
# Punctuation must follow: "No one was hurt" and "No article says so" open with no verdict.
_VERDICT = re.compile(r"^\W*(yes|no)\s*[,.;:!—–-][\s,.;:!—–-]*", re.IGNORECASE)


def opens_with_auxiliary(asked: str) -> bool:
    """Whether the asking sentence opens as a yes-or-no question does ("Has …", "Did …")."""
    return bool(_ASKS.match(asked))


def asks_yes_no(asked: str) -> bool:
    """Whether the asking sentence ``asked`` wants a yes or a no: it opens with an auxiliary
    ("Has …", "Is …", "Did …"), offers no alternatives and is not itself negated."""
    return opens_with_auxiliary(asked) and not _ALTERNATIVES.search(asked) \
        and not _NEGATION.search(asked)


def verdict(asked: str, sentences: Sequence[str], stem_chars: int,
            missing: int = 0) -> str | None:
    """``YES`` or ``NO`` when one of ``sentences`` states the whole claim of the yes-or-no
    question ``asked`` (all but ``missing`` of its words), and none settles it the other way;
    None when none settles it."""
    if not asks_yes_no(asked):
        return None
    # The claim, its time aside: the date range already holds the answer to "this week".
    claim = {word[:stem_chars] for word in terms(without_span_words(_ASKS.sub("", asked)))}
    if len(claim) <= missing:
        return None
    found = {v for v in (_settles(claim, sentence, stem_chars, missing)
                         for sentence in sentences) if v}
    return found.pop() if len(found) == 1 else None


def negated(text: str) -> bool:
    """Whether ``text`` holds a negation ("not", "never", "refused", "didn't")."""
    return bool(_NEGATION.search(text))


def consistent(word: str, asked: str, sentences: Sequence[str], stem_chars: int) -> bool:
    """Whether a model's verdict ``word`` agrees with the sentences it wrote after it: "No.
    The Detroit Lions have played the most games on Thanksgiving Day" says Yes in words. A
    sentence missing one word of the claim counts ("No. The very last penny was minted on
    Wednesday", asked whether the penny "was minted for the last time"): this only ever takes
    a verdict away. A reply whose sentences settle nothing is taken at its word."""
    said = verdict(asked, sentences, stem_chars, missing=1)
    return said is None or said == word


def _settles(claim: set[str], sentence: str, stem_chars: int, missing: int = 0) -> str | None:
    """``YES``/``NO`` when ``sentence`` holds every word of ``claim`` but ``missing``, negated
    or not among them; else None."""
    words = _WORD.findall(sentence)
    positions: dict[str, int] = {}
    for position, word in enumerate(words):
        for stem in terms(word):
            positions.setdefault(stem[:stem_chars], position)
    held = claim & positions.keys()
    if len(claim - held) > missing:
        return None
    first, last = min(positions[w] for w in held), max(positions[w] for w in held)
    # A negation among the claim's words ("Putin has not agreed to the ceasefire"); not one
    # before them, which is another subject's ("Lincoln wasn't the first to issue a
    # Thanksgiving proclamation — George Washington did").
    span = " ".join(words[first:last + 1])
    return NO if _NEGATION.search(span) else YES


def split_verdict(reply: str) -> tuple[str | None, str]:
    """A reply's opening "Yes"/"No" (normalised), and the rest, a sentence of its own (its
    first letter a capital: the model wrote it after "Yes,"): grounding checks the rest, the
    verdict is a word no source states."""
    match = _VERDICT.match(reply)
    if not match:
        return None, reply
    word = YES if match.group(1).lower() == "yes" else NO
    rest = reply[match.end():]
    return word, rest[:1].upper() + rest[1:]


def with_lead(word: str | None, text: str) -> str:
    """``text`` opened by what it settles, ``word`` (a verdict, "Yes. …", or the alternative
    chosen, "California. …"), or as it is."""
    return f"{word}. {text}" if word and text else text
