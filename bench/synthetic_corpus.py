"""A scalable synthetic news corpus built from real paragraphs, for the benchmarks.

    python bench/synthetic_corpus.py OUT_DIR --articles 1000 [--seed 7]
    python bench/synthetic_corpus.py OUT_DIR --articles 100000 --jsonl [--short]

``--jsonl`` writes the corpus as one JSON Lines export (``export.jsonl``, one article a line,
written as it is generated); ``--short`` keeps each article's headline and first paragraph,
so embedding 100,000 of them fits in a measurement on two cores.

The paragraph pool is the sample articles' lines plus the SQuAD "Normans" paragraphs. Each
article draws a headline and 3-7 paragraphs from the pool in random order, then renames most
proper names (consistently within the article) and rewrites every number, so no two chunks are
the same text. Article ``i`` depends only on (seed, i): the 100-article corpus is a prefix of
the 1,000-article one, which is a prefix of the 10,000-article one.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "data" / "articles"
# shared/ sits beside the repository (as on CI and every developer machine).
SQUAD_FILE = REPO_ROOT.parent / "shared" / "bench" / "squad_v2_normans" / "dev-v2.0.json"
DEFAULT_SEED = 7
_MARKER = ".synthetic.json"

_NUMBER = re.compile(r"\d+")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]{2,}\b")
# Capitalised words that are not names (sentence starts, months, days): left alone so the
# text stays readable and the keyword index sees ordinary English.
_KEEP = frozenset("""
The This That These Those There Then They Their Them When Where While What Which Who Why How
And But For Nor Yet After Before During Since Until Under Over Into From With Without About
According Although Because However Meanwhile Also Both Each Every Some Many Most Other Such
Former President Prime Minister Secretary Foreign Russian American European British French
Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
July August September October November December Its His Her Our Not Now One Two Three Updated
""".split())
_SYLLABLES = ("ka ro vel mi tan so ber lin da ne gor shi val ter ma qui zo pa len dor "
              "ri sa fen mo hal tu cor vin ea bra lo nis tes ur").split()


@dataclass(frozen=True)
class Article:
    name: str
    text: str


@lru_cache(maxsize=1)
def paragraph_pool() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(headline candidates, body paragraphs) from the sample articles and SQuAD."""
    headlines: list[str] = []
    paragraphs: list[str] = []
    for path in sorted(SAMPLE_DIR.glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        lines = [line for line in lines if len(line.split()) >= 6]
        headlines.append(lines[0])
        paragraphs.extend(lines[1:])
    if SQUAD_FILE.is_file():
        data = json.loads(SQUAD_FILE.read_text(encoding="utf-8"))
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                context = paragraph["context"].strip()
                paragraphs.append(context)
                headlines.append(re.split(r"(?<=[.!?])\s", context)[0])
    return tuple(headlines), tuple(paragraphs)


def _invented_name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _vary(text: str, names: dict[str, str], rng: random.Random) -> str:
    """Rename proper names (same name → same new name within an article) and renumber."""
    def rename(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in _KEEP:
            return word
        if word not in names:
            # Keep about a quarter of the names, so articles still share some entities.
            names[word] = word if rng.random() < 0.25 else _invented_name(rng)
        return names[word]

    def renumber(match: re.Match[str]) -> str:
        digits = match.group(0)
        first = str(rng.randint(1, 9)) if digits[0] != "0" else "0"
        return first + "".join(str(rng.randint(0, 9)) for _ in digits[1:])

    return _NUMBER.sub(renumber, _CAPITALISED.sub(rename, text))


def make_article(index: int, seed: int = DEFAULT_SEED) -> Article:
    """Article ``index`` of the corpus with ``seed`` (independent of the corpus size)."""
    rng = random.Random(seed * 1_000_003 + index)
    headlines, paragraphs = paragraph_pool()
    names: dict[str, str] = {}
    headline = " ".join(rng.choice(headlines).split()[:12]).rstrip(",;:")
    body = rng.sample(paragraphs, rng.randint(3, 7))
    # A dateline and an invented quote make each article's opening distinct.
    dateline = f"{_invented_name(rng).upper()}, {rng.choice(_KEEP_MONTHS)} {rng.randint(1, 28)}"
    lines = [_vary(headline, names, rng), f"{dateline} — " + _vary(body[0], names, rng)]
    lines += [_vary(p, names, rng) for p in body[1:]]
    return Article(f"{index:05d}_synthetic.txt", "\n".join(lines) + "\n")


_KEEP_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


def iter_corpus(articles: int, seed: int = DEFAULT_SEED) -> Iterator[Article]:
    for index in range(articles):
        yield make_article(index, seed)


def write_corpus(out_dir: Path, articles: int, seed: int = DEFAULT_SEED) -> Path:
    """Write the corpus as .txt files; a folder already holding exactly it is left as is."""
    out_dir.mkdir(parents=True, exist_ok=True)
    marker = out_dir / _MARKER
    wanted = {"articles": articles, "seed": seed}
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        return out_dir
    for old in out_dir.glob("*.txt"):
        old.unlink()
    for article in iter_corpus(articles, seed):
        (out_dir / article.name).write_text(article.text, encoding="utf-8")
    marker.write_text(json.dumps(wanted))
    return out_dir


def write_jsonl(out_dir: Path, articles: int, seed: int = DEFAULT_SEED,
                short: bool = False) -> Path:
    """The corpus as one JSONL export, streamed to disk one article at a time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "export.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for index in range(articles):
            lines = make_article(index, seed).text.splitlines()
            text = "\n".join(lines[:2] if short else lines)
            handle.write(json.dumps({"id": f"s{index}", "title": lines[0], "text": text,
                                     "url": f"https://synthetic.example/{index}"}) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--jsonl", action="store_true", help="one JSON Lines export")
    parser.add_argument("--short", action="store_true", help="headline + first paragraph")
    args = parser.parse_args(argv)
    if args.jsonl:
        write_jsonl(args.out_dir, args.articles, args.seed, args.short)
    else:
        write_corpus(args.out_dir, args.articles, args.seed)
    print(f"{args.articles} articles in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
