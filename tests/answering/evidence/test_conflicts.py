"""The conflict detector (bot/answering/evidence/conflicts.py) and the sentence that tells a
reader (evidence/sources_differ.py): true disagreements found, near misses left alone."""

from __future__ import annotations

import pytest

from bot.answering.evidence.conflicts import (
    Conflict,
    Side,
    Statement,
    bears_on,
    disagreement,
    find_conflict,
)
from bot.answering.evidence.sources_differ import PREFIX, with_conflict
from bot.models import Answer, Citation
from tests.core_fixtures import retrieved_chunk

GRAIN = ("The port of Velmora shipped a record 2.1 million tonnes of grain in January, "
         "harbour officials said on Monday.")


@pytest.mark.parametrize(("a", "b", "expected"), [
    (GRAIN, GRAIN.replace("2.1", "2.6"),
     ("number", "record 2.1 million tonnes", "record 2.6 million tonnes")),
    ("Inflation rose to 3.1% in February, the statistics office said.",
     "Inflation rose to 2.9% in February, the statistics office reported.",
     ("number", "to 3.1% in February", "to 2.9% in February")),
    ("The talks were held in Riyadh on Tuesday, officials said.",
     "The talks were held in Jeddah on Tuesday, officials said.",
     ("name", "in Riyadh on Tuesday", "in Jeddah on Tuesday")),
    ("The summit will open on March 11 in Geneva.", "The summit will open on March 14 in Geneva.",
     ("number", "March 11 in Geneva", "March 14 in Geneva")),
    ("The summit will open on Tuesday in Geneva.", "The summit will open on Thursday in Geneva.",
     ("date", "on Tuesday in Geneva", "on Thursday in Geneva")),
    # A role word before the same title and name, however the rest is worded.
    ("Former U.S. President Donald Trump and Russian President Vladimir Putin will speak.",
     "WASHINGTON/MOSCOW — US President Donald Trump said he plans to talk with Putin.",
     ("title", "Former U.S. President Donald Trump", "US President Donald Trump")),
])
def test_a_changed_value_in_the_same_statement_is_a_disagreement(
        a: str, b: str, expected: tuple[str, str, str]) -> None:
    assert disagreement(a, b) == expected


@pytest.mark.parametrize(("a", "b"), [
    # The same figure written two ways.
    ("Each week brings 2,500 soldier deaths.", "Each week brings 2500 soldier deaths."),
    # Who and when both changed: another event, not a disagreement.
    ("Trump spoke with Putin on Tuesday about the ceasefire.",
     "Trump spoke with Zelensky on Wednesday about the ceasefire."),
    # One sentence gives a change "from" one value "to" another the other confirms.
    ("Prices rose from 3 percent to 5 percent in May.", "Prices rose to 5 percent in May."),
    # The same figure, in different words: no slot differs.
    (GRAIN, "Harbour officials said on Monday that Velmora shipped a record 2.1 million "
            "tonnes of grain in January."),
    # Different facts about one subject, each with its own figure (paraphrases are not
    # compared slot by slot).
    ("Velmora's harbour employs 1,200 dock workers, the port authority said.",
     "The port of Velmora shipped a record 2.1 million tonnes of grain in January."),
    # A name changes and so do many other words: no longer one statement.
    ("Minister Karel Dunne said the rate would fall by the summer.",
     "Minister Ilse Brandt warned that dredging the channel would have to wait a year."),
    # Identical sentences.
    (GRAIN, GRAIN),
    # The same titled name, with the role word in both.
    ("Former President Barack Obama spoke in Chicago.",
     "Former President Barack Obama endorsed the plan on Friday."),
])
def test_near_misses_are_not_disagreements(a: str, b: str) -> None:
    assert disagreement(a, b) is None


def test_only_pairs_from_two_articles_that_include_a_quoted_sentence_count() -> None:
    quoted = Statement(1, GRAIN, "a.md", "2025-02-17")
    same_article = Statement(2, GRAIN.replace("2.1", "2.6"), "a.md", "2025-02-17")
    assert find_conflict([quoted], [same_article]) is None
    # Two near-top sentences that disagree, neither of them quoted: not about the answer.
    other = Statement(3, GRAIN.replace("2.1", "2.4"), "c.md", "2025-02-20")
    assert find_conflict([quoted], [same_article, other]) is not None
    unquoted = Statement(4, GRAIN.replace("2.1", "2.8"), "d.md", "2025-02-10")
    assert find_conflict([Statement(5, "Something else entirely was said.", "e.md")],
                         [other, unquoted]) is None


