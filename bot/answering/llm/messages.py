"""The chat messages of the LLM path: numbered sources and the question in, and the prompt
that rewrites a follow-up into a standalone question. Prompt texts live in ``prompts/``."""

from __future__ import annotations

from collections.abc import Sequence

from bot.answering.evidence.alternatives import alternatives
from bot.answering.evidence.yes_no import asks_yes_no
from bot.answering.headlines import headline
from bot.answering.question_parts import asked_part
from bot.answering.retrieval import RetrievedChunk
from bot.models import Turn
from prompts import load_prompt

NOT_COVERED = "The articles don't cover this."
HISTORY_TURNS = 4


def format_sources(sources: Sequence[RetrievedChunk]) -> str:
    """``[n] Headline · date`` and the passage, per source. Labelled ``[n]`` because models
    cite in the form their sources are labelled (with "Source n (file: …)" headers, Qwen2.5
    1.5B answered "Source 2 [1]"); no file names or first-line titles, which cost prompt
    tokens and mean nothing to the model (docs/evaluation.md). The date is there so the model
    can tell an older report from a newer one when they disagree."""
    block = load_prompt("source_block")
    parts = []
    for n, source in enumerate(sources, start=1):
        known = [headline(source.chunk.title), source.chunk.article_field("date")]
        heading = " · ".join(part for part in known if part)
        parts.append(block.format(n=n, heading=f" {heading}" if heading else "",
                                  text=source.chunk.text))
    return "\n".join(parts)


def answer_messages(question: str, sources: Sequence[RetrievedChunk],
                    yes_no_hint: bool = True,
                    alternatives_hint: bool = True) -> list[dict[str, str]]:
    """The system rules, one worked example as a turn of the conversation, then the sources
    and question. The example shows the wanted form (a sentence that states the answer, its
    marker after it): with the form described in the rules alone ("like [1] or [2][3]"), the
    1.5B model answered 16 of 44 golden questions with markers and no words, often that very
    example (docs/evaluation.md). The rules and the example are the same for every question,
    so llama.cpp keeps their prefill in its cache and only the sources cost time. A yes-or-no
    question gets one more line after it, asking for the verdict first (``yes_no_hint``)."""
    question_block = load_prompt("answer_user").format(sources=format_sources(sources),
                                                       question=question)
    asked = asked_part(question)
    if yes_no_hint and asks_yes_no(asked):
        question_block += load_prompt("answer_yes_no")
    elif alternatives_hint and alternatives(asked):
        question_block += load_prompt("answer_alternatives")
    return [
        {"role": "system", "content": load_prompt("answer_system")},
        {"role": "user", "content": load_prompt("answer_example_question")},
        {"role": "assistant", "content": load_prompt("answer_example_reply")},
        {"role": "user", "content": question_block},
    ]


def judge_messages(question: str, sources: Sequence[RetrievedChunk]) -> list[dict[str, str]]:
    """The answer's messages with a last line asking only whether the sources answer it (Yes
    or No). Everything before that line is the answer prompt's own, up to the question, so
    llama.cpp keeps the sources' prefill in its cache for the answer that follows: judging
    costs the one line and a word, not a second reading."""
    messages = answer_messages(question, sources, yes_no_hint=False, alternatives_hint=False)
    last = messages[-1]
    messages[-1] = {**last, "content": f"{last['content']}\n{load_prompt('judge_answered')}"}
    return messages


def condense_messages(question: str, history: Sequence[Turn]) -> list[dict[str, str]]:
    lines: list[str] = []
    for turn in history[-HISTORY_TURNS:]:
        lines.append(f"User: {turn.question}")
        if turn.answer:
            lines.append(f"Assistant: {turn.answer}")
    prompt = load_prompt("condense").format(history="\n".join(lines), question=question)
    return [{"role": "user", "content": prompt}]
