"""``newsbot eval --set …/questions.json``: a news-quiz set (RealTimeQA's format) end to end.

Its corpus (``--corpus``, else the ``corpus`` folder beside the questions) is ingested into a
private eval index, like any ``--corpus``; each question is answered by ``NewsBot.answer`` from
articles dated on or before the question's day.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from bot.evaluation.news_quiz import DatedAnswerFn, QuizCase, QuizMetrics, QuizScore
    from bot.settings import Settings


def eval_quiz(settings: Settings, set_path: Path, corpus: Path | None, *, as_json: bool,
              baseline: bool, every: int, strict: bool, yes_no: bool = False,
              choices: bool = False) -> None:
    from bot.evaluation.golden import resolve_corpus_path
    from bot.evaluation.news_quiz import load_quiz, quiz_metrics, run_quiz
    from bot.evaluation.thresholds import QUIZ_FLOOR, quiz_floor_failures
    from bot.frontends.cli.console import err, out
    from bot.frontends.cli.eval_commands import CaseProgress, prepare_bot
    from bot.models import Answer, DateRange
    from ingest.errors import EXIT_FAILURE, BadInputError

    cases = load_quiz(set_path)[::every]
    if yes_no and choices:
        raise BadInputError("--yes-no and --choices are two forms of the set: pick one")
    if choices:
        from bot.evaluation.quiz_forms import offering_choices

        if strict:
            raise BadInputError("--strict checks the set as asked, not with --choices")
        cases = offering_choices(cases)
    corpus = resolve_corpus_path(corpus if corpus is not None else set_path.parent / "corpus")
    bot = prepare_bot(settings, corpus, show_progress=err.is_terminal)
    k = bot.settings.top_k

    def answer(question: str, dates: DateRange) -> Answer:
        # Streamed, as Discord asks, so an LLM answer's time to first token is measured.
        return bot.answer(question, top_k=k, dates=dates, on_token=_ignore)

    if yes_no:
        if baseline or strict:
            raise BadInputError("--yes-no takes neither --baseline nor --strict")
        _eval_yes_no(answer, cases, bot.backend, set_path, as_json=as_json)
        return
    with CaseProgress(err, "newsbot", len(cases)) as progress:
        scores = run_quiz(answer, cases, progress)
    metrics = quiz_metrics(scores)
    runs = {"newsbot": (bot.backend, metrics, scores)}
    if baseline:
        from bot.evaluation.baseline import VanillaBaseline

        err.print("Building the vanilla LlamaIndex baseline…", markup=False)
        vanilla = VanillaBaseline(corpus, bot.encoder, bot.settings)
        with CaseProgress(err, "baseline", len(cases)) as progress:
            theirs = run_quiz(vanilla.answer, cases, progress)
        runs["baseline"] = (vanilla.backend, quiz_metrics(theirs), theirs)
    if as_json:
        out.print(json.dumps({"set": str(set_path), "corpus": str(corpus), "k": k,
                              "every": every, "choices": choices,
                              "tuning": bot.tuning.changes(), **{
                                  name: {"backend": backend, "metrics": m.to_json(),
                                         "cases": [s.to_json() for s in run]}
                                  for name, (backend, m, run) in runs.items()}},
                             ensure_ascii=False), markup=False)
    else:
        for backend, m, run in runs.values():
            _print(out, backend, m, run)
    failures = quiz_floor_failures(metrics) if bot.backend == "extractive" else {}
    if strict and bot.backend != "extractive":
        raise BadInputError(f"--strict on a news-quiz set checks the extractive floor "
                            f"({QUIZ_FLOOR}); this run's backend is {bot.backend}")
    if strict and failures:
        for name, (measured, floor) in failures.items():
            err.print(f"below the floor: {name} {measured:.3f} < {floor}", markup=False)
        raise typer.Exit(EXIT_FAILURE)


def _eval_yes_no(answer: DatedAnswerFn, cases: list[QuizCase], backend: str, set_path: Path,
                 *, as_json: bool) -> None:
    """The set's Who/Which questions asked as yes-or-no questions (``quiz_forms``)."""
    from rich.table import Table

    from bot.evaluation.quiz_forms import run_yes_no, yes_no_cases, yes_no_metrics
    from bot.frontends.cli.console import err, out
    from bot.frontends.cli.eval_commands import CaseProgress

    questions = yes_no_cases(cases)
    with CaseProgress(err, "newsbot", len(questions)) as progress:
        scores = run_yes_no(answer, questions, progress)
    metrics = yes_no_metrics(scores)
    if as_json:
        out.print(json.dumps({"set": str(set_path), "yes_no": True, "backend": backend,
                              "metrics": metrics.to_json(),
                              "cases": [s.to_json() for s in scores]}, ensure_ascii=False),
                  markup=False)
        return
    table = Table(title=f"yes-or-no questions · {backend}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("questions", str(metrics.questions))
    table.add_row("Yes questions answered Yes", f"{metrics.yes_right:.3f}")
    table.add_row("No questions answered No", f"{metrics.no_right:.3f}")
    table.add_row("wrong verdict", f"{metrics.wrong:.3f}")
    table.add_row("no verdict", f"{metrics.unsettled:.3f}")
    table.add_row("time p50 (ms)", f"{metrics.p50_ms:.0f}")
    out.print(table)
    for s in scores:
        if s.wrong:
            out.print(f"✗ {s.case.id} {s.case.question[:90]!r}: {s.answer.text[:160]}",
                      markup=False)


def _ignore(_text: str) -> None:
    pass


def _print(console: Console, backend: str, metrics: QuizMetrics,
           scores: list[QuizScore]) -> None:
    from rich.table import Table

    table = Table(title=f"news quiz · {backend}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("answerable right", f"{metrics.answerable_right:.3f} ({metrics.answerable})")
    table.add_row("refused of those to refuse", f"{metrics.refused_right}/{metrics.to_refuse}")
    table.add_row("false refusals", f"{metrics.false_refusal_rate:.3f}")
    table.add_row("cites the gold article", f"{metrics.cites_gold_article:.3f}")
    table.add_row("citation support (key facts)", f"{metrics.citation_support_independent:.3f}")
    table.add_row("time p50 / p95 (ms)", f"{metrics.p50_ms:.0f} / {metrics.p95_ms:.0f}")
    if metrics.first_token_p50_ms:
        table.add_row("first token p50 (ms)", f"{metrics.first_token_p50_ms:.0f}")
    console.print(table)
    wrong = [s for s in scores if not s.right]
    for s in wrong:
        said = "refused" if s.answer.refused else s.answer.text.replace("\n", " ")[:160]
        console.print(f"✗ {s.case.id} {s.case.question[:90]!r} gold={s.case.gold!r}: {said}",
                      markup=False)
