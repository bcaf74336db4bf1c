"""Each sentence of a model's reply shown only with a source that supports it (replies as the
Qwen2.5-Coder 1.5B model wrote them on the golden set, on small sources)."""

from __future__ import annotations

from bot.answering.llm.grounding import ground
from tests.core_fixtures import retrieved_chunk

SOURCES = [
    retrieved_chunk("a.txt", "Negotiations for a 30-day ceasefire were held in Saudi Arabia. "
                             "Witkoff met Putin in Moscow."),
    retrieved_chunk("b.txt", "About 35 countries have agreed to supply weapons and "
                             "intelligence support to the mission."),
]


def test_a_supported_marker_stays() -> None:
    assert ground("The ceasefire talks were held in Saudi Arabia [1].", SOURCES) == \
        "The ceasefire talks were held in Saudi Arabia [1]."


def test_an_unmarked_sentence_cites_the_source_that_states_it() -> None:
    reply = "About 35 countries have agreed to supply weapons to the mission."
    assert ground(reply, SOURCES) == \
        "About 35 countries have agreed to supply weapons to the mission [2]."


def test_a_wrongly_cited_sentence_cites_the_source_that_states_it() -> None:
    reply = "About 35 countries have agreed to supply intelligence support [1]."
    assert ground(reply, SOURCES) == \
        "About 35 countries have agreed to supply intelligence support [2]."


def test_a_sentence_no_source_states_is_left_out() -> None:
    reply = ("The talks were held in Saudi Arabia [1]. Zelensky is 47 years old and was "
             "born in Kryvyi Rih [2].")
    assert ground(reply, SOURCES) == "The talks were held in Saudi Arabia [1]."


def test_a_not_covered_sentence_after_an_answer_is_left_out() -> None:
    reply = "Witkoff met Putin in Moscow [1].\nThe articles don't cover this."
    assert ground(reply, SOURCES) == "Witkoff met Putin in Moscow [1]."


def test_what_markers_leave_behind_is_tidied() -> None:
    reply = "Witkoff met Putin in Moscow, according to sources [1], [1]."
    assert ground(reply, SOURCES) == "Witkoff met Putin in Moscow [1]."
    assert ground("Karoline [1] Witkoff met Putin in Moscow.", SOURCES) == \
        "Karoline Witkoff met Putin in Moscow [1]."
    # A list of markers leaves its commas and "and" behind, and the phrase that led to it.
    for reply in ("Witkoff met Putin in Moscow, as stated in [1], [1], and [1].",
                  "Witkoff met Putin in Moscow, according to the sources [1], and [1]."):
        assert ground(reply, SOURCES) == "Witkoff met Putin in Moscow [1]."


def test_nothing_supported_leaves_nothing() -> None:
    assert ground("The weather was sunny [1]. [2]", SOURCES) == ""


def test_a_sentence_ending_in_a_quotation_keeps_its_marker_before_the_stop() -> None:
    reply = 'Witkoff said he "met Putin in Moscow." [1]'
    assert ground(reply, SOURCES) == 'Witkoff said he "met Putin in Moscow [1]."'


def test_a_name_or_figure_its_sources_do_not_give_is_not_shown() -> None:
    # Word overlap alone would pass these: the sources speak of Witkoff, Moscow, 35 countries.
    assert ground("Witkoff met Putin in Moscow, according to Dominic Raab [1].", SOURCES) == ""
    assert ground("About 40 countries have agreed to supply weapons [2].", SOURCES) == ""
    # Names from the question, and adjectives of the places named, are the sources' own.
    assert ground("The ceasefire talks were held in the Saudi Arabian capital [1].", SOURCES) == \
        "The ceasefire talks were held in the Saudi Arabian capital [1]."
    assert ground("Trump's envoy met Putin in Moscow [1].", SOURCES,
                  question="Where did Trump's envoy meet Putin?") == \
        "Trump's envoy met Putin in Moscow [1]."


def test_a_sentence_joining_two_sources_cites_both() -> None:
    reply = "About 35 countries will supply weapons, and Witkoff met Putin in Moscow [2]."
    assert ground(reply, SOURCES) == \
        "About 35 countries will supply weapons, and Witkoff met Putin in Moscow [2][1]."


def test_a_wrong_number_gives_way_to_the_source_that_names_and_states_it() -> None:
    # The 1.5B model wrote "Mark Carney [2]" where source 1 names him; source 2 shares a few
    # words only. Citing both (the join rule) would list a source that says nothing of him.
    sources = [
        retrieved_chunk("a.txt", "Western leaders, including Canadian Prime Minister Mark "
                                 "Carney, demand clear commitments from Russia."),
        retrieved_chunk("b.txt", "Grushko said Russia demands guarantees and commitments."),
    ]
    assert ground("Mark Carney demands clear commitments from Russia [2].", sources) == \
        "Mark Carney demands clear commitments from Russia [1]."


def test_a_source_headline_said_back_is_not_an_answer_sentence() -> None:
    sources = [retrieved_chunk("a.txt", "Witkoff met Putin in Moscow on Thursday.",
                               title="Trump plans talks with Putin over truce")]
    reply = "Witkoff met Putin in Moscow [1]. Trump plans talks with Putin over truce [1]."
    assert ground(reply, sources) == "Witkoff met Putin in Moscow [1]."


def test_a_day_the_sources_do_not_give_is_left_out_and_the_rest_shown() -> None:
    # The 1.5B model added "on May 9" (the article is dated June 9) to a revised figure.
    sources = [retrieved_chunk("a.txt", "The office revised its figure for April to 6.8 "
                                        "percent, after late returns from employers.")]
    reply = "It was revised to 6.8 percent on May 9, after late returns from employers [1]."
    assert ground(reply, sources) == \
        "It was revised to 6.8 percent, after late returns from employers [1]."
    # A day the source gives stays; a wrong figure still drops the sentence.
    assert ground("The figure for April was revised to 6.8 percent [1].", sources) == \
        "The figure for April was revised to 6.8 percent [1]."
    assert ground("It was revised to 6.9 percent on Tuesday [1].", sources) == ""
    # Neither a day named by the question nor a year in a count is taken for the model's own.
    assert ground("The figure for April was revised on Friday to 6.8 percent [1].", sources,
                  question="What was it revised to on Friday?") == \
        "The figure for April was revised on Friday to 6.8 percent [1]."
    assert ground("In 2000 cases the figure for April was revised to 6.8 percent [1].",
                  sources) == ""
    # When the day is what was asked, a wrong day is a wrong answer: not shown at all.
    for question in ("When was the figure revised?",
                     "What was the figure, and when was it revised?"):
        assert ground(reply, sources, question=question) == ""
