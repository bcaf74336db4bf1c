"""Text cut to a message size: split between sentences, or shortened at a word boundary.

Any chat front-end with a message-size limit (Discord's is 2,000 characters) uses these.
"""

from __future__ import annotations

import re

from bot.answering.markers import MARKER_PATTERN

# A sentence ends at . ! or ? (and any closing quote or bracket) followed by whitespace, after
# the citation markers that follow it: "…peace. [4] Next" splits after "[4]", so a marker never
# opens the next message. A line break always ends a piece.
_SENTENCE_END = re.compile(
    r"[.!?][\"”’')]*(?:\s*" + MARKER_PATTERN + r")*[ \t]+|\n+", re.IGNORECASE)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _pieces(text: str) -> list[str]:
    """Sentences (and lines), each keeping the whitespace that follows it."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _hard_split(piece: str, limit: int) -> list[str]:
    """A sentence longer than a message: split it between words (or anywhere, if one word is)."""
    parts: list[str] = []
    rest = piece.strip()
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def split_message(text: str, limit: int) -> list[str]:
    """Split ``text`` into messages of at most ``limit`` characters, between sentences."""
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text):
        if len((current + piece).rstrip()) <= limit:
            current += piece
            continue
        if current.strip():
            chunks.append(current.rstrip())
        current = ""
        if len(piece.rstrip()) <= limit:
            current = piece
        else:
            *whole, current = _hard_split(piece, limit)
            chunks.extend(whole)
    if current.strip():
        chunks.append(current.rstrip())
    return chunks or [""]
