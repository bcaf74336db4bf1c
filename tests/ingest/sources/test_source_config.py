"""Sources as settings: NEWSBOT_SOURCES and a sources file parsed into typed sources with
stable names, and the extra ingest roots they give the pipeline (names, collisions, fetched
articles never pruned by a plain ingest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.engine import NewsBot
from bot.settings import Settings
from ingest.errors import BadInputError
from ingest.sources.config import feed_name, parse_sources
from tests.core_fixtures import HashEncoder, make_settings


def test_sources_come_comma_or_newline_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_SOURCES", "https://a.example/rss, /srv/wire\n/srv/other ,")
    settings = Settings(_env_file=None)
    assert settings.sources == ["https://a.example/rss", "/srv/wire", "/srv/other"]
    assert (settings.poll_minutes, settings.keep_days) == (15.0, None)


def test_a_sources_file_adds_one_a_line_with_comments(tmp_path: Path) -> None:
    listed = tmp_path / "sources.txt"
    listed.write_text("# our feeds\nhttps://b.example/atom  # the B wire\n\n/srv/wire\n"
                      "https://a.example/rss\n", encoding="utf-8")
    sources = parse_sources(["https://a.example/rss", "/data/wire"], listed)
    assert [(s.kind, s.location, s.name) for s in sources] == [
        ("feed", "https://a.example/rss", feed_name("https://a.example/rss")),
        ("folder", "/data/wire", "wire"),
        ("feed", "https://b.example/atom", feed_name("https://b.example/atom")),
        ("folder", "/srv/wire", "wire-2")]  # two folders called wire: both kept, apart


def test_feed_names_are_readable_stable_and_distinct() -> None:
    name = feed_name("https://news.example/world/rss.xml")
    assert name.startswith("news-example-world-rss-xml-") and len(name) < 60
    assert name == feed_name("https://news.example/world/rss.xml")
    assert name != feed_name("https://news.example/world/rss.xml?page=2")


def test_bad_sources_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"^source 'ftp://x\.example/f': only http\(s\)"):
        parse_sources(["ftp://x.example/f"])
    with pytest.raises(BadInputError, match="cannot read NEWSBOT_SOURCES_FILE"):
        parse_sources([], tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="NEWSBOT_POLL_MINUTES"):
        Settings(_env_file=None, NEWSBOT_POLL_MINUTES=0)


def _page(folder: Path, name: str, text: str, url: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps({"title": name, "url": url, "text": text}),
                               encoding="utf-8")


def test_roots_are_cited_by_source_and_a_plain_ingest_keeps_fetched_articles(
        tmp_path: Path) -> None:
    corpus, wire = tmp_path / "corpus", tmp_path / "wire"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Corpus article about the harbour.\n", encoding="utf-8")
    # A corpus subfolder with a source's name would be cited like the source's files.
    (corpus / "wire").mkdir()
    (corpus / "wire" / "clash.txt").write_text("Same name as the source.\n", encoding="utf-8")
    wire.mkdir()
    (wire / "b.txt").write_text("Wire article about the bridge.\n", encoding="utf-8")
    _page(tmp_path / "data" / "web" / "pages", "p.json", "A fetched page about the dam.",
          "https://site.example/dam")
    settings = make_settings(tmp_path / "data", corpus, NEWSBOT_SOURCES=str(wire))
    bot = NewsBot(settings, encoder=HashEncoder())
    report = bot.ingest()
    assert {s.file for s in bot.sources()} == {
        "a.txt", "wire/b.txt", "web/pages/p.json#https://site.example/dam"}
    assert [f"{w.name}: {w.message}" for w in report.warnings] == [
        "wire/clash.txt: its folder has the name of the source 'wire'; skipped (rename one)"]
    assert report.added_by_prefix == {"": 1, "wire/": 1, "web/": 1}
    # An explicit folder replaces the corpus folder only: the sources' articles stay.
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.txt").write_text("Another corpus.\n", encoding="utf-8")
    bot.ingest(other)
    assert {s.file for s in bot.sources()} == {
        "c.txt", "wire/b.txt", "web/pages/p.json#https://site.example/dam"}
