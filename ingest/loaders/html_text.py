"""Plain text out of an HTML page, with the standard library's parser: the fallback of
``html.HtmlLoader`` for the pages trafilatura returns nothing for (fragments, a title and a
line or two), which must still be read as they were before trafilatura.

It keeps every visible block (so boilerplate too, which is why it is only the fallback), one
line per block element, which is what the cleaner and the sentence splitter need.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    [
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
        "title"
    ]
)
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")  # not \s: a no-break space is content


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _SKIPPED_TAGS:
            self._skip_depth += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIPPED_TAGS and self._skip_depth:
            self._skip_depth -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        # Line breaks inside text are just wrapping: only block tags end a line.
        if self._in_title:
            self._title.append(data)
        elif not self._skip_depth:
            self.parts.append(_SPACES.sub(" ", data))

    @property
    def title(self) -> str:
        return _SPACES.sub(" ", "".join(self._title)).strip()


def html_to_text(markup: str) -> str:
    """The visible text of ``markup``, one line per block, the ``<title>`` first if the body
    does not already start with it."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    # No html.unescape here: convert_charrefs already decoded the entities once.
    lines = [_SPACES.sub(" ", line).strip()
             for line in "".join(collector.parts).split("\n")]
    body = [line for line in lines if line]
    if collector.title and (not body or body[0] != collector.title):
        body.insert(0, collector.title)
    return "\n".join(body)
