"""Presenting evaluation runs: a rich table, one JSON object, and a PNG bar chart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.evaluation.metrics import RATE_METRICS, CaseScore
from bot.evaluation.runner import EvalRun
from bot.evaluation.thresholds import GATE, gate_failures

ANSWER_PREVIEW_CHARS = 160
GATE_SKIP_REASON = "its thresholds are the golden set's"


@dataclass(frozen=True)
class Row:
    """One metric of the summary: its value per system and which direction is better."""

    name: str
    ours: float | None
    baseline: float | None
    higher_is_better: bool = True
    unit: str = "rate"  # "rate" (0–1), "count" or "ms"

    @property
    def delta(self) -> float | None:
        if self.ours is None or self.baseline is None:
            return None
        return self.ours - self.baseline

    @property
    def better(self) -> bool | None:
        """Whether newsbot strictly beats the baseline on this metric (None: no baseline)."""
        if self.delta is None:
            return None
        return self.delta > 0 if self.higher_is_better else self.delta < 0


def _label(name: str, k: int) -> str:
    return f"hit@{k}" if name == "hit@k" else name


def rate_values(run: EvalRun) -> dict[str, float]:
    """Every 0–1 score the run measured (judges included when they ran), keyed by display
    name; ``citation_links`` only on a set whose cases list links."""
    scores = run.metrics.scores()
    values = {_label(name, run.metrics.k): scores[name] for name in RATE_METRICS
              if name in scores}
    if run.judges and run.judges.status == "ok":
        values.update(run.judges.rates())
    return values


def summary_rows(run: EvalRun, baseline: EvalRun | None = None) -> list[Row]:
    ours = rate_values(run)
    theirs = rate_values(baseline) if baseline else {}
    names = list(ours) + [n for n in theirs if n not in ours]
    rows = [Row(n, ours.get(n), theirs.get(n) if baseline else None) for n in names]
    m, b = run.metrics, baseline.metrics if baseline else None
    for name, unit in (("missed_refusals", "count"), ("false_refusals", "count"),
                       ("latency_p50_ms", "ms"), ("latency_p95_ms", "ms"),
                       ("first_token_p50_ms", "ms")):
        rows.append(Row(name, float(getattr(m, name)),
                        float(getattr(b, name)) if b else None, higher_is_better=False,
                        unit=unit))
    return rows


def _fmt(value: float | None, unit: str, signed: bool = False) -> str:
    if value is None:
        return "—"
    spec = ".3f" if unit == "rate" else ".0f"
    return format(value, ("+" if signed else "") + spec)


def metrics_table(run: EvalRun, baseline: EvalRun | None = None, *,
                  gated: bool = False) -> Table:
    """The summary table; ``gated`` adds the CI gate's thresholds (golden set only)."""
    title = f"{run.name} ({run.backend}) — {run.metrics.cases} cases"
    caption = f"baseline: vanilla LlamaIndex ({baseline.backend})" if baseline else None
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    table.add_column("metric")
    table.add_column("newsbot", justify="right")
    if baseline:
        table.add_column("baseline", justify="right")
        table.add_column("delta", justify="right")
        table.add_column("better", justify="center")
    if gated:
        table.add_column("gate", justify="right")
    for row in summary_rows(run, baseline):
        cells = [row.name, _fmt(row.ours, row.unit)]
        if baseline:
            mark = {True: "[green]yes[/]", False: "[red]no[/]", None: ""}[row.better]
            cells += [_fmt(row.baseline, row.unit), _fmt(row.delta, row.unit, signed=True), mark]
        if gated:
            required = GATE.get(row.name)
            cells.append(f"≥ {required:.2f}" if required is not None else "")
        table.add_row(*cells)
    return table


