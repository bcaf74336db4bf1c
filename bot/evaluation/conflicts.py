"""The conflict set: planted disagreements between real articles, to measure whether an answer
says that its sources differ (``bot/answering/evidence/conflicts.py``).

For each real article, one sentence gets one fact changed — a figure (a number that is no
year) or a name (the family name of a two-word name) — and becomes a short follow-up brief
dated a week later or earlier (alternately). Original and brief are written into a fresh
corpus folder with their dates as front matter; the question is made from the changed
sentence by a template (the value replaced by "how many"/"who"), never written by hand.

Why a brief of the changed sentence and its neighbours, not a full copy with one figure
changed: a full copy is, to the ingest, the same story (``ingest/near_duplicates.py``: at
least 0.8 of its word 3-shingles shared), and the newer copy of a story replaces the older at
answer time — rightly, for a corrected page. A brief shares too few shingles to be a copy,
as a second outlet's report of the same fact would.

Scoring each answer: **surfaced** (both values in the text, both articles cited), **planted
only**, **original only**, or **neither** (a refusal, or neither value).

Articles are read through newsbot's own loaders, so any corpus folder works: the shipped
sample and, at run time only, RealTimeQA's ``articles.jsonl`` (whose text must never be
copied into this repository: the briefs are written to a temporary folder).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import yaml

from bot.answering.dates import span_phrase
from bot.answering.evidence.conflicts import ROLE_WORDS, Token, tokens
from bot.answering.sentences import split_sentences
from bot.models import Answer, DateRange
from ingest.loaders.files import SkippedFile, discover, read_article

SURFACED = "surfaced"
PLANTED_ONLY = "planted_only"
ORIGINAL_ONLY = "original_only"
NEITHER = "neither"
OUTCOMES = (SURFACED, PLANTED_ONLY, ORIGINAL_ONLY, NEITHER)

# The date an undated article is given (the shipped sample's articles are from mid-March 2025).
UNDATED_DAY = date(2025, 3, 17)
SHIFT = timedelta(days=7)
# A planted sentence: long enough to be a statement, short enough to be one fact.
MIN_WORDS, MAX_WORDS = 10, 45
# The brief stays under the near-duplicate check's 100-shingle floor for containment.
MAX_BRIEF_WORDS = 80
# Names put in place of a planted name: invented family names no article here uses.
PLANTED_NAMES = ("Harrowgate", "Lindqvist", "Okonkwo", "Castellane", "Brennart", "Vasquell")
_TRAILING = " .,;:!”\"'’"
_FIRST_LINE = re.compile(r"\A[^\n]*\n")


@dataclass(frozen=True)
class SourceArticle:
    id: str
    title: str
    text: str
    day: date


@dataclass(frozen=True)
class ConflictCase:
    id: str
    kind: str  # "figure" or "name"
    question: str
    original_file: str
    planted_file: str
    original_value: str
    planted_value: str
    original_day: date
    planted_day: date

    @property
    def latest(self) -> date:
        return max(self.original_day, self.planted_day)


@dataclass(frozen=True)
class CaseOutcome:
    case: ConflictCase
    outcome: str
    answer: Answer


def read_articles(folder: Path, limit: int | None = None,
                  max_chars: int = 8000) -> Iterator[SourceArticle]:
    """The articles of ``folder`` (any format newsbot ingests), shortest first within each
    file is not guaranteed: files in name order, entries in file order; at most ``limit``,
    each under ``max_chars`` (a shorter article keeps the set quick to ingest)."""
    count = 0
    for name in discover(folder):
        read = read_article(folder, name)
        if isinstance(read, SkippedFile):
            continue
        for article in read.iter_articles():
            if not article.text or len(article.text) > max_chars:
                continue
            day = _day(article.metadata.get("date", ""))
            title = article.title or article.text.split("\n", 1)[0][:120]
            yield SourceArticle(article.id, title, article.text, day)
            count += 1
            if limit is not None and count >= limit:
                return


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return UNDATED_DAY


def plant(article: SourceArticle, kind: str, number: int,
          used: set[str] | None = None) -> tuple[ConflictCase, str] | None:
    """A case planting a ``kind`` change in ``article``, and the planted brief's text; None
    when no sentence of it fits. ``used`` holds the facts earlier cases planted (a value and
    the word after it: "30 day"), which are not planted again: articles of one story repeat
    each other's facts, and two briefs changing one fact two ways would answer each
    other's questions."""
    used = set() if used is None else used
    sentences = split_sentences(_FIRST_LINE.sub("", article.text, count=1))
    for i, sentence in enumerate(sentences):
        words = sentence.text.split()
        if not MIN_WORDS <= len(words) <= MAX_WORDS or "“" in sentence.text[:1]:
            continue
        found = _figure(sentence.text, number) if kind == "figure" else \
            _name(sentence.text, number)
        if found is None:
            continue
        token, new_value, asked = found
        fact = " ".join(t.key for t in tokens(sentence.text[token.start:])[:2])
        if fact in used:
            continue
        original = sentence.text
        changed = original[:token.start] + new_value + original[token.end:]
        question = _question(original, token, asked)
        if span_phrase(question):
            # "last week" in a question limits it to those days (bot/answering/dates.py):
            # one side of the pair would be out of reach.
            continue
        used.add(fact)
        brief = _brief([s.text for s in sentences], i, changed)
        shift = SHIFT if number % 2 == 0 else -SHIFT
        case = ConflictCase(
            id=f"conflict-{number:02d}-{kind}", kind=kind, question=question,
            original_file=_file_name(number, "original"),
            planted_file=_file_name(number, "planted"), original_value=token.text,
            planted_value=new_value, original_day=article.day,
            planted_day=article.day + shift)
        return case, brief
    return None


