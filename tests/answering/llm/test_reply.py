"""Real models' reply habits (seen with Qwen2.5-Coder 0.5B/1.5B) turned into resolvable text."""

from __future__ import annotations

import pytest

from bot.answering.citations import resolve_citations
from bot.answering.llm.reply import adds_refusal, canonical_markers, is_refusal, lacks_substance
from tests.core_fixtures import retrieved_chunk

SOURCES = [
    retrieved_chunk("a.txt", "Negotiations were held in Saudi Arabia between the delegates."),
    retrieved_chunk("b.txt", "Efforts to reach a peace deal continue in Europe."),
    retrieved_chunk("c.txt", "Former President Trump spoke with Putin on Tuesday."),
]


def test_markers_before_their_sentences_move_after_them() -> None:
    raw = "[1] The talks were held in Saudi Arabia. [2][3] Efforts to reach a deal continue."
    assert canonical_markers(raw, 3) == (
        "The talks were held in Saudi Arabia [1]. Efforts to reach a deal continue [2][3].")


def test_markers_after_their_sentences_are_left_alone() -> None:
    raw = "The talks were held in Saudi Arabia [1]. Efforts continue [2]."
    assert canonical_markers(raw, 3) == raw


@pytest.mark.parametrize(("raw", "expected"), [
    ("Held in Saudi Arabia (1).", "Held in Saudi Arabia [1]."),
    ("Held in Saudi Arabia (Source 2).", "Held in Saudi Arabia [2]."),
    ("Held in Saudi Arabia (1, 3).", "Held in Saudi Arabia [1] [3]."),
    ("Held in 2025 (2025) and (4 of 5).", "Held in 2025 (2025) and (4 of 5)."),
    ("Held there (7).", "Held there (7)."),  # no source 7: text, not a marker
])
def test_other_marker_forms_become_brackets(raw: str, expected: str) -> None:
    assert canonical_markers(raw, 3) == expected


def test_a_leading_marker_is_quoted_for_its_own_claim() -> None:
    raw = ("[3] Trump is the former president. [1] The negotiations were held in Saudi Arabia.")
    cited = resolve_citations(canonical_markers(raw, 3), SOURCES)
    by_file = {c.file: c for c in cited.citations}
    assert "Saudi Arabia" in by_file["a.txt"].quote and "Trump" in by_file["c.txt"].quote
    assert cited.unsupported == 0


@pytest.mark.parametrize("text", [
    "The articles do not mention his age. [1]",
    "The provided sources don't say who attended.",
    "There is no information about this in the sources [2].",
    "I cannot answer this from the articles.",
])
def test_refusals_in_other_words_are_recognised(text: str) -> None:
    assert is_refusal(text)


def test_an_answer_with_a_caveat_is_not_a_refusal() -> None:
    assert not is_refusal("The sources don't give a date. The talks were in Riyadh [1].")


def test_a_reply_without_words_is_no_refusal_but_lacks_substance() -> None:
    for text in ("", "[1] [2][3]"):
        assert not is_refusal(text)
        assert lacks_substance(text, "Which countries would lead a peacekeeping force?")


def test_markers_only_and_restated_questions_lack_substance() -> None:
    question = "Which countries would lead a peacekeeping force?"
    assert lacks_substance("[1] [2][3]", question)
    assert lacks_substance("", question)
    assert lacks_substance("Countries would lead a peacekeeping force [1].", question)
    assert not lacks_substance("Britain and France would lead it [1].", question)
    assert not lacks_substance("[1] Izvestia [2][3]", "Which newspaper reported it?")


def test_a_reply_that_answers_and_adds_a_refusal() -> None:
    assert adds_refusal("Talks were in Riyadh [1].\nThe articles don't cover this.")
    assert not adds_refusal("The articles don't cover this.")
    assert not adds_refusal("Talks were in Riyadh [1]. They lasted a day [1].")
