"""bench/reading_ceiling.py: where a quiz question's gold stands in what answering found, and
the model asked over the chosen sentences and over them with a gold sentence first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bench.reading_ceiling import (
    IN_CHOSEN,
    IN_PASSAGES,
    NOT_RETRIEVED,
    RULES_REFUSE,
    Reading,
    evidence_rules,
    gold_sentence,
    main,
    read_case,
    table,
    with_gold_sentence,
)
from bot.answering.evidence.selection import Candidate
from bot.engine import NewsBot
from bot.evaluation.news_quiz import load_quiz
from ingest.embedding.cache import CachingEncoder
from tests.core_fixtures import make_settings, retrieved_chunk, write_quiz_set

ARTICLES = [
    {"id": "lion", "title": "Harbor Zoo welcomes a lion", "published": "2025-04-10",
     "url": "https://zoo.example/lion", "source": "zoo.example",
     "text": "The Harbor Zoo welcomed a young lion named Odo on Tuesday, keepers said. "
             "The lion arrived from a sanctuary in Kenya after a long journey."},
    {"id": "bridge", "title": "Old bridge closes for repairs", "published": "2025-04-12",
     "url": "https://city.example/bridge", "source": "city.example",
     "text": "The Old Tollgate Bridge closed on Monday for six weeks of repairs. "
             "The city said the repairs to the Old Tollgate Bridge would cost 2 million "
             "dollars. Engineers found cracks in two of its arches last winter. "
             "Ferries will run every half hour in the meantime."},
]
QUESTIONS = [
    {"id": "lion", "question": "Which animal did the Harbor Zoo welcome from Kenya?",
     "date": "2025-04-30", "choices": ["A lion", "A cheetah"], "gold": "A lion",
     "kind": "answerable", "gold_urls": ["https://zoo.example/lion"]},
    # Answered by the articles, but not with the gold: nothing retrieved names it.
    {"id": "cost", "question": "How much will the Old Tollgate Bridge repairs cost?",
     "date": "2025-04-30", "choices": ["5 million dollars", "2 million dollars"],
     "gold": "5 million dollars", "kind": "answerable", "gold_urls": []},
    # A gold that a sentence the rules don't choose states (as a mislabelled or misread
    # question would have it): in the passages, not in the chosen sentences.
    {"id": "ferries", "question": "How much will the Old Tollgate Bridge repairs cost?",
     "date": "2025-04-30", "choices": ["every half hour", "3 million dollars"],
     "gold": "every half hour", "kind": "answerable", "gold_urls": []},
    {"id": "refuse", "question": "Who won the chess final?", "date": "2025-04-30",
     "choices": ["Ann", "Bo"], "gold": "Ann", "kind": "refuse", "gold_urls": []},
]


class FirstSourceModel:
    """A chat model that answers with the text of the first source it is shown: right when
    the evidence shows a gold sentence first."""

    label = "test:first-source"

    def __init__(self) -> None:
        self.asked = 0

    def chat(self, messages: list[dict[str, str]], on_text: Callable[[str], None] | None = None,
             *, max_tokens: int = 384) -> str:
        self.asked += 1
        sources = messages[-1]["content"].split("Sources:\n", 1)[1]
        return sources.split("\n", 2)[1] + " [1]"  # the line after "[1] headline · date"


def _candidate(source: int, text: str) -> Candidate:
    return Candidate(source=source, text=text, terms=frozenset(), keyword=0.0)


def test_the_first_retrieved_sentence_naming_the_gold_is_found() -> None:
    chunks = [retrieved_chunk("a.txt", "The zoo opened. Keepers fed the animals."),
              retrieved_chunk("b.txt", "A lion named Odo arrived. The lion was tired.",
                              date="2025-04-10")]
    found = gold_sentence(chunks, "A lion")
    assert found is not None
    assert (found.source, found.text, found.date) == (2, "A lion named Odo arrived.",
                                                       "2025-04-10")
    assert gold_sentence(chunks, "A cheetah") is None


def test_the_gold_sentence_takes_the_last_chosen_place() -> None:
    gold = _candidate(3, "gold")
    three = [_candidate(1, "a"), _candidate(1, "b"), _candidate(2, "c")]
    assert [c.text for c in with_gold_sentence(gold, three)] == ["gold", "a", "b"]
    assert [c.text for c in with_gold_sentence(gold, three[:1])] == ["gold", "a"]


def test_each_question_is_placed_and_the_model_scored(tmp_path: Path,
                                                      local_encoder: CachingEncoder) -> None:
    questions = write_quiz_set(tmp_path, ARTICLES, QUESTIONS)
    bot = NewsBot(make_settings(tmp_path / "data", tmp_path / "corpus"), encoder=local_encoder)
    bot.ingest()
    rules = evidence_rules(bot)
    cases = {c.id: c for c in load_quiz(questions)}
    model = FirstSourceModel()

    lion = read_case(bot, rules, model, cases["lion"])
    assert lion.place == IN_CHOSEN
    assert lion.as_chosen is True and "lion" in lion.reply_as_chosen
    assert lion.with_gold is None  # the same evidence: asked once
    cost = read_case(bot, rules, model, cases["cost"])
    assert cost.place == NOT_RETRIEVED and cost.as_chosen is False
    ferries = read_case(bot, rules, model, cases["ferries"])
    assert ferries.place == IN_PASSAGES
    assert ferries.as_chosen is False and "half hour" not in ferries.reply_as_chosen
    assert ferries.with_gold is True and "half hour" in ferries.reply_with_gold
    assert model.asked == 4
    # Without a model only the places are read.
    assert read_case(bot, rules, None, cases["lion"]).as_chosen is None


def test_the_table_counts_each_place_and_the_better_evidence() -> None:
    readings = [Reading("1", "q", "g", IN_CHOSEN, as_chosen=True),
                Reading("2", "q", "g", IN_PASSAGES, as_chosen=False, with_gold=True),
                Reading("3", "q", "g", IN_PASSAGES, as_chosen=False, with_gold=False),
                Reading("4", "q", "g", NOT_RETRIEVED, as_chosen=False),
                Reading("5", "q", "g", RULES_REFUSE)]
    rows = table(readings, with_model=True).splitlines()
    assert rows[2] == "| in the chosen sentences | 1 | 1 | (the same) |"
    assert rows[3] == "| elsewhere in the passages | 2 | 0 | 1 |"
    assert rows[-1] == "| **all answerable** | 5 | 1 (0.200) | 2 (0.400) |"
    assert table(readings, with_model=False).splitlines()[3] == \
        "| elsewhere in the passages | 2 | — | — |"


def test_a_missing_set_is_one_line_of_error(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--set", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
