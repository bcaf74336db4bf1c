"""Loaders: which files are articles, how they are decoded, and every way a file is skipped.

Unreadable files: the tests run as root in CI containers, and root reads a chmod-000 file, so
that case is tested only when not root; a directory named like an article (reading it raises
``IsADirectoryError`` even for root) covers the "unreadable" path everywhere.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ingest.loaders.files import (
    ArticleFile,
    SkippedFile,
    decode,
    discover,
    iter_articles,
    read_article,
)
from ingest.pipeline import run_ingest
from ingest.store import ArticleStore, make_chroma_client
from tests.core_fixtures import HashEncoder


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def _read(corpus: Path, name: str, **kwargs: int) -> ArticleFile:
    article = read_article(corpus, name, **kwargs)
    assert isinstance(article, ArticleFile), article
    return article


def _skipped(corpus: Path, name: str, **kwargs: int) -> SkippedFile:
    article = read_article(corpus, name, **kwargs)
    assert isinstance(article, SkippedFile), article
    assert article.name == name
    return article


# -- discovery ---------------------------------------------------------------------------------


def test_discover_finds_articles_sorted_and_ignores_the_rest(tmp_path: Path) -> None:
    for name in ["b.txt", "a.md", "c.html", "d.HTM", "sub/e.txt", "notes.pdf", "data.csv",
                 ".hidden.txt", ".git/f.txt", "README"]:
        _write(tmp_path / name, "text")
    assert discover(tmp_path) == ["a.md", "b.txt", "c.html", "d.HTM", "sub/e.txt"]


def test_names_with_spaces_and_non_ascii(tmp_path: Path) -> None:
    names = ["my article.txt", "Новости дня.md", "café 🎉.txt"]
    for name in names:
        _write(tmp_path / name, f"Headline of {name}\nBody text.")
    assert discover(tmp_path) == sorted(names)
    for name in names:
        article = _read(tmp_path, name)
        assert article.name == name
        assert article.text.startswith(f"Headline of {name}")


# -- formats and encodings ---------------------------------------------------------------------


def test_txt_and_md_are_read_verbatim_with_the_file_hash(tmp_path: Path) -> None:
    text = "Headline\n\n## Section\nSome *markdown* text.\n"
    _write(tmp_path / "a.md", text)
    _write(tmp_path / "b.txt", text)
    for name in ("a.md", "b.txt"):
        article = _read(tmp_path, name)
        assert article.text == text
        assert article.encoding == "utf-8"
        assert article.content_hash == hashlib.sha256(text.encode()).hexdigest()


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    _write(tmp_path / "bom.txt", "\ufeffHeadline\nBody.".encode())
    assert _read(tmp_path, "bom.txt").text == "Headline\nBody."


def test_html_tags_and_scripts_are_stripped(tmp_path: Path) -> None:
    markup = (
        "<!doctype html><html><head><title>Talks in Riyadh</title>"
        "<style>p { color: red }</style><script>var secret = 1;</script></head>"
        "<body><h1>Talks in Riyadh</h1>"
        "<p>Delegates met <b>on Tuesday</b> &amp; agreed.</p>"
        "<script type='text/javascript'>alert('x')</script><p>Second paragraph.</p></body></html>"
    )
    _write(tmp_path / "page.html", markup)
    article = _read(tmp_path, "page.html")
    # The headline is the article's title (trafilatura's metadata), the text its paragraphs.
    assert article.text.splitlines() == ["Delegates met on Tuesday & agreed.", "Second paragraph."]
    assert article.title == "Talks in Riyadh"
    assert "<" not in article.text and "secret" not in article.text and "alert" not in article.text
    # The hash is of the file's bytes, not of the extracted text.
    assert article.content_hash == hashlib.sha256(markup.encode()).hexdigest()


def test_cp1252_fallback(tmp_path: Path) -> None:
    text = "Trump’s “deal” — café, 10€"
    _write(tmp_path / "win.txt", text.encode("cp1252"))
    article = _read(tmp_path, "win.txt")
    assert article.text == text
    assert article.encoding == "cp1252"


def test_latin1_fallback_when_cp1252_fails(tmp_path: Path) -> None:
    raw = "Café au lait".encode("latin-1") + b" \x81\x8d end"  # 0x81, 0x8D undefined in cp1252
    _write(tmp_path / "latin.txt", raw)
    article = _read(tmp_path, "latin.txt")
    assert article.encoding == "latin-1"
    assert article.text == raw.decode("latin-1")


def test_decode_prefers_utf8() -> None:
    assert decode("naïve".encode()) == ("naïve", "utf-8")


# -- skipped files -----------------------------------------------------------------------------


def test_binary_file_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert "binary" in _skipped(tmp_path, "image.txt").reason


@pytest.mark.parametrize("content", ["", "   \n\n\t  \n", "<html><script>x()</script></html>"])
def test_empty_file_is_skipped(tmp_path: Path, content: str) -> None:
    name = "page.html" if content.startswith("<") else "empty.txt"
    _write(tmp_path / name, content)
    assert "empty" in _skipped(tmp_path, name).reason


def test_oversized_file_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "big.txt", "word " * 100)
    reason = _skipped(tmp_path, "big.txt", max_bytes=100).reason
    assert "too large" in reason
    assert isinstance(read_article(tmp_path, "big.txt", max_bytes=1000), ArticleFile)


def test_a_path_that_is_not_a_regular_file_is_skipped(tmp_path: Path) -> None:
    # A directory with an article's name: never opened, for every user, root included.
    (tmp_path / "folder.txt").mkdir()
    assert _skipped(tmp_path, "folder.txt").reason == "not a regular file"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root can read a chmod-000 file; test_unreadable_path_is_skipped "
                           "covers the unreadable path for root")
def test_permission_denied_is_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path / "secret.txt", "Headline\nBody.")
    path.chmod(0)
    try:
        assert "unreadable" in _skipped(tmp_path, "secret.txt").reason
    finally:
        path.chmod(0o644)


def test_missing_file_is_skipped(tmp_path: Path) -> None:
    assert _skipped(tmp_path, "gone.txt").reason


def test_symlink_outside_the_corpus_is_skipped(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    outside = _write(tmp_path / "secret" / "passwords.txt", "Headline\nsecret")
    _write(corpus / "ok.txt", "Headline\nBody.")
    (corpus / "link.txt").symlink_to(outside)
    assert "link.txt" in discover(corpus)
    assert "outside" in _skipped(corpus, "link.txt").reason


def test_symlink_inside_the_corpus_is_read(tmp_path: Path) -> None:
    _write(tmp_path / "real.txt", "Headline\nBody.")
    (tmp_path / "alias.txt").symlink_to(tmp_path / "real.txt")
    assert _read(tmp_path, "alias.txt").text == "Headline\nBody."


def test_symlink_loops_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    for name in ("a.txt", "b.txt", "self.txt"):
        assert "cannot resolve" in _skipped(tmp_path, name).reason


def test_directory_symlink_loop_does_not_hang_discovery(tmp_path: Path) -> None:
    _write(tmp_path / "sub" / "a.txt", "Headline\nBody.")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert discover(tmp_path) == ["sub/a.txt"]


# -- one bad file never aborts a run -----------------------------------------------------------


def _corpus_with_bad_files(root: Path) -> tuple[Path, set[str], set[str]]:
    corpus = root / "corpus"
    good: dict[str, str | bytes] = {
        "good one.txt": "Talks held\nDelegates met in Riyadh on Tuesday.",
        "été.md": "Summer news\nThe summit was held in Geneva.",
        "page.html": "<h1>Page</h1><p>Leaders spoke about the truce.</p>",
        "win.txt": "Windows file\nIt’s “quoted” text.".encode("cp1252")}
    for name, content in good.items():
        _write(corpus / name, content)
    _write(corpus / "binary.txt", b"\x00\x01\x02" * 100)
    _write(corpus / "empty.txt", "")
    _write(corpus / "huge.txt", "Headline\n" + "x" * 5000)
    (corpus / "dir.txt").mkdir()
    (corpus / "outside.txt").symlink_to(_write(root / "elsewhere.txt", "Out\nside."))
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    bad = {"binary.txt", "empty.txt", "huge.txt", "outside.txt", "loop.txt"}
    return corpus, set(good), bad


def test_iter_articles_reports_every_file(tmp_path: Path) -> None:
    corpus, good, bad = _corpus_with_bad_files(tmp_path)
    results = list(iter_articles(corpus, discover(corpus), max_bytes=4000))
    assert {r.name for r in results if isinstance(r, ArticleFile)} == good
    assert {r.name for r in results if isinstance(r, SkippedFile)} == bad


def test_ingest_skips_bad_files_and_indexes_the_rest(tmp_path: Path) -> None:
    corpus, good, bad = _corpus_with_bad_files(tmp_path)
    client = make_chroma_client(tmp_path / "data")
    encoder = HashEncoder()
    store = ArticleStore(client, "loader_test", encoder.name, encoder.dim)
    report = run_ingest(corpus, store, encoder, tmp_path / "data" / "kw", chunk_size=256,
                        chunk_overlap=32, max_file_bytes=4000)
    assert report.files_added == len(good)
    assert report.files_skipped == len(bad)
    assert {s.name for s in report.skipped} == bad
    assert all(s.reason for s in report.skipped)
    assert set(store.file_states()) == good
