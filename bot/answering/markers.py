"""The ``[n]`` citation marker: one pattern for the resolver, the sentence splitter, the
evaluator and the benchmarks, so they agree on what a marker is.

Accepted forms: ``[1]``, ``[1, 2]``, ``[1][2]`` (two markers), ``[Source 1]``, ``[sources 1, 2]``.
"""

from __future__ import annotations

import re

# Non-capturing, for embedding in larger patterns; defined beside the sentence splitter, which
# ingest shares and which may not import bot.
from ingest.sentences import MARKER_PATTERN

__all__ = ["MARKER", "MARKER_PATTERN", "marker_numbers", "numbers_of", "strip_markers"]

# Group 1 holds the numbers ("1, 2").
MARKER = re.compile(r"\[(?:sources?\s*)?(\d+(?:\s*,\s*\d+)*)\]", re.IGNORECASE)


def marker_numbers(text: str) -> list[int]:
    """Every source number the markers of ``text`` name, in order (with repeats)."""
    return [n for match in MARKER.finditer(text) for n in numbers_of(match)]


def numbers_of(match: re.Match[str]) -> list[int]:
    """The source numbers of one marker match."""
    return [int(n) for n in match.group(1).split(",")]


def strip_markers(text: str, replacement: str = "") -> str:
    """``text`` without its markers."""
    return MARKER.sub(replacement, text)
