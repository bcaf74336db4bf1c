"""YAML front matter at the top of a ``.md``/``.txt`` article, split off with python-frontmatter::

    ---
    title: Ceasefire talks move to Jeddah
    date: 2025-03-11
    url: https://example.com/world/ceasefire-talks-jeddah
    author: Maria Lindqvist
    source: The Harbour Gazette
    ---
    Ukrainian and American delegates met in Jeddah on Tuesday…

Only YAML (``---``) front matter is read: python-frontmatter's JSON handler would take a plain
article that opens with a ``{`` line for front matter. A block that is not a mapping
(``---`` / a headline / ``---`` is a Markdown rule, not metadata) and an opening ``---`` with
no closing one leave the file as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from ingest.loaders.fields import FIELD_KEYS

if TYPE_CHECKING:
    import yaml


class MalformedFrontMatter(ValueError):
    """The block between the ``---`` lines is not valid YAML; the message says where."""


@dataclass(frozen=True)
class FrontMatter:
    fields: dict[str, object]  # keyed by our names (``FIELD_KEYS``), values as YAML gave them
    body: str  # the article text after the closing ``---``


@cache
def _text_dates_loader() -> type[yaml.SafeLoader]:
    """``yaml.SafeLoader`` without the implicit timestamp type.

    Why: a date then stays the text it was written as and is read by ``dates.iso_date`` like
    every other format's, so ``date: 2025-02-30`` is an unusable date (left out, with a
    warning) instead of a ``ValueError`` from PyYAML that would lose the whole front matter.
    """
    import yaml

    class TextDatesLoader(yaml.SafeLoader):
        pass

    TextDatesLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return TextDatesLoader


def _where(exc: Exception, lines_before: int) -> str:
    """``exc``'s problem and its line in the file, e.g. ``could not find expected ':' (line 4)``."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    # The YAML block starts on the line of the opening ``---``: its line 0 is the file's
    # line ``lines_before + 1`` (1-based).
    return f"{problem} (line {lines_before + mark.line + 1})" if mark is not None else problem


def _our_names(data: Mapping[Any, object]) -> dict[str, object]:
    by_key: dict[str, object] = {}
    for key, value in data.items():
        by_key.setdefault(str(key).strip().casefold(), value)  # "Title" and "title": the first
    found: dict[str, object] = {}
    # The keys of every format (``fields.FIELD_KEYS``), matched ignoring case; other keys (tags,
    # layout, draft…) are dropped with the block.
    for name, keys in FIELD_KEYS.items():
        for key in keys:
            if by_key.get(key.casefold()) not in (None, ""):
                found[name] = by_key[key.casefold()]
                break
    return found


def split_front_matter(text: str) -> FrontMatter | None:
    """The front matter and body of ``text``, or ``None`` when it has no front matter.

    Raises ``MalformedFrontMatter`` when the block is there but is not valid YAML.
    """
    from frontmatter.default_handlers import YAMLHandler
    from yaml import YAMLError

    handler = YAMLHandler()
    start = text.lstrip()  # as python-frontmatter does: blank lines may precede the block
    if not handler.detect(start):
        return None
    try:
        block, body = handler.split(start)
    except ValueError:  # no closing ``---``: a rule at the top of the text, not front matter
        return None
    try:
        data = handler.load(block, Loader=_text_dates_loader())
    except YAMLError as exc:
        lines_before = text[: len(text) - len(start)].count("\n")
        raise MalformedFrontMatter(_where(exc, lines_before)) from None
    if data is None:  # an empty block is still front matter
        data = {}
    if not isinstance(data, dict):
        return None
    return FrontMatter(_our_names(data), body.strip())