def _file_name(number: int, role: str) -> str:
    return f"case{number:02d}-{role}.md"


def _figure(sentence: str, number: int) -> tuple[Token, str, str] | None:
    """A number of the sentence that is no year, no day of a month and no ordinal, with a
    different value of the same form."""
    toks = tokens(sentence)
    for i, token in enumerate(toks):
        if not token.is_number or token.is_date or (i > 0 and toks[i - 1].is_date) or \
                sentence[token.end:token.end + 1].isalnum() or \
                sentence[token.start - 1:token.start] in ("%", "#"):  # "21st", "5G", "%26"
            continue
        changed = _changed_number(token.text, number)
        if changed:
            return token, changed, "how many"
    return None


def _changed_number(text: str, number: int) -> str | None:
    """``text`` with its figure raised by a half to one and a half (by case ``number``, so
    two cases planting the same figure plant different values), kept in the same form
    ("2,500" → "3,750", "2.1" → "3.2", "30%" → "45%")."""
    match = re.fullmatch(r"([$€£]?)(\d[\d,]*)(?:\.(\d+))?(%?)", text)
    if not match:
        return None
    prefix, whole, decimals, percent = match.groups()
    value = float(whole.replace(",", "") + (f".{decimals}" if decimals else ""))
    if value == 0:
        return None
    new = value * (1.5 + 0.05 * (number % 20)) if value >= 2 else value + 2 + number % 20
    places = len(decimals) if decimals else 0
    formatted = f"{new:,.{places}f}" if "," in whole else f"{new:.{places}f}"
    return f"{prefix}{formatted}{percent}" if formatted != whole else None


def _name(sentence: str, number: int) -> tuple[Token, str, str] | None:
    """The family name of a two-word name not at the sentence's start ("Karoline Leavitt"),
    with an invented one."""
    toks = tokens(sentence)
    for i in range(2, len(toks)):
        given, family = toks[i - 1], toks[i]
        if all(_plain_name(t) for t in (given, family)) and \
                not sentence[given.end:family.start].strip() and \
                not toks[i - 2].is_capitalised and \
                not (i + 1 < len(toks) and toks[i + 1].is_capitalised):
            return family, PLANTED_NAMES[number % len(PLANTED_NAMES)], "who"
    return None


def _plain_name(token: Token) -> bool:
    text = token.text
    return text[:1].isupper() and text[1:].islower() and len(text) > 2 and \
        not token.is_date and token.key not in ROLE_WORDS


