"""Does a quote support the sentence citing it? A check independent of ``support()``.

``bot.answering.citations.support`` (share of the claim's content words found in the quote)
decides which citations the engine keeps, so a metric computed with it again reads 1.0 by
construction. This module asks a different question: are the claim's *key facts* in the quote?
A key fact is what a reader would check first and what a loose citation gets wrong —

- every number (``48,000`` = ``48000``; number words ``two`` … ``twenty`` read as digits) and
  scale word (``million``, ``billion``: "14 million" is not "14 billion");
- every date word (months, weekdays);
- every proper name: a capitalised word not opening the sentence (or opening it as part of a
  longer name: "Elon Musk said"), and all-capital abbreviations (``NATO``, ``U.S.``);

— except those the question already says: "Elon Musk was offered a pay package worth $1
trillion" answering "Which CEO was offered a pay package worth $1 trillion?" must find
"Elon" and "Musk" in its quote, not "1" and "trillion". Plus a negation check: a claim that
negates ("did not", "never", "no") cited to a quote that negates nothing is unsupported.

Matching ignores case and word endings by Snowball stem prefix ("Ukrainian" matches
"Ukraine"). The rules are general (none names an evaluation case); their agreement with a
hand-labelled sample is measured by ``python -m bot.evaluation.support_agreement`` and written
in docs/evaluation.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.answering.markers import strip_markers
from bot.answering.sentences import split_sentences
from ingest.text_terms import STOP_WORDS

_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?")
_NUMBER_WORDS = {
    word: str(value) for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())
}
_SCALES = frozenset("hundred thousand million billion trillion percent".split())
_DATE_WORDS = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split())
# "May" is a month and a verb: only a capitalised "May" not opening the sentence is a date.
_AMBIGUOUS_DATES = frozenset({"may", "march"})
_NEGATIONS = frozenset(
    "not no never none nobody nothing neither nor cannot without".split())
# Capitalised words that open clauses or titles rather than name anyone.
_NOT_NAMES = STOP_WORDS | _NEGATIONS | frozenset(
    "according however meanwhile mr mrs ms dr yes".split())


@dataclass(frozen=True)
class KeyFactVerdict:
    """Whether the quote supports the claim, and if not, why (one line)."""

    supported: bool
    reason: str = ""


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer  # PyStemmer, already the keyword index's stemmer

    return Stemmer.Stemmer("english")


def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))  # type: ignore[attr-defined]


def _normalise(token: str) -> str:
    """One spelling per fact: lower case, no possessive, no thousands separators, abbreviation
    dots dropped ("U.S." → "us"), number words as digits."""
    word = token.replace("’", "'").split("'")[0].lower()
    if word[:1].isdigit():
        word = word.replace(",", "")
        return word.rstrip("0").rstrip(".") if "." in word else word
    word = word.replace(".", "")
    return _NUMBER_WORDS.get(word, word)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(strip_markers(text, " "))


def key_facts(claim: str) -> list[str]:
    """The claim's key facts, normalised, in order (numbers, scales, dates, names)."""
    facts: list[str] = []
    for sentence in split_sentences(strip_markers(claim, " ")):
        tokens = _tokens(sentence.text)
        facts += [_normalise(token) for i, token in enumerate(tokens) if _is_key_fact(tokens, i)]
    return list(dict.fromkeys(facts))


def _is_key_fact(tokens: list[str], i: int) -> bool:
    token, word = tokens[i], _normalise(tokens[i])
    opens = i == 0
    capital = token[:1].isupper()
    if word[:1].isdigit() or word in _SCALES:
        return True
    if word in _DATE_WORDS:
        return word not in _AMBIGUOUS_DATES or (capital and not opens)
    if not capital or word in _NOT_NAMES or len(word) < 2:
        return False
    # A capitalised first word is a name only inside a longer one ("Elon Musk said") or as an
    # abbreviation ("NATO said"); "Officials said" opens with a capital by grammar alone.
    next_capital = i + 1 < len(tokens) and tokens[i + 1][:1].isupper()
    return not opens or next_capital or token.isupper()


def _found(fact: str, words: frozenset[str]) -> bool:
    """A fact is in a text when one of its words equals it or, for words, when the stem of
    one begins the other ("ukraine" → "ukrain", which begins "ukrainian", and "russia" begins
    "russian"); numbers must match exactly."""
    if fact in words:
        return True
    if fact[:1].isdigit() or len(fact) < 4:
        return False
    stem = _stem(fact)
    return any(word.startswith(stem) or (len(word) >= 4 and fact.startswith(_stem(word)))
               for word in words if not word[:1].isdigit())


def _words(text: str) -> frozenset[str]:
    return frozenset(_normalise(token) for token in _tokens(text))


def _negates(words: frozenset[str], text: str) -> bool:
    return bool(words & _NEGATIONS) or bool(re.search(r"n['’]t\b", text, re.IGNORECASE))


def check_key_facts(claim: str, quote: str, question: str = "") -> KeyFactVerdict:
    """Whether ``quote`` states every key fact ``claim`` adds to ``question``, without a
    negation the quote lacks."""
    quote_words = _words(quote)
    asked = _words(question)
    missing = [fact for fact in key_facts(claim)
               if not _found(fact, asked) and not _found(fact, quote_words)]
    if missing:
        return KeyFactVerdict(False, "not in the quote: " + ", ".join(missing))
    claim_text = strip_markers(claim, " ")
    if _negates(_words(claim_text), claim_text) and not _negates(quote_words, quote):
        return KeyFactVerdict(False, "the claim negates, the quote does not")
    return KeyFactVerdict(True)
