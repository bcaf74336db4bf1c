"""Whether an article's stored title is a headline worth showing.

A plain-text article's "title" is its first line (``ingest.chunking.title_of``), which is
often the opening sentence itself, cut at 120 characters. Shown as a source's title — in
Discord, or in the LLM's source list — it repeats the text and costs space (and prompt
tokens) without naming the article. A real headline is short and has no closing punctuation.
A title the article's format gives (front matter, a page's metadata) is a headline by
definition, whatever its punctuation ("Peacekeepers: who would go?").
"""

from __future__ import annotations

HEADLINE_MAX_CHARS = 100


def headline(title: str) -> str:
    """``title`` (on one line) when it reads as a headline, else ""."""
    title = " ".join(title.split())
    if not title or len(title) > HEADLINE_MAX_CHARS or title.endswith("…"):
        return ""
    return "" if title[-1] in ".!?:;,”\"" else title


def shown_title(title: str, given: bool) -> str:
    """The title an interface shows for a source: one the format gave (front matter, a page's
    metadata) always, a first line only when it reads as a headline."""
    return " ".join(title.split()) if given else headline(title)