def cases_table(results: list[CaseScore], title: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("case")
    table.add_column("ok", justify="center")
    table.add_column("cited files")
    table.add_column("answer", overflow="fold")
    for r in results:
        text = " ".join(r.answer.text.split())
        if len(text) > ANSWER_PREVIEW_CHARS:
            text = text[: ANSWER_PREVIEW_CHARS - 1] + "…"
        table.add_row(r.case.id, "[green]pass[/]" if r.passed else "[red]FAIL[/]",
                      ", ".join(f.split("_")[0] for f in r.cited_files) or "—", text)
    return table


def failure_details(results: list[CaseScore], failing: Callable[[CaseScore], bool]) -> str:
    """Question, answer, sources and the reasons for each case ``failing`` picks (plain text)."""
    blocks = []
    for r in results:
        if not failing(r):
            continue
        sources = "\n".join(f"    [{c.n}] {c.file}: {c.quote[:200]}" for c in r.answer.citations)
        blocks.append(
            f"- {r.case.id} ({r.case.kind}): {'; '.join(r.problems())}\n"
            f"  question: {r.case.question}\n"
            f"  expected: {'refusal' if r.case.refuse else r.case.facts} in {list(r.case.files)}\n"
            f"  answer:   {' '.join(r.answer.text.split())}\n"
            f"  sources:\n{sources or '    (none)'}\n"
            f"  retrieved: {list(r.answer.retrieved_files)}")
    return "\n".join(blocks)


def print_report(console: Console, run: EvalRun, baseline: EvalRun | None = None, *,
                 gated: bool = False) -> None:
    """Per-case tables, the summary, what was skipped and, with ``gated`` (the golden set),
    the CI gate's verdict."""
    console.print(cases_table(run.results, f"{run.name}: per case"))
    if baseline:
        console.print(cases_table(baseline.results, f"{baseline.name}: per case"))
    console.print(metrics_table(run, baseline, gated=gated))
    if run.metrics.citation_links is None:
        console.print(f"citation_links: skipped — {links_skip_reason(run)}", markup=False)
    for system in (run, baseline):
        if system and system.judges and system.judges.status != "ok":
            console.print(f"LLM judges ({system.name}): skipped — {system.judges.reason}",
                          markup=False)
    _print_gate(console, run, gated)


def _print_gate(console: Console, run: EvalRun, gated: bool) -> None:
    if not gated:
        console.print(f"gate: skipped — {GATE_SKIP_REASON}", markup=False)
        return
    failures = gate_failures(run.metrics.scores())
    if failures:
        reasons = ", ".join(f"{n} {v:.3f} < {t:.2f}" for n, (v, t) in failures.items())
        console.print(f"[red]gate: FAIL[/] ({reasons})")
    else:
        console.print("[green]gate: pass[/]")


def links_skip_reason(run: EvalRun) -> str:
    """Why a run has no ``citation_links`` score."""
    if not any(r.case.links for r in run.results):
        return "no case in this set lists links"
    return "every case that lists links was refused"


def report_json(run: EvalRun, baseline: EvalRun | None = None, *, gated: bool = False,
                **info: Any) -> dict[str, Any]:
    """One JSON object; ``gate`` is null unless ``gated`` (the golden set)."""
    data: dict[str, Any] = {**info, "gate": _gate_json(run) if gated else None,
                            "newsbot": run.to_json()}
    if baseline:
        data["baseline"] = baseline.to_json()
        data["comparison"] = {
            row.name: {"newsbot": row.ours, "baseline": row.baseline,
                       "delta": None if row.delta is None else round(row.delta, 4),
                       "higher_is_better": row.higher_is_better, "newsbot_better": row.better}
            for row in summary_rows(run, baseline)}
    return data


def _gate_json(run: EvalRun) -> dict[str, Any]:
    failures = gate_failures(run.metrics.scores())
    return {"thresholds": GATE, "passed": not failures,
            "failures": {n: {"measured": round(v, 4), "required": t}
                         for n, (v, t) in failures.items()}}


def save_plot(path: Path, run: EvalRun, baseline: EvalRun | None = None, *,
              gated: bool = False) -> Path:
    """A horizontal bar chart of every 0–1 score (both systems side by side with a baseline);
    ``gated`` marks the CI gate's thresholds (golden set only)."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed; must precede pyplot
    import matplotlib.pyplot as plt

    ours = rate_values(run)
    theirs = rate_values(baseline) if baseline else {}
    names = list(ours)
    height = 0.4 if baseline else 0.6
    positions = list(range(len(names)))
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.5))
    ax.barh([p - (height / 2 if baseline else 0) for p in positions],
            [ours[n] for n in names], height=height, label=f"newsbot ({run.backend})",
            color="#2b6cb0")
    if baseline:
        ax.barh([p + height / 2 for p in positions], [theirs.get(n, 0.0) for n in names],
                height=height, label=f"baseline ({baseline.backend})", color="#a0aec0")
    thresholds = GATE if gated else {}
    for name, threshold in thresholds.items():
        if name in names:
            y = names.index(name)
            ax.plot([threshold, threshold], [y - 0.45, y + 0.45], color="#c53030", lw=1.5)
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("score (red tick: CI gate threshold)" if gated else "score")
    ax.set_title(f"newsbot eval — {run.metrics.cases} cases")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize="small",
              frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
