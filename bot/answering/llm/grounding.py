"""Every sentence of a model's reply tied to a source that supports it, or left out.

A small model follows "end each sentence with its source number" only part of the time.
Measured with Qwen2.5-Coder 1.5B on the golden set (docs/evaluation.md), its replies:
- leave correct sentences without a marker ("About 35 countries have agreed to supply
  weapons…"), which made the whole reply unusable and gave way to the quotes;
- cite the wrong one of two sources for a claim the other states;
- add "The articles don't cover this." after an answer, or an unsourced aside;
- say a source's headline back as a sentence ("Trump plans talks with Putin over truce [3].");
- name someone or something no source it was shown names ("according to British Foreign
  Secretary Dominic Raab", where the sources quote David Lammy).

So each sentence is checked against the sources the model was shown, with the support measure
the resolver and the evaluator use (``citations.support``: the share of the sentence's content
words in one source sentence). A marker whose source supports the sentence stays. A sentence
none of whose markers hold up, or that has none, cites the source that supports it best, if
that one clearly does (``Tuning.attach_threshold``, stricter than the resolver's bar, because
then the source is our choice, not the model's); otherwise the sentence is not shown. A
sentence that says the articles don't cover something is dropped from a reply that answers.
And a sentence is shown only if every name and number in it (a capitalised word past its
first, a figure) is in the sources it cites or in the question: word overlap alone lets a
wrong name through.
When another source names them all and states the sentence at least as well, it is cited
instead (the model wrote the wrong number); when only two sources together name them, the
sentence joins their facts and cites both. A day the model added that no source gives ("…
revised to 6.8 percent on May 9") is taken out and the rest of the sentence shown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

from bot.answering.citations import best_quote
from bot.answering.evidence.answer_types import (
    MONTH_NAME,
    WEEKDAY,
    AnswerType,
    question_type,
)
from bot.answering.headlines import is_title
from bot.answering.llm.reply import attach_markers, is_refusal
from bot.answering.markers import marker_numbers, strip_markers
from bot.answering.question_parts import question_parts
from bot.answering.retrieval import RetrievedChunk
from bot.tuning import DEFAULTS, Tuning
from ingest.sentences import split_sentences
from ingest.text_terms import terms

log = logging.getLogger(__name__)

# Its thresholds are ``bot.tuning.Tuning``'s: ``support_threshold`` (a cited source supports
# a sentence), ``attach_threshold`` (a sentence the model left uncited, or cited wrongly, is
# shown only if one source sentence holds at least half of its content words) and
# ``stem_chars`` (how names are compared).
_WORD = re.compile(r"[^\W_]+(?:[.,’'][^\W_]+)*")
_ENDED = re.compile(r"[.!?…][\"'”’)]+$")
# A phrase of time the model may add to a sentence: "on May 9", "in March 2025", "on Tuesday",
# "on 9 May". Not a bare year: "in 2000 cases" is not one.
_DAY_PHRASE = re.compile(
    rf",?\s+(?:on|in|since|until|by|as of)\s+(?:the\s+)?(?:"
    rf"(?:{WEEKDAY},?\s+)?{MONTH_NAME}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|(?:{WEEKDAY},?\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_NAME}(?:\s+\d{{4}})?"
    rf"|{MONTH_NAME}(?:\s+\d{{4}})?|{WEEKDAY})\b")
# What markers leave behind at the end of a sentence: "…, according to [1]", "…, [1]", or a
# list of them ("…, as stated in [1], [2], and [3]" leaves "as stated in , , and").
_LEFT_BY_MARKERS = re.compile(
    r"(?:,?\s*(?:according to|as (?:stated|mentioned|reported|noted|described) (?:in|by))"
    r"(?:\s+the)?(?:\s+(?:sources?|articles?))?)?(?:[\s,]|\b(?:and|or)\b)*$", re.IGNORECASE)


def ground(reply: str, sources: Sequence[RetrievedChunk], question: str = "",
           tuning: Tuning = DEFAULTS) -> str:
    """``reply`` with each sentence citing the sources that support it (see the module)."""
    stem_chars = tuning.stem_chars
    asked = _stems(terms(question), stem_chars)
    question_words = frozenset(terms(question))
    asks_when = any(question_type(q) is AnswerType.TIME
                    for q in (question, *question_parts(question, tuning.max_question_parts)))
    # What each source names, worked out once per reply. The headline counts: the model is
    # shown it and attributes to it ("according to Normans, part 1 of 13").
    named = {n: _stems(terms(f"{source.chunk.title} {source.chunk.text}"), stem_chars)
             for n, source in enumerate(sources, start=1)}
    kept: list[str] = []
    for sentence in split_sentences(reply):
        claim = strip_markers(sentence.text).strip()
        if not any(c.isalnum() for c in claim):
            continue  # a stray run of markers: its sentence was grounded on its own
        if is_refusal(claim):
            log.info("dropped a 'not covered' sentence from an answer: %r", claim[:120])
            continue
        # given=False: the model is shown a title only when it reads as a headline (messages.py).
        if any(is_title(claim, source.chunk.title, given=False) for source in sources):
            log.info("dropped a source's headline said back as a sentence: %r", claim[:120])
            continue
        scores = {n: best_quote([claim], source.chunk.text, question_words,
                                tuning.quote_max_chars)[1]
                  for n, source in enumerate(sources, start=1)}
        numbers = _supporting(marker_numbers(sentence.text), scores, tuning)
        if not numbers:
            log.info("dropped a sentence no source supports: %r", claim[:120])
            continue
        naming = _naming_sources(_specifics(claim, stem_chars) - asked, numbers, named, scores,
                                 tuning.support_threshold)
        if not naming and not asks_when:
            # "It was revised to 6.8 percent on May 9 [2]": the day is the model's own, the
            # rest the source's. Without the day the sentence may stand (not when the day is
            # what was asked: "took over the Kursk region in August 2021" without it answers
            # nothing).
            known = asked.union(*(named[n] for n in numbers))
            claim = _without_unnamed_days(claim, known, stem_chars)
            naming = _naming_sources(_specifics(claim, stem_chars) - asked, numbers, named,
                                     scores, tuning.support_threshold)
        numbers = naming
        if not numbers:
            log.info("dropped a sentence naming what no source it was shown names: %r",
                     claim[:120])
            continue
        kept.append(attach_markers(_tidy(claim), numbers))
    return " ".join(kept)


def _supporting(cited: Sequence[int], scores: dict[int, float], tuning: Tuning) -> list[int]:
    """The cited sources that support the claim (``scores``: source number → support);
    else the one that supports it best, if it clearly does; else none."""
    held = [n for n in dict.fromkeys(cited) if scores.get(n, 0.0) >= tuning.support_threshold]
    if held:
        return held
    best = max(scores, key=lambda n: scores[n], default=None)
    return [best] if best is not None and scores[best] >= tuning.attach_threshold else []


def _naming_sources(specifics: set[str], numbers: list[int], named: dict[int, set[str]],
                    scores: dict[int, float], support_threshold: float) -> list[int]:
    """The sources a claim should cite so that they name every one of its ``specifics``, or
    [] when the sources shown do not name them all. ``numbers``: the sources found to support
    it; ``named``: source number → what it names; ``scores``: source number → support.

    When the cited sources miss a name, another source that names them all and supports the
    claim at least as well is cited *instead*: the model wrote the wrong number ("Mark Carney
    [2]" where source 1 names him). Only when no single source names them all is the claim a
    join of two sources' facts, and the sources needed to name them are added."""
    missing = specifics - set().union(*(named[n] for n in numbers))
    if not missing:
        return list(numbers)
    floor = max(support_threshold, *(scores[n] for n in numbers))
    whole = [n for n in named if specifics <= named[n] and scores[n] >= floor]
    if whole:
        return [max(whole, key=lambda n: scores[n])]
    cited = list(numbers)
    for n in named:
        if missing and n not in cited and missing & named[n]:
            cited.append(n)
            missing -= named[n]
    return [] if missing else cited


def _without_unnamed_days(claim: str, known: set[str], stem_chars: int) -> str:
    """``claim`` without its phrases of time ("on May 9", ", on Tuesday") that name a day,
    month or year not in ``known`` (stems of what the sources and question name)."""
    def unnamed(match: re.Match[str]) -> str:
        return "" if _specifics(f"At {match.group()}", stem_chars) - known else match.group()

    return _DAY_PHRASE.sub(unnamed, claim)


def _specifics(claim: str, stem_chars: int) -> set[str]:
    """The names and figures of ``claim``: capitalised words after its first word, and
    numbers, as stems (see ``_stems``)."""
    words = _WORD.findall(claim)[1:]
    return _stems((t for word in words if word[0].isupper() or word[0].isdigit()
                   for t in terms(word)), stem_chars)


def _stems(words: Iterable[str], stem_chars: int) -> set[str]:
    """Words cut to their first ``stem_chars`` letters, so "Russian" finds "Russia" and
    "Ukrainian" "Ukraine" (the Snowball stemmer keeps such pairs apart)."""
    return {word[:stem_chars] for word in words}


def _tidy(claim: str) -> str:
    """The claim without what its markers left behind: "…, according to sources" or a comma
    before the end ("…about peace, [1].")."""
    claim = " ".join(claim.split())
    if _ENDED.search(claim):  # '… once and for all stop."': ended, and no marker left over
        return claim
    end = len(claim.rstrip(".!?… "))
    body, stop = claim[:end], claim[end:].strip()
    return _LEFT_BY_MARKERS.sub("", body) + (stop or ".")
