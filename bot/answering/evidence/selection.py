"""The embedded default backend: answer with the articles' own sentences, no LLM.

Grounded by construction: every sentence of the answer is a verbatim sentence of a retrieved
chunk, cited to it. Candidates are scored by embedding similarity to the question and by
IDF-weighted keyword overlap; near-duplicates (the same sentence in several articles, common in
syndicated news) are dropped so the answer does not repeat itself.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from bot.answering.evidence.answer_types import NARROW, AnswerType, holds_answer, question_type
from bot.answering.headlines import is_title
from bot.answering.question_parts import asked_part, question_parts
from bot.answering.retrieval import RetrievedChunk
from bot.rules import ALL_ON, RuleSwitches
from ingest.sentences import split_sentences
from ingest.text_terms import terms

if TYPE_CHECKING:
    from ingest.embedding import Encoder
    from ingest.store import StoredChunk

NOTE = "Sentences quoted from the articles; no LLM."
MAX_SENTENCES = 3
# Sentences embedded per answer: the best by keyword overlap and chunk rank. Embedding them is
# most of an answer's cost; on the golden set 6 answered best *and* fastest (24: fact accuracy
# 0.773, p50 446 ms; 12: 0.795, 272 ms; 8: 0.818, 155 ms; 6: 0.818, 128 ms; 4: 0.795, 86 ms).
MAX_CANDIDATES = 6
MIN_WORDS = 4
# Weights of the two signals, and how close to the best a further sentence must be.
DENSE_WEIGHT = 0.65
KEYWORD_WEIGHT = 0.35
KEEP_RATIO = 0.8
DUPLICATE_JACCARD = 0.6
# Added to the score of a sentence holding the kind of value the question asks for (a
# duration for "how long", a day or date for "when"; see answer_types). On the golden set
# 0.10 lifted fact accuracy from 0.82 to 0.86; 0.20 gave the same accuracy with more stray
# citations.
TYPE_BONUS = 0.10
# For a "latest"/"current" question, sentences scoring within this much of the best one count
# as answering it equally well, and the newest article's among them is quoted first (an older
# article may call a sitting president "former"). Small next to the gaps the weights above
# open between a sentence that answers and one that doesn't (TYPE_BONUS alone is 0.10), so it
# reorders only near-equals; undated sentences never win a tie.
NEAR_TIE_MARGIN = 0.03


@dataclass(frozen=True)
class Candidate:
    source: int  # 1-based index into the retrieved chunks, i.e. the chunk's rank
    text: str
    terms: frozenset[str]
    keyword: float
    typed: bool = False  # holds a value of the kind the question asks for
    dense: float = 0.0
    date: str = ""  # the article's ISO date, "" when it has none

    @property
    def prior(self) -> float:
        """From the chunk's rank: a better-ranked chunk's sentence is shortlisted first."""
        return 1.0 / self.source

    @property
    def score(self) -> float:
        return (DENSE_WEIGHT * self.dense + KEYWORD_WEIGHT * self.keyword
                + TYPE_BONUS * self.typed)


@dataclass(frozen=True)
class ExtractiveResult:
    raw_text: str  # with [n] markers referring to retrieved chunk numbers; no LABEL
    quotes: dict[int, str]
    best_score: float
    best_dense: float
    # The question asks for a narrow kind of value (an age, a duration, a count) that no
    # retrieved sentence holds: the articles cannot answer it.
    missing_type: AnswerType | None = None
    # The sentences the answer quotes, best first: the evidence an LLM is given instead of
    # whole chunks (bot/answering/evidence/for_model.py).
    chosen: tuple[Candidate, ...] = ()


def _candidates(question: str, kind: AnswerType | None, chunks: list[RetrievedChunk],
                questions_too: bool = False) -> list[Candidate]:
    pool: list[tuple[int, str, frozenset[str]]] = []
    for number, retrieved in enumerate(chunks, start=1):
        for text in _answer_sentences(retrieved.chunk, questions_too):
            pool.append((number, text, frozenset(terms(text))))
    dates = [retrieved.chunk.article_field("date") for retrieved in chunks]
    # IDF over the pool: words every candidate shares (the corpus topic) weigh little.
    document_frequency = Counter(t for _, _, words in pool for t in words)
    idf = {t: math.log(1 + len(pool) / df) for t, df in document_frequency.items()}
    wanted = set(question_terms(question))
    total = sum(idf.get(t, math.log(1 + len(pool))) for t in wanted) or 1.0
    return [
        Candidate(number, text, words, sum(idf[t] for t in wanted & words) / total,
                  typed=kind is not None and holds_answer(text, kind, question),
                  date=dates[number - 1])
        for number, text, words in pool
    ]


def _answer_sentences(chunk: StoredChunk, questions_too: bool = False) -> Iterator[str]:
    """The chunk's sentences that may be quoted as an answer: long enough, neither a heading
    nor the article's headline, and not a question (news explainers ask the reader's
    question, "Where did the UPS plane crash occur?", before answering it: it matches the
    question best and answers nothing) unless ``questions_too``."""
    for position, sentence in enumerate(split_sentences(chunk.text)):
        text = sentence.text
        if len(text.split()) < MIN_WORDS or _is_heading(text):
            continue
        if not questions_too and _ASKS.search(text):
            continue
        # A saved page's text repeats its <h1> as the first line (trafilatura keeps it), a
        # feed entry or export may too: the title is shown with the citation already, and a
        # headline is a summary in note form, not a sentence that states the fact.
        if is_title(text, chunk.title, chunk.title_given):
            continue
        if position == 0 and chunk.index == 0 and _is_opening_line(chunk.text, sentence.end):
            continue
        yield text


def _is_opening_line(text: str, end: int) -> bool:
    """Whether the first sentence of an article's text, ending at ``end``, is a headline: a
    line of its own with no closing punctuation (one the stored title does not match, e.g. a
    page whose ``<h1>`` differs from its ``og:title``, or a plain-text headline too long to
    be taken as the title)."""
    ends_line = text[end:].lstrip(" \t").startswith("\n")
    return ends_line and not _SENTENCE_END.search(text[:end])


_QUESTION_PHRASE = re.compile(r"\bhow\s+(long|many|much|far|often|old|big|large|soon)\b",
                              re.IGNORECASE)
_HEADING = re.compile(r":\s*$")
_ASKS = re.compile(r"\?[\"'”’)\]]*\s*$")
_SENTENCE_END = re.compile(r"[.!?…\"”’')\]]\s*$")


def _is_heading(text: str) -> bool:
    """A line that introduces text rather than states something: "Analysis:", or a Title Case
    heading like "Kremlin Confirms Planned Talks" (no closing punctuation, capitalised words)."""
    if _HEADING.search(text):
        return True
    if _SENTENCE_END.search(text):
        return False
    words = [w for w in text.split() if w[:1].isalpha()]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def question_terms(question: str) -> list[str]:
    """Content words of the question, without the "how long/many/…" that only ask for a kind
    of answer (otherwise "How long…" favours sentences about "long-lasting" peace)."""
    return terms(_QUESTION_PHRASE.sub("how", question))


def near_duplicate(a: Candidate, b: Candidate) -> bool:
    union = a.terms | b.terms
    return bool(union) and len(a.terms & b.terms) / len(union) >= DUPLICATE_JACCARD


def newest_on_near_ties(scored: list[Candidate]) -> list[Candidate]:
    """``scored`` (best first) with the near-ties of the best one ordered newest first."""
    if not scored:
        return scored
    floor = scored[0].score - NEAR_TIE_MARGIN
    tied = [c for c in scored if c.score >= floor]
    rest = [c for c in scored if c.score < floor]
    # A stable sort: equally dated (or undated) sentences keep their order by score.
    return sorted(tied, key=lambda c: c.date, reverse=True) + rest


def _scored(candidates: list[Candidate], query_vector: np.ndarray,
            encoder: Encoder) -> list[Candidate]:
    """The shortlisted candidates (by keyword overlap and chunk rank) scored, best first."""
    candidates = sorted(candidates, reverse=True,
                        key=lambda c: c.keyword + 0.1 * c.prior + TYPE_BONUS * c.typed)
    shortlist = candidates[:MAX_CANDIDATES]
    vectors = encoder.encode([c.text for c in shortlist])
    similarities = vectors @ query_vector
    return sorted(
        (replace(c, dense=float(s)) for c, s in zip(shortlist, similarities, strict=True)),
        key=lambda c: c.score, reverse=True)


def _kept(scored: list[Candidate], best: float | None = None) -> list[Candidate]:
    """The scored candidates close enough to the best score (the first's, if not given) to
    be quoted."""
    if not scored:
        return []
    floor = KEEP_RATIO * (scored[0].score if best is None else best)
    return [c for c in scored if c.score >= floor]


def _by_part(question: str, chunks: list[RetrievedChunk],
             encoder: Encoder) -> list[list[Candidate]]:
    """For a compound question, each part's quotable sentences, scored against that part
    alone (bot/answering/question_parts.py): scored against the whole question, the sentences
    answering one part fill every slot. Only sentences sharing a word with the part count."""
    lists: list[list[Candidate]] = []
    for part in question_parts(question):
        candidates = [c for c in _candidates(part, question_type(part), chunks) if c.keyword > 0]
        if candidates:
            lists.append(_kept(_scored(candidates, encoder.encode([part])[0], encoder)))
    return lists


def _in_turns(lists: list[list[Candidate]], limit: int) -> list[Candidate]:
    """Up to ``limit`` sentences taking each list's next best in turn, near-duplicates out."""
    chosen: list[Candidate] = []
    for rank in range(max((len(kept) for kept in lists), default=0)):
        for kept in lists:
            if len(chosen) == limit:
                return chosen
            if rank < len(kept) and not any(near_duplicate(kept[rank], c) for c in chosen):
                chosen.append(kept[rank])
    return chosen


def extract(question: str, query_vector: np.ndarray, chunks: list[RetrievedChunk],
            encoder: Encoder, *, newest_first: bool = False, require_type: bool = True,
            rules: RuleSwitches = ALL_ON) -> ExtractiveResult:
    """Pick the few sentences that best answer ``question``, with ``[n]`` markers;
    ``newest_first`` (a "latest" question) lets the newest of near-equal sentences lead;
    ``require_type``: a narrow kind of value nobody states is ``missing_type``. A question
    that sets the scene first is answered by the sentences closest to its asking sentence
    (``question_parts.asked_part``)."""
    asked = asked_part(question) if rules.on("asked_part") else question
    if asked != question:
        # Closest in meaning to what is asked; the scene's words still count as keywords
        # (they name whom the asking sentence's "he" or "it" is about).
        query_vector = encoder.encode([asked])[0]
    kind = question_type(asked)
    candidates = _candidates(question, kind, chunks,
                             questions_too=not rules.on("questions_not_quoted"))
    if not candidates:
        return ExtractiveResult("", {}, 0.0, 0.0)
    if require_type and kind in NARROW and not any(c.typed for c in candidates):
        return ExtractiveResult("", {}, 0.0, 0.0, missing_type=kind)
    scored = _scored(candidates, query_vector, encoder)

    best = scored[0]
    if newest_first:
        scored = newest_on_near_ties(scored)
    # A compound question's parts take turns first; the whole question's picks fill the rest.
    chosen = _in_turns([*_by_part(question, chunks, encoder), _kept(scored, best.score)],
                       MAX_SENTENCES)
    raw = " ".join(f"{c.text} [{c.source}]" for c in chosen)
    quotes: dict[int, str] = {}
    for c in chosen:
        quotes[c.source] = f"{quotes[c.source]} … {c.text}" if c.source in quotes else c.text
    return ExtractiveResult(raw, quotes, best.score, max(c.dense for c in scored),
                            chosen=tuple(chosen))
