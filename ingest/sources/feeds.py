"""One feed (or one page) fetched into article files the ordinary ingest reads.

Each entry becomes ``<folder>/<hash of its url>.json``: an object with ``title``, ``date``,
``url``, ``author``, ``source`` and ``text`` (the JSON loader's names), so the same url is
always the same file and a changed entry replaces its old text. An entry that carries only a
summary has its linked page fetched and its main text extracted (trafilatura, as for saved
pages). Entries that leave the feed stay until retention removes them: a feed lists only its
latest items.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ingest.loaders.base import Article
from ingest.loaders.feed import entry_article, feed_site, has_content, is_feed
from ingest.loaders.fields import text_of
from ingest.loaders.files import decode
from ingest.loaders.html import HtmlLoader
from ingest.sources.fetch import Fetched, FetchError, PoliteFetcher
from ingest.sources.state import write_atomically

log = logging.getLogger(__name__)

# Bumped when the file layout changes, so every entry is written again once.
_FORMAT = 1


@dataclass
class FeedOutcome:
    """What one fetch brought: new and changed article files, and problems that did not stop
    the feed (a page that could not be fetched keeps the entry's summary)."""

    not_modified: bool = False
    entries: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    expired: int = 0
    newest: str = ""  # ISO day of the newest entry
    etag: str = ""
    last_modified: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated or self.expired)


def article_file_name(key: str) -> str:
    """The file of the entry or page ``key`` (its url, else its id): stable and safe."""
    return hashlib.sha256(key.encode()).hexdigest()[:20] + ".json"


def _entry_fingerprint(entry: Mapping[str, Any]) -> str:
    """What identifies this version of a feed entry, before any page is fetched: an entry
    whose fingerprint is unchanged is skipped without fetching its page again."""
    keys = ("title", "link", "id", "published", "updated", "summary", "author")
    payload = [_FORMAT, {k: text_of(entry.get(k)) for k in keys},
               [str(part.get("value", "")) for part in entry.get("content") or []]]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


def _stored_fingerprint(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return str(data.get("fingerprint", "")) if isinstance(data, dict) else None


def write_article(path: Path, article: Article, fingerprint: str, fetched_from: str) -> None:
    """One article file, written atomically (the ingest never reads half of one)."""
    meta = article.metadata
    record = {"title": article.title or "", "date": meta.get("date", ""),
              "url": meta.get("url", ""), "author": meta.get("author", ""),
              "source": meta.get("site", ""), "text": article.text,
              "fingerprint": fingerprint, "fetched_from": fetched_from}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps({k: v for k, v in record.items() if v}, indent=1,
                                      ensure_ascii=False))


def page_article(fetched: Fetched, name: str) -> Article | None:
    """The main text and metadata of a fetched HTML page (None when it has no text)."""
    text, _ = decode(fetched.body)
    articles = HtmlLoader().load(name, text)
    return articles[0] if articles else None


def _with_page(article: Article, fetcher: PoliteFetcher, outcome: FeedOutcome) -> Article:
    """The entry with its linked page's main text, when that is longer than the summary;
    the entry's own title, date and url are kept (the feed states them on purpose)."""
    url = article.metadata.get("url", "")
    try:
        page = page_article(fetcher.get(url), url)
    except FetchError as exc:
        outcome.warnings.append(f"{url}: page not fetched ({exc}); summary kept")
        return article
    if page is None or len(page.text) <= len(article.text):
        return article
    metadata = {**page.metadata, **article.metadata}
    return Article(article.id, page.text, article.title or page.title, metadata)


def poll_feed(url: str, folder: Path, fetcher: PoliteFetcher, *, etag: str = "",
              last_modified: str = "", fetch_pages: bool = True,
              keep_since: date | None = None) -> FeedOutcome:
    """Fetch the feed at ``url`` (conditionally) and write its entries into ``folder``.

    Raises ``FetchError`` when the feed cannot be fetched or is no feed at all; a malformed
    entry, or a page that cannot be fetched, is a warning."""
    fetched = fetcher.get(url, etag, last_modified)
    if fetched.not_modified:
        return FeedOutcome(not_modified=True, etag=fetched.etag or etag,
                           last_modified=fetched.last_modified or last_modified)
    outcome = FeedOutcome(etag=fetched.etag, last_modified=fetched.last_modified)
    write_entries(fetched, folder, fetcher, outcome, fetch_pages=fetch_pages,
                  keep_since=keep_since)
    if keep_since is not None:
        outcome.expired = remove_expired(folder, keep_since)
    return outcome


