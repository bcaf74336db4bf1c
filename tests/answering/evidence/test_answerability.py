"""The extractive backend's cheap "can the articles answer this?" rules and answer types."""

from __future__ import annotations

import numpy as np
import pytest

from bot.answering.evidence import selection as extractive
from bot.answering.evidence.answer_types import AnswerType, holds_answer, question_type
from bot.answering.evidence.answerability import only_planned, unknown_subject
from bot.answering.headlines import is_title
from bot.answering.retrieval import RetrievedChunk
from bot.answering.synthesizer import REFUSAL
from bot.engine import NewsBot
from tests.core_fixtures import HashEncoder, retrieved_chunk

# -- answer types ------------------------------------------------------------------------------


@pytest.mark.parametrize(("question", "kind"), [
    ("How old is the president?", AnswerType.AGE),
    ("At what age did he retire?", AnswerType.AGE),
    ("How long is the ceasefire?", AnswerType.DURATION),
    ("For how many days did the talks last?", AnswerType.DURATION),
    ("How many troops would be sent?", AnswerType.COUNT),
    ("How much did the plant cost?", AnswerType.MONEY),
    ("How much money has Britain pledged to the force?", AnswerType.MONEY),
    ("What is the price of Russian gas?", AnswerType.MONEY),
    ("How much territory does Russia control?", AnswerType.COUNT),
    ("What is the cost of the war?", None),  # lives as often as money: not narrowed
    ("How large would the peacekeeping force be?", AnswerType.SIZE),
    ("When did Russia seize Crimea?", AnswerType.TIME),
    ("On which day did Trump speak to reporters?", AnswerType.TIME),
    ("In what year was the treaty signed?", AnswerType.TIME),
    ("Who is Trump's special envoy?", AnswerType.PERSON),
    ("Where were the talks held?", AnswerType.PLACE),
    ("Which countries would lead the force?", AnswerType.PLACE),
    ("What does Russia demand?", None),
    ("Why did the talks fail?", None),
])
def test_question_type(question: str, kind: AnswerType | None) -> None:
    assert question_type(question) is kind


@pytest.mark.parametrize(("sentence", "kind", "expected"), [
    ("Trump backs a 30-day ceasefire.", AnswerType.DURATION, True),
    ("The truce would last for two weeks.", AnswerType.DURATION, True),
    ("Any long-lasting peace must meet Moscow's demands.", AnswerType.DURATION, False),
    ("Zelensky, 47, said the war must end.", AnswerType.AGE, True),
    ("The 72-year-old envoy flew to Moscow.", AnswerType.AGE, True),
    ("Zelensky said the war must end.", AnswerType.AGE, False),
    ("More than 10,000 troops would be sent.", AnswerType.COUNT, True),
    ("Thousands of troops would be sent.", AnswerType.COUNT, True),
    ("Troops would be sent soon.", AnswerType.COUNT, False),
    ("Russia seized Crimea in 2014.", AnswerType.TIME, True),
    ("Trump spoke to reporters on Sunday evening.", AnswerType.TIME, True),
    ("Trump spoke to reporters aboard his plane.", AnswerType.TIME, False),
    ("The mission would cost $5 billion a year.", AnswerType.MONEY, True),
    ("Britain pledged 3 billion pounds.", AnswerType.MONEY, True),
    ("Kyiv asked for US$20m in aid.", AnswerType.MONEY, True),
    ("About 35 countries agreed to supply weapons.", AnswerType.MONEY, False),
    ("Each week brings 2,500 soldier deaths.", AnswerType.MONEY, False),
])
def test_holds_answer(sentence: str, kind: AnswerType, expected: bool) -> None:
    assert holds_answer(sentence, kind, "a question that names nothing") is expected


def test_a_value_the_question_already_names_is_not_an_answer() -> None:
    question = "What did Trump say about the 30-day ceasefire?"
    assert not holds_answer("Trump backs the 30-day ceasefire.", AnswerType.DURATION, question)
    assert holds_answer("Trump backs the 30-day ceasefire, not a 60-day one.",
                        AnswerType.DURATION, question)


# -- rules that refuse -------------------------------------------------------------------------

KNOWN = {"ukrain", "russia", "britain", "ceasefir", "trump"}


def _known(term: str) -> bool:
    return term in KNOWN


def test_a_name_no_article_mentions_is_the_missing_subject() -> None:
    assert unknown_subject("What did China say about the ceasefire?", _known) == "China"
    assert unknown_subject("What did Trump say about the ceasefire?", _known) is None


def test_a_capital_counts_as_known_when_its_country_is() -> None:
    # News writes "London" for the British government.
    assert unknown_subject("What options does London have on the ceasefire?", _known) is None
    assert unknown_subject("What options does Beijing have on the ceasefire?", _known) == \
        "Beijing"


