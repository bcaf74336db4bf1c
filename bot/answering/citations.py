"""From raw backend text with ``[n]`` markers to the final text and its ``Citation`` list.

The numbering follows llama-index's CitationQueryEngine: source N is the N-th retrieved chunk
shown to the backend. Here the markers are then validated and renumbered:
- a marker that maps to no source is removed;
- sources are renumbered in order of first citation, and only cited sources are listed;
- each cited source gets a quote: its sentence(s) that best support the sentences citing it;
- a citation whose quote shares too little with the citing sentence is counted as unsupported
  (and logged), so the evaluator and logs show when a backend cites loosely.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.answering.markers import MARKER, marker_numbers, numbers_of, strip_markers
from bot.answering.retrieval import RetrievedChunk
from bot.models import Citation
from bot.tuning import DEFAULTS, Tuning
from ingest.sentences import split_sentences
from ingest.store import StoredChunk
from ingest.text_terms import terms

log = logging.getLogger(__name__)

# Share of the citing sentence's content words a quote must contain to count as support, as
# the evaluator counts it (bot/evaluation/metrics.py): the default's, whatever a run is tuned
# to, so a sweep of ``Tuning.support_threshold`` is measured with one ruler.
SUPPORT_THRESHOLD = DEFAULTS.support_threshold


@dataclass(frozen=True)
class CitedText:
    text: str
    citations: tuple[Citation, ...]
    unsupported: int


def support(claim: str, quote: str, asked: frozenset[str] = frozenset()) -> float:
    """Share of the claim's content words found in the quote (0 to 1). With ``asked`` (the
    question's words), only the words the claim adds to the question count: "Elon Musk was
    offered a historic pay package worth $1 trillion" answers "Which CEO was offered a
    historic pay package worth $1 trillion?" with two words, and those two are what a source
    must state; the words it repeats from the question would otherwise outweigh them (and a
    wrong answer wrapped in the question's words would pass)."""
    claim_terms = set(terms(strip_markers(claim)))
    claim_terms = (claim_terms - asked) or claim_terms
    if not claim_terms:
        return 1.0
    return len(claim_terms & set(terms(quote))) / len(claim_terms)


def copy_label(chunk: StoredChunk) -> str:
    """How a reader knows a copy of a story: its site, else its url's host, else its title or
    file."""
    host = urlsplit(chunk.article_field("url")).hostname or ""
    return (chunk.article_field("site") or host.removeprefix("www.") or chunk.title
            or chunk.article_id)


def also_in(cited: Iterable[RetrievedChunk], own: str) -> tuple[str, ...]:
    """The labels of the cited chunks' other copies, without repeats or the citation's own."""
    labels = dict.fromkeys(copy_label(copy) for source in cited for copy in source.copies)
    return tuple(label for label in labels if label != own)


def _claims_by_source(text: str, valid: range) -> tuple[str, dict[int, list[str]]]:
    """Drop invalid markers; collect, per source, the sentences that cite it."""
    claims: dict[int, list[str]] = {}
    for sentence in split_sentences(text):
        for n in marker_numbers(sentence.text):
            if n in valid:
                claims.setdefault(n, []).append(sentence.text)

    def keep_valid(match: re.Match[str]) -> str:
        numbers = [n for n in numbers_of(match) if n in valid]
        return "".join(f"[{n}]" for n in dict.fromkeys(numbers))

    return MARKER.sub(keep_valid, text), claims


def best_quote(claims: Sequence[str], source_text: str, asked: frozenset[str] = frozenset(),
               max_chars: int = DEFAULTS.quote_max_chars) -> tuple[str, float]:
    """The source sentence that best supports the claims (cut to ``max_chars``), and its
    support score (``asked``: see ``support``)."""
    best, best_score = "", -1.0
    for sentence in split_sentences(source_text):
        score = max(support(claim, sentence.text, asked) for claim in claims)
        if score > best_score:
            best, best_score = sentence.text, score
    if len(best) > max_chars:
        best = best[: max_chars - 1].rstrip() + "…"
    return best, max(best_score, 0.0)


def _without_weak_claims(text: str, weak: set[int]) -> str:
    """``text`` without the sentences whose every marker is in ``weak`` (a claim no cited
    source supports), and without weak markers elsewhere."""
    kept: list[str] = []
    for sentence in split_sentences(text):
        numbers = set(marker_numbers(sentence.text))
        if numbers and numbers <= weak:
            continue
        kept.append(MARKER.sub(
            lambda m: "".join(f"[{n}]" for n in numbers_of(m) if n not in weak), sentence.text))
    return " ".join(kept)


def resolve_citations(raw: str, sources: Sequence[RetrievedChunk],
                      quotes: dict[int, str] | None = None, *,
                      drop_unsupported: bool = False, question: str = "",
                      tuning: Tuning = DEFAULTS) -> CitedText:
    """Validate, renumber and quote the ``[n]`` markers of ``raw`` (n is 1-based).

    Citations are numbered per *article* (for a one-article file, its file), in order of
    first citation: two chunks of one article are one source to a reader, listed once with a
    quote from each; two entries of one feed are two sources.
    ``quotes`` may give the quote for a source number directly (the extractive backend knows
    exactly which sentence it took); otherwise the best supporting sentence is chosen.
    With ``drop_unsupported`` a marker whose source has no sentence supporting the claim is
    removed (an LLM citing loosely), so every citation shown holds up; otherwise such
    citations are kept and counted in ``unsupported``. With ``question``, support counts the
    words a claim adds to it (``support``). ``tuning``: the support bar
    (``support_threshold``) and the quotes' length (``quote_max_chars``).
    """
    asked = frozenset(terms(question))
    text, claims = _claims_by_source(raw, range(1, len(sources) + 1))
    quoted = _quote_sources(text, claims, sources, quotes, asked, tuning.quote_max_chars)
    weak = _weakly_supported(quoted, sources, drop_unsupported, tuning.support_threshold)
    if drop_unsupported and weak:
        text = _without_weak_claims(text, weak)
    order = list(dict.fromkeys(marker_numbers(text)))
    file_number = _article_numbers(order, sources)
    text = _renumbered(text, {old: file_number[sources[old - 1].chunk.article_id]
                              for old in order})
    citations, unsupported = _citations(order, sources, quoted, file_number,
                                        tuning.support_threshold)
    return CitedText(text, citations, unsupported)


# Source numbers in the steps below are the backend's (1-based, one per retrieved chunk);
# article numbers are the reader's (one per article, in order of first citation).


def _quote_sources(text: str, claims: dict[int, list[str]], sources: Sequence[RetrievedChunk],
                   quotes: dict[int, str] | None, asked: frozenset[str],
                   max_chars: int) -> dict[int, tuple[str, float]]:
    """Each cited source's quote and how well it supports the sentences citing it: the quote
    the backend gave, else the source's best supporting sentence."""
    quoted: dict[int, tuple[str, float]] = {}
    for old in dict.fromkeys(marker_numbers(text)):
        if quotes and old in quotes:
            quote = quotes[old]
            quoted[old] = quote, max(support(claim, quote, asked)
                                     for claim in claims.get(old, [quote]))
        else:
            quoted[old] = best_quote(claims.get(old, [""]), sources[old - 1].chunk.text, asked,
                                     max_chars)
    return quoted


def _weakly_supported(quoted: dict[int, tuple[str, float]], sources: Sequence[RetrievedChunk],
                      dropping: bool, threshold: float) -> set[int]:
    """The sources whose quote supports their claims less than ``threshold``, each logged."""
    weak = {old for old, (_, score) in quoted.items() if score < threshold}
    for old in sorted(weak):
        log.warning("citation to %s is weakly supported (%.2f)%s", sources[old - 1].chunk.file,
                    quoted[old][1], ": dropped" if dropping else "")
    return weak


def _article_numbers(order: Sequence[int], sources: Sequence[RetrievedChunk]) -> dict[str, int]:
    """Article id → its number, in order of first citation (``order``: source numbers)."""
    files = list(dict.fromkeys(sources[n - 1].chunk.article_id for n in order))
    return {file: n for n, file in enumerate(files, start=1)}


def _renumbered(text: str, renumber: dict[int, int]) -> str:
    """``text`` with source numbers replaced by article numbers, repeats merged and the
    spacing markers leave behind tidied."""
    text = MARKER.sub(lambda m: "".join(f"[{renumber[n]}]" for n in numbers_of(m)), text)
    text = re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", text)  # "[1] [1]" → "[1]"
    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()


def _citations(order: Sequence[int], sources: Sequence[RetrievedChunk],
               quoted: dict[int, tuple[str, float]], file_number: dict[str, int],
               threshold: float) -> tuple[tuple[Citation, ...], int]:
    """One ``Citation`` per cited article, and how many of them no quote supports as well
    as ``threshold``."""
    by_file: dict[str, list[tuple[RetrievedChunk, str, float]]] = {}
    for old in order:
        source = sources[old - 1]
        by_file.setdefault(source.chunk.article_id, []).append((source, *quoted[old]))
    citations: list[Citation] = []
    unsupported = 0
    for article_id, cited in by_file.items():
        if max(score for _, _, score in cited) < threshold:
            unsupported += 1
        joined = " … ".join(dict.fromkeys(quote for _, quote, _ in cited if quote))
        citations.append(citation_of(file_number[article_id],
                                     [source for source, _, _ in cited], joined))
    return tuple(citations), unsupported


def citation_of(n: int, cited: Sequence[RetrievedChunk], quote: str) -> Citation:
    """Source ``n``: the article of ``cited`` (chunks of one article, the first shown), with
    ``quote`` and what its format says about it."""
    chunk = cited[0].chunk
    return Citation(
        n=n, file=chunk.file, title=chunk.title, quote=quote,
        score=max(source.similarity for source in cited), chunk_id=chunk.id,
        date=chunk.article_field("date"), url=chunk.article_field("url"),
        site=chunk.article_field("site"), author=chunk.article_field("author"),
        title_given=chunk.title_given,
        article_id=chunk.article_id,
        also_in=also_in(cited, copy_label(chunk)))
