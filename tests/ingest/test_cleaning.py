"""Cleaning: repeated paragraphs and scraped boilerplate are dropped, nothing else changes.

The sample articles carry the real cases (000 repeats four blocks of four paragraphs verbatim
and ends with a tweet embed and a section promo; 001 has a "Read:" teaser, two tweet embeds and
a disclaimer). Kept text must stay verbatim and map back to the original file exactly, because
citation quotes are cut from it.
"""

from __future__ import annotations

from collections import Counter

import pytest

from ingest.cleaning import CleanedText, clean_text
from tests.core_fixtures import CORPUS_DIR, SAMPLE_FILES


def _article(name_prefix: str) -> str:
    [name] = [n for n in SAMPLE_FILES if n.startswith(name_prefix)]
    return (CORPUS_DIR / name).read_text(encoding="utf-8")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _kept(cleaned: CleanedText) -> list[str]:
    return cleaned.text.split("\n") if cleaned.text else []


# -- the sample articles -----------------------------------------------------------------------


def test_article_000_repeated_paragraphs_are_kept_once() -> None:
    original = _article("000")
    repeated = [line for line, n in Counter(_lines(original)).items() if n > 1]
    assert len(repeated) == 16, "the sample should repeat 16 paragraphs (4 blocks of 4)"
    kept = Counter(_kept(clean_text(original)))
    for line in repeated:
        assert kept[line] == 1, f"repeated paragraph not kept exactly once: {line[:60]!r}"


def test_article_000_tweet_embed_and_section_promo_are_dropped() -> None:
    original = _article("000")
    kept = _kept(clean_text(original))
    joined = "\n".join(kept)
    assert "— Emmanuel Macron (@EmmanuelMacron) March 17, 2025" not in joined
    # The tweet's text before the attribution and the truncated tweet after it.
    assert not any(line.startswith("Following Saturday’s meeting on peace") for line in kept)
    assert not any(line.startswith("President Zelensky demonstrated the courage") for line in kept)
    assert "More In Politics MORE..." not in kept
    # The story around them stays, including a sub-heading that merely starts with "More".
    assert "‘More cards to play’" in kept
    assert any(line.startswith("British Foreign Secretary David Lammy said") for line in kept)
    assert kept[-1].startswith("“My warning to Mr. Putin is this")


def test_article_000_drop_count() -> None:
    # 16 repeated paragraphs + 3 tweet-embed lines + 1 "More In Politics MORE..." line.
    assert clean_text(_article("000")).lines_dropped == 20


def test_article_001_teaser_tweets_and_disclaimer_are_dropped() -> None:
    cleaned = clean_text(_article("001"))
    kept = _kept(cleaned)
    joined = "\n".join(kept)
    assert "Read: Russia Agrees To A Ceasefire" not in joined
    assert "(@wartranslated)" not in joined and "(@UkrReview)" not in joined
    assert "pic.twitter.com" not in joined
    # The tweet texts right before each attribution line.
    assert "The Western coalition has settled on ceasefire terms" not in joined
    assert "several EU countries are already interested" not in joined
    assert "Not a recommendation to buy or sell" not in joined
    assert cleaned.lines_dropped == 7
    # Real reporting around the embeds is kept.
    assert any(line.startswith("Meanwhile, British Prime Minister Keir Starmer") for line in kept)
    assert any(line.startswith("Starmer rejected Putin’s “yes, but” approach") for line in kept)


@pytest.mark.parametrize("prefix", ["002", "003", "004"])
def test_clean_articles_lose_nothing(prefix: str) -> None:
    original = _article(prefix)
    cleaned = clean_text(original)
    assert cleaned.lines_dropped == 0
    assert _kept(cleaned) == _lines(original)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_every_kept_line_is_verbatim_and_offsets_map_exactly(name: str) -> None:
    original = (CORPUS_DIR / name).read_text(encoding="utf-8")
    cleaned = clean_text(original)
    position = 0
    for line in _kept(cleaned):
        start = cleaned.original_offset(position)
        assert original[start:start + len(line)] == line
        position += len(line) + 1
    # Every character, not only line starts.
    for i, char in enumerate(cleaned.text):
        if char != "\n":
            assert original[cleaned.original_offset(i)] == char, f"offset {i} of {name}"


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_drop_count_matches_the_lines_removed(name: str) -> None:
    original = (CORPUS_DIR / name).read_text(encoding="utf-8")
    cleaned = clean_text(original)
    assert cleaned.lines_dropped == len(_lines(original)) - len(_kept(cleaned))