PLANNED = [
    "Trump will speak with Putin on Tuesday.",
    "The two leaders are set to talk on Tuesday.",
    "A call is scheduled for Tuesday, the Kremlin said.",
    "Tuesday's conversation remains secret.",
]


def test_an_outcome_the_articles_only_plan_for_is_refused() -> None:
    assert only_planned("What was the outcome of the call on Tuesday?", PLANNED) == "Tuesday"


def test_what_followed_a_planned_event_is_an_outcome_question() -> None:
    assert only_planned("What did Putin say after his call with Trump on Tuesday?",
                        PLANNED) == "Tuesday"
    assert only_planned("What happened following the talks on Tuesday?", PLANNED) == "Tuesday"


@pytest.mark.parametrize("question", [
    "When is the call planned?",  # not about an outcome
    "What did Putin say after Tuesday?",  # "after" alone is not about an event's outcome
    "What was the outcome of the call?",  # no day to anchor it
    "What was agreed on Monday?",  # no article sentence names Monday
])
def test_planned_rule_needs_an_outcome_question_about_a_named_day(question: str) -> None:
    assert only_planned(question, PLANNED) is None


def test_a_reported_outcome_is_not_only_planned() -> None:
    reported = [*PLANNED[:2], "On Tuesday the leaders agreed to a partial truce.",
                "After Tuesday's call, both sides claimed progress."]
    assert only_planned("What was the outcome of the call on Tuesday?", reported) is None


# -- the extractive answerer uses them ----------------------------------------------------------



def test_a_sentence_with_the_asked_value_wins() -> None:
    encoder = HashEncoder(dim=256)
    chunks = [
        retrieved_chunk("a.txt", "Ukraine accepted the ceasefire proposal after long talks."),
        retrieved_chunk("b.txt", "The ceasefire Ukraine accepted would last 30 days."),
    ]
    question = "How long is the ceasefire Ukraine accepted?"
    result = extractive.extract(question, encoder.encode([question])[0], chunks, encoder)
    assert result.raw_text.startswith("The ceasefire Ukraine accepted would last 30 days.")


def test_a_size_is_not_narrow_because_it_may_be_answered_in_words() -> None:
    encoder = HashEncoder(dim=256)
    chunks = [retrieved_chunk("a.txt", "Tensions between the two navies are higher than ever.")]
    question = "How high are tensions between the navies?"
    result = extractive.extract(question, encoder.encode([question])[0], chunks, encoder)
    assert result.missing_type is None and result.raw_text


def test_a_narrow_type_nothing_holds_reports_what_is_missing() -> None:
    encoder = HashEncoder(dim=256)
    chunks = [retrieved_chunk("a.txt", "Zelensky accused Putin of prolonging the war on purpose.")]
    question = "How old is Zelensky?"
    result = extractive.extract(question, encoder.encode([question])[0], chunks, encoder)
    assert result.missing_type is AnswerType.AGE and result.raw_text == ""


def test_title_case_headings_are_not_quoted() -> None:
    encoder = HashEncoder(dim=256)
    chunks = [retrieved_chunk("a.txt", "Kremlin Confirms Planned Talks With Trump\n"
                                  "Peskov confirmed that the two leaders will talk on Tuesday.")]
    question = "Who confirmed the planned talks for the Kremlin?"
    result = extractive.extract(question, np.ones(encoder.dim) / 16, chunks, encoder)
    assert "Kremlin Confirms" not in result.raw_text
    assert result.raw_text.startswith("Peskov confirmed")


BRIDGE_PAGE = ("Old Tollgate Bridge closed after inspectors find cracks\n"
               "Port Calder closed the Old Tollgate Bridge to all traffic on Monday after an "
               "inspection found cracks in its steel beams.")
BRIDGE_QUESTION = "Why was the Old Tollgate Bridge closed after inspectors found cracks?"


def _quoted(chunk: RetrievedChunk, question: str = BRIDGE_QUESTION) -> str:
    encoder = HashEncoder(dim=256)
    return extractive.extract(question, encoder.encode([question])[0], [chunk], encoder).raw_text


@pytest.mark.parametrize("title", [
    "Old Tollgate Bridge closed after inspectors find cracks",
    "OLD TOLLGATE BRIDGE CLOSED  after inspectors find cracks!",  # case, spacing, punctuation
])
def test_the_headline_a_page_repeats_is_not_quoted(title: str) -> None:
    # Sentence case, so the Title Case rule does not catch it; the page's metadata gave the
    # title, and trafilatura kept the <h1> as the text's first line. Not the article's first
    # chunk: the rule is the title, wherever it appears (an overlapping chunk repeats it).
    chunk = retrieved_chunk("bridge.html", BRIDGE_PAGE, title=title, title_given=True,
                            chunk_index=1)
    quoted = _quoted(chunk)
    assert "find cracks [1]" not in quoted
    assert quoted.startswith("Port Calder closed the Old Tollgate Bridge")


