"""Find article files in a corpus folder and read them, skipping what cannot be read.

Each file is decoded here and handed to its format's loader (``registry.loader_for``).

One bad file never aborts an ingest: every problem becomes a ``SkippedFile`` with a reason that
names the file. Reading is confined to the corpus folder: symlinks that resolve outside it, and
symlink loops, are skipped.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders.base import Article, StreamingLoader
from ingest.loaders.registry import ARTICLE_SUFFIXES, loader_for

DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
# Streamed formats (JSONL) have no file size limit: the limit exists so that one file never
# has to fit in memory, and a streamed file never does (it is read a line at a time). Each
# line is held alone, so the per-file limit applies to each line instead: a 2 GB export of
# 100,000 articles ingests, a single 50 MB "article" line does not.
_HASH_BLOCK = 1 << 20
# Encodings tried after UTF-8; cp1252 covers most "smart quote" files saved on Windows, and
# latin-1 decodes any byte string, so decoding never fails.
_FALLBACK_ENCODINGS = ("cp1252", "latin-1")


@dataclass(frozen=True)
class ArticleFile:
    """One file as read from disk, with the articles its loader found in it."""

    name: str  # path relative to the corpus dir, with "/" separators
    articles: tuple[Article, ...]
    content_hash: str  # sha256 of the file's bytes
    encoding: str

    @property
    def text(self) -> str:
        """The articles' text (for HTML: the main text; for front matter: the body); chunk
        offsets refer to it."""
        return "\n\n".join(article.text for article in self.articles)

    # Ingest still keys everything by file and every loader yields one article per file, so
    # the file's title and metadata are its (first) article's.
    @property
    def title(self) -> str | None:
        return self.articles[0].title if self.articles else None

    @property
    def metadata(self) -> Mapping[str, str]:
        return self.articles[0].metadata if self.articles else {}

    @property
    def warnings(self) -> list[FileWarning]:
        return [FileWarning(self.name, message)
                for article in self.articles for message in article.warnings]

    def iter_articles(self) -> Iterator[Article]:
        return iter(self.articles)

    @property
    def multi_article(self) -> bool:
        """True for formats that hold many articles (feeds, JSON): each is tracked by its
        own id; a one-article file is tracked by its name, as before."""
        return any(article.id != self.name for article in self.articles)


@dataclass(frozen=True)
class StreamedFile:
    """A file of a streamed format (JSONL): its articles are read when iterated, one line at
    a time, never all at once."""

    name: str
    path: Path
    content_hash: str
    loader: StreamingLoader
    max_line_bytes: int
    encoding: str = "utf-8"
    multi_article: bool = True

    def iter_articles(self) -> Iterator[Article]:
        return self.loader.stream(self.name, self._lines())

    def _lines(self) -> Iterable[str]:
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if len(raw) > self.max_line_bytes:
                    # Too long to hold: the loader sees an empty line in its place, and the
                    # article is reported below by the pipeline as a warning.
                    yield _TOO_LONG.format(number=number, size=len(raw) / 1e6,
                                           limit=self.max_line_bytes / 1e6)
                    continue
                yield decode(raw)[0]


# A JSON string the JSONL loader reads as a record without text, naming the problem.
_TOO_LONG = ('{{"_newsbot_skipped": '
             '"line {number} too large ({size:.1f} MB > {limit:.1f} MB limit)"}}')


@dataclass(frozen=True)
class FileWarning:
    """Something wrong in a file that was still ingested (malformed front matter, a bad
    date), reported like a skipped file: ``warning: <name>: <message>``."""

    name: str
    message: str


@dataclass(frozen=True)
class SkippedFile:
    name: str
    reason: str
    # True when the file may read fine next time (a permission or I/O error): its indexed
    # chunks are kept. False when it was read and is not an article (empty, binary, too large):
    # its old chunks quote text it no longer has, so they go.
    transient: bool = False


def discover(corpus_dir: Path) -> list[str]:
    """Relative names of candidate article files under ``corpus_dir``, sorted.

    Hidden files and folders are ignored; folder symlinks are not followed (no loops).
    """
    root = corpus_dir.resolve()
    names: list[str] = []
    for folder, subdirs, files in os.walk(root, followlinks=False):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for file_name in files:
            if file_name.startswith(".") or Path(file_name).suffix.lower() not in ARTICLE_SUFFIXES:
                continue
            names.append(Path(folder, file_name).relative_to(root).as_posix())
    return sorted(names)


def read_article(
    corpus_dir: Path, name: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES, prefix: str = ""
) -> ArticleFile | StreamedFile | SkippedFile:
    """Read one file named by :func:`discover`; never raises for a bad file.

    ``prefix`` goes before the name in everything returned, the loader included (a source
    folder's files are cited as ``<source>/<name>``); the file is read from
    ``corpus_dir / name``."""
    shown = prefix + name
    root = corpus_dir.resolve()
    path = root / name
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # RuntimeError: symlink loop on older Pythons
        return SkippedFile(shown, f"cannot resolve path ({exc.__class__.__name__})",
                           transient=isinstance(exc, PermissionError))
    if not resolved.is_relative_to(root):
        return SkippedFile(shown, "symlink points outside the corpus folder")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return SkippedFile(name.encode("utf-8", "backslashreplace").decode(),
                           "file name is not valid UTF-8; rename the file")
    try:
        status = resolved.stat()
        if not stat.S_ISREG(status.st_mode):
            # A FIFO or device named *.txt would block or never end.
            return SkippedFile(shown, "not a regular file")
        size = status.st_size
        loader = loader_for(name)
        if isinstance(loader, StreamingLoader):
            return _streamed(shown, resolved, loader, max_bytes)
        if size > max_bytes:
            return SkippedFile(
                shown, f"too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.1f} MB limit)")
        raw = resolved.read_bytes()
    except OSError as exc:
        return SkippedFile(shown, f"unreadable ({exc.strerror or exc.__class__.__name__})",
                           transient=True)
    if b"\x00" in raw[:8192]:
        return SkippedFile(shown, "binary file (NUL bytes)")
    text, encoding = decode(raw)
    if loader is None:  # discover() lists only suffixes a loader reads
        return SkippedFile(shown, "no loader for this file type")
    articles = loader.load(shown, text)
    if not articles:
        return SkippedFile(shown, "empty file")
    if not any(article.text for article in articles):
        # Nothing readable in it (an .xml that is no feed, JSON without articles): one
        # reason for the whole file rather than a warning per entry.
        reasons = list(dict.fromkeys(w for article in articles for w in article.warnings))
        return SkippedFile(shown, "; ".join(reasons[:3]) or "empty file")
    return ArticleFile(shown, tuple(articles), hashlib.sha256(raw).hexdigest(), encoding)


def _streamed(name: str, path: Path, loader: StreamingLoader,
              max_bytes: int) -> StreamedFile | SkippedFile:
    """A streamed file, hashed in blocks (the hash is what tells an unchanged file)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
            if b"\x00" in head:
                return SkippedFile(name, "binary file (NUL bytes)")
            digest.update(head)
            while block := handle.read(_HASH_BLOCK):
                digest.update(block)
    except OSError as exc:
        return SkippedFile(name, f"unreadable ({exc.strerror or exc.__class__.__name__})",
                           transient=True)
    if not head.strip():
        return SkippedFile(name, "empty file")
    return StreamedFile(name, path, digest.hexdigest(), loader, max_bytes)


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), else the first fallback that works."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in _FALLBACK_ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def iter_articles(
    corpus_dir: Path, names: list[str], max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> Iterator[ArticleFile | StreamedFile | SkippedFile]:
    """Read files one at a time, so memory stays flat however large the corpus."""
    for name in names:
        yield read_article(corpus_dir, name, max_bytes)
