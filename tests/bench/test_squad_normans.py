"""bench/squad_normans.py end to end on a tiny SQuAD-format file (extractive, no baseline):
the scores it writes, and ``--every`` asking the same subset of questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import squad_normans

PARAGRAPHS = [
    ("The Normans gave their name to Normandy, a region in France. Rollo was their first ruler.",
     [("In what country is Normandy located?", ["France"]),
      ("Who was the first ruler of the Normans?", ["Rollo"])]),
    ("The Norman conquest of England began in 1066 at the Battle of Hastings.",
     [("When did the Norman conquest of England begin?", ["1066"]),
      ("What is the capital of Australia?", [])]),
]


def _dev_file(path: Path) -> Path:
    paragraphs = [{"context": context, "qas": [
        {"id": f"q{i}-{j}", "question": question, "is_impossible": not golds,
         "answers": [{"text": g, "answer_start": context.index(g)} for g in golds]}
        for j, (question, golds) in enumerate(qas)]}
        for i, (context, qas) in enumerate(PARAGRAPHS)]
    path.write_text(json.dumps({"data": [{"title": "Normans", "paragraphs": paragraphs}]}),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize(("every", "asked"), [(1, 4), (2, 2)])
def test_the_benchmark_scores_every_nth_question(tmp_path: Path, every: int,
                                                 asked: int) -> None:
    out = tmp_path / "out"
    assert squad_normans.main(["--data", str(_dev_file(tmp_path / "dev.json")), "--out",
                               str(out), "--per-file", "1", "--llm", "extractive",
                               "--no-baseline", "--every", str(every)]) == 0
    [result] = out.glob("squad_normans_*.json")
    newsbot = json.loads(result.read_text(encoding="utf-8"))["systems"]["newsbot"]
    assert len(newsbot["questions"]) == asked
    assert newsbot["metrics"]["hit@5"] == 1.0
    # Each question keeps the answer shown, to read a failure (or a "refusal") by.
    assert all(row["answer"].strip() for row in newsbot["questions"])


def test_every_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        squad_normans.main(["--out", str(tmp_path), "--every", "0"])
    assert exited.value.code == 2
    assert "--every must be 1 or more" in capsys.readouterr().err
