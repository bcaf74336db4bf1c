"""The evaluator: metrics on hand-made answers, the golden loader, reports, judges, the CLI.

The end-to-end tests run ``newsbot eval`` in a subprocess (as a user would) on a 3-case set;
they share one data dir so the sample corpus is embedded once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.evaluation.baseline import FirstSentenceLLM
from bot.evaluation.golden import (
    DEFAULT_SET,
    HOLDOUT_SET,
    NEWS_CORPUS,
    NEWS_SET,
    GoldenCase,
    contains_phrase,
    load_golden,
    resolve_corpus_path,
    resolve_set_path,
)
from bot.evaluation.llm_judges import parse_score, run_judges, skip_reason
from bot.evaluation.metrics import aggregate, percentile, score_case, supported_citations
from bot.evaluation.report import (
    metrics_table,
    print_report,
    rate_values,
    report_json,
    save_plot,
    summary_rows,
)
from bot.evaluation.runner import EvalRun, eval_settings
from bot.models import Answer, Citation, Timings
from bot.settings import Settings
from ingest.errors import BadInputError
from tests.fakes.fake_model import default_responder, message_text
from tests.fakes.openai_server import FakeOpenAIServer

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "data" / "articles"
NEWSBOT = Path(sys.executable).with_name("newsbot")

A, B, C = "a.txt", "b.txt", "c.txt"


def cite(n: int, file: str, quote: str, *, article_id: str = "", url: str = "") -> Citation:
    return Citation(n=n, file=file, title=file, quote=quote, score=0.5,
                    article_id=article_id or file, url=url)


def answer(text: str, citations: tuple[Citation, ...] = (), *, refused: bool = False,
           retrieved: tuple[str, ...] = (), total_ms: float = 100.0,
           articles: tuple[str, ...] = ()) -> Answer:
    return Answer(question="q", text=text, citations=citations, refused=refused,
                  backend="test", timings=Timings(total=total_ms), retrieved_files=retrieved,
                  retrieved_articles=articles)


FACT_CASE = GoldenCase(id="venue", question="Where were the talks held?",
                       facts=(("Saudi Arabia",), ("UK", "Britain")), files=(A, B))
REFUSE_CASE = GoldenCase(id="off-topic", question="Capital of Australia?", kind="unanswerable",
                         refuse=True)


# -- metrics -----------------------------------------------------------------------------------

def test_facts_match_whole_phrases_only() -> None:
    assert contains_phrase("The UK and France", "uk")
    assert not contains_phrase("Ukraine said", "UK")
    assert contains_phrase("a 10,000+ force", "10,000")
    good = answer("Talks were held in Saudi Arabia [1] with the UK [2].")
    assert score_case(FACT_CASE, good, 5).facts_ok
    only_ukraine = answer("Talks were held in Saudi Arabia with Ukraine [1].")
    assert not score_case(FACT_CASE, only_ukraine, 5).facts_ok  # "UK" is not in "Ukraine"
    # A marker glued to a word neither hides nor creates a match.
    assert score_case(FACT_CASE, answer("Saudi Arabia[1] and Britain[2]."), 5).facts_ok


def test_retrieval_hits_and_reciprocal_rank() -> None:
    first = score_case(FACT_CASE, answer("x", retrieved=(B, C)), 5)
    assert (first.hit1, first.hitk, first.reciprocal_rank) == (True, True, 1.0)
    third = score_case(FACT_CASE, answer("x", retrieved=(C, "d.txt", A)), 5)
    assert (third.hit1, third.hitk) == (False, True)
    assert third.reciprocal_rank == pytest.approx(1 / 3)
    assert not score_case(FACT_CASE, answer("x", retrieved=(C, "d.txt", A)), 2).hitk
    missed = score_case(FACT_CASE, answer("x", retrieved=(C,)), 5)
    assert (missed.hitk, missed.reciprocal_rank) == (False, 0.0)


def test_citation_precision_counts_distinct_cited_files() -> None:
    text = "Saudi Arabia hosted talks [1]. The UK agreed [2]. Britain said so [3]."
    result = score_case(FACT_CASE, answer(text, (
        cite(1, A, "Saudi Arabia hosted talks."), cite(2, C, "The UK agreed."),
        cite(3, C, "Britain said so."))), 5)
    assert result.cited_files == [A, C]
    assert result.precise_files == 1
    assert result.passed  # facts present and one expected file cited
    metrics = aggregate([result], 5)
    assert metrics.citation_precision == pytest.approx(0.5)


FEED = "wire.xml"
FERRY, STRIKE = f"{FEED}#ferry", f"{FEED}#strike"
FERRY_URL = "https://wire.example/ferry"
FERRY_CASE = GoldenCase(id="fare", question="What is the ferry fare?", facts=(("9 crowns",),),
                        files=(FERRY,), links=(FERRY_URL, "https://mirror.example/ferry"))


def test_an_entry_of_a_feed_is_matched_by_its_article_id() -> None:
    right = score_case(FERRY_CASE, answer(
        "It costs 9 crowns [1]. Keepers strike [2].",
        (cite(1, FEED, "It costs 9 crowns.", article_id=FERRY),
         cite(2, FEED, "Keepers strike.", article_id=STRIKE)),
        retrieved=(FEED, A), articles=(STRIKE, A, FERRY)), 5)
    # Two entries of one file are two cited articles, only one of them expected.
    assert right.cited_files == [FEED] and right.cited_articles == [FERRY, STRIKE]
    assert right.precise_files == 1 and right.passed
    assert (right.hit1, right.hitk) == (False, True)
    assert right.reciprocal_rank == pytest.approx(1 / 3)  # ranked by article, not by file
    assert aggregate([right], 5).citation_precision == pytest.approx(0.5)
    # Another entry of the same feed is not the expected one …
    other = score_case(FERRY_CASE, answer("Keepers strike [1].", (
        cite(1, FEED, "Keepers strike.", article_id=STRIKE),), articles=(STRIKE,)), 5)
    assert (other.precise_files, other.hitk) == (0, False)
    # … nor is a citation of the whole file (the baseline reads raw files), while a case that
    # names the file is satisfied by any of its entries.
    whole = answer("9 crowns [1].", (Citation(1, FEED, FEED, "9 crowns.", 0.5),),
                   retrieved=(FEED,))
    assert score_case(FERRY_CASE, whole, 5).precise_files == 0
    by_file = GoldenCase(id="f", question="q", facts=(("9 crowns",),), files=(FEED,))
    assert score_case(by_file, other.answer, 5).precise_files == 1
    assert score_case(by_file, whole, 5).hit1  # retrieved_files when no articles are given


def test_citation_links_share_of_answered_cases_with_links() -> None:
    linked = answer("9 crowns [1].", (cite(1, FEED, "9 crowns.", article_id=FERRY,
                                             url=FERRY_URL),))
    unlinked = answer("9 crowns [1].", (cite(1, FEED, "9 crowns.", article_id=FERRY),))
    refused = answer("Not covered.", refused=True)
    results = [score_case(FERRY_CASE, linked, 5), score_case(FERRY_CASE, unlinked, 5),
               score_case(FERRY_CASE, refused, 5), score_case(FACT_CASE, linked, 5)]
    assert [r.link_ok for r in results] == [True, False, None, None]
    metrics = aggregate(results, 5)
    assert (metrics.citation_links, metrics.link_cases) == (0.5, 2)
    assert metrics.scores()["citation_links"] == 0.5
    assert metrics.to_json()["citation_links"] == 0.5
    # A set without links: absent from the scores (tables, charts, gate), null in the JSON.
    plain = aggregate([score_case(FACT_CASE, linked, 5)], 5)
    assert plain.citation_links is None and "citation_links" not in plain.scores()
    assert plain.to_json()["citation_links"] is None
    assert "citation_links" not in rate_values(_run("newsbot", [results[3]]))
    assert rate_values(_run("newsbot", results))["citation_links"] == 0.5


def test_citation_support_recomputed_from_quotes() -> None:
    text = "Talks were held in Saudi Arabia [1]. The weather was sunny [2]."
    cited = answer(text, (cite(1, A, "The talks were held in Saudi Arabia last week."),
                          cite(2, B, "Putin spoke to Trump by phone.")))
    assert supported_citations(cited) == 1
    never_cited_in_text = answer("No markers here.", (cite(1, A, "No markers here."),))
    assert supported_citations(never_cited_in_text) == 0


def test_independent_support_fails_a_wrong_number_the_old_rule_passes() -> None:
    """``citation_support`` repeats the engine's word-overlap rule; the key-fact check beside
    it catches a citation whose quote has the words but not the number."""
    text = "Talks were held in Saudi Arabia [1]. Three delegations attended the talks [2]."
    cited = answer(text, (cite(1, A, "The talks were held in Saudi Arabia last week."),
                          cite(2, B, "Four delegations attended the talks in Riyadh.")))
    result = score_case(FACT_CASE, cited, 5)
    assert (result.supported_citations, result.independently_supported) == (2, 1)
    metrics = aggregate([result], 5)
    assert metrics.citation_support == 1.0 and metrics.citation_support_independent == 0.5
    assert metrics.scores()["citation_support_independent"] == 0.5
    checks = result.to_json()["citation_checks"]
    assert [(c["n"], c["support"], c["key_facts"]) for c in checks] == [
        (1, True, True), (2, True, False)]
    assert checks[1]["reason"] == "not in the quote: 3"
    assert result.to_json()["unsupported_citations_independent"] == 1
    rows = {row.name: row.ours for row in summary_rows(_run("newsbot", [result]))}
    assert rows["citation_support"] == 1.0 and rows["citation_support_independent"] == 0.5


def test_refusal_accuracy_counts_missed_and_false_refusals() -> None:
    results = [
        score_case(REFUSE_CASE, answer("refused", refused=True), 5),  # right
        score_case(REFUSE_CASE, answer("Canberra [1].", (cite(1, A, "Canberra"),)), 5),  # missed
        score_case(FACT_CASE, answer("refused", refused=True, retrieved=(A,)), 5),  # false
        score_case(FACT_CASE, answer("Saudi Arabia and the UK [1].",
                                     (cite(1, A, "Saudi Arabia and the UK."),),
                                     retrieved=(A,)), 5),  # right
    ]
    metrics = aggregate(results, 5)
    assert metrics.refusal_accuracy == 0.5
    assert (metrics.missed_refusals, metrics.false_refusals) == (1, 1)
    assert metrics.fact_accuracy == 0.5  # over the two answerable cases
    assert metrics.citation_precision == 1.0  # the false refusal cites nothing and is skipped
    assert metrics.pass_rate == 0.5
    assert results[1].problems() == ["answered a question it should refuse"]
    assert "refused an answerable question" in results[2].problems()


def test_latency_percentiles() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([10.0], 95) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(map(float, range(1, 101))), 95) == pytest.approx(95.05)
    results = [score_case(REFUSE_CASE, answer("r", refused=True, total_ms=ms), 5)
               for ms in (100.0, 200.0, 300.0)]
    metrics = aggregate(results, 5)
    assert (metrics.latency_p50_ms, metrics.latency_p95_ms) == (200.0, 290.0)


# -- golden loader -----------------------------------------------------------------------------

def test_loads_the_repo_golden_set() -> None:
    cases = load_golden(DEFAULT_SET)
    assert len(cases) >= 44
    assert sum(c.refuse for c in cases) >= 8
    venue = next(c for c in cases if c.id == "ceasefire-talks-venue")
    assert venue.facts == (("Saudi Arabia",),) and venue.files == ("002_50adbc4de58b80e4.txt",)


def test_loads_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "Q?", "facts": [["x"]], "files": [A]})
                    + "\n\n" + json.dumps({"id": "b", "question": "R?", "refuse": True}) + "\n")
    cases = load_golden(path)
    assert [c.id for c in cases] == ["a", "b"] and cases[1].refuse and cases[1].files == ()


@pytest.mark.parametrize(("content", "message"), [
    ("- id: a\n  question: Q?\n  files: [a.txt]\n", "needs facts"),
    ("- id: a\n  question: Q?\n  facts: [[x]]\n", "files must be"),
    ("- id: a\n  facts: [[x]]\n  files: [a.txt]\n", "has no question"),
    ("- id: a\n  question: Q?\n  facts: [[x]]\n  files: [a.txt]\n  links: https://x.example\n",
     "links must be"),
    ("- {id: a, question: 'Q', refuse: true}\n- {id: a, question: 'R', refuse: true}\n",
     "duplicate case id"),
    ("id: a\n", "non-empty list"),
    ("- [unbalanced\n", "invalid YAML"),
])
def test_rejects_malformed_sets(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(content)
    with pytest.raises(BadInputError, match=message):
        load_golden(path)


def test_resolves_the_default_set(tmp_path: Path) -> None:
    assert resolve_set_path(None) == DEFAULT_SET and DEFAULT_SET.is_file()
    with pytest.raises(BadInputError, match="no golden set at"):
        resolve_set_path(tmp_path / "missing.yaml")


def test_shipped_sets_and_corpus_resolve_from_any_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # as from an install: no bot/evaluation/sets/ here
    assert resolve_set_path(Path("bot/evaluation/sets/news.yaml")) == NEWS_SET
    assert resolve_corpus_path(Path("bot/evaluation/sets/news_corpus")) == NEWS_CORPUS
    (tmp_path / "news.yaml").write_text("- {id: a, question: 'Q', refuse: true}\n")
    assert resolve_set_path(Path("news.yaml")) == Path("news.yaml")  # a local file wins
    with pytest.raises(BadInputError, match="is not a folder"):
        resolve_corpus_path(Path("no_such_corpus"))


def test_eval_settings_isolate_the_index(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, NEWSBOT_DATA_DIR=tmp_path / "data")
    private = eval_settings(settings, CORPUS)
    assert private.data_dir.parent == tmp_path / "data" / "eval"
    assert private.collection != settings.collection
    assert eval_settings(settings, CORPUS) == private  # stable: re-runs reuse the index
    assert eval_settings(settings, tmp_path).collection != private.collection


# -- reports -----------------------------------------------------------------------------------

def _run(name: str, results: list[Any]) -> EvalRun:
    return EvalRun(name, "test", results, aggregate(results, 5))


def test_report_json_and_plot(tmp_path: Path) -> None:
    good = score_case(FACT_CASE, answer("Saudi Arabia and the UK [1].",
                                        (cite(1, A, "Saudi Arabia and the UK."),),
                                        retrieved=(A,)), 5)
    bad = score_case(FACT_CASE, answer("No idea.", refused=True, retrieved=(C,)), 5)
    ours, theirs = _run("newsbot", [good]), _run("baseline", [bad])
    data = report_json(ours, theirs, gated=True, set="s.yaml")
    json.dumps(data)  # serialisable
    assert data["newsbot"]["metrics"]["fact_accuracy"] == 1.0
    assert data["baseline"]["metrics"]["false_refusals"] == 1
    assert data["comparison"]["hit@5"]["newsbot_better"] is True
    assert data["comparison"]["latency_p50_ms"]["higher_is_better"] is False
    assert data["gate"]["passed"] is True
    rows = {row.name: row for row in summary_rows(ours, theirs)}
    assert rows["false_refusals"].better is True  # 0 < 1, lower is better
    png = save_plot(tmp_path / "out" / "chart.png", ours, theirs, gated=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _printed(run: EvalRun, *, gated: bool) -> str:
    from rich.console import Console

    console = Console(record=True, width=200)
    print_report(console, run, gated=gated)
    return console.export_text()


def test_the_gate_is_shown_for_the_golden_set_only() -> None:
    # A run that misses the gate's thresholds (refused an answerable case).
    run = _run("newsbot", [score_case(FACT_CASE, answer("No.", refused=True), 5)])
    golden = _printed(run, gated=True)
    assert "gate: FAIL" in golden and "≥ 0.85" in golden
    other = _printed(run, gated=False)
    assert "gate: FAIL" not in other and "≥ 0.85" not in other
    assert "gate: skipped — its thresholds are the golden set's" in other
    assert [c.header for c in metrics_table(run).columns] == ["metric", "newsbot"]
    assert report_json(run, gated=True)["gate"]["passed"] is False
    assert report_json(run, gated=False)["gate"] is None


def test_the_gate_applies_to_the_golden_set_and_its_copies(tmp_path: Path) -> None:
    from bot.evaluation.thresholds import applies_to

    copy = tmp_path / "golden.yaml"
    copy.write_bytes(DEFAULT_SET.read_bytes())
    edited = tmp_path / "edited.yaml"
    edited.write_bytes(DEFAULT_SET.read_bytes() + b"\n# one more case to come\n")
    assert applies_to(DEFAULT_SET) and applies_to(copy)
    assert not applies_to(NEWS_SET) and not applies_to(HOLDOUT_SET)
    assert not applies_to(edited) and not applies_to(tmp_path / "missing.yaml")


# -- the baseline's stand-in LLM ---------------------------------------------------------------

def test_first_sentence_llm_answers_from_the_real_sources_only() -> None:
    from llama_index.core.query_engine.citation_query_engine import CITATION_QA_TEMPLATE

    context = ("Source 1:\nU.S. President Trump spoke on Monday. He said more.\n\n"
               "Source 2:\nTitle line\nBody sentence here.\n")
    prompt = CITATION_QA_TEMPLATE.format(context_str=context, query_str="Who spoke?")
    text = FirstSentenceLLM().complete(prompt).text
    assert text == "U.S. President Trump spoke on Monday. [1] Title line [2]"


# -- LLM judges --------------------------------------------------------------------------------

def judge_responder(messages: list[dict[str, Any]]) -> str:
    """Plays the judge for llama-index's evaluators and the answerer for everything else."""
    prompt = "\n".join(message_text(m) for m in messages).lower()
    if "expert evaluation system" in prompt:
        return "4.5\nMentions the expected fact."
    if "supported by the context" in prompt or "in line with the context" in prompt:
        return "YES"
    return default_responder(messages)


