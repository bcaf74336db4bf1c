"""Sentence boundaries for news text, with offsets, so quotes stay verbatim.

Ingest splits chunks into sentences to embed them ahead of time (``ingest.sentence_vectors``)
and the answer path splits the same chunks to quote them: one splitter, so both find the same
sentences. It lives in ``ingest`` because ingest may not import ``bot``.

Why a regex and not nltk's punkt (which llama-index bundles): punkt loads in ~0.3 s and the
answer path splits only a few retrieved chunks; news sentences end in . ! ? or … optionally
followed by a closing quote, and lines are paragraphs, which this handles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The ``[n]`` citation marker (``bot.answering.markers`` re-exports it): an answer's sentence
# keeps its markers, so the splitter must know them. Non-capturing, for larger patterns.
MARKER_PATTERN = r"\[(?:[Ss]ources?\s*)?\d+(?:\s*,\s*\d+)*\]"

# A sentence ends at . ! ? … (plus closing quotes/brackets and citation markers like "[2]",
# which belong to the sentence they follow) followed by space and an opening quote, bracket,
# capital or digit; or at a line break (except inside hard-wrapped sentences).
_MARKERS = r"(?:\s*" + MARKER_PATTERN + r")*"
_CLOSING = re.compile(r"[\"'”’)\]]*" + _MARKERS)
_BOUNDARY = re.compile(
    r"(?<=[.!?…])[\"'”’)\]]*" + _MARKERS + r"\s+(?=[\"'“‘(A-Z0-9]|\[(?!\d))"
    # A line break ends a sentence unless the text was hard-wrapped mid-sentence: the line
    # runs on into a lower-case word.
    r"|\n+(?![ \t]*[a-z])")
# Abbreviations that end with a period but do not end a sentence.
_ABBREVIATIONS = re.compile(
    r"(\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Sen|Rep|Gov|Lt|Col|Sgt|Capt|No|vs|etc|Inc|Ltd|Co)"
    r"|\b[A-Z](?:\.[A-Z])*)\.$")
# News style abbreviates a month before a day ("Sept. 17", "Nov. 4, 2025"): the period ends
# neither the date nor the sentence. Only before a digit, since "in Jan. Then" may end one.
_MONTH_BEFORE_DAY = re.compile(r"\b(?:Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\.$")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offsets into the text it was split from
    end: int


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate_end = match.start()
        # Closing quotes belong to the sentence they close.
        closing = _CLOSING.match(text, candidate_end)
        end = candidate_end + (len(closing.group(0)) if closing else 0)
        piece = text[start:end]
        before = text[start:candidate_end].rstrip("\"'”’)]")
        if "\n" not in match.group(0) and (
            _ABBREVIATIONS.search(before)
            or (_MONTH_BEFORE_DAY.search(before) and text[match.end():][:1].isdigit())
            or _inside_quote(piece)
        ):
            continue  # "U.S. President", "Mr. Putin", or mid-quotation: not a boundary
        _append(sentences, text, start, end)
        start = match.end()
    _append(sentences, text, start, len(text))
    return sentences


def _inside_quote(piece: str) -> bool:
    """True if a double quotation opened in ``piece`` is still open at its end."""
    return piece.count("“") > piece.count("”") or piece.count('"') % 2 == 1


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    sentences.append(Sentence(stripped, start + lead, start + lead + len(stripped)))
