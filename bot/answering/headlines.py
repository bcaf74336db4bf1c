"""Whether an article's stored title is a headline worth showing.

A plain-text article's "title" is its first line (``ingest.chunking.title_of``), which is
often the opening sentence itself, cut at 120 characters. Shown as a source's title — in
Discord, or in the LLM's source list — it repeats the text and costs space (and prompt
tokens) without naming the article. A real headline is short and has no closing punctuation.
A title the article's format gives (front matter, a page's metadata) is a headline by
definition, whatever its punctuation ("Peacekeepers: who would go?").
"""

from __future__ import annotations

import re

HEADLINE_MAX_CHARS = 100
_WORD = re.compile(r"[^\W_]+")


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


def is_title(text: str, title: str, given: bool) -> bool:
    """Whether ``text`` is the article's headline: equal to its shown title ignoring case,
    punctuation and spacing (a page's text often repeats its ``<h1>`` as its first line)."""
    headline_words = _words(shown_title(title, given))
    return bool(headline_words) and _words(text) == headline_words


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())
