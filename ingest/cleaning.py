"""Remove what scraped news carries besides the story: repeated paragraphs and boilerplate.

The cleaner works line by line and only ever *drops* whole lines, so every kept line is
verbatim text of the original file and its offset maps back exactly: a quote shown in a
citation is always text the file really contains.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# A tweet embed's attribution line: "— Emmanuel Macron (@EmmanuelMacron) March 17, 2025".
_TWEET_ATTRIBUTION = re.compile(
    r"^[—–-]\s*[^\n]{1,80}\(@\w{1,30}\)\s+[A-Z][a-z]+\.? \d{1,2}, \d{4}$")
_TWEET_MEDIA = re.compile(r"pic\.twitter\.com/\w+")
_TEASER = re.compile(
    r"^(read|read more|related|also read|see also|watch|listen|recommended)\s*:\s", re.IGNORECASE)
_SECTION_PROMO = re.compile(r"^more (in|from|on) .{1,60}\bmore\s*(\.\.\.|…)$", re.IGNORECASE)
_BOILERPLATE_PHRASES = re.compile(
    r"not a recommendation to buy or sell|the author (has|holds) no (securities|licenses)"
    r"|^advertisement$|^subscribe (now|to our newsletter)|^sign up for our|^share this article"
    r"|^click here to|^follow us on",
    re.IGNORECASE,
)
# Tweet text cut off by the embed ends with an ellipsis.
_TRUNCATED = re.compile(r"(…|\.\.\.)$")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CleanedText:
    """The kept lines of a text joined by newlines, and how to map offsets back."""

    text: str
    lines_dropped: int
    # For each kept line: its start in ``text`` and its start in the original.
    _clean_starts: tuple[int, ...]
    _original_starts: tuple[int, ...]

    def original_offset(self, clean_offset: int) -> int:
        """The offset in the original text of the character at ``clean_offset``."""
        if not self._clean_starts:
            return 0
        line = max(bisect.bisect_right(self._clean_starts, clean_offset) - 1, 0)
        return self._original_starts[line] + (clean_offset - self._clean_starts[line])


def _is_boilerplate(line: str) -> bool:
    return bool(
        _TWEET_MEDIA.search(line)
        or _TWEET_ATTRIBUTION.match(line)
        or (_TEASER.match(line) and len(line) < 200)
        or _SECTION_PROMO.match(line)
        or _BOILERPLATE_PHRASES.search(line)
    )


def _tweet_embed_lines(lines: list[str]) -> set[int]:
    """Indices of lines that belong to an embedded tweet.

    An embed is the tweet's text followed by its attribution line; a truncated second tweet
    (ending in "…") may follow the attribution.
    """
    embedded: set[int] = set()
    for i, line in enumerate(lines):
        if not _TWEET_ATTRIBUTION.match(line):
            continue
        embedded.add(i)
        before = _neighbour(lines, i, -1)
        if before is not None:
            embedded.add(before)
        after = _neighbour(lines, i, +1)
        if after is not None and (_TRUNCATED.search(lines[after]) or
                                  _TWEET_MEDIA.search(lines[after])):
            embedded.add(after)
    return embedded


def _neighbour(lines: list[str], i: int, step: int) -> int | None:
    j = i + step
    while 0 <= j < len(lines) and not lines[j]:
        j += step
    return j if 0 <= j < len(lines) else None


def clean_text(original: str) -> CleanedText:
    """Drop exact repeated paragraphs and scraped boilerplate from ``original``."""
    raw_lines = original.splitlines(keepends=True)
    stripped = [line.strip() for line in raw_lines]
    embedded = _tweet_embed_lines(stripped)
    seen: set[str] = set()
    kept: list[str] = []
    clean_starts: list[int] = []
    original_starts: list[int] = []
    dropped = 0
    clean_pos = 0
    original_pos = 0
    for index, (raw, line) in enumerate(zip(raw_lines, stripped, strict=True)):
        line_start = original_pos
        original_pos += len(raw)
        if not line:
            continue
        key = _WHITESPACE.sub(" ", line).lower()
        if index in embedded or _is_boilerplate(line) or key in seen:
            dropped += 1
            continue
        seen.add(key)
        # Keep the line verbatim (minus surrounding whitespace), remembering where it began.
        leading = len(raw) - len(raw.lstrip())
        if kept:
            clean_pos += 1  # the "\n" joining it to the previous kept line
        clean_starts.append(clean_pos)
        original_starts.append(line_start + leading)
        kept.append(line)
        clean_pos += len(line)
    return CleanedText("\n".join(kept), dropped, tuple(clean_starts), tuple(original_starts))
