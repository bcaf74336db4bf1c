"""Telling the reader the sources disagree: one sentence after the answer, citing each side
with its date ("Sources differ: one article (2025-02-17) says “2.1 million tonnes” [1];
another (2025-02-24) says “2.6 million tonnes” [2]."). Both backends add it the same way,
after their answer is made and checked, so a model never has to be trusted to mention it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.answering.citations import citation_of
from bot.answering.evidence.conflicts import Conflict, Side
from bot.answering.retrieval import RetrievedChunk
from bot.models import Answer, Citation

PREFIX = "Sources differ:"


def with_conflict(answer: Answer, conflict: Conflict | None,
                  chunks: Sequence[RetrievedChunk]) -> Answer:
    """``answer`` with the sentence naming both sides of ``conflict``, each cited (a side
    already cited keeps its number; its sentence joins the quote). Unchanged for a refusal,
    no conflict, or a side its chunk does not state verbatim (the usual citation check: a
    quote is the source's own words)."""
    if conflict is None or answer.refused:
        return answer
    citations = list(answer.citations)
    numbers: list[int] = []
    for side in (conflict.first, conflict.second):
        if not 0 < side.source <= len(chunks):
            return answer
        chunk = chunks[side.source - 1]
        if side.sentence not in chunk.chunk.text or side.value not in side.sentence:
            return answer
        numbers.append(_cite(citations, chunk, side.sentence))
    if numbers[0] == numbers[1]:
        return answer  # one article both ways: not two sources
    first, second = conflict.first, conflict.second
    sentence = (f"{PREFIX} {_label(citations, numbers[0], 'one article')} ({_day(first)}) "
                f"says “{first.value}” [{numbers[0]}]; "
                f"{_label(citations, numbers[1], 'another')} ({_day(second)}) "
                f"says “{second.value}” [{numbers[1]}].")
    return replace(answer, text=f"{answer.text}\n{sentence}", citations=tuple(citations))


def _cite(citations: list[Citation], chunk: RetrievedChunk, sentence: str) -> int:
    """The number of ``chunk``'s article among ``citations``, added when it is not there."""
    article = chunk.chunk.article_id
    for i, citation in enumerate(citations):
        if (citation.article_id or citation.file) == article:
            if sentence not in citation.quote:
                quote = f"{citation.quote} … {sentence}" if citation.quote else sentence
                citations[i] = replace(citation, quote=quote)
            return citation.n
    n = max((c.n for c in citations), default=0) + 1
    citations.append(citation_of(n, [chunk], sentence))
    return n


def _label(citations: list[Citation], n: int, fallback: str) -> str:
    site = next(c.site for c in citations if c.n == n)
    return site or fallback


def _day(side: Side) -> str:
    return side.date or "undated"
