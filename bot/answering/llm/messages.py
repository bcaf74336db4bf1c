"""The chat messages of the LLM path: numbered sources and the question in, and the prompt
that rewrites a follow-up into a standalone question. Prompt texts live in ``prompts/``."""

from __future__ import annotations

from collections.abc import Sequence

from bot.answering.headlines import headline
from bot.answering.retrieval import RetrievedChunk
from bot.models import Turn
from prompts import load_prompt

NOT_COVERED = "The articles don't cover this."
HISTORY_TURNS = 4


def format_sources(sources: Sequence[RetrievedChunk]) -> str:
    """``[n] Headline`` and the passage, per source. Labelled ``[n]`` because models cite in
    the form their sources are labelled (with "Source n (file: …)" headers, Qwen2.5 1.5B
    answered "Source 2 [1]"); no file names or first-line titles, which cost prompt tokens
    and mean nothing to the model (docs/evaluation.md)."""
    block = load_prompt("source_block")
    parts = []
    for n, source in enumerate(sources, start=1):
        title = headline(source.chunk.title)
        parts.append(block.format(n=n, title=f" {title}" if title else "",
                                  text=source.chunk.text))
    return "\n".join(parts)


def answer_messages(question: str, sources: Sequence[RetrievedChunk]) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": load_prompt("answer_system")},
        {"role": "user", "content": load_prompt("answer_user").format(
            sources=format_sources(sources), question=question)},
    ]


def condense_messages(question: str, history: Sequence[Turn]) -> list[dict[str, str]]:
    lines: list[str] = []
    for turn in history[-HISTORY_TURNS:]:
        lines.append(f"User: {turn.question}")
        if turn.answer:
            lines.append(f"Assistant: {turn.answer}")
    prompt = load_prompt("condense").format(history="\n".join(lines), question=question)
    return [{"role": "user", "content": prompt}]
