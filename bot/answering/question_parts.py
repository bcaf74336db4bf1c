"""The parts of a compound question: "Where did X meet Y, and what did Z say?" asks two things.

Retrieval and sentence selection score text against the whole question, so the part whose
words the articles echo most wins every slot and the other part goes unanswered ("Where did US
delegates negotiate with the Ukrainians, and where did the US envoy hold talks with the Russian
side?" retrieved five chunks about the first talks and none naming the second place). Each part
is therefore looked up on its own and the parts take turns: at the retrieval slots
(``retrieval.take_turns``), then at the quoted sentences (``selection._in_turns``). It is the
idea of LlamaIndex's ``SubQuestionQueryEngine`` without its LLM: the extractive default has
none to write sub-questions, and the answer path does not import llama-index (2 s). Fusing the
parts' rankings with the whole question's in one reciprocal-rank fusion (RAG-Fusion) was tried
first: chunks half-matching every ranking outscored the one each part needed.

Only "…, and <wh-word> …" splits a question: "Who spoke for the White House and for the
Kremlin?" shares its one question word between its halves, which the whole question's terms
already carry. A later part that points back with a pronoun ("…, and what was it revised
to?") is looked up with the part before it in brackets, the way a follow-up carries the
earlier question (extractive ``standalone``): alone, "what was it revised to?" matches any
revision in the corpus.
"""

from __future__ import annotations

import re
from itertools import pairwise

from bot.tuning import DEFAULTS

# Where a further question starts: "and" (after an optional comma) before a question word.
_NEXT_QUESTION = re.compile(
    r",?\s+and\s+(?=(?:where|what|who|whom|whose|when|why|which|how)\b)", re.IGNORECASE)
# Words by which a part refers to what an earlier part named.
_POINTS_BACK = re.compile(r"\b(?:it|its|they|them|their|he|him|his|she|her)\b", re.IGNORECASE)


def question_parts(question: str,
                   max_parts: int = DEFAULTS.max_question_parts) -> tuple[str, ...]:
    """The questions a compound question asks (at most ``max_parts``), each with the words it
    needs; ``()`` for a question that asks one thing (so callers look it up once, as a
    whole)."""
    parts = [part.strip(" ,;") for part in _NEXT_QUESTION.split(question)]
    parts = [part for part in parts if part]
    if len(parts) < 2:
        return ()
    parts = parts[:max_parts]
    return tuple([parts[0]] + [
        f"{part} ({earlier})" if _POINTS_BACK.search(part) else part
        for earlier, part in pairwise(parts)])


def asked_part(question: str, min_words: int = DEFAULTS.min_asking_words) -> str:
    """The sentence that asks, when a question first sets the scene: "Dick Cheney died this
    week at 84. Under which president did he serve?" asks the last sentence; the first only
    says which story. Retrieval reads the whole question (the scene finds the story); the
    sentence that answers is the one closest to what is asked (if it has at least
    ``min_words`` words). The whole question otherwise.
    """
    from ingest.sentences import split_sentences  # a leaf module; keeps imports light

    sentences = [s.text.strip() for s in split_sentences(question) if s.text.strip()]
    if len(sentences) > 1 and sentences[-1].endswith("?") and \
            len(sentences[-1].split()) >= min_words:
        return sentences[-1]
    return question
