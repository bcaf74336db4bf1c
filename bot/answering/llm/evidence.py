"""What the model is shown: the retrieved chunks trimmed to the sentences the extractive rules
chose to quote (one to three), duplicates merged; the whole passages for a second look.

Why not whole chunks: on CPU, prefill is nearly all of an answer's time (Qwen2.5-Coder 1.5B on
2 cores: 846 prompt tokens, 31 s to the first token; docs/evaluation.md), and a small model
loses the answering sentence among five chunks of text. Why the chosen sentences and not all
six the rules weighed: the extractive answer, which quotes them, holds the expected facts for
0.886 of the golden questions, and on the six the 1.5B model picked a wrong one more often
(fact accuracy 0.773 against 0.841 on the chosen ones; first token 4.7 s against 2.4 s). When
they do not answer, the model says so and gets the whole passages (``whole_passages``).
LlamaIndex's ``SentenceEmbeddingOptimizer`` trims nodes the same way but embeds every sentence
again; these are already embedded and scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.answering.extractive.selection import Candidate
from bot.answering.retrieval import RetrievedChunk
from bot.answering.sentences import split_sentences


def evidence_sources(chunks: Sequence[RetrievedChunk],
                     sentences: Sequence[Candidate]) -> list[RetrievedChunk]:
    """One source per chunk that has a chosen sentence, holding only those sentences (in the
    article's order); the source of the best sentence first, since a small model leans on the
    first source it reads. (The chosen sentences are already free of syndicated repeats.)"""
    by_source: dict[int, list[str]] = {}
    for candidate in sentences:  # best first
        by_source.setdefault(candidate.source, []).append(candidate.text)
    trimmed: list[RetrievedChunk] = []
    for number, chosen in by_source.items():
        retrieved = chunks[number - 1]
        in_order = sorted(chosen, key=retrieved.chunk.text.find)
        trimmed.append(replace(retrieved, chunk=replace(retrieved.chunk, text=" ".join(in_order))))
    return trimmed


def newest_article_only(sentences: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """For a "latest"/"current" question: the chosen sentences of the newest dated article,
    when the chosen come from articles of different dates. The extractive answer shows every
    one with its date and lets the reader compare; the 1.5B model, told to prefer the newest
    source and shown the dates, still answered from the older article in 4 of 4 such questions
    of the news set (docs/evaluation.md). Undated or same-day sentences are kept as they are."""
    newest = max((c.date for c in sentences), default="")
    if not newest or len({c.date for c in sentences}) < 2:
        return tuple(sentences)
    return tuple(c for c in sentences if c.date == newest)


def whole_passages(chunks: Sequence[RetrievedChunk]) -> list[RetrievedChunk]:
    """The retrieved chunks whole, for a second look when the evidence did not answer; a
    sentence an earlier chunk already holds (a syndicated copy) is left out."""
    seen: set[str] = set()
    passages: list[RetrievedChunk] = []
    for retrieved in chunks:
        kept = []
        for sentence in split_sentences(retrieved.chunk.text):
            key = " ".join(sentence.text.lower().split())
            if key and key not in seen:
                seen.add(key)
                kept.append(sentence.text)
        if kept:
            passages.append(replace(retrieved, chunk=replace(retrieved.chunk,
                                                             text=" ".join(kept))))
    return passages