# -- synthetic cases ---------------------------------------------------------------------------


def test_repeats_differing_in_case_and_spacing_count_as_repeats() -> None:
    text = "Headline\nThe talks  were held in Riyadh.\nthe talks were held in riyadh.\nEnd here."
    cleaned = clean_text(text)
    assert _kept(cleaned) == ["Headline", "The talks  were held in Riyadh.", "End here."]
    assert cleaned.lines_dropped == 1


def test_blank_lines_are_not_counted_as_dropped() -> None:
    cleaned = clean_text("Title\n\n\nBody one.\n\n   \nBody two.\n")
    assert _kept(cleaned) == ["Title", "Body one.", "Body two."]
    assert cleaned.lines_dropped == 0


@pytest.mark.parametrize("teaser", [
    "Read: Russia Agrees To A Ceasefire With Ukraine… Or Did It?",
    "Read more: The talks in Jeddah",
    "RELATED: Another story",
    "Also read: Something else",
])
def test_teasers_are_dropped(teaser: str) -> None:
    cleaned = clean_text(f"Headline\nFirst paragraph.\n{teaser}\nLast paragraph.")
    assert _kept(cleaned) == ["Headline", "First paragraph.", "Last paragraph."]
    assert cleaned.lines_dropped == 1


def test_a_long_paragraph_starting_with_read_is_not_a_teaser() -> None:
    paragraph = "Read: " + "the statement went on at length about the ceasefire terms. " * 5
    cleaned = clean_text(f"Headline\n{paragraph}")
    assert paragraph.strip() in _kept(cleaned)


def test_tweet_embed_lines_are_dropped_with_the_tweet_text() -> None:
    text = (
        "Headline\n"
        "Reporters gathered outside.\n"
        "Peace is close, we are working hard on it pic.twitter.com/AbC123\n"
        "— Some Name (@handle) March 16, 2025\n"
        "After the tweet, the story goes on.\n"
    )
    cleaned = clean_text(text)
    assert _kept(cleaned) == ["Headline", "Reporters gathered outside.",
                              "After the tweet, the story goes on."]
    assert cleaned.lines_dropped == 2


def test_tweet_text_without_media_link_is_dropped_before_the_attribution() -> None:
    text = ("Headline\nStory paragraph.\nA tweet that says something.\n"
            "– Jane Doe (@jane_doe) Jan. 5, 2025\nTruncated second tweet…\nStory goes on.")
    cleaned = clean_text(text)
    assert _kept(cleaned) == ["Headline", "Story paragraph.", "Story goes on."]
    assert cleaned.lines_dropped == 3


def test_section_promo_is_dropped() -> None:
    cleaned = clean_text("Headline\nStory.\nMore In Politics MORE...\nMore from World MORE…")
    assert _kept(cleaned) == ["Headline", "Story."]
    assert cleaned.lines_dropped == 2


def test_crlf_and_indented_lines_keep_exact_offsets() -> None:
    original = "Headline\r\n   Indented paragraph one.\r\n\r\nParagraph two.\r\n"
    cleaned = clean_text(original)
    assert _kept(cleaned) == ["Headline", "Indented paragraph one.", "Paragraph two."]
    for i, char in enumerate(cleaned.text):
        if char != "\n":
            assert original[cleaned.original_offset(i)] == char


def test_empty_and_all_boilerplate_texts() -> None:
    assert clean_text("").text == ""
    assert clean_text("").lines_dropped == 0
    only_junk = clean_text("More In Politics MORE...\nRead: a teaser\n")
    assert only_junk.text == ""
    assert only_junk.lines_dropped == 2


def test_cleaning_is_pure() -> None:
    original = _article("000")
    assert clean_text(original) == clean_text(original)
