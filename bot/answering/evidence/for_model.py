"""What the model is shown. ``passage_windows`` (the default, "passages"): the retrieved
passages' best sentences with a sentence either side, within a token budget. ``evidence_sources``
("sentences"): the retrieved chunks trimmed to the sentences the extractive rules chose to quote
(one to three), duplicates merged, with the passages for a second look.

Why not whole chunks: on CPU, prefill is nearly all of an answer's time (Qwen2.5-Coder 1.5B on
2 cores: 846 prompt tokens, 31 s to the first token; docs/evaluation.md), and a small model
loses the answering sentence among five chunks of text. Why the chosen sentences and not all
six the rules weighed: the extractive answer, which quotes them, holds the expected facts for
0.886 of the golden questions, and on the six the 1.5B model picked a wrong one more often
(fact accuracy 0.773 against 0.841 on the chosen ones; first token 4.7 s against 2.4 s). When
they do not answer, the model says so and gets the passages (``passage_windows``).
LlamaIndex's ``SentenceEmbeddingOptimizer`` trims nodes the same way but embeds every sentence
again; these are already embedded and scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from bot.answering.evidence.selection import Candidate, blended, keyword_overlaps
from bot.answering.retrieval import RetrievedChunk
from bot.tuning import DEFAULTS, Tuning
from ingest.sentences import split_sentences
from ingest.text_terms import terms

if TYPE_CHECKING:
    from ingest.embedding import Encoder


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


def passage_windows(question: str, query_vector: np.ndarray, chunks: Sequence[RetrievedChunk],
                    encoder: Encoder, budget_tokens: int,
                    tuning: Tuning = DEFAULTS) -> list[RetrievedChunk]:
    """What a model reads to answer and to judge whether the articles answer at all: the
    retrieved passages, best sentences first with a sentence either side, within a token
    budget.

    Every sentence of every retrieved chunk is scored as the extractive rules score a
    candidate (embedding similarity blended with IDF keyword overlap); the best sentence
    brings its window, then the next best, until ``budget_tokens`` is spent. A sentence an
    earlier chunk already holds (a syndicated copy) is left out. A window is
    ``tuning.window_radius`` sentences either side; words are counted as
    ``tuning.tokens_per_word`` tokens each (no tokenizer loaded on the answer path). Each
    source keeps its chosen sentences in the article's order, "…" marking a gap, and sources
    come best first. Whole chunks would spend the budget on the parts of a passage that do
    not answer (on CPU every prompt token costs prefill time); the sentences alone lose who
    said it and when.
    """
    split = [[s.text for s in split_sentences(c.chunk.text)] for c in chunks]
    seen: set[str] = set()
    fresh: list[list[bool]] = []  # not a repeat of an earlier sentence
    for sentences in split:
        marks = []
        for text in sentences:
            key = " ".join(text.lower().split())
            marks.append(bool(key) and key not in seen)
            seen.add(key)
        fresh.append(marks)
    positions = [(i, j) for i, sentences in enumerate(split) for j in range(len(sentences))
                 if fresh[i][j]]
    if not positions:
        return []
    scores = _sentence_scores(question, query_vector,
                              [split[i][j] for i, j in positions], encoder, tuning)
    ranked = sorted(zip(scores, positions, strict=True), key=lambda item: -item[0])
    kept: dict[int, set[int]] = {}
    best_of: dict[int, float] = {}
    spent = 0.0
    for score, (i, j) in ranked:
        radius = tuning.window_radius
        window = [k for k in range(j - radius, j + radius + 1)
                  if 0 <= k < len(split[i]) and fresh[i][k] and k not in kept.get(i, set())]
        cost = sum(len(split[i][k].split()) for k in window) * tuning.tokens_per_word
        if spent + cost > budget_tokens and spent > 0:
            continue  # a smaller window further down may still fit
        spent += cost
        kept.setdefault(i, set()).update(window)
        best_of.setdefault(i, score)
    passages = []
    for i in sorted(kept, key=lambda i: -best_of[i]):
        retrieved = chunks[i]
        text = _with_gaps(split[i], sorted(kept[i]))
        passages.append(replace(retrieved, chunk=replace(retrieved.chunk, text=text)))
    return passages


def _sentence_scores(question: str, query_vector: np.ndarray, sentences: list[str],
                     encoder: Encoder, tuning: Tuning) -> list[float]:
    """Each sentence's score as an extractive candidate's: similarity and keyword overlap."""
    overlaps = keyword_overlaps(question, [frozenset(terms(s)) for s in sentences], tuning)
    similarity = encoder.encode(sentences) @ query_vector
    return [blended(float(dense), overlap, False, tuning)
            for dense, overlap in zip(similarity, overlaps, strict=True)]


def _with_gaps(sentences: list[str], chosen: list[int]) -> str:
    parts: list[str] = []
    for position, j in enumerate(chosen):
        if position and j != chosen[position - 1] + 1:
            parts.append("…")
        parts.append(sentences[j])
    return " ".join(parts)
