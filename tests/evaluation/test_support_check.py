"""The independent citation-support check (key facts) and its agreement with hand labels."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.answering.citations import SUPPORT_THRESHOLD, support
from bot.evaluation.key_facts import check_key_facts, key_facts
from bot.evaluation.llm_judges import judge_support, openai_like
from bot.evaluation.support_agreement import default_labels_path, load_labels, main
from bot.settings import Settings
from ingest.errors import BadInputError
from tests.fakes.fake_model import message_text
from tests.fakes.openai_server import FakeOpenAIServer

REPO = Path(__file__).resolve().parents[2]
QUOTE = ("Russia seized Crimea in 2014 and currently controls large portions of four eastern "
         "Ukrainian regions since its full-scale invasion in 2022.")
FESTIVAL = ("A record 48,000 visitors attended Port Calder's lantern festival over the weekend, "
            "organisers said on Thursday.")


@pytest.mark.parametrize("claim", [
    "Russia seized Crimea in 2014 [1].",
    "Russia controls large parts of 4 eastern regions of Ukraine [1].",  # four = 4
    "It controls portions of four Ukrainian regions [2].",  # no name but Ukrainian
    "Officials said Russia has held Crimea since 2014 [1].",  # "Officials": not a name
])
def test_claims_whose_key_facts_are_in_the_quote_are_supported(claim: str) -> None:
    verdict = check_key_facts(claim, QUOTE)
    assert verdict.supported, verdict.reason


@pytest.mark.parametrize(("claim", "missing"), [
    ("Russia seized Crimea in 2015 [1].", "2015"),  # wrong year
    ("Russia controls large portions of three eastern Ukrainian regions [1].", "3"),
    ("Ukraine says Vladimir Putin controls four regions [1].", "vladimir, putin"),
])
def test_a_wrong_number_or_an_absent_name_is_unsupported(claim: str, missing: str) -> None:
    verdict = check_key_facts(claim, QUOTE)
    assert not verdict.supported
    assert verdict.reason == f"not in the quote: {missing}"


def test_numbers_are_compared_without_separators_and_with_their_scale() -> None:
    assert check_key_facts("48000 visitors came [1].", FESTIVAL).supported
    assert not check_key_facts("84,000 visitors came [1].", FESTIVAL).supported
    assert not check_key_facts("Repairs cost 14 billion crowns [1].",
                               "Repairs were estimated at 14 million crowns.").supported


def test_the_questions_own_words_need_no_support() -> None:
    """The claim restates the question and adds one name: only that name is checked."""
    question = "Who convened the virtual meeting of the Coalition of the Willing on Sunday?"
    quote = "British Prime Minister Keir Starmer led a virtual meeting on Sunday."
    assert check_key_facts("Keir Starmer convened the Coalition of the Willing meeting on "
                           "Sunday [1].", quote, question).supported
    wrong = check_key_facts("Emmanuel Macron convened the Coalition of the Willing meeting on "
                            "Sunday [1].", quote, question)
    assert not wrong.supported and wrong.reason == "not in the quote: emmanuel, macron"
    # The old rule passes the wrong answer: the question's words carry it.
    assert support("Emmanuel Macron convened the Coalition of the Willing meeting on Sunday.",
                   quote) >= SUPPORT_THRESHOLD


def test_a_negated_claim_needs_a_negating_quote() -> None:
    quote = "Putin has expressed conditional support for a ceasefire."
    verdict = check_key_facts("Putin has not expressed support for a ceasefire [1].", quote)
    assert not verdict.supported and "negates" in verdict.reason
    assert check_key_facts("Putin hasn't backed a ceasefire [1].",
                           "Putin did not back the ceasefire.").supported


def test_key_facts_are_numbers_dates_and_names() -> None:
    assert key_facts("On Monday, Elon Musk was offered $1 trillion by Tesla in May [1].") == [
        "monday", "elon", "musk", "1", "trillion", "tesla", "may"]
    # "May" opening a sentence, a lower-case "may", and "The" are no facts.
    assert key_facts("May the talks resume? Officials may agree.") == []


# -- agreement with the hand labels ---------------------------------------------------------------

def test_the_shipped_labels_have_fifty_with_reasons_and_both_kinds() -> None:
    labels = load_labels(default_labels_path())
    assert len(labels) >= 50
    assert all(label.reason.strip() for label in labels)
    assert {label.supported for label in labels} == {True, False}
    assert any(label.origin.endswith("/qwen1.5b") for label in labels)
    assert any(label.origin.endswith("/extractive") for label in labels)


def _agreement(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.evaluation.support_agreement", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=120)


def test_agreement_command_scores_both_checks_on_the_labels() -> None:
    done = _agreement("--json")
    assert done.returncode == 0, done.stderr
    checks = {c["check"].split(" (")[0]: c for c in json.loads(done.stdout)["checks"]}
    old, new = checks["support"], checks["key facts"]
    assert old["labels"] == new["labels"] >= 50
    # What docs/evaluation.md claims: the key-fact check agrees with the labels more often
    # and finds unsupported citations the engine's own rule passes.
    assert new["accuracy"] > old["accuracy"]
    assert new["unsupported_recall"] > old["unsupported_recall"]
    # Labels from real runs are counted apart from the constructed hard cases.
    assert 0 < new["real_runs"]["labels"] < new["labels"]
    table = _agreement()
    assert table.returncode == 0 and "key facts (citation_support_independent)" in table.stdout


def test_a_bad_labels_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "labels.yaml"
    bad.write_text("- id: x\n  claim: y\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="lacks origin, question, quote"):
        load_labels(bad)
    done = _agreement("--labels", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "lacks" in done.stderr


# -- the LLM judge (measured, not the metric) -----------------------------------------------------

def _numbers_judge(messages: list[dict[str, Any]]) -> str:
    """A judge that says YES when every number of the CLAIM line is in the QUOTE line."""
    prompt = "\n".join(message_text(m) for m in messages)
    claim = re.search(r"^CLAIM: (.*)$", prompt, re.MULTILINE)
    quote = re.search(r"^QUOTE: (.*)$", prompt, re.MULTILINE)
    if not claim or not quote:
        return "I cannot tell."
    numbers = re.findall(r"\d+", claim.group(1))
    return "YES" if all(n in quote.group(1) for n in numbers) else "No."


def test_the_llm_judge_reads_yes_no_or_nothing(openai_server: FakeOpenAIServer) -> None:
    settings = Settings(_env_file=None, NEWSBOT_LLM="openai",
                        OPENAI_BASE_URL=openai_server.base_url, NEWSBOT_LLM_MAX_RETRIES=0)
    llm = openai_like(settings)
    openai_server.responder = _numbers_judge
    assert judge_support(llm, "How many?", "Four regions [1].", "four regions, 4 in all") is True
    assert judge_support(llm, "How many?", "Three of 3 [1].", "four regions") is False
    sent = message_text(openai_server.requests[-1].body["messages"][-1])
    assert "CLAIM: Three of 3." in sent and "QUOTE: four regions" in sent  # marker removed
    openai_server.responder = lambda messages: "Maybe."
    assert judge_support(llm, "q", "c", "q") is None


def test_agreement_command_adds_the_llm_judge(openai_server: FakeOpenAIServer,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    openai_server.responder = _numbers_judge
    for name, value in {"NEWSBOT_LLM": "openai", "OPENAI_BASE_URL": openai_server.base_url,
                        "NEWSBOT_LLM_MAX_RETRIES": "0", "NEWSBOT_LLM_MODEL": "judge-m"}.items():
        monkeypatch.setenv(name, value)
    assert main(["--json", "--llm-judge"]) == 0
    checks = {c["check"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    judged = checks["LLM judge (judge-m)"]
    assert judged["labels"] == len(openai_server.requests) >= 50
    monkeypatch.setenv("NEWSBOT_LLM", "extractive")
    assert main(["--llm-judge"]) == 2
    assert "--llm-judge: no LLM configured" in capsys.readouterr().err