def test_the_older_side_comes_first() -> None:
    newer = Statement(1, GRAIN.replace("2.1", "2.6"), "b.md", "2025-02-24")
    older = Statement(2, GRAIN, "a.md", "2025-02-17")
    conflict = find_conflict([newer], [older])
    assert conflict is not None
    assert (conflict.first.source, conflict.second.source) == (2, 1)
    assert conflict.first.value == "record 2.1 million tonnes"


# -- the sentence an answer gets ----------------------------------------------------------------

A_TEXT = f"Velmora port ships record grain\n\n{GRAIN}"
B_TEXT = f"Velmora grain figure revised\n\n{GRAIN.replace('2.1', '2.6')}"
CHUNKS = [retrieved_chunk("a.md", A_TEXT, date="2025-02-17", site="Harbour Daily"),
          retrieved_chunk("b.md", B_TEXT, date="2025-02-24")]
CONFLICT = Conflict("number", Side(1, GRAIN, "record 2.1 million tonnes", "2025-02-17"),
                    Side(2, GRAIN.replace("2.1", "2.6"), "record 2.6 million tonnes",
                         "2025-02-24"))


def answer_citing_a() -> Answer:
    return Answer(question="How much grain?", text=f"{GRAIN} [1]",
                  citations=(Citation(1, "a.md", "a", GRAIN, 0.8, article_id="a.md",
                                      date="2025-02-17", site="Harbour Daily"),))


def test_both_sides_are_cited_with_their_dates() -> None:
    answer = with_conflict(answer_citing_a(), CONFLICT, CHUNKS)
    assert answer.text.splitlines()[1] == (
        f"{PREFIX} Harbour Daily (2025-02-17) says “record 2.1 million tonnes” [1]; "
        "another (2025-02-24) says “record 2.6 million tonnes” [2].")
    first, second = answer.citations
    assert first.quote == GRAIN  # already quoted: not repeated
    assert (second.n, second.file, second.date) == (2, "b.md", "2025-02-24")
    assert second.quote == GRAIN.replace("2.1", "2.6")


def test_no_sentence_for_a_refusal_or_a_side_its_source_does_not_state() -> None:
    refused = Answer(question="q", text="The articles don't cover this.", refused=True)
    assert with_conflict(refused, CONFLICT, CHUNKS) == refused
    unstated = Conflict("number", CONFLICT.first,
                        Side(2, GRAIN.replace("2.1", "9.9"), "record 9.9 million tonnes"))
    assert with_conflict(answer_citing_a(), unstated, CHUNKS) == answer_citing_a()
    assert with_conflict(answer_citing_a(), None, CHUNKS) == answer_citing_a()


TITLED = ("Former President Donald Trump and Russian President Vladimir Putin are due to speak "
          "by phone on Tuesday.")
UNTITLED = "US President Donald Trump said on Monday that he would speak with Putin on Tuesday."


@pytest.mark.parametrize(("question", "told"), [
    ("Is Donald Trump described as the current or the former US president?", True),
    ("What did Trump say about the call?", True),  # an open question takes any kind
    ("On which day were Trump and Putin due to speak by phone?", False),  # asks for a day
    ("Who speaks on behalf of the Russian presidency?", False),  # names no titled person
])
def test_a_disagreement_is_told_only_when_it_bears_on_the_question(question: str,
                                                                    told: bool) -> None:
    found = disagreement(TITLED, UNTITLED)
    assert found is not None and found[0] == "title"
    assert bears_on(*found, question) is told
    conflict = find_conflict([Statement(1, TITLED, "a.txt")], [Statement(2, UNTITLED, "b.txt")],
                             question)
    assert (conflict is not None) is told


def test_a_figure_disagreement_is_told_to_a_how_many_question_not_a_where_one() -> None:
    found = disagreement(GRAIN, GRAIN.replace("2.1", "2.6"))
    assert found is not None
    assert bears_on(*found, "How many tonnes of grain did Velmora ship in January?")
    assert not bears_on(*found, "Where did the grain ship from?")


def test_the_alignment_thresholds_come_from_the_tuning() -> None:
    from bot.tuning import DEFAULTS

    changed = GRAIN.replace("2.1", "2.6")
    assert disagreement(GRAIN, changed) is not None
    strict = DEFAULTS.model_copy(update={"conflict_min_similarity": 1.0})
    assert disagreement(GRAIN, changed, strict) is None  # one word differs: not identical
    reworded = changed.replace("harbour officials said", "port authorities reported")
    assert disagreement(GRAIN, reworded) is None  # six other words differ, three each side
    loose = DEFAULTS.model_copy(update={"conflict_max_other_words": 6})
    assert disagreement(GRAIN, reworded, loose) is not None
