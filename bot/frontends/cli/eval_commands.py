"""``newsbot eval``: run a golden set through ``NewsBot.answer()`` and report its quality.

Registered by ``bot.frontends.cli.app`` at start-up, so this module imports only typer at top
level; the engine, llama-index and matplotlib load inside the command.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from bot.engine import NewsBot
    from bot.evaluation.golden import GoldenCase
    from bot.evaluation.runner import AnswerFn, EvalRun, ProgressFn
    from bot.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)


def eval_command(
    golden_set: Annotated[Path | None, typer.Option(
        "--set", help="Golden set (.yaml or .jsonl); default: the one shipped with newsbot. "
                      "`conflicts`: the planted-conflict set (from the corpus and --corpus).")
    ] = None,
    corpus: Annotated[Path | None, typer.Option(
        "--corpus", help="Evaluate on this corpus, ingested into a separate eval index "
                         "(default: the configured index).")] = None,
    llm: Annotated[str | None, typer.Option(
        "--llm", help="Backend: auto, openai, local, llamaindex or extractive.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Write a PNG bar chart of the scores to this file.")] = None,
    baseline: Annotated[bool, typer.Option(
        "--baseline", help="Also run vanilla LlamaIndex and show both side by side.")] = False,
    top_k: Annotated[int | None, typer.Option(
        "--top-k", min=1, max=50, help="Chunks retrieved per question (hit@k depth).")] = None,
    judges: Annotated[bool, typer.Option(
        "--judges/--no-judges",
        help="Also score LLM answers with LLM judges (slow on a local model).")] = True,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 when a CI-gate threshold is missed (golden set only).")
    ] = False,
    every: Annotated[int, typer.Option(
        "--every", min=1, help="Ask only every N-th question (a quicker, smaller sample).")
    ] = 1,
    yes_no: Annotated[bool, typer.Option(
        "--yes-no", help="News-quiz sets: ask each Who/Which question as two yes-or-no "
                         "questions (its gold: Yes; a distractor: No) and score the verdicts.")
    ] = False,
    choices: Annotated[bool, typer.Option(
        "--choices", help="News-quiz sets: ask each question with its gold and a distractor "
                          "named ('…, California or New York?'), scored as the quiz is.")
    ] = False,
    tune: Annotated[list[str] | None, typer.Option(
        "--tune", metavar="NAME=VALUE",
        help="Override an answering threshold for this run (bot/tuning.py lists them), e.g. "
             "--tune sentence_floor=0.25; repeatable, over NEWSBOT_TUNE. "
             "rules_off=name+name switches rules off.")] = None,
) -> None:
    """Score answers on a golden question set (facts, retrieval, citations, refusals), or on a
    news-quiz set (RealTimeQA's questions.json; its corpus is the folder beside it)."""
    from bot.frontends.cli.console import expected_errors, load_settings

    with expected_errors():
        from bot.evaluation.golden import resolve_set_path
        from bot.evaluation.news_quiz import is_quiz_set
        from ingest.errors import BadInputError

        if golden_set is not None and str(golden_set) == "conflicts" and \
                not golden_set.exists():
            from bot.frontends.cli.conflict_eval import eval_conflicts

            eval_conflicts(load_settings(llm=llm, top_k=top_k), corpus, as_json=as_json,
                           every=every)
            return
        set_path = resolve_set_path(golden_set)
        if is_quiz_set(set_path):
            from bot.frontends.cli.quiz_eval import eval_quiz

            settings = load_settings(llm=llm, top_k=top_k, tune=tune)
            eval_quiz(settings, set_path, corpus, as_json=as_json, baseline=baseline,
                      every=every, strict=strict, yes_no=yes_no, choices=choices)
            return
        if yes_no or choices:
            flag = "--yes-no" if yes_no else "--choices"
            raise BadInputError(f"{flag} is for a news-quiz set (RealTimeQA's questions.json)")
        _eval_golden(set_path, corpus, llm=llm, top_k=top_k, tune=tune, as_json=as_json,
                     plot=plot, baseline=baseline, judges=judges, strict=strict, every=every)


def _eval_golden(set_path: Path, corpus: Path | None, *, llm: str | None, top_k: int | None,
                 tune: list[str] | None, as_json: bool, plot: Path | None, baseline: bool,
                 judges: bool, strict: bool, every: int) -> None:
    """A golden set, read top to bottom: check the request, build the bot, run newsbot (and
    the baseline), show the results, and with ``--strict`` exit 1 on a missed gate."""
    from bot.evaluation.golden import load_golden, resolve_corpus_path
    from bot.evaluation.thresholds import gate_failures
    from bot.frontends.cli.console import err, load_settings
    from ingest.errors import EXIT_FAILURE

    gated = _gated(set_path, strict)
    cases = load_golden(set_path)[::every]
    if corpus is not None:
        corpus = resolve_corpus_path(corpus)
    settings = load_settings(llm=llm, top_k=top_k, tune=tune)
    if baseline:
        _check_baseline_llm(settings)  # before the (long) newsbot run, not after it
    bot = prepare_bot(settings, corpus, show_progress=err.is_terminal)
    ours, theirs = _run_systems(bot, cases, corpus, baseline=baseline, judges=judges)
    _show_results(bot, ours, theirs, set_path, gated=gated, as_json=as_json, plot=plot)
    if strict and gate_failures(ours.metrics.scores()):
        raise typer.Exit(EXIT_FAILURE)


def _run_systems(bot: NewsBot, cases: Sequence[GoldenCase], corpus: Path | None, *,
                 baseline: bool, judges: bool) -> tuple[EvalRun, EvalRun | None]:
    """newsbot's run and, with ``--baseline``, vanilla LlamaIndex's; each judged by LLM
    judges with ``--judges``."""
    from bot.evaluation.runner import bot_answer_fn
    from bot.frontends.cli.console import err

    k = bot.settings.top_k
    ours = _run_system("newsbot", bot.backend, bot_answer_fn(bot, k), cases, k, err)
    if judges:
        _judge(ours, bot.settings)
    if not baseline:
        return ours, None
    theirs = _run_baseline(bot, corpus or bot.settings.corpus_dir, cases, k, err)
    if judges:
        _judge(theirs, bot.settings)
    return ours, theirs


def _show_results(bot: NewsBot, ours: EvalRun, theirs: EvalRun | None, set_path: Path, *,
                  gated: bool, as_json: bool, plot: Path | None) -> None:
    """The report (a table, or one JSON object on stdout), and the chart with ``--plot``."""
    from bot.evaluation.report import print_report, report_json, save_plot
    from bot.frontends.cli.console import err, out

    if as_json:
        data = report_json(ours, theirs, gated=gated, set=str(set_path),
                           corpus=str(bot.settings.corpus_dir),
                           data_dir=str(bot.settings.data_dir), k=bot.settings.top_k,
                           tuning=bot.tuning.changes())
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
    else:
        print_report(out, ours, theirs, gated=gated)
        _print_tuning(bot.tuning.changes())
    if plot is not None:
        chart = save_plot(plot, ours, theirs, gated=gated)
        err.print(f"chart written to {chart}", markup=False)


def _print_tuning(changes: dict[str, object]) -> None:
    """Say what a run was tuned by, so a sweep's reports cannot be mistaken for the defaults'."""
    from bot.frontends.cli.console import out

    if changes:
        out.print("tuned: " + ", ".join(f"{name}={value}" for name, value in changes.items()),
                  markup=False)


def _gated(set_path: Path, strict: bool) -> bool:
    """Whether the CI gate judges this run: only the golden set's, whose cases its thresholds
    were set on. ``--strict`` on another set is refused before the run: a CI job asking for a
    verdict on a set with no thresholds would otherwise always pass."""
    from bot.evaluation.thresholds import applies_to
    from ingest.errors import BadInputError

    gated = applies_to(set_path)
    if strict and not gated:
        raise BadInputError(f"--strict checks the CI gate, whose thresholds are the golden "
                            f"set's; {set_path} has none")
    return gated


def _check_baseline_llm(settings: Settings) -> None:
    """The baseline with an LLM needs llama-index's OpenAI LLM (the ``eval`` extra)."""
    from bot.answering.backends import OPENAI, resolve_backend
    from bot.evaluation.llm_judges import eval_extra_missing
    from ingest.errors import BadInputError

    if resolve_backend(settings).name != OPENAI:
        return  # the extractive baseline's stand-in LLM is newsbot's own
    missing = eval_extra_missing()
    if missing:
        raise BadInputError(f"--baseline with an LLM needs the eval extra; {missing}")


def prepare_bot(settings: Settings, corpus: Path | None, show_progress: bool) -> NewsBot:
    """The bot to evaluate: the configured index, or a private index of ``corpus``."""
    from bot.evaluation.runner import eval_settings
    from bot.frontends.cli.console import make_bot
    from bot.frontends.cli.ingest_progress import (
        ensure_index,
        print_ingest_summary,
        run_ingest_with_progress,
    )

    if corpus is None:
        bot = make_bot(settings)
        ensure_index(bot)
        return bot
    bot = make_bot(eval_settings(settings, corpus))
    report = run_ingest_with_progress(bot, corpus, rebuild=False, prune=True,
                                      show_progress=show_progress)
    if report.files_added or report.files_updated or report.files_removed:
        print_ingest_summary(report)
    return bot


def _run_system(name: str, backend: str, answer: AnswerFn, cases: Sequence[GoldenCase], k: int,
                console: Console) -> EvalRun:
    from bot.evaluation.runner import evaluate

    with CaseProgress(console, name, len(cases)) as progress:
        return evaluate(name, backend, answer, cases, k, progress)


def _judge(run: EvalRun, settings: Settings) -> None:
    from bot.evaluation.llm_judges import run_judges, skip_reason

    if skip_reason(settings) is None:
        from bot.frontends.cli.console import err

        err.print(f"LLM judges on {run.name}…", markup=False)
    run.judges = run_judges(run.results, settings)


def _run_baseline(bot: NewsBot, corpus: Path, cases: Sequence[GoldenCase], k: int,
                  console: Console) -> EvalRun:
    console.print("Building the vanilla LlamaIndex baseline…", markup=False)
    from bot.evaluation.baseline import VanillaBaseline

    vanilla = VanillaBaseline(corpus, bot.encoder, bot.settings)
    return _run_system("baseline", vanilla.backend, vanilla.answer, cases, k, console)


class CaseProgress:
    """A progress bar over the cases on stderr, drawn only on a terminal."""

    def __init__(self, console: Console, name: str, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.enabled = console.is_terminal
        self.progress = Progress(TextColumn(f"{name:<8}"), BarColumn(), MofNCompleteColumn(),
                                 console=console, transient=True)
        self.task = self.progress.add_task(name, total=total)

    def __enter__(self) -> ProgressFn:
        if self.enabled:
            self.progress.start()
        return self

    def __call__(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done)

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()
