"""What the model is shown: the retrieved chunks trimmed to the sentences the extractive rules
weighed, duplicates merged.

Why not whole chunks: on CPU, prefill is nearly all of an answer's time (Qwen2.5-Coder 1.5B on
2 cores: 846 prompt tokens, 31 s to the first token; docs/evaluation.md), and a small model
loses the answering sentence among five chunks of text. The weighed sentences are the few with
the best keyword overlap and embedding similarity; the extractive answer, picked from them,
holds the expected facts for 0.886 of the golden questions, so the answer is nearly always
among them. LlamaIndex's ``SentenceEmbeddingOptimizer`` trims nodes the same way but embeds
every sentence again; these are already embedded and scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.answering.extractive.selection import Candidate, near_duplicate
from bot.answering.retrieval import RetrievedChunk
from bot.answering.sentences import split_sentences


def evidence_sources(chunks: Sequence[RetrievedChunk],
                     sentences: Sequence[Candidate]) -> list[RetrievedChunk]:
    """One source per chunk that has a weighed sentence, in retrieval order, holding only
    those sentences (in the article's order). A sentence repeated across articles
    (syndicated copies) is kept once, under the better-scored one."""
    kept: list[Candidate] = []
    for candidate in sentences:  # best first, so a duplicate keeps the better copy
        if not any(near_duplicate(candidate, other) for other in kept):
            kept.append(candidate)
    by_source: dict[int, list[str]] = {}
    for candidate in kept:
        by_source.setdefault(candidate.source, []).append(candidate.text)
    trimmed: list[RetrievedChunk] = []
    for number in sorted(by_source):
        retrieved = chunks[number - 1]
        text = retrieved.chunk.text
        in_order = sorted(by_source[number], key=text.find)
        trimmed.append(replace(retrieved, chunk=replace(retrieved.chunk, text=" ".join(in_order))))
    return trimmed


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
