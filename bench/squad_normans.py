"""Generalization check on SQuAD 2.0 dev's "Normans" article: newsbot vs vanilla LlamaIndex.

The article's 39 paragraphs become a small multi-file corpus (``--per-file`` paragraphs a file,
in order, each file headed "Normans, part N"), ingested into its own data dir; all 208
questions (96 answerable, 112 unanswerable) go through ``NewsBot.answer()`` and through the
vanilla baseline of ``newsbot eval --baseline``. Nothing here is tuned to these questions.

Reported, per system:
- answer_contains_gold: answerable questions whose answer text contains a gold answer, after
  SQuAD's normalization (lower-case, strip punctuation, articles, extra whitespace), matched on
  word boundaries; refusals count as misses;
- cited_file_has_gold: answerable questions with at least one cited file containing a gold
  answer (same normalization);
- hit@5: answerable questions whose paragraph's file is among the retrieved files (the
  baseline retrieves only 2 chunks, so its hit@5 is a hit within its top 2);
- refusal_rate_unanswerable: unanswerable questions refused (higher is better);
- false_refusal_rate: answerable questions refused (lower is better);
- latency p50 / p95.

Run from the repo root:  python bench/squad_normans.py [--llm openai] [--no-baseline]
Writes bench/out/squad_normans_<backend>.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import re
import string
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from bot.answering.markers import strip_markers  # noqa: E402
from bot.models import Answer  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "bench" / "squad_v2_normans" / "dev-v2.0.json"
DEFAULT_OUT = REPO / "bench" / "out"


# -- SQuAD ---------------------------------------------------------------------------------------

def squad_normalize(text: str) -> str:
    """SQuAD's official answer normalization (lower, no punctuation/articles, single spaces)."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def contains_answer(text: str, golds: Sequence[str]) -> bool:
    """Whether a normalized gold answer occurs in the normalized text as whole words."""
    haystack = f" {squad_normalize(text)} "
    return any(f" {g} " in haystack for g in (squad_normalize(x) for x in golds) if g)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    golds: tuple[str, ...]  # empty for unanswerable questions
    file: str  # the corpus file holding the question's paragraph

    @property
    def answerable(self) -> bool:
        return bool(self.golds)


def build_corpus(data_path: Path, corpus_dir: Path, per_file: int) -> list[Question]:
    """Write the paragraphs as article files; return the questions with their files."""
    article = json.loads(data_path.read_text(encoding="utf-8"))["data"][0]
    paragraphs = article["paragraphs"]
    corpus_dir.mkdir(parents=True, exist_ok=True)
    for stale in corpus_dir.glob("*.txt"):
        stale.unlink()
    questions: list[Question] = []
    parts = (len(paragraphs) + per_file - 1) // per_file
    for part in range(parts):
        name = f"normans_{part + 1:02d}.txt"
        group = paragraphs[part * per_file:(part + 1) * per_file]
        body = "\n\n".join(p["context"].strip() for p in group)
        (corpus_dir / name).write_text(f"{article['title']}, part {part + 1} of {parts}\n\n"
                                       f"{body}\n", encoding="utf-8")
        for paragraph in group:
            for qa in paragraph["qas"]:
                golds = () if qa.get("is_impossible") else tuple(
                    dict.fromkeys(a["text"] for a in qa["answers"]))
                questions.append(Question(qa["id"], qa["question"], golds, name))
    return questions


# -- scoring -------------------------------------------------------------------------------------

def answer_body(answer: Answer) -> str:
    """The answer without citation markers."""
    return strip_markers(answer.text, " ")


def score(questions: Sequence[Question], answers: Sequence[Answer],
          file_texts: dict[str, str]) -> tuple[dict[str, float], list[dict[str, Any]]]:
    from bot.evaluation.metrics import percentile

    rows: list[dict[str, Any]] = []
    for q, a in zip(questions, answers, strict=True):
        cited = list(dict.fromkeys(c.file for c in a.citations))
        rows.append({
            "id": q.id, "question": q.question, "answerable": q.answerable,
            "golds": list(q.golds), "file": q.file, "refused": a.refused,
            "answer_contains_gold": q.answerable and not a.refused
                and contains_answer(answer_body(a), q.golds),
            "cited_file_has_gold": q.answerable and any(
                contains_answer(file_texts.get(f, ""), q.golds) for f in cited),
            "hit@5": q.file in a.retrieved_files[:5],
            "cited_files": cited, "retrieved_files": list(a.retrieved_files),
            "answer": a.text, "latency_ms": round(a.timings.total, 1),
        })
    answerable = [r for r in rows if r["answerable"]]
    impossible = [r for r in rows if not r["answerable"]]

    def rate(items: list[dict[str, Any]], key: str) -> float:
        return sum(bool(r[key]) for r in items) / len(items) if items else 0.0

    latencies = [r["latency_ms"] for r in rows]
    metrics = {
        "answer_contains_gold": rate(answerable, "answer_contains_gold"),
        "cited_file_has_gold": rate(answerable, "cited_file_has_gold"),
        "hit@5": rate(answerable, "hit@5"),
        "refusal_rate_unanswerable": rate(impossible, "refused"),
        "false_refusal_rate": rate(answerable, "refused"),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }
    return metrics, rows