def test_a_line_without_closing_punctuation_opening_the_article_is_not_quoted() -> None:
    # The stored title differs from the page's first line (an og:title with the site's name).
    chunk = retrieved_chunk("bridge.html", BRIDGE_PAGE, title="Bridge shut | Calder Ledger",
                            title_given=True, chunk_index=0)
    assert _quoted(chunk).startswith("Port Calder closed the Old Tollgate Bridge")


def test_the_same_line_further_into_the_article_is_still_a_sentence() -> None:
    # Not the article's first chunk, and not its title: a line like any other.
    chunk = retrieved_chunk("bridge.html", BRIDGE_PAGE, title="Bridge shut", title_given=True,
                            chunk_index=2)
    assert _quoted(chunk).startswith("Old Tollgate Bridge closed after inspectors find cracks")


def test_a_plain_text_article_opening_with_a_sentence_is_still_quoted() -> None:
    # A plain-text article's stored title is its first line: here the opening sentence, not a
    # headline, so it stays an answer sentence.
    opening = ("Port Calder closed the Old Tollgate Bridge to all traffic on Monday after an "
               "inspection found cracks in its steel beams.")
    text = f"{opening}\nThe city's transport department said repairs would take months."
    chunk = retrieved_chunk("bridge.txt", text, title=opening, chunk_index=0)
    assert _quoted(chunk).startswith(opening)


@pytest.mark.parametrize(("text", "title", "given", "expected"), [
    ("Bridge repair bill rises", "Bridge repair bill rises", True, True),
    ("bridge repair bill rises.", "Bridge Repair Bill — Rises", True, True),
    ("Bridge repair bill rises to 22 million crowns", "Bridge repair bill rises", True, False),
    # A first line taken as the title only counts when it reads as a headline.
    ("The bill rose to 22 million crowns.", "The bill rose to 22 million crowns.", False, False),
    ("Bridge repair bill rises", "Bridge repair bill rises", False, True),
    ("Bridge repair bill rises", "", False, False),
])
def test_is_title(text: str, title: str, given: bool, expected: bool) -> None:
    assert is_title(text, title, given) is expected


# -- end to end on the sample corpus -----------------------------------------------------------


def test_age_the_articles_never_give_is_refused_with_the_reason(
        extractive_bot: NewsBot) -> None:
    answer = extractive_bot.answer("How old is Volodymyr Zelensky?")
    assert answer.refused and answer.citations == ()
    assert answer.text.startswith(REFUSAL) and "age" in answer.text


def test_a_cost_the_articles_never_give_is_refused_with_the_reason(
        extractive_bot: NewsBot) -> None:
    # The articles give the force's size (10,000 troops, 35 countries), never a cost.
    answer = extractive_bot.answer("How much will the peacekeeping mission cost?")
    assert answer.refused and answer.citations == ()
    assert "amount of money" in answer.text


def test_outcome_of_a_planned_call_is_refused_with_the_reason(extractive_bot: NewsBot) -> None:
    answer = extractive_bot.answer("What was the outcome of the Trump-Putin call on Tuesday?")
    assert answer.refused and answer.citations == ()
    assert "Tuesday only as planned" in answer.text


def test_a_duration_ranked_below_the_first_chunks_is_still_found(
        extractive_bot: NewsBot) -> None:
    # The five chunks nearest this question talk about accepting proposals, not the 30 days;
    # the answerer looks deeper for a duration before giving up.
    answer = extractive_bot.answer("How long is the ceasefire that Ukraine accepted?", top_k=5)
    assert not answer.refused
    assert "30-day" in answer.text


def test_a_name_none_of_the_passages_mentions_is_unknown_to_them() -> None:
    from bot.answering.evidence.answerability import passage_vocabulary

    passages = passage_vocabulary(["The U.S. military struck a boat near Britain on Monday."])

    def unknown(question: str) -> str | None:
        return unknown_subject(question, passages.__contains__, time_words=False)

    assert unknown("Who celebrated in the Netherlands?") == "Netherlands"
    # "US" as the passages write it ("U.S."), the UK or America by another of their names, a
    # day or month (passages seldom repeat it), a hyphenated word by any part.
    assert unknown("Wildfires devastated which part of the US in January?") is None
    assert unknown("Which club could squeeze the UK's rival?") is None
    assert unknown("Where did the American leader speak?") is None
    assert unknown("What went down on Tuesday?") is None
    assert unknown("Who agreed to a US-brokered plan?") is None
    # Against the corpus a month it never names is a subject: it cannot answer about it.
    assert unknown_subject("What was the rate in March?", passages.__contains__) == "March"
