"""A real model's reply, made resolvable before its markers become citations.

Small instruction-tuned models (measured with Qwen2.5-Coder 0.5B/1.5B, docs/evaluation.md) do
not write ``claim [n]`` reliably. They write markers *before* the sentence they support
(``[1] The talks were held… [2][3] Efforts…``), use ``(1)`` or ``(Source 1)``, answer with
markers and no words, refuse in their own words instead of the exact phrase, or repeat the
question back. This module turns the first two into the canonical form and recognises the rest,
so the synthesizer ties each quote to the right claim and never shows a non-answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.markers import MARKER, marker_numbers, strip_markers
from ingest.sentences import split_sentences
from ingest.text_terms import terms

# "(1)", "(1, 2)", "(Source 1)", "【1】", a bare "Source 2": markers in another dress (only
# numbers of real sources are taken, so "(2025)" or "(3 of 4)" stay text).
_OTHER_MARKER = re.compile(
    r"[(【]\s*(?:sources?\s*)?(\d+(?:\s*(?:,|and)\s*\d+)*)\s*[)】]"
    r"|(?<!\[)\bsources?\s+(\d+(?:\s*(?:,|and)\s*\d+)*)\b(?!\])", re.IGNORECASE)
_MARKER_RUN = re.compile(r"(?:\s*" + MARKER.pattern + r")+", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")
# Ways a model says the sources don't answer, beside the exact phrase the prompt asks for.
_REFUSAL = re.compile(
    r"\b(?:articles?|sources?|context|excerpts?|(?:provided|given) (?:text|information))\b"
    r"[^.]{0,60}?\b(?:do(?:es)?n[o’']t|do(?:es)? not|did not|didn[’']t|never|fail to)\b"
    r"[^.]{0,30}?\b(?:cover|mention|say|contain|provide|include|specify|state|discuss|give|"
    r"answer|address|report)"
    r"|\b(?:no|not enough|insufficient) (?:specific |relevant )?information\b"
    r"|\bI (?:cannot|can[’']t|am unable to|could not|couldn[’']t)\b"
    r"|\bnot (?:mentioned|specified|stated|covered) in the (?:articles?|sources?)\b",
    re.IGNORECASE)


def canonical_markers(text: str, sources: int) -> str:
    """``(1)``/``(Source 1)`` → ``[1]``, and markers written before their sentence moved after
    it, so every marker follows the claim it supports."""
    def bracket(match: re.Match[str]) -> str:
        listed = match.group(1) or match.group(2)
        numbers = [int(n) for n in re.split(r"\s*(?:,|and)\s*", listed)]
        if all(1 <= n <= sources for n in numbers):
            return "".join(f" [{n}]" for n in numbers)
        return match.group(0)

    text = _OTHER_MARKER.sub(bracket, text)
    if _MARKER_RUN.match(text.lstrip()):
        text = _markers_after_claims(text.strip())
    return _SPACES.sub(" ", text).strip()


def _markers_after_claims(text: str) -> str:
    """A reply that opens with markers cites *forwards*: each run of markers belongs to the
    sentence after it. Rewritten as ``sentence [n]`` so the resolver, which ties a marker to
    the text before it, quotes each source for its own claim."""
    pieces: list[str] = []
    pending: list[int] = []
    position = 0
    for match in _MARKER_RUN.finditer(text):
        claim = text[position:match.start()].strip()
        if claim:
            pieces.append(attach_markers(claim, pending))
            pending = []
        pending += marker_numbers(match.group(0))
        position = match.end()
    tail = text[position:].strip()
    if tail:
        pieces.append(attach_markers(tail, pending))
    elif pending and pieces:
        pieces[-1] = attach_markers(pieces[-1], pending)  # a closing run cites the last claim
    return " ".join(pieces)


def attach_markers(claim: str, numbers: Sequence[int]) -> str:
    """``claim`` with ``[n]`` markers for ``numbers`` before its closing punctuation."""
    if not numbers:
        return claim
    markers = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
    end = len(claim.rstrip(".!?…\"”’)"))
    return f"{claim[:end]} {markers}{claim[end:]}"


def is_refusal(text: str) -> bool:
    """True when the reply has sentences and every one says the sources don't answer (in any
    wording). A reply with no words is not a refusal but a non-answer (``lacks_substance``)."""
    refusing = _refusing_sentences(text)
    return bool(refusing) and all(refusing)


def adds_refusal(text: str) -> bool:
    """True for a reply that answers and also says the sources don't (``claim [1]. The
    articles don't cover this.``)."""
    refusing = _refusing_sentences(text)
    return len(refusing) > 1 and any(refusing) and not all(refusing)


def _refusing_sentences(text: str) -> list[bool]:
    """Per sentence of ``text`` (markers aside): whether it says the sources don't answer."""
    return [bool(_REFUSAL.search(s.text)) for s in split_sentences(strip_markers(text))
            if s.text.strip()]


def lacks_substance(text: str, question: str) -> bool:
    """True for a reply with no words beyond markers, or that only restates the question: it
    has no content word the question does not already have. A one-word answer ("Izvestia
    [2]") has substance."""
    return not set(terms(strip_markers(text))) - set(terms(question))


_VERDICT_NO = re.compile(r"\W*no\b", re.IGNORECASE)


def judged_unanswered(reply: str) -> bool:
    """Whether a model asked if the sources answer the question (``judge_messages``) said No.
    Anything else, an unclear reply included, leaves the question to be answered: the judge
    may take an answer away only when it says so."""
    return bool(_VERDICT_NO.match(reply))
