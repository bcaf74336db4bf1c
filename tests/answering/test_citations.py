"""Citations: [n] markers mapped to sources, invalid ones removed, renumbered, quoted, checked."""

from __future__ import annotations

import logging

import pytest

from bot.answering.citations import SUPPORT_THRESHOLD, resolve_citations, support
from bot.answering.retrieval import RetrievedChunk
from ingest.store import StoredChunk
from tests.core_fixtures import retrieved_chunk

TEXTS = {
    "a.txt": "Negotiations for a 30-day ceasefire were recently held in Saudi Arabia. "
             "Ukraine accepted the proposal.",
    "b.txt": "Trump will speak with Putin by phone on Tuesday. The call was announced on Sunday.",
    "c.txt": "The Zaporizhzhia nuclear power plant is the largest in Europe.",
}


def _source(file: str, similarity: float) -> RetrievedChunk:
    chunk = StoredChunk(f"id-{file}", TEXTS[file], {"file": file, "title": f"Title {file}"})
    return RetrievedChunk(chunk, similarity, 0.0, 0.0)


SOURCES = [_source("a.txt", 0.7), _source("b.txt", 0.6), _source("c.txt", 0.5)]


def test_markers_map_to_their_sources() -> None:
    cited = resolve_citations("The talks were held in Saudi Arabia [1].", SOURCES)
    assert cited.text == "The talks were held in Saudi Arabia [1]."
    [citation] = cited.citations
    assert (citation.n, citation.file, citation.title) == (1, "a.txt", "Title a.txt")
    assert citation.chunk_id == "id-a.txt"
    assert citation.score == pytest.approx(0.7)
    assert citation.quote == ("Negotiations for a 30-day ceasefire were recently held in "
                              "Saudi Arabia.")


def test_renumbered_in_order_of_first_citation_and_only_cited_listed() -> None:
    raw = "Trump calls Putin on Tuesday [2]. The plant is in Zaporizhzhia [3]. Again [2]."
    cited = resolve_citations(raw, SOURCES)
    assert cited.text == ("Trump calls Putin on Tuesday [1]. The plant is in Zaporizhzhia [2]. "
                          "Again [1].")
    assert [(c.n, c.file) for c in cited.citations] == [(1, "b.txt"), (2, "c.txt")]


@pytest.mark.parametrize(("raw", "expected"), [
    ("Held in Saudi Arabia [7].", "Held in Saudi Arabia."),
    ("Held in Saudi Arabia [0].", "Held in Saudi Arabia."),
    ("Held in Saudi Arabia [1][9].", "Held in Saudi Arabia [1]."),
    ("Held in Saudi Arabia [9, 1].", "Held in Saudi Arabia [1]."),
])
def test_markers_that_map_to_no_source_are_removed(raw: str, expected: str) -> None:
    cited = resolve_citations(raw, SOURCES)
    assert cited.text == expected
    assert [c.file for c in cited.citations] == (["a.txt"] if "[1]" in expected else [])


def test_marker_styles_are_all_understood() -> None:
    raw = "Held in Saudi Arabia [Source 1]. Call on Tuesday [source 2]. Both [1, 2]."
    cited = resolve_citations(raw, SOURCES)
    assert cited.text == "Held in Saudi Arabia [1]. Call on Tuesday [2]. Both [1][2]."
    assert [c.file for c in cited.citations] == ["a.txt", "b.txt"]


def test_repeated_adjacent_markers_collapse() -> None:
    assert resolve_citations("Held in Saudi Arabia [1] [1].", SOURCES).text == \
        "Held in Saudi Arabia [1]."


def test_no_markers_means_no_citations() -> None:
    cited = resolve_citations("Nothing cited here.", SOURCES)
    assert cited.citations == () and cited.text == "Nothing cited here."
    assert resolve_citations("Anything [1].", []).citations == ()


def test_quotes_are_verbatim_source_sentences_that_support_the_claim() -> None:
    raw = "The call was announced on Sunday [2]. The plant is the largest in Europe [3]."
    cited = resolve_citations(raw, SOURCES)
    for citation in cited.citations:
        assert citation.quote in TEXTS[citation.file]
    assert cited.citations[0].quote == "The call was announced on Sunday."
    assert cited.unsupported == 0


def test_given_quotes_are_used_as_is() -> None:
    quote = "Ukraine accepted the proposal."
    cited = resolve_citations("Ukraine accepted the proposal [1].", SOURCES, quotes={1: quote})
    assert cited.citations[0].quote == quote
    assert cited.unsupported == 0


def test_unsupported_citations_are_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    raw = ("Kangaroos hop across Canberra every morning [1]. "
           "Trump will speak with Putin on Tuesday [2].")
    with caplog.at_level(logging.WARNING, logger="bot.answering.citations"):
        cited = resolve_citations(raw, SOURCES)
    assert cited.unsupported == 1
    assert len(cited.citations) == 2  # still listed, but counted
    assert any("a.txt" in record.getMessage() for record in caplog.records)


def test_support_score() -> None:
    assert support("Negotiations held in Saudi Arabia", TEXTS["a.txt"]) == 1.0
    assert support("Kangaroos in Canberra", TEXTS["a.txt"]) == 0.0
    assert 0 < support("Talks held in Canberra", TEXTS["a.txt"]) < 1
    assert support("[1]", "anything") == 1.0  # nothing to support
    assert SUPPORT_THRESHOLD > 0


def test_chunks_of_one_file_are_one_numbered_source_with_each_quote() -> None:
    sources = [
        retrieved_chunk("a.txt", "The talks were held in Riyadh on Tuesday."),
        retrieved_chunk("b.txt", "Kyiv welcomed the proposal for a ceasefire."),
        retrieved_chunk("a.txt", "The delegations agreed on a ceasefire of thirty days."),
    ]
    cited = resolve_citations(
        "Talks were held in Riyadh [1]. Kyiv welcomed it [2]. A thirty-day ceasefire was "
        "agreed [3]. Both [1][3].", sources)
    assert cited.text == ("Talks were held in Riyadh [1]. Kyiv welcomed it [2]. A thirty-day "
                          "ceasefire was agreed [1]. Both [1].")
    assert [(c.n, c.file) for c in cited.citations] == [(1, "a.txt"), (2, "b.txt")]
    assert cited.citations[0].quote == ("The talks were held in Riyadh on Tuesday. … "
                                        "The delegations agreed on a ceasefire of thirty days.")
    assert cited.unsupported == 0


def test_support_counts_the_words_a_claim_adds_to_the_question() -> None:
    from bot.answering.citations import support
    from ingest.text_terms import terms

    asked = frozenset(terms("Which CEO was offered a pay package worth $1 trillion?"))
    source = "Tesla shareholders approved the plan for Elon Musk on Thursday."
    right = "Elon Musk was offered a pay package worth $1 trillion."
    wrong = "Jeff Bezos was offered a pay package worth $1 trillion."
    assert support(right, source) <= 0.25  # the question's own words swamp the answer …
    assert support(right, source, asked) == 1.0  # … which is what the source must state
    echo = "Musk was offered a pay package worth $1 trillion, Tesla said."
    assert support(wrong, echo) > 0.5  # the question's words carry a wrong name through …
    assert support(wrong, echo, asked) == 0.0  # … unless only the answer's words count
