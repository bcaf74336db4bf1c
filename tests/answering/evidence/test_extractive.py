"""The extractive backend (the embedded default) end to end on the sample corpus, plus a first
answer-quality smoke test over a few golden questions (the evaluator runs the full set).

Answers must be grounded by construction: every sentence is a verbatim sentence of the file it
cites, and every quote is text of the original file.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import yaml

from bot.answering.evidence import selection as extractive
from bot.answering.questions import clean_question
from bot.answering.synthesizer import REFUSAL
from bot.engine import NewsBot
from bot.evaluation.golden import normalize, phrase_pattern
from bot.models import Answer, Turn
from bot.tuning import DEFAULTS
from ingest.errors import BadInputError
from tests.core_fixtures import (
    CORPUS_DIR,
    OFF_TOPIC_QUESTION,
    SAUDI_FILE,
    SAUDI_QUESTION,
    HashEncoder,
    retrieved_chunk,
)
from tests.evaluation.test_golden_schema import GOLDEN

_MARKER = re.compile(r"\s*\[\d+\]")


def _original(file: str) -> str:
    return (CORPUS_DIR / file).read_text(encoding="utf-8")


def _body(answer: Answer) -> str:
    assert answer.note == extractive.NOTE  # how it was made is a note, not part of the text
    return answer.text


def assert_grounded(answer: Answer) -> None:
    """Every [n] maps to a citation, every citation is used, quotes and sentences are verbatim."""
    body = _body(answer)
    used = [int(n) for n in re.findall(r"\[(\d+)\]", body)]
    assert sorted(set(used)) == [c.n for c in answer.citations] == \
        list(range(1, len(answer.citations) + 1))
    assert list(dict.fromkeys(used)) == sorted(set(used)), "numbered in order of first citation"
    by_n = {c.n: c for c in answer.citations}
    for citation in answer.citations:
        for part in citation.quote.split(" … "):
            assert part in _original(citation.file), (citation.file, part)
    # Each "sentence [n]" of the answer is a sentence of the cited file.
    for sentence, n in re.findall(r"(.+?)\s*\[(\d+)\]\s*", body):
        assert sentence.strip() in _original(by_n[int(n)].file)


# -- answers on the sample corpus --------------------------------------------------------------


def test_the_done_when_question(extractive_bot: NewsBot) -> None:
    answer = extractive_bot.answer(SAUDI_QUESTION)
    assert not answer.refused
    assert answer.backend == "extractive"
    assert "Saudi Arabia" in answer.text
    assert SAUDI_FILE in {c.file for c in answer.citations}
    assert SAUDI_FILE in answer.retrieved_files
    assert_grounded(answer)


def test_off_topic_question_is_refused_without_sources(extractive_bot: NewsBot) -> None:
    answer = extractive_bot.answer(OFF_TOPIC_QUESTION)
    assert answer.refused
    assert answer.text.startswith(REFUSAL)  # possibly followed by why
    assert "[" not in answer.text
    assert answer.citations == ()
    assert answer.backend == "extractive"
    assert answer.to_json()["citations"] == []


def test_timings_and_retrieved_files(extractive_bot: NewsBot) -> None:
    answer = extractive_bot.answer("Who is the White House press secretary?")
    timings = answer.timings
    assert timings.retrieve > 0 and timings.generate > 0
    assert timings.total == pytest.approx(timings.retrieve + timings.generate, abs=1.0)
    assert 0 < len(answer.retrieved_files) <= extractive_bot.settings.top_k
    assert len(set(answer.retrieved_files)) == len(answer.retrieved_files)


def test_top_k_limits_the_retrieved_chunks(extractive_bot: NewsBot) -> None:
    answer = extractive_bot.answer(SAUDI_QUESTION, top_k=1)
    assert len(answer.retrieved_files) == 1
    assert len(answer.citations) <= 1


def test_extractive_never_streams(extractive_bot: NewsBot) -> None:
    tokens: list[str] = []
    extractive_bot.answer(SAUDI_QUESTION, on_token=tokens.append)
    assert tokens == []


def test_follow_up_carries_the_previous_topic(extractive_bot: NewsBot) -> None:
    history = [Turn("Who is Trump's special envoy who met Putin?", "Steve Witkoff [1].")]
    answer = extractive_bot.answer("What did he tell CNN?", history)
    assert not answer.refused
    assert "Witkoff" in answer.text
    assert_grounded(answer)


def test_the_answer_is_short_and_has_no_repeated_sentence(extractive_bot: NewsBot) -> None:
    answer = extractive_bot.answer("What will Trump and Putin discuss?")
    sentences = [s.strip() for s in _MARKER.split(_body(answer)) if s.strip()]
    assert 1 <= len(sentences) <= DEFAULTS.max_sentences
    assert len(set(sentences)) == len(sentences)
    assert_grounded(answer)


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 2001])
def test_bad_questions_are_bad_input(extractive_bot: NewsBot, question: str) -> None:
    with pytest.raises(BadInputError):
        extractive_bot.answer(question)


def test_clean_question_strips_control_characters() -> None:
    assert clean_question("  Where\x00 were\x1b the talks?\n", 2000) == "Where were the talks?"
    assert clean_question("x" * 2000, 2000) == "x" * 2000
    with pytest.raises(BadInputError, match="2,001"):
        clean_question("x" * 2001, 2000)


# -- the sentence picker on its own ------------------------------------------------------------



def test_near_duplicates_across_articles_are_dropped() -> None:
    encoder = HashEncoder(dim=256)
    chunks = [
        retrieved_chunk("a.txt", "The ceasefire talks were held in Saudi Arabia on Tuesday."),
        retrieved_chunk("b.txt", "The ceasefire talks were held in Saudi Arabia on Tuesday, "
                            "officials said."),
        retrieved_chunk("c.txt", "Ceasefire talks in Saudi Arabia lasted eight hours overnight."),
    ]
    question = "Where were the ceasefire talks held?"
    result = extractive.extract(question, encoder.encode([question])[0], chunks, encoder)
    picked = [line for line in re.split(r"\s*\[\d+\]\s*", result.raw_text) if line]
    assert picked[0] == "The ceasefire talks were held in Saudi Arabia on Tuesday."
    assert "officials said" not in result.raw_text
    assert set(result.quotes) <= {1, 3}


def test_each_part_of_a_compound_question_gets_its_own_sentence() -> None:
    encoder = HashEncoder(dim=256)
    # Three sentences echo the first part's words; the one answering the second part shares
    # few words with the question as a whole, so scored against it alone it is never quoted.
    chunks = [
        retrieved_chunk("a.txt", "The ceasefire delegates negotiated in Riyadh for hours. "
                                 "The ceasefire delegates negotiated late into the night. "
                                 "Delegates negotiated the ceasefire text word by word."),
        retrieved_chunk("b.txt", "The envoy met officials in Oslo."),
    ]
    question = "Where did the ceasefire delegates negotiate, and where did the envoy meet?"
    vector = encoder.encode([question])[0]
    whole_only = extractive.extract("Where did the ceasefire delegates negotiate and meet?",
                                    vector, chunks, encoder)
    assert "Oslo" not in whole_only.raw_text, "the setup must hide the second part's answer"

    result = extractive.extract(question, vector, chunks, encoder)
    picked = [c.text for c in result.chosen]
    assert picked[:2] == ["The ceasefire delegates negotiated in Riyadh for hours.",
                          "The envoy met officials in Oslo."]
    assert len(picked) <= DEFAULTS.max_sentences
    assert result.quotes[2] == "The envoy met officials in Oslo."


def test_short_fragments_are_not_candidates() -> None:
    encoder = HashEncoder()
    chunks = [retrieved_chunk("a.txt", "Saudi Arabia.\nTalks held.")]
    result = extractive.extract("Saudi Arabia talks", np.ones(encoder.dim) / 8, chunks, encoder)
    assert result.raw_text == "" and result.quotes == {}


def test_keyword_overlap_discounts_a_long_sentence_by_its_length() -> None:
    """Two sentences holding the same question words: the one that holds them among many
    other words overlaps less (BM25's length normalisation, ``keyword_length_norm``), and
    with the normalisation off both overlap alike."""
    question = "Which state banned ultraprocessed foods in schools?"
    short = frozenset(extractive.terms("California banned ultraprocessed foods in schools."))
    long = frozenset(extractive.terms(
        "Lawmakers in several statehouses debated whether schools should follow the federal "
        "guidance, and some banned ultraprocessed foods while critics, parents, farmers and "
        "manufacturers argued about costs, labels, dyes and enforcement for months."))
    other = frozenset(extractive.terms("The weather was mild on Tuesday."))
    normalised = extractive.keyword_overlaps(question, [short, long, other])
    assert normalised[0] > normalised[1] > normalised[2] == 0.0
    plain = extractive.keyword_overlaps(question, [short, long, other],
                                        DEFAULTS.with_overrides({"keyword_length_norm": 0}))
    assert plain[0] == pytest.approx(plain[1])
    assert extractive.keyword_overlaps(question, []) == []


# -- a first answer-quality smoke test ---------------------------------------------------------

SMOKE_ANSWERABLE = [
    "ceasefire-talks-venue", "call-scheduled-day", "white-house-press-secretary",
    "trump-special-envoy", "national-security-adviser", "canadian-prime-minister",
    "nuclear-facility-on-table",
]
SMOKE_REFUSED = [
    "capital-of-australia", "banana-bread-recipe", "world-cup-2022-winner",
    "python-reverse-list", "mars-moons",
]


def _cases() -> dict[str, dict[str, Any]]:
    return {case["id"]: case for case in yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("case_id", SMOKE_ANSWERABLE)
def test_quality_smoke_answerable(extractive_bot: NewsBot, case_id: str) -> None:
    case = _cases()[case_id]
    answer = extractive_bot.answer(case["question"])
    assert not answer.refused, case["question"]
    text = normalize(answer.text)
    for group in case["facts"]:
        assert any(phrase_pattern(p).search(text) for p in group), (group, answer.text)
    assert {c.file for c in answer.citations} & set(case["files"])
    assert_grounded(answer)


@pytest.mark.parametrize("case_id", SMOKE_REFUSED)
def test_quality_smoke_refused(extractive_bot: NewsBot, case_id: str) -> None:
    answer = extractive_bot.answer(_cases()[case_id]["question"])
    assert answer.refused and answer.citations == ()
    assert answer.text.startswith(REFUSAL)
