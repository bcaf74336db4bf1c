"""Whether an article's stored title is a headline worth showing.

A plain-text article's "title" is its first line (``ingest.chunking.title_of``), which is
often the opening sentence itself, cut at 120 characters. Shown as a source's title — in
Discord, or in the LLM's source list — it repeats the text and costs space (and prompt
tokens) without naming the article. A real headline is short and has no closing punctuation.
"""

from __future__ import annotations

HEADLINE_MAX_CHARS = 100


def headline(title: str) -> str:
    """``title`` (on one line) when it reads as a headline, else ""."""
    title = " ".join(title.split())
    if not title or len(title) > HEADLINE_MAX_CHARS or title.endswith("…"):
        return ""
    return "" if title[-1] in ".!?:;,”\"" else title
