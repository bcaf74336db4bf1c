"""``newsbot eval --set conflicts``: the planted-conflict set end to end
(``bot/evaluation/conflicts.py``).

The articles are the configured corpus's (the shipped sample by default) plus, with
``--corpus``, up to ``EXTRA_ARTICLES`` of that folder's (e.g. RealTimeQA's
``corpus/``). Originals and planted briefs are written to a temporary folder and ingested
into a temporary data dir, both removed afterwards: nothing of a borrowed corpus is kept.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

#: The set's name for ``--set``.
SET_NAME = "conflicts"
#: Articles taken from ``--corpus`` besides the configured corpus's.
EXTRA_ARTICLES = 20


def eval_conflicts(settings: Settings, corpus: Path | None, *, as_json: bool,
                   every: int) -> None:
    from bot.evaluation.conflicts import build_set, read_articles, run_set, summary
    from bot.evaluation.golden import resolve_corpus_path
    from bot.frontends.cli.console import err, make_bot, out
    from bot.frontends.cli.eval_commands import CaseProgress
    from bot.models import Answer, DateRange

    articles = list(read_articles(settings.corpus_dir))
    if corpus is not None:
        articles += list(read_articles(resolve_corpus_path(corpus), limit=EXTRA_ARTICLES))
    with tempfile.TemporaryDirectory(prefix="newsbot-conflicts-") as tmp:
        folder = Path(tmp, "articles")
        cases = build_set(articles, folder)[::every]
        bot = make_bot(settings.model_copy(update={
            "data_dir": Path(tmp, "data"), "corpus_dir": folder,
            "collection": "newsbot_conflicts", "sources": ""}))
        err.print(f"{len(cases)} planted conflicts from {len(articles)} articles; "
                  "ingesting…", markup=False)
        bot.ingest(folder)
        k = bot.settings.top_k

        def answer(question: str, dates: DateRange) -> Answer:
            return bot.answer(question, top_k=k, dates=dates)

        with CaseProgress(err, "newsbot", len(cases)) as progress:
            results = run_set(answer, cases, progress)
    figures = summary(results)
    if as_json:
        out.print(json.dumps({"set": SET_NAME, "backend": bot.backend, "metrics": figures,
                              "cases": [{"id": r.case.id, "kind": r.case.kind,
                                         "question": r.case.question,
                                         "original": r.case.original_value,
                                         "planted": r.case.planted_value,
                                         "outcome": r.outcome, "answer": r.answer.text,
                                         "cited": [c.file for c in r.answer.citations]}
                                        for r in results]},
                             ensure_ascii=False), markup=False)
        return
    for r in results:
        said = "refused" if r.answer.refused else " ".join(r.answer.text.split())[:200]
        out.print(f"{r.outcome:<14} {r.case.id}: {r.case.original_value} → "
                  f"{r.case.planted_value} | {said}", markup=False)
    out.print(f"{bot.backend}: " + ", ".join(f"{name} {value}"
                                              for name, value in figures.items()),
              markup=False)
