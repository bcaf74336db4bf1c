"""The embedded default backend: answer with the articles' own sentences, no LLM.

Grounded by construction: every sentence of the answer is a verbatim sentence of a retrieved
chunk, cited to it. Candidates are scored by embedding similarity to the question and by
IDF-weighted keyword overlap (length-normalised as in BM25); near-duplicates (the same sentence
in several articles, common in syndicated news) are dropped so the answer does not repeat
itself.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from bot.answering.evidence.answer_types import NARROW, AnswerType, holds_answer, question_type
from bot.answering.headlines import is_title
from bot.answering.question_parts import asked_part, question_parts
from bot.answering.retrieval import RetrievedChunk
from bot.tuning import DEFAULTS, Tuning
from ingest.sentences import split_sentences
from ingest.text_terms import terms

if TYPE_CHECKING:
    from ingest.embedding import Encoder
    from ingest.store import StoredChunk

NOTE = "Sentences quoted from the articles; no LLM."
# Every count, weight and threshold of the choice below is a field of ``bot.tuning.Tuning``
# (max_sentences, max_candidates, min_words, dense_weight, keyword_weight, rank_prior_weight,
# keyword_length_norm, keep_ratio, duplicate_jaccard, type_bonus, heading_capitals), documented
# there with the measurements behind each value.


@dataclass(frozen=True)
class Candidate:
    source: int  # 1-based index into the retrieved chunks, i.e. the chunk's rank
    text: str
    terms: frozenset[str]
    keyword: float
    typed: bool = False  # holds a value of the kind the question asks for
    dense: float = 0.0
    date: str = ""  # the article's ISO date, "" when it has none
    # The two signals blended (``Tuning.dense_weight`` and ``keyword_weight``, plus
    # ``type_bonus`` when typed): set when the sentence is scored (``_scored``).
    score: float = 0.0

    @property
    def prior(self) -> float:
        """From the chunk's rank: a better-ranked chunk's sentence is shortlisted first."""
        return 1.0 / self.source


def blended(dense: float, keyword: float, typed: bool, tuning: Tuning) -> float:
    """A sentence's score: its similarity and keyword overlap weighted, plus the bonus for
    holding the kind of value asked for."""
    return (tuning.dense_weight * dense + tuning.keyword_weight * keyword
            + tuning.type_bonus * typed)


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
    # Every scored sentence close enough to the best to be quoted, near-duplicates of the
    # chosen ones included: where two articles stating different values show up
    # (evidence/conflicts.py), since a copy with one figure changed is a near-duplicate.
    near_top: tuple[Candidate, ...] = ()


def _candidates(question: str, kind: AnswerType | None, chunks: list[RetrievedChunk],
                tuning: Tuning, questions_too: bool = False) -> list[Candidate]:
    pool: list[tuple[int, str, frozenset[str]]] = []
    for number, retrieved in enumerate(chunks, start=1):
        for text in _answer_sentences(retrieved.chunk, questions_too, tuning):
            pool.append((number, text, frozenset(terms(text))))
    dates = [retrieved.chunk.article_field("date") for retrieved in chunks]
    overlaps = keyword_overlaps(question, [words for _, _, words in pool], tuning)
    return [
        Candidate(number, text, words, overlap,
                  typed=kind is not None and holds_answer(text, kind, question),
                  date=dates[number - 1])
        for (number, text, words), overlap in zip(pool, overlaps, strict=True)
    ]


def keyword_overlaps(question: str, sentences: Sequence[frozenset[str]],
                     tuning: Tuning = DEFAULTS) -> list[float]:
    """Each sentence's keyword overlap with ``question``: the IDF-weighted share of the
    question's content words it holds, IDF taken over ``sentences`` (words every candidate
    shares, the corpus topic, weigh little), divided by BM25's length normalisation
    ``1 - b + b * length / mean length`` (b = ``tuning.keyword_length_norm``; Robertson and
    Zaragoza, 2009): a long sentence holds more of the question's words by chance, and news
    sentences run from 5 to 60 words."""
    if not sentences:
        return []
    document_frequency = Counter(t for words in sentences for t in words)
    idf = {t: math.log(1 + len(sentences) / df) for t, df in document_frequency.items()}
    wanted = set(question_terms(question))
    total = sum(idf.get(t, math.log(1 + len(sentences))) for t in wanted) or 1.0
    b = tuning.keyword_length_norm
    mean_length = sum(len(words) for words in sentences) / len(sentences) or 1.0
    return [sum(idf[t] for t in wanted & words) / total
            / (1 - b + b * len(words) / mean_length)
            for words in sentences]


def _answer_sentences(chunk: StoredChunk, questions_too: bool = False,
                      tuning: Tuning = DEFAULTS) -> Iterator[str]:
    """The chunk's sentences that may be quoted as an answer: long enough, neither a heading
    nor the article's headline, and not a question (news explainers ask the reader's
    question, "Where did the UPS plane crash occur?", before answering it: it matches the
    question best and answers nothing) unless ``questions_too``."""
    for position, sentence in enumerate(split_sentences(chunk.text)):
        text = sentence.text
        if len(text.split()) < tuning.min_words or _is_heading(text, tuning.heading_capitals):
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


def _is_heading(text: str, capitals: float = DEFAULTS.heading_capitals) -> bool:
    """A line that introduces text rather than states something: "Analysis:", or a Title Case
    heading like "Kremlin Confirms Planned Talks" (no closing punctuation, at least
    ``capitals`` of its words capitalised)."""
    if _HEADING.search(text):
        return True
    if _SENTENCE_END.search(text):
        return False
    words = [w for w in text.split() if w[:1].isalpha()]
    return bool(words) and sum(w[0].isupper() for w in words) >= capitals * len(words)


def question_terms(question: str) -> list[str]:
    """Content words of the question, without the "how long/many/…" that only ask for a kind
    of answer (otherwise "How long…" favours sentences about "long-lasting" peace)."""
    return terms(_QUESTION_PHRASE.sub("how", question))


def near_duplicate(a: Candidate, b: Candidate,
                   jaccard: float = DEFAULTS.duplicate_jaccard) -> bool:
    union = a.terms | b.terms
    return bool(union) and len(a.terms & b.terms) / len(union) >= jaccard


def _scored(candidates: list[Candidate], query_vector: np.ndarray, encoder: Encoder,
            tuning: Tuning) -> list[Candidate]:
    """The shortlisted candidates (by keyword overlap and chunk rank) scored, best first."""
    candidates = sorted(candidates, reverse=True,
                        key=lambda c: c.keyword + tuning.rank_prior_weight * c.prior
                        + tuning.type_bonus * c.typed)
    shortlist = candidates[:tuning.max_candidates]
    vectors = encoder.encode([c.text for c in shortlist])
    similarities = vectors @ query_vector
    return sorted(
        (replace(c, dense=float(s), score=blended(float(s), c.keyword, c.typed, tuning))
         for c, s in zip(shortlist, similarities, strict=True)),
        key=lambda c: c.score, reverse=True)


def _kept(scored: list[Candidate], keep_ratio: float,
          best: float | None = None) -> list[Candidate]:
    """The scored candidates close enough to the best score (the first's, if not given) to
    be quoted: at least ``keep_ratio`` of it."""
    if not scored:
        return []
    floor = keep_ratio * (scored[0].score if best is None else best)
    return [c for c in scored if c.score >= floor]


def _by_part(question: str, chunks: list[RetrievedChunk], encoder: Encoder,
             tuning: Tuning) -> list[list[Candidate]]:
    """For a compound question, each part's quotable sentences, scored against that part
    alone (bot/answering/question_parts.py): scored against the whole question, the sentences
    answering one part fill every slot. Only sentences sharing a word with the part count."""
    lists: list[list[Candidate]] = []
    for part in question_parts(question, tuning.max_question_parts):
        candidates = [c for c in _candidates(part, question_type(part), chunks, tuning)
                      if c.keyword > 0]
        if candidates:
            lists.append(_kept(_scored(candidates, encoder.encode([part])[0], encoder, tuning),
                               tuning.keep_ratio))
    return lists


def _in_turns(lists: list[list[Candidate]], limit: int, jaccard: float) -> list[Candidate]:
    """Up to ``limit`` sentences taking each list's next best in turn, near-duplicates out."""
    chosen: list[Candidate] = []
    for rank in range(max((len(kept) for kept in lists), default=0)):
        for kept in lists:
            if len(chosen) == limit:
                return chosen
            if rank < len(kept) and not any(near_duplicate(kept[rank], c, jaccard)
                                            for c in chosen):
                chosen.append(kept[rank])
    return chosen


def extract(question: str, query_vector: np.ndarray, chunks: list[RetrievedChunk],
            encoder: Encoder, *, require_type: bool = True,
            tuning: Tuning = DEFAULTS) -> ExtractiveResult:
    """Pick the few sentences that best answer ``question``, with ``[n]`` markers;
    ``require_type``: a narrow kind of value nobody states is ``missing_type``. A question
    that sets the scene first is answered by the sentences closest to its asking sentence
    (``question_parts.asked_part``). ``tuning``: its counts, weights and rule switches."""
    rules = tuning.rules
    asked = asked_part(question, tuning.min_asking_words) if rules.on("asked_part") \
        else question
    if asked != question:
        # Closest in meaning to what is asked; the scene's words still count as keywords
        # (they name whom the asking sentence's "he" or "it" is about).
        query_vector = encoder.encode([asked])[0]
    kind = question_type(asked)
    candidates = _candidates(question, kind, chunks, tuning,
                             questions_too=not rules.on("questions_not_quoted"))
    if not candidates:
        return ExtractiveResult("", {}, 0.0, 0.0)
    if require_type and kind in NARROW and not any(c.typed for c in candidates):
        return ExtractiveResult("", {}, 0.0, 0.0, missing_type=kind)
    scored = _scored(candidates, query_vector, encoder, tuning)

    best = scored[0]
    # A compound question's parts take turns first; the whole question's picks fill the rest.
    chosen = _in_turns([*_by_part(question, chunks, encoder, tuning),
                        _kept(scored, tuning.keep_ratio, best.score)],
                       tuning.max_sentences, tuning.duplicate_jaccard)
    raw = " ".join(f"{c.text} [{c.source}]" for c in chosen)
    quotes: dict[int, str] = {}
    for c in chosen:
        quotes[c.source] = f"{quotes[c.source]} … {c.text}" if c.source in quotes else c.text
    return ExtractiveResult(raw, quotes, best.score, max(c.dense for c in scored),
                            chosen=tuple(chosen), near_top=tuple(_kept(scored, best.score)))
