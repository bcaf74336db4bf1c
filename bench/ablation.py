"""Every answering rule switched off in turn, measured on several sets at once.

Each run is ``newsbot eval ... --json --tune rules_off=<rule>`` in a child process: the rule is
switched off through the tuning object (``bot/tuning.py``, whose ``rules`` are
``bot/rules.py``'s switches), on the backend the environment selects (extractive by default),
so what is measured is exactly what a user runs. ``--tune name=value`` (repeatable) tunes
every run alike, e.g. to ablate the rules at another ``sentence_floor``. A rule earns its place
when switching it off loses across the sets, not only on the one it was written for
(docs/evaluation.md).

    python -m bench.ablation                                  # every rule, the default sets
    python -m bench.ablation --rules sentence_floor,recent_first --sets golden,realtimeqa
    python -m bench.ablation --every 2 --out bench/out/ablation.json
    python -m bench.ablation --rules recent_first --tune recent_days=14

Prints a Markdown table (rule off → each set's figures; "(all on)" first) and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REALTIMEQA = REPO.parent / "shared" / "bench" / "realtimeqa_dev"

#: Set name → the ``newsbot eval`` arguments that run it.
SETS: dict[str, list[str]] = {
    "golden": ["--corpus", "data/articles"],
    "holdout": ["--set", "bot/evaluation/sets/holdout.yaml", "--corpus", "data/articles"],
    "news": ["--set", "bot/evaluation/sets/news.yaml",
             "--corpus", "bot/evaluation/sets/news_corpus"],
    "realtimeqa": ["--set", str(REALTIMEQA / "questions.json"),
                   "--corpus", str(REALTIMEQA / "corpus")],
}
#: The figures shown per set: golden-style sets and news-quiz sets report different ones.
GOLDEN_FIGURES = ("fact_accuracy", "citation_precision", "refusal_accuracy")
QUIZ_FIGURES = ("answerable_right", "refused_right", "false_refusal_rate")


def run_set(name: str, rule: str | None, every: int,
            tune: Sequence[str] = ()) -> dict[str, Any]:
    """One set's metrics with ``rule`` off (None: every rule on), tuned by ``tune``
    (``name=value`` items)."""
    # "(all on)" must mean all on: no rule left off by the caller's environment.
    env = {**os.environ, "NEWSBOT_RULES_OFF": ""}
    tuned = [arg for item in [*tune, *([f"rules_off={rule}"] if rule else [])]
             for arg in ("--tune", item)]
    command = [sys.executable, "-c", "from bot.frontends.cli.app import main; main()", "eval",
               *SETS[name], "--json", "--no-judges", "--every", str(every), *tuned]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} with {rule or 'no rule'} off failed: "
                         f"{done.stderr.strip().splitlines()[-1:]}")
    metrics: dict[str, Any] = json.loads(done.stdout)["newsbot"]["metrics"]
    return metrics


def figures(name: str, metrics: dict[str, Any]) -> str:
    keys = QUIZ_FIGURES if name == "realtimeqa" else GOLDEN_FIGURES
    return " / ".join(str(round(metrics[k], 3)) for k in keys)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO))
    from bot.rules import RULES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", default=",".join(RULES), help="comma-separated rule names")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    parser.add_argument("--every", type=int, default=1, help="ask every N-th question")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "ablation.json")
    parser.add_argument("--tune", action="append", default=[], metavar="NAME=VALUE",
                        help="tune every run alike (bot/tuning.py; repeatable)")
    args = parser.parse_args(argv)
    rules = [r for r in args.rules.split(",") if r]
    sets = [s for s in args.sets.split(",") if s]
    unknown = [r for r in rules if r not in RULES] + [s for s in sets if s not in SETS]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")
    if "realtimeqa" in sets and not (REALTIMEQA / "questions.json").is_file():
        parser.error(f"no RealTimeQA set at {REALTIMEQA}")
    results: dict[str, dict[str, Any]] = {}
    print("| rule off | " + " | ".join(sets) + " |")
    print("|---" * (len(sets) + 1) + "|")
    for rule in [None, *rules]:
        started = time.perf_counter()
        row = {name: run_set(name, rule, args.every, args.tune) for name in sets}
        results[rule or "(all on)"] = row
        print(f"| {rule or '(all on)'} | " + " | ".join(figures(n, row[n]) for n in sets)
              + f" |   <!-- {time.perf_counter() - started:.0f} s -->", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