def _question(sentence: str, token: Token, asked: str) -> str:
    """The sentence as a question: the value replaced by ``asked``, cut to the clause around
    it (a dozen words either side), otherwise verbatim."""
    before = re.search(r"(?:\S+\s+){0,12}$", sentence[:token.start])
    after = re.match(r"(?:\s*\S+){0,12}", sentence[token.end:])
    start = before.start() if before else 0
    body = f"{sentence[start:token.start]}{asked}{after.group(0) if after else ''}"
    return f"According to the articles: {body.strip().rstrip(_TRAILING)}?"


def _brief(sentences: Sequence[str], i: int, changed: str) -> str:
    """The changed sentence with the sentences either side, as long as the brief stays
    short."""
    parts = [changed]
    if i > 0 and _statement(sentences[i - 1]) and \
            len(" ".join([sentences[i - 1], *parts]).split()) <= MAX_BRIEF_WORDS:
        parts.insert(0, sentences[i - 1])
    if i + 1 < len(sentences) and _statement(sentences[i + 1]) and \
            len(" ".join([*parts, sentences[i + 1]]).split()) <= MAX_BRIEF_WORDS:
        parts.append(sentences[i + 1])
    return " ".join(parts)


def _statement(sentence: str) -> bool:
    """A sentence that ends like one (not a heading, a caption or a social-media line)."""
    return sentence.rstrip().endswith((".", "!", "?", "”", '"', "’"))


def _front_matter(title: str, day: date, body: str) -> str:
    header = yaml.safe_dump({"title": title, "date": day.isoformat()}, allow_unicode=True,
                            sort_keys=False)
    return f"---\n{header}---\n{body}\n"


def build_set(articles: Sequence[SourceArticle], folder: Path,
              kinds: Sequence[str] = ("figure", "name")) -> list[ConflictCase]:
    """Plant one change per article and kind (as the article allows), write each original
    and its brief into ``folder``, and return the cases."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[ConflictCase] = []
    used: set[str] = set()
    for number, article in enumerate(articles, start=1):
        original = f"article{number:02d}.md"
        planted_any = False
        for kind in kinds:
            planted = plant(article, kind, len(cases) + 1, used)
            if planted is None:
                continue
            case, brief = planted
            case = replace(case, original_file=original)
            (folder / case.planted_file).write_text(
                _front_matter(f"Update: {article.title}", case.planted_day, brief), "utf-8")
            cases.append(case)
            planted_any = True
        if planted_any:
            (folder / original).write_text(
                _front_matter(article.title, article.day, article.text), "utf-8")
    return cases


def outcome(case: ConflictCase, answer: Answer) -> str:
    """How ``answer`` dealt with the planted disagreement (see the module's docstring)."""
    if answer.refused:
        return NEITHER
    has_original = _says(answer.text, case.original_value)
    has_planted = _says(answer.text, case.planted_value)
    # The original's value may be cited from another article stating it too (the sample's
    # articles repeat each other's facts; another case's brief may quote it beside its own
    # change): any article but this case's brief counts.
    cited = {c.file for c in answer.citations}
    others = cited - {case.planted_file}
    if has_original and has_planted and case.planted_file in cited and others:
        return SURFACED
    if has_planted and not has_original:
        return PLANTED_ONLY
    if has_original and not has_planted:
        return ORIGINAL_ONLY
    return NEITHER


def _says(text: str, value: str) -> bool:
    return re.search(rf"(?<![\w.,]){re.escape(value)}(?![\w]|[.,]\d)", text) is not None


def run_set(answer: Callable[[str, DateRange], Answer], cases: Sequence[ConflictCase],
            progress: Callable[[int, int], None] | None = None) -> list[CaseOutcome]:
    """Ask every case, from the articles dated up to the later of its two (so a question
    about the present reads both), and score it."""
    results: list[CaseOutcome] = []
    for done, case in enumerate(cases, start=1):
        reply = answer(case.question, DateRange(until=case.latest))
        results.append(CaseOutcome(case, outcome(case, reply), reply))
        if progress:
            progress(done, len(cases))
    return results


def summary(results: Sequence[CaseOutcome]) -> dict[str, float | int]:
    """Counts and the surfaced share."""
    counts = Counter(r.outcome for r in results)
    total = len(results)
    return {"cases": total, **{name: counts[name] for name in OUTCOMES},
            "surfaced_rate": round(counts[SURFACED] / total, 3) if total else 0.0}