def write_entries(fetched: Fetched, folder: Path, fetcher: PoliteFetcher,
                  outcome: FeedOutcome, *, fetch_pages: bool,
                  keep_since: date | None) -> None:
    import feedparser

    # A stream, never the bytes themselves: given a string or bytes, feedparser first tries
    # them as a URL or a local file name, so a body of "/etc/passwd" would be read from disk.
    parsed = feedparser.parse(io.BytesIO(fetched.body))
    if not is_feed(parsed):
        problem = parsed.get("bozo_exception")
        raise FetchError("not an RSS or Atom feed" + (f" ({problem_text(problem)})"
                                                       if problem else ""))
    site = feed_site(parsed)
    kept_before = outcome.new + outcome.updated + outcome.unchanged
    _write_each(parsed.entries, site, folder, fetcher, outcome, fetched.url,
                fetch_pages=fetch_pages, keep_since=keep_since)
    problem = _malformed(parsed)
    if problem:
        # feedparser reads what it can of broken XML; with nothing usable it is an error.
        if outcome.new + outcome.updated + outcome.unchanged == kept_before:
            raise FetchError(f"malformed feed ({problem})")
        outcome.warnings.append(f"malformed feed ({problem}); read what could be read")


def _malformed(parsed: Mapping[str, Any]) -> str:
    """Why the feed's XML is broken, or "" (a wrong declared encoding is not broken)."""
    import feedparser

    problem = parsed.get("bozo_exception")
    if not parsed.get("bozo") or problem is None or isinstance(
            problem, feedparser.CharacterEncodingOverride):
        return ""
    return problem_text(problem)


def problem_text(problem: object) -> str:
    """feedparser's parse error as one line: ``line 2, column 33: no element found``."""
    line = getattr(problem, "getLineNumber", None)
    message = getattr(problem, "getMessage", None)
    if callable(line) and callable(message):
        column = getattr(problem, "getColumnNumber", lambda: 0)()
        return f"line {line()}, column {column}: {message()}"
    text = str(problem).splitlines()[0][:100] if str(problem) else ""
    return text or problem.__class__.__name__


def _write_each(entries: list[Any], site: str, folder: Path, fetcher: PoliteFetcher,
                outcome: FeedOutcome, fetched_from: str, *, fetch_pages: bool,
                keep_since: date | None) -> None:
    for number, entry in enumerate(entries, start=1):
        outcome.entries += 1
        article = entry_article("feed", number, entry, site)
        url = article.metadata.get("url", "")
        if not article.text and not url:
            outcome.warnings.extend(article.warnings)
            continue
        day = article.metadata.get("date", "")
        if keep_since is not None and day and day < keep_since.isoformat():
            continue  # too old to keep: not written, its page not fetched
        outcome.newest = max(outcome.newest, day)
        path = folder / article_file_name(url or article.id)
        fingerprint = _entry_fingerprint(entry)
        previous = _stored_fingerprint(path) if path.exists() else None
        if previous == fingerprint:
            outcome.unchanged += 1
            continue
        if fetch_pages and url and not has_content(entry):
            article = _with_page(article, fetcher, outcome)
        if not article.text:
            outcome.warnings.extend(article.warnings)
            continue
        write_article(path, article, fingerprint, fetched_from)
        if previous is None:
            outcome.new += 1
        else:
            outcome.updated += 1


def remove_expired(folder: Path, keep_since: date) -> int:
    """Delete the article files in ``folder`` dated before ``keep_since``; how many."""
    removed = 0
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            day = str(json.loads(path.read_text(encoding="utf-8")).get("date", ""))
        except (OSError, ValueError, AttributeError):
            continue
        if day and day[:10] < keep_since.isoformat():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


@dataclass(frozen=True)
class OnceResult:
    """What `newsbot ingest URL` fetched: a feed's entries or one page."""

    kind: str  # "feed" or "page"
    folder: Path
    outcome: FeedOutcome


def fetch_once(url: str, web_dir: Path, fetcher: PoliteFetcher, *, feed_folder: Path,
               fetch_pages: bool = True, keep_since: date | None = None) -> OnceResult:
    """Fetch ``url`` once: a feed's entries go to ``feed_folder``, a page (anything else
    with article text) to ``web_dir/pages``. Raises ``FetchError`` when neither."""
    fetched = fetcher.get(url)
    outcome = FeedOutcome(etag=fetched.etag, last_modified=fetched.last_modified)
    looks_like_html = "html" in fetched.content_type.lower()
    if not looks_like_html:
        try:
            write_entries(fetched, feed_folder, fetcher, outcome, fetch_pages=fetch_pages,
                          keep_since=keep_since)
            return OnceResult("feed", feed_folder, outcome)
        except FetchError:
            if "xml" in fetched.content_type.lower():
                raise
    from ingest.sources.config import PAGES_NAME

    folder = web_dir / PAGES_NAME
    page = page_article(fetched, url)
    if page is None:
        raise FetchError("neither a feed nor a page with article text")
    metadata = {**page.metadata, "url": fetched.url}
    page = Article(page.id, page.text, page.title, metadata)
    path = folder / article_file_name(url)
    fingerprint = hashlib.sha256(page.text.encode()).hexdigest()[:24]
    previous = _stored_fingerprint(path) if path.exists() else None
    outcome.entries = 1
    outcome.newest = metadata.get("date", "")
    if previous == fingerprint:
        outcome.unchanged = 1
    else:
        write_article(path, page, fingerprint, fetched.url)
        outcome.new, outcome.updated = (1, 0) if previous is None else (0, 1)
    return OnceResult("page", folder, outcome)
