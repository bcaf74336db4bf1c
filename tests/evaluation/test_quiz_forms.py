"""A news-quiz set asked as yes-or-no questions and with two choices named: how they are
made, scored, and run by ``newsbot eval --yes-no`` and ``--choices``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.evaluation.news_quiz import QuizCase
from bot.evaluation.quiz_forms import (
    YesNoScore,
    offering_choices,
    turned,
    yes_no_cases,
    yes_no_metrics,
)
from bot.models import Answer
from tests.core_fixtures import error_lines, run_newsbot
from tests.evaluation.test_news_quiz import _write_quiz


@pytest.mark.parametrize(("question", "choice", "expected"), [
    ("Who was elected New York City’s mayor on Tuesday?", "Zohran Mamdani",
     "Was Zohran Mamdani elected New York City’s mayor on Tuesday?"),
    ("Who won the race?", "Ann Lee", "Is it Ann Lee who won the race?"),
    ("Which state banned ultraprocessed foods in public schools?", "California",
     "Is it California that banned ultraprocessed foods in public schools?"),
    ("Which tech CEO was offered a pay package?", "Elon Musk",
     "Is it Elon Musk that was offered a pay package?"),
    ("Which tennis player recently won his second US Open title?", "Carlos Alcaraz",
     "Is it Carlos Alcaraz that recently won his second US Open title?"),
    # The scene stays; only the asking sentence is turned.
    ("Thanksgiving has football. Which NFL team has played the most games?", "Detroit Lions",
     "Thanksgiving has football. Is it Detroit Lions that has played the most games?"),
    # Not turned: inverted, "which of the following", open questions.
    ("Which country is Pope Leo XIV from?", "Peru", None),
    ("Which of the following is included in the deal?", "Hostages", None),
    ("What is the name of November’s supermoon?", "Beaver Moon", None),
])
def test_quiz_questions_are_turned_into_yes_or_no_questions(
        question: str, choice: str, expected: str | None) -> None:
    assert turned(question, choice) == expected


def _case(question: str, refuse: bool = False) -> QuizCase:
    return QuizCase("q", question, date(2025, 5, 1), ("Ann Lee", "Ann Lee Jr", "Bo Ray"),
                    "Ann Lee", refuse=refuse)


def test_each_turnable_case_gives_a_yes_and_a_no_question() -> None:
    made = yes_no_cases([_case("Who won the race?"), _case("Who won the cup?", refuse=True),
                         _case("Why did it rain?")])
    # The distractor containing the gold ("Ann Lee Jr") is passed over: a quote naming it
    # names the gold.
    assert [(c.id, c.expected, c.question) for c in made] == [
        ("q-yes", "Yes", "Is it Ann Lee who won the race?"),
        ("q-no", "No", "Is it Bo Ray who won the race?")]


def test_verdicts_are_scored_by_the_answers_first_word() -> None:
    yes, no = yes_no_cases([_case("Who won the race?")])

    def score(case: object, text: str, refused: bool = False) -> YesNoScore:
        return YesNoScore(case, Answer(question="?", text=text, refused=refused))  # type: ignore[arg-type]

    scores = [score(yes, "Yes. Ann Lee won [1]."), score(no, "Yes, Bo Ray won [1]."),
              score(yes, "Ann Lee won the race [1]."), score(no, "No. It was Ann Lee [1].")]
    assert [(s.verdict, s.right, s.wrong) for s in scores] == [
        ("Yes", True, False), ("Yes", False, True), (None, False, False), ("No", True, False)]
    metrics = yes_no_metrics(scores)
    assert (metrics.questions, metrics.yes_right, metrics.no_right) == (4, 0.5, 0.5)
    assert (metrics.wrong, metrics.unsettled) == (0.25, 0.25)
    # A refusal has no verdict, even one reading "No articles …".
    assert score(no, "No article mentions it.", refused=True).verdict is None


def test_newsbot_eval_yes_no_runs_a_quiz_set_end_to_end(tmp_path: Path) -> None:
    _write_quiz(tmp_path)
    questions = tmp_path / "yes_no.json"
    questions.write_text(json.dumps([
        {"id": "odo", "question": "Which zoo welcomed a young lion named Odo on Tuesday?",
         "date": "2025-04-30", "choices": ["Harbor Zoo", "Bay Zoo"], "gold": "Harbor Zoo",
         "kind": "answerable", "gold_urls": ["https://zoo.example/lion"]}]), encoding="utf-8")
    result = run_newsbot("eval", "--set", str(questions), "--corpus", str(tmp_path / "corpus"),
                         "--llm", "extractive", "--yes-no", "--json", cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    cases = {c["id"]: c for c in report["cases"]}
    assert cases["odo-yes"]["question"] == ("Is it Harbor Zoo that welcomed a young lion named "
                                            "Odo on Tuesday?")
    # The quote states the whole claim: Yes. Of the Bay Zoo, nothing settles it.
    assert cases["odo-yes"]["said"] == "Yes" and cases["odo-no"]["said"] is None
    assert report["metrics"]["yes_right"] == 1.0 and report["metrics"]["wrong"] == 0.0
    golden = run_newsbot("eval", "--yes-no", cwd=tmp_path)
    assert golden.returncode == 2
    assert error_lines(golden.stderr) == [
        "error: --yes-no is for a news-quiz set (RealTimeQA's questions.json)"]


def test_each_case_is_offered_with_its_gold_and_a_distractor_in_turn() -> None:
    first, second = offering_choices([_case("Who won the race?"), _case("Who won the cup?")])
    assert first.question == "Who won the race, Ann Lee or Bo Ray?"
    assert second.question == "Who won the cup, Bo Ray or Ann Lee?"
    assert first.choices == ("Ann Lee", "Bo Ray") and first.gold == "Ann Lee"


def test_newsbot_eval_choices_runs_a_quiz_set_end_to_end(tmp_path: Path) -> None:
    questions = _write_quiz(tmp_path)
    result = run_newsbot("eval", "--set", str(questions), "--llm", "extractive", "--choices",
                         "--json", cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["choices"] is True
    cases = {c["id"]: c for c in report["newsbot"]["cases"]}
    assert cases["after"]["question"] == ("Which animal did the Harbor Zoo welcome from "
                                          "Namibia, A lion or A cheetah?")
    # The lion the question offers is a choice, not its subject: the cheetah's article answers.
    assert cases["after"]["right"]
    # Asked before any article about a cheetah, it is still refused.
    assert cases["none"]["refused"]
    both = run_newsbot("eval", "--set", str(questions), "--choices", "--yes-no", cwd=tmp_path)
    assert both.returncode == 2
    assert error_lines(both.stderr) == [
        "error: --yes-no and --choices are two forms of the set: pick one"]