def test_judges_are_skipped_without_an_llm() -> None:
    settings = Settings(_env_file=None, NEWSBOT_LLM="extractive")
    assert skip_reason(settings)
    report = run_judges([], settings)
    assert report.status == "skipped" and report.reason
    assert skip_reason(Settings(_env_file=None, NEWSBOT_LLM="openai"))  # no key, no URL


def test_judges_score_answers_through_an_openai_compatible_server(
        openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = judge_responder
    settings = Settings(_env_file=None, NEWSBOT_LLM="openai",
                        OPENAI_BASE_URL=openai_server.base_url, NEWSBOT_LLM_MAX_RETRIES=0)
    assert skip_reason(settings) is None
    answered = score_case(FACT_CASE, answer("Saudi Arabia and the UK [1].",
                                            (cite(1, A, "Talks in Saudi Arabia with the UK."),)),
                          5)
    skipped = score_case(REFUSE_CASE, answer("refused", refused=True), 5)
    report = run_judges([answered, skipped], settings)
    assert report.status == "ok" and report.judged == 1 and report.errors == 0
    assert report.means == {"faithfulness": 1.0, "relevancy": 1.0, "correctness": 4.5}
    assert report.rates()["judge_correctness"] == pytest.approx(0.9)
    assert len(openai_server.requests_to("/chat/completions")) == 3

    openai_server.responder = lambda messages: "I cannot judge that."
    unparsable = run_judges([answered], settings)
    assert unparsable.per_case["venue"]["correctness"] is None
    assert unparsable.errors == 1 and unparsable.means["faithfulness"] == 0.0


def test_parse_score() -> None:
    assert parse_score("4.0\nGood.") == (4.0, "Good.")
    assert parse_score("Score: 3") == (3.0, "")
    assert parse_score("") == (None, "No response")


# -- the command, end to end -------------------------------------------------------------------

TINY_SET = """\
- id: venue
  question: Where were the talks on the 30-day ceasefire held?
  facts: [["Saudi Arabia"]]
  files: ["002_50adbc4de58b80e4.txt"]
- id: call-day
  question: On which day were Trump and Putin due to speak by phone?
  facts: [["Tuesday"]]
  files: ["000_205b20b4e116fe41.txt", "001_4ed68781ea149fc4.txt", "002_50adbc4de58b80e4.txt",
          "003_569d1d5954b660aa.txt", "004_75a5927de64e13fc.txt"]
- id: recipe
  question: Give me a recipe for banana bread.
  refuse: true
"""


@pytest.fixture(scope="module")
def eval_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A working dir with the tiny set; its data dir is shared by this module's CLI runs."""
    home = tmp_path_factory.mktemp("eval-home")
    (home / "tiny.yaml").write_text(TINY_SET)
    yield home


def run_eval(home: Path, *args: str, env: dict[str, str] | None = None,
             ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("NEWSBOT_", "CHROMA_", "OPENAI_", "DISCORD_"))}
    clean.update({"NEWSBOT_DATA_DIR": str(home / "data"), "ANONYMIZED_TELEMETRY": "False",
                  **(env or {})})
    return subprocess.run([str(NEWSBOT), "eval", *args], cwd=home, env=clean,
                          capture_output=True, text=True, timeout=240)


