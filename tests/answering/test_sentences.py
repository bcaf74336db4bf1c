"""The sentence splitter used for extractive answers and citation quotes."""

from __future__ import annotations

import itertools

import pytest

from ingest.sentences import split_sentences
from tests.core_fixtures import CORPUS_DIR, SAMPLE_FILES


def _texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Talks ended. Both sides left.", ["Talks ended.", "Both sides left."]),
    ("Is it over? Yes! It is.", ["Is it over?", "Yes!", "It is."]),
    ("Talks ended… Then more came.", ["Talks ended…", "Then more came."]),
    ("It costs 2.5 billion. Done!", ["It costs 2.5 billion.", "Done!"]),
    ("Sales rose 10%. 2025 was good.", ["Sales rose 10%.", "2025 was good."]),
])
def test_plain_sentence_ends(text: str, expected: list[str]) -> None:
    assert _texts(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("U.S. President Trump met Mr. Putin. They talked.",
     ["U.S. President Trump met Mr. Putin.", "They talked."]),
    ("Former U.S. President Donald Trump spoke. Then he left.",
     ["Former U.S. President Donald Trump spoke.", "Then he left."]),
    ("Ask Dr. Smith and Gen. Jones. They know.", ["Ask Dr. Smith and Gen. Jones.", "They know."]),
    ("The U.K. and France agreed. The E.U. did too.",
     ["The U.K. and France agreed.", "The E.U. did too."]),
    ("Sen. Graham said so. It was late.", ["Sen. Graham said so.", "It was late."]),
    # News style abbreviates a month before its day.
    ("ABC said Sept. 17, that it would stop. Viewers left.",
     ["ABC said Sept. 17, that it would stop.", "Viewers left."]),
    ("He died Nov. 3 at home. Dec. 1 was the funeral.",
     ["He died Nov. 3 at home.", "Dec. 1 was the funeral."]),
])
def test_abbreviations_do_not_end_sentences(text: str, expected: list[str]) -> None:
    assert _texts(text) == expected


def test_a_month_abbreviation_before_a_word_may_end_a_sentence() -> None:
    assert _texts("It closed in Jan. Then it reopened.") == ["It closed in Jan.",
                                                             "Then it reopened."]


@pytest.mark.parametrize(("text", "expected"), [
    ("“We want peace. We want it now,” Trump said. Next one.",
     ["“We want peace. We want it now,” Trump said.", "Next one."]),
    ('He said: "Go now." Then he left.', ['He said: "Go now."', "Then he left."]),
    ("“It is over.” Nobody believed it.", ["“It is over.”", "Nobody believed it."]),
    ("He wrote (in a post.) Later he deleted it.",
     ["He wrote (in a post.)", "Later he deleted it."]),
])
def test_quotes_and_brackets(text: str, expected: list[str]) -> None:
    assert _texts(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Claim one [1]. Claim two [2, 3].", ["Claim one [1].", "Claim two [2, 3]."]),
    ("Claim one. [1] Claim two. [2][3]", ["Claim one. [1]", "Claim two. [2][3]"]),
    ("Claim one.[1] Claim two.", ["Claim one.[1]", "Claim two."]),
    ("“Quoted claim.” [2] Next claim. [1]", ["“Quoted claim.” [2]", "Next claim. [1]"]),
])
def test_trailing_citation_markers_stay_with_their_sentence(
        text: str, expected: list[str]) -> None:
    assert _texts(text) == expected


def test_line_breaks_end_sentences_and_blank_lines_vanish() -> None:
    assert _texts("Heading without period\nLine two. Still two.\n\n  \nLine three") == [
        "Heading without period", "Line two.", "Still two.", "Line three"]


def test_empty_and_blank_text() -> None:
    assert split_sentences("") == []
    assert split_sentences("  \n\n ") == []


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_offsets_are_exact_on_the_sample_articles(name: str) -> None:
    text = (CORPUS_DIR / name).read_text(encoding="utf-8")
    sentences = split_sentences(text)
    assert sentences
    previous_end = 0
    for sentence in sentences:
        assert text[sentence.start:sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip()
        assert sentence.start >= previous_end
        previous_end = sentence.end
    # Nothing but whitespace is lost between sentences.
    gaps = [text[a.end:b.start] for a, b in itertools.pairwise(sentences)]
    assert all(not gap.strip() for gap in gaps)


def test_a_sample_sentence_with_us_abbreviation_stays_whole() -> None:
    text = (CORPUS_DIR / "002_50adbc4de58b80e4.txt").read_text(encoding="utf-8")
    first = split_sentences(text)[0].text
    assert first.startswith("Former U.S. President Donald Trump and Russian President Vladimir")
    assert first.endswith("scheduled for Tuesday.")
