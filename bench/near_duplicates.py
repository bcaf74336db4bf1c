"""How well ingest finds "one story, many outlets": precision and recall of its story groups.

    python -m bench.near_duplicates [--articles 100] [--copies 60]

Two corpora, each ingested for real (``NewsBot.ingest``, with a hashing encoder: the stories do
not depend on the vectors) in a temporary folder, the stories read back from the stored chunks:

1. the five sample articles (``data/articles``): five different stories, so any merge is false;
2. the first ``--articles`` RealTimeQA articles (``../shared/bench/realtimeqa_dev``, read at run
   time, never copied into the repository) plus ``--copies`` planted copies of some of them,
   in four kinds, in turn:
   - ``wire``: the story on another site, with its own headline and boilerplate lines;
   - ``edited``: as ``wire``, and three sentences edited and one paragraph dropped;
   - ``corrected``: the same url re-published with one number changed (a correction);
   - ``excerpt``: only the first half of the story (a stretch goal: it shares half its text).

With ``--retrieval``, the planted corpus is ingested again with the local MiniLM model and each
article that has a planted copy is looked up by its title (``HybridRetriever.retrieve``,
``top_k`` 5), once as shipped and once with ``one_copy_per_story`` replaced by a plain cut
(the ranking before stories): how many slots hold a second copy of a story already retrieved,
and how many distinct stories the five slots hold.

Scored on pairs: a pair of articles is a true pair when one is a planted copy of the other;
precision = true pairs found / pairs put in one story, recall = true pairs found / true pairs.
Pairs of two RealTimeQA originals put in one story are listed (the set has its own copies).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import bot.answering.retrieval as retrieval
from bench.common import REPO_ROOT, SAMPLE_DIR, bench_settings
from bot.answering.retrieval import HybridRetriever
from bot.answering.stories import Distinct, story_of
from bot.engine import NewsBot
from ingest.store import StoredChunk
from tests.core_fixtures import HashEncoder

REALTIMEQA = REPO_ROOT.parent / "shared" / "bench" / "realtimeqa_dev" / "corpus" / "articles.jsonl"
KINDS = ("wire", "edited", "corrected", "excerpt")
BOILERPLATE = ("Copyright 2024 The Associated Press. All rights reserved.",
               "Sign up for our newsletter to get the day's top stories.")
_NUMBER = re.compile(r"\b\d+\b")


def _front_matter(title: str, site: str, url: str, day: str, text: str) -> str:
    fields = {"title": title, "site": site, "url": url, "date": day}
    head = "".join(f"{k}: {json.dumps(v)}\n" for k, v in fields.items() if v)
    return f"---\n{head}---\n{text}\n"


def _edit_sentences(text: str, rng: random.Random, count: int) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", text)
    for i in rng.sample(range(len(sentences)), min(count, len(sentences))):
        words = sentences[i].split()
        if len(words) > 4:
            words[rng.randrange(len(words))] = "reportedly"
            words.insert(rng.randrange(len(words)), "also")
        sentences[i] = " ".join(words)
    return " ".join(sentences)


def planted_copy(article: dict[str, Any], kind: str, rng: random.Random) -> dict[str, Any]:
    """A copy of ``article`` of the given kind (see the module docstring)."""
    text: str = article["text"]
    copy = dict(article, id=article["id"] + "-" + kind, source="copies.example",
                url=f"https://copies.example/{article['id']}/{kind}",
                title=f"{article['title']} | Copies Daily")
    if kind == "wire":
        copy["text"] = f"{BOILERPLATE[1]}\n\n{text}\n\n{BOILERPLATE[0]}"
    elif kind == "edited":
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        if len(paragraphs) > 3:
            del paragraphs[rng.randrange(1, len(paragraphs))]
        copy["text"] = _edit_sentences("\n\n".join(paragraphs), rng, 3) + "\n\n" + BOILERPLATE[0]
    elif kind == "corrected":
        numbers = _NUMBER.findall(text)
        changed = _NUMBER.sub(lambda m: str(int(m.group()) + 1), text, count=1) if numbers \
            else text.replace(".", ". Corrected.", 1)
        copy.update(text=changed, url=article["url"], source=article["source"],
                    title=article["title"])
    else:  # excerpt
        copy["text"] = text[: len(text) // 2]
    return copy


def _ingest(corpus: Path, data_dir: Path) -> tuple[dict[str, str], float]:
    bot = NewsBot(bench_settings(data_dir, corpus), encoder=HashEncoder("bench-hash", 64))
    return _stories(bot)


def _stories(bot: NewsBot) -> tuple[dict[str, str], float]:
    started = time.perf_counter()
    bot.ingest()
    seconds = time.perf_counter() - started
    return {key: state.story or key for key, state in bot.store.file_states().items()}, seconds


def _pairs(groups: dict[str, str]) -> set[frozenset[str]]:
    members: dict[str, list[str]] = defaultdict(list)
    for key, group in groups.items():
        members[group].append(key)
    return {frozenset(p) for keys in members.values() for p in combinations(sorted(keys), 2)}


def sample_figures(root: Path) -> dict[str, Any]:
    stories, seconds = _ingest(SAMPLE_DIR, root / "sample-data")
    return {"articles": len(stories), "stories": len(set(stories.values())),
            "false_merges": len(_pairs(stories)), "ingest_s": round(seconds, 1)}


def _plain_cut(ranked: list[StoredChunk], k: int) -> Distinct:
    return Distinct([c.id for c in ranked[:k]], {})


def retrieval_figures(corpus: Path, data_dir: Path, titles: list[str],
                      top_k: int = 5) -> dict[str, Any]:
    """Slots spent on copies with and without one copy per story (see the docstring)."""
    bot = NewsBot(bench_settings(data_dir, corpus))
    _, seconds = _stories(bot)
    retriever = HybridRetriever(bot.store, bot.encoder, bot.keyword_dir, bot.tuning)
    figures: dict[str, Any] = {"questions": len(titles), "top_k": top_k,
                               "ingest_s": round(seconds, 1)}
    shipped = retrieval.one_copy_per_story
    for title in titles:  # warm-up: both passes then read a loaded index and model
        retriever.retrieve(title, top_k)
    for name, cut in (("without", _plain_cut), ("with", shipped)):
        retrieval.one_copy_per_story = cut  # type: ignore[assignment]
        copy_slots = distinct = 0
        started = time.perf_counter()
        for title in titles:
            chunks = retriever.retrieve(title, top_k).chunks
            articles = {c.chunk.article_id: story_of(c.chunk) for c in chunks}
            copy_slots += len(articles) - len(set(articles.values()))
            distinct += len(set(articles.values()))
        figures[name] = {"slots_on_a_second_copy": copy_slots,
                         "distinct_stories_per_question": round(distinct / len(titles), 2),
                         "retrieve_ms_mean": round(
                             (time.perf_counter() - started) * 1000 / len(titles), 1)}
    retrieval.one_copy_per_story = shipped
    return figures


def planted_figures(root: Path, n_articles: int, n_copies: int,
                    with_retrieval: bool = False) -> dict[str, Any]:
    lines = REALTIMEQA.read_text(encoding="utf-8").splitlines()[:n_articles]
    originals = [json.loads(line) for line in lines]
    rng = random.Random(22)
    corpus = root / "planted"
    corpus.mkdir()
    truth: dict[str, str] = {}
    kind_of: dict[str, str] = {}
    articles = list(originals)
    for i, article in enumerate(originals[:n_copies]):
        kind = KINDS[i % len(KINDS)]
        copy = planted_copy(article, kind, rng)
        articles.append(copy)
        kind_of[copy["id"]] = kind
        truth[copy["id"]] = article["id"]
    for article in articles:
        truth.setdefault(article["id"], article["id"])
        (corpus / f"{article['id']}.md").write_text(_front_matter(
            article["title"], article["source"], article["url"], article["published"],
            article["text"]), encoding="utf-8")
    found, seconds = _ingest(corpus, root / "planted-data")
    found = {key.removesuffix(".md"): story.removesuffix(".md") for key, story in found.items()}
    true_pairs = _pairs({k: truth[k] for k in found})
    found_pairs = _pairs(found)
    hits = true_pairs & found_pairs
    by_kind = {kind: {"planted": sum(1 for k in kind_of.values() if k == kind),
                      "found": sum(1 for pair in hits
                                   if any(kind_of.get(k) == kind for k in pair))}
               for kind in KINDS}
    between_originals = sorted(sorted(p) for p in found_pairs - true_pairs
                               if not any(k in kind_of for k in p))
    figures = {"articles": len(found), "true_pairs": len(true_pairs),
            "found_pairs": len(found_pairs), "hits": len(hits),
            "precision": round(len(hits) / len(found_pairs), 3) if found_pairs else 1.0,
            "recall": round(len(hits) / len(true_pairs), 3) if true_pairs else 1.0,
            "by_kind": by_kind, "merged_originals": between_originals,
            "ingest_s": round(seconds, 1)}
    if with_retrieval:
        titles = [a["title"] for a in originals[:n_copies]]
        figures["retrieval"] = retrieval_figures(corpus, root / "planted-model-data", titles)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--copies", type=int, default=60)
    parser.add_argument("--retrieval", action="store_true",
                        help="also measure retrieval slots with the local model (slower)")
    args = parser.parse_args()
    if not REALTIMEQA.is_file():
        raise SystemExit(f"error: {REALTIMEQA} not found (the shared benchmark data)")
    with tempfile.TemporaryDirectory(prefix="newsbot-neardup-") as tmp:
        root = Path(tmp)
        figures = {"sample": sample_figures(root),
                   "planted": planted_figures(root, args.articles, args.copies,
                                              args.retrieval)}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