@pytest.mark.slow
def test_cli_json_and_plot(eval_home: Path) -> None:
    done = run_eval(eval_home, "--set", "tiny.yaml", "--corpus", str(CORPUS), "--json",
                    "--plot", "chart.png", "--llm", "extractive")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)  # exactly one JSON object on stdout
    run = data["newsbot"]
    assert [c["id"] for c in run["cases"]] == ["venue", "call-day", "recipe"]
    # Every citation shown is judged both ways, with what was compared.
    venue = run["cases"][0]
    assert venue["citation_checks"] and all(
        {"claims", "quote", "support", "key_facts", "reason"} <= set(check)
        for check in venue["citation_checks"])
    assert run["backend"] == "extractive" and data["k"] == 5
    assert set(run["metrics"]) >= {"fact_accuracy", "hit@5", "mrr", "citation_precision",
                                   "citation_support", "citation_support_independent",
                                   "refusal_accuracy", "missed_refusals",
                                   "false_refusals", "latency_p50_ms", "latency_p95_ms"}
    assert run["judges"]["status"] == "skipped"
    assert "baseline" not in data
    # The corpus went into a private eval index, not the user's one.
    assert Path(data["data_dir"]).parent == eval_home / "data" / "eval"
    assert (eval_home / "chart.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_cli_baseline_side_by_side(eval_home: Path) -> None:
    done = run_eval(eval_home, "--set", "tiny.yaml", "--corpus", str(CORPUS), "--baseline",
                    "--llm", "extractive")
    assert done.returncode == 0, done.stderr
    assert "baseline" in done.stdout and "delta" in done.stdout
    assert "fact_accuracy" in done.stdout
    # Not the golden set: its thresholds mean nothing here, so no verdict.
    assert "gate: skipped" in done.stdout and "gate: FAIL" not in done.stdout


@pytest.mark.slow
def test_cli_with_an_llm_runs_the_judges(eval_home: Path,
                                         openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = judge_responder
    done = run_eval(eval_home, "--set", "tiny.yaml", "--corpus", str(CORPUS), "--json",
                    "--baseline", env={"NEWSBOT_LLM": "openai",
                                       "OPENAI_BASE_URL": openai_server.base_url})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    for system in ("newsbot", "baseline"):
        judges = data[system]["judges"]
        assert judges["status"] == "ok", judges
        assert judges["judged"] >= 1 and judges["means"]["correctness"] == 4.5
    assert data["newsbot"]["backend"] == "openai:gpt-4o-mini"
    assert data["baseline"]["backend"] == "openai:gpt-4o-mini"


@pytest.mark.slow
def test_no_judges_skips_them_for_the_baseline_too(eval_home: Path,
                                                   openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = judge_responder
    done = run_eval(eval_home, "--set", "tiny.yaml", "--corpus", str(CORPUS), "--json",
                    "--baseline", "--no-judges",
                    env={"NEWSBOT_LLM": "openai", "OPENAI_BASE_URL": openai_server.base_url})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    # On a local model the judges take longer than the answers: --no-judges means neither run.
    assert data["newsbot"]["judges"] == {"status": "not run"}
    assert data["baseline"]["judges"] == {"status": "not run"}


@pytest.mark.slow
def test_cli_tune_overrides_a_threshold_for_the_run(eval_home: Path) -> None:
    """``--tune`` changes what is answered (a floor above every sentence refuses the questions
    the defaults answer), and the report says how the run was tuned."""
    args = ("--set", "tiny.yaml", "--corpus", str(CORPUS), "--json", "--llm", "extractive")
    default = json.loads(run_eval(eval_home, *args).stdout)
    assert default["tuning"] == {} and not default["newsbot"]["cases"][0]["refused"]
    done = run_eval(eval_home, *args, "--tune", "sentence_floor=0.99", "--tune",
                    "max_sentences=1")
    assert done.returncode == 0, done.stderr
    tuned = json.loads(done.stdout)
    assert tuned["tuning"] == {"max_sentences": 1, "sentence_floor": 0.99}
    assert all(case["refused"] for case in tuned["newsbot"]["cases"])
    # NEWSBOT_TUNE is the same override for every command; --tune adds to it.
    done = run_eval(eval_home, *args, "--tune", "max_sentences=1",
                    env={"NEWSBOT_TUNE": "sentence_floor=0.99"})
    assert json.loads(done.stdout)["tuning"] == {"max_sentences": 1, "sentence_floor": 0.99}


@pytest.mark.parametrize(("args", "env", "message"), [
    (("--tune", "sentence_flor=0.2"), {}, "error: --tune unknown tuning 'sentence_flor'; "),
    (("--tune", "recent_days=soon"), {}, "error: --tune recent_days='soon': Input should be "),
    (("--tune", "sentence_floor"), {}, "error: --tune expected name=value, not "),
    ((), {"NEWSBOT_TUNE": "rules_off=typo"}, "error: invalid setting NEWSBOT_TUNE: "),
])
def test_cli_a_bad_tuning_is_one_line_before_the_run(
        tmp_path: Path, args: tuple[str, ...], env: dict[str, str], message: str) -> None:
    done = run_eval(tmp_path, "--corpus", str(CORPUS), *args, env=env)
    assert done.returncode == 2
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "data").exists()  # nothing ingested, nothing run


def test_cli_missing_set_is_one_line(tmp_path: Path) -> None:
    done = run_eval(tmp_path, "--set", "nope.yaml")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: no golden set at nope.yaml"


def test_strict_on_a_set_without_thresholds_is_refused_before_the_run(tmp_path: Path) -> None:
    done = run_eval(tmp_path, "--set", "bot/evaluation/sets/news.yaml", "--strict")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: --strict checks the CI gate")
    assert not (tmp_path / "data").exists()  # nothing ingested, nothing run


def test_the_gate_judges_only_what_the_run_measured() -> None:
    from bot.evaluation.thresholds import gate_failures

    # At --top-k 3 there is no hit@5: that is not a failure (it was reported as 0.0 before).
    at_k3 = {"fact_accuracy": 0.9, "hit@k": 1.0, "hit@3": 1.0, "citation_precision": 0.96,
             "refusal_accuracy": 1.0}
    assert gate_failures(at_k3) == {}
    assert gate_failures({**at_k3, "hit@5": 0.5}) == {"hit@5": (0.5, 0.95)}


def test_each_citation_is_judged_against_the_claim_its_marker_closes() -> None:
    # A quoted headline has no full stop, so the splitter runs it into the next quote: one
    # sentence, two claims. Each is judged against its own quote only.
    text = ("Four delegations meet in Riyadh [1] Talks were held in Saudi Arabia last week [2]. "
            "Both sides attended [1][2].")
    cited = answer(text, (cite(1, A, "Four delegations meet in Riyadh"),
                          cite(2, B, "The talks were held in Saudi Arabia last week.")))
    checks = score_case(FACT_CASE, cited, 5).to_json()["citation_checks"]
    assert [(c["n"], c["key_facts"]) for c in checks] == [(1, True), (2, True)]
    assert checks[0]["claims"] == ["Four delegations meet in Riyadh [1]",
                                   "Both sides attended [1][2]"]
