"""The configured sources as typed values: folders and feed URLs, each with a stable name.

The names key everything else: a folder's articles are cited as ``<name>/<file>``, a feed's
entries live in ``<data dir>/web/<name>/`` and its state is kept under its name, so a name
must not change while the source stays the same (it is derived from the path or URL only).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from ingest.errors import BadInputError

SourceKind = Literal["folder", "feed"]
# The managed folder (under the data dir) fetched articles are written to, and the prefix
# their files are cited with.
WEB_DIR = "web"
# Where the articles of one-off `newsbot ingest URL` pages go, beside the feeds' folders.
PAGES_NAME = "pages"
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    location: str  # the URL of a feed; the folder's path as configured
    name: str

    @property
    def is_feed(self) -> bool:
        return self.kind == "feed"


def is_url(text: str) -> bool:
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def feed_name(url: str) -> str:
    """``news-example-com-rss-3f2a1c``: readable (host and path) and unique (a hash of the
    whole URL, so two feeds of one site never share a folder)."""
    parts = urlsplit(url)
    readable = _SLUG_CHARS.sub("-", f"{parts.hostname or ''}{parts.path}".lower()).strip("-")
    digest = hashlib.sha256(url.encode()).hexdigest()[:6]
    return f"{readable[:48].rstrip('-') or 'feed'}-{digest}"


def _folder_name(path: Path, taken: set[str]) -> str:
    base = _SLUG_CHARS.sub("-", path.name.lower()).strip("-") or "folder"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    return name


def read_sources_file(path: Path) -> list[str]:
    """One source a line; blank lines and ``#`` comments are ignored."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInputError(f"cannot read NEWSBOT_SOURCES_FILE {path}: "
                            f"{exc.strerror or exc.__class__.__name__}") from None
    return [line.split("#", 1)[0].strip() for line in text.splitlines()
            if line.split("#", 1)[0].strip()]


def parse_sources(entries: Iterable[str], sources_file: Path | None = None) -> list[Source]:
    """The sources in ``entries`` then in ``sources_file``, duplicates dropped.

    Raises ``BadInputError`` for an entry that is neither an http(s) URL nor a folder path
    (another scheme, ``ftp://…``), so a typo stops ``watch`` at start-up with one line."""
    listed = list(entries) + (read_sources_file(sources_file) if sources_file else [])
    sources: list[Source] = []
    seen: set[str] = set()
    # Folder names must not collide with the managed folder of fetched articles.
    taken = {WEB_DIR}
    for entry in listed:
        entry = entry.strip()
        if not entry or entry in seen:
            continue
        seen.add(entry)
        if is_url(entry):
            sources.append(Source("feed", entry, feed_name(entry)))
        elif "://" in entry:
            raise BadInputError(f"source {entry!r}: only http(s) feed URLs and folders can be "
                                "followed")
        else:
            name = _folder_name(Path(entry), taken)
            taken.add(name)
            sources.append(Source("folder", entry, name))
    return sources


@dataclass(frozen=True)
class ExtraRoot:
    """A folder an ingest reads besides the corpus folder; its files are cited (and keyed in
    the store) as ``<prefix><path in the folder>``."""

    prefix: str  # ends with "/"
    path: Path
    # An operator's folder that is missing (an unmounted disk) keeps its indexed articles and
    # is reported; the managed folder of fetched articles missing just means none yet.
    missing_is_error: bool = True


def ingest_roots(sources: Sequence[Source], data_dir: Path) -> list[ExtraRoot]:
    """The folders an ingest reads besides the corpus folder: each folder source, and the
    managed folder of fetched articles (always, so `ingest URL` pages are never pruned)."""
    roots = [ExtraRoot(f"{s.name}/", Path(s.location).expanduser())
             for s in sources if not s.is_feed]
    roots.append(ExtraRoot(f"{WEB_DIR}/", data_dir / WEB_DIR, missing_is_error=False))
    return roots