LOWER_IS_BETTER = {"false_refusal_rate", "latency_p50_ms", "latency_p95_ms"}


def ask_all(name: str, answer: Callable[[str], Answer],
            questions: Sequence[Question]) -> list[Answer]:
    answers: list[Answer] = []
    started = time.perf_counter()
    for i, q in enumerate(questions, start=1):
        answers.append(answer(q.question))
        if i % 50 == 0 or i == len(questions):
            print(f"  {name}: {i}/{len(questions)} ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr)
    return answers


# -- main ----------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dev-v2.0.json")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--per-file", type=int, default=3, help="paragraphs per corpus file")
    parser.add_argument("--llm", choices=["auto", "openai", "extractive"], default="extractive")
    parser.add_argument("--no-baseline", action="store_true", help="skip the vanilla baseline")
    parser.add_argument("--every", type=int, default=1, metavar="N",
                        help="ask only every N-th question, the same ones of both systems "
                             "(for a slow LLM: vanilla takes ~30 s an answer on 2 CPU cores)")
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error("--every must be 1 or more")

    from rich.console import Console
    from rich.table import Table

    from bot.engine import NewsBot
    from bot.settings import Settings

    corpus_dir = args.out / "squad_normans_corpus"
    questions = build_corpus(args.data, corpus_dir, args.per_file)[::args.every]
    file_texts = {p.name: p.read_text(encoding="utf-8") for p in corpus_dir.glob("*.txt")}
    settings = Settings().model_copy(update={
        "llm": args.llm, "data_dir": args.out / "squad_normans_data",
        "corpus_dir": corpus_dir, "collection": "bench_squad_normans"})
    bot = NewsBot(settings)
    report = bot.ingest(corpus_dir)
    print(f"corpus: {len(file_texts)} files, {report.chunks_total} chunks in "
          f"{settings.data_dir}; {len(questions)} questions "
          f"({sum(q.answerable for q in questions)} answerable)", file=sys.stderr)

    systems: dict[str, dict[str, Any]] = {}
    answers = ask_all("newsbot", lambda q: bot.answer(q), questions)
    metrics, rows = score(questions, answers, file_texts)
    systems["newsbot"] = {"backend": bot.backend, "metrics": metrics, "questions": rows}
    if not args.no_baseline:
        from bot.evaluation.baseline import VanillaBaseline

        vanilla = VanillaBaseline(corpus_dir, bot.encoder, settings)
        answers = ask_all("baseline", vanilla.answer, questions)
        metrics, rows = score(questions, answers, file_texts)
        systems["baseline"] = {"backend": vanilla.backend, "metrics": metrics, "questions": rows}

    table = Table(title=f"SQuAD 2.0 dev \"Normans\": {len(questions)} questions, "
                        f"{len(file_texts)} files of {args.per_file} paragraphs",
                  title_justify="left", caption_justify="left",
                  caption="; ".join(f"{n}: {s['backend']}" for n, s in systems.items()))
    table.add_column("metric")
    for name in systems:
        table.add_column(name, justify="right")
    if "baseline" in systems:
        table.add_column("delta", justify="right")
    for metric, ours in systems["newsbot"]["metrics"].items():
        spec = ".0f" if metric.endswith("_ms") else ".3f"
        cells = [metric] + [format(s["metrics"][metric], spec) for s in systems.values()]
        if "baseline" in systems:
            delta = ours - systems["baseline"]["metrics"][metric]
            cells.append(format(delta, "+" + spec))
        table.add_row(*cells)
    Console(highlight=False).print(table)

    args.out.mkdir(parents=True, exist_ok=True)
    out_file = args.out / f"squad_normans_{bot.backend.replace(':', '_')}.json"
    out_file.write_text(json.dumps({
        "data": str(args.data), "per_file": args.per_file, "files": len(file_texts),
        "top_k": settings.top_k, "lower_is_better": sorted(LOWER_IS_BETTER),
        "systems": systems}, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out_file}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
