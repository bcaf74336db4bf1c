"""Loaders of multi-article files (issue 14): JSONL and JSON exports, RSS and Atom feeds.
Real files through ``read_article``, as ingest reads them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ingest.loaders.base import Article
from ingest.loaders.files import ArticleFile, SkippedFile, StreamedFile, read_article

FIXTURES = Path(__file__).parent / "fixtures"


def _articles(corpus: Path, name: str, **kwargs: int) -> list[Article]:
    read = read_article(corpus, name, **kwargs)
    assert isinstance(read, ArticleFile | StreamedFile), read
    return list(read.iter_articles())


def _readable(articles: list[Article]) -> list[Article]:
    return [article for article in articles if article.text]


def _warnings(articles: list[Article]) -> list[str]:
    return [warning for article in articles for warning in article.warnings]


def _write_jsonl(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_jsonl_reads_every_good_line_and_names_each_bad_one(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "export.jsonl", [
        json.dumps({"id": "a1", "headline": "Port reopens", "body": "The port reopened today.",
                    "link": "https://news.example/port", "pubDate": "2025-03-11",
                    "byline": "Ann Lee", "site": "News Example"}),
        '{"id": "a2", "text": "cut off',
        json.dumps({"id": "a3", "title": "No text here"}),
        json.dumps({"id": "a4", "text": "A date that is none.", "date": "the other day"}),
        "",
        json.dumps(["not", "an", "object"]),
    ])
    articles = _articles(tmp_path, "export.jsonl")
    good = _readable(articles)
    assert [a.id for a in good] == ["export.jsonl#a1", "export.jsonl#a4"]
    assert good[0].title == "Port reopens" and good[0].text == "The port reopened today."
    assert dict(good[0].metadata) == {"url": "https://news.example/port", "date": "2025-03-11",
                                      "author": "Ann Lee", "site": "News Example"}
    assert "date" not in good[1].metadata  # kept, without its date
    warnings = _warnings(articles)
    assert warnings[0].startswith("line 2: malformed JSON")
    assert warnings[1].startswith("line 3: no text field")
    assert warnings[2] == "line 4: date 'the other day' is not a calendar date; left out"
    assert warnings[3] == "line 6: not a JSON object; skipped"


def test_jsonl_streams_and_has_no_file_size_limit_only_a_line_limit(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "big.jsonl", [
        json.dumps({"id": str(i), "text": f"Article number {i} says something."})
        for i in range(200)] + [json.dumps({"id": "huge", "text": "x" * 5000})])
    read = read_article(tmp_path, "big.jsonl", max_bytes=1000)  # the file is ~10 kB
    assert isinstance(read, StreamedFile)
    articles = list(read.iter_articles())
    assert len(_readable(articles)) == 200
    assert _warnings(articles) == ["line 201 too large (0.0 MB > 0.0 MB limit); skipped"]


def test_ids_fall_back_to_the_url_then_a_hash_of_title_and_text(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "a.jsonl", [
        json.dumps({"url": "https://news.example/x", "text": "Text one."}),
        json.dumps({"title": "T", "text": "Text two."}),
    ])
    first = _articles(tmp_path, "a.jsonl")
    again = _articles(tmp_path, "a.jsonl")
    assert first[0].id == "a.jsonl#https://news.example/x"
    assert first[1].id.startswith("a.jsonl#sha256:") and first[1].id == again[1].id


def test_json_list_and_single_object(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text(json.dumps([
        {"title": "One", "content": "First story."},
        {"title": "Two", "article": "Second story.", "authors": ["A. B.", "C. D."]},
    ]), encoding="utf-8")
    (tmp_path / "one.json").write_text(json.dumps({"guid": "g1", "text": "Only story."}),
                                       encoding="utf-8")
    listed = _articles(tmp_path, "list.json")
    assert [a.title for a in listed] == ["One", "Two"]
    assert listed[1].metadata["author"] == "A. B., C. D."
    assert [a.id for a in _articles(tmp_path, "one.json")] == ["one.json#g1"]


def test_newsapi_shaped_json(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "newsapi.json", tmp_path / "newsapi.json")
    articles = _articles(tmp_path, "newsapi.json")
    assert [a.title for a in articles] == ["Orchard growers warn of late frost",
                                           "Copper price reaches record"]
    assert dict(articles[0].metadata) == {
        "date": "2025-03-15", "url": "https://bbc.example/news/orchard-frost",
        "author": "Ana Silva", "site": "BBC News"}
    assert articles[0].text.startswith("Orchard growers in the north")  # content, not description
    assert articles[1].metadata["site"] == "Reuters" and "author" not in articles[1].metadata
    assert articles[0].id == "newsapi.json#https://bbc.example/news/orchard-frost"


def test_invalid_json_file_is_skipped_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"articles": [', encoding="utf-8")
    read = read_article(tmp_path, "bad.json")
    assert isinstance(read, SkippedFile) and read.reason.startswith("not valid JSON")


def test_rss_entries_are_articles_with_the_feed_title_as_site(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "feed_rss.xml", tmp_path / "feed.xml")
    articles = _articles(tmp_path, "feed.xml")
    good = _readable(articles)
    assert [a.id for a in good] == [
        "feed.xml#hg-2025-0312-lighthouse",
        "feed.xml#https://harbourgazette.example/2025/03/13/ferry-timetable",
        "feed.xml#hg-bad-date"]
    first = good[0]
    assert first.title == "Lighthouse keepers vote to strike"
    assert first.text == ("The lighthouse keepers of Port Aldren voted on Tuesday to strike for "
                          "two weeks.\nTheir union said the keepers had not had a pay rise "
                          "since 2019.")
    assert dict(first.metadata) == {
        "date": "2025-03-12", "url": "https://harbourgazette.example/2025/03/12/lighthouse-strike",
        "author": "Maria Lindqvist", "site": "The Harbour Gazette"}
    assert "date" not in good[2].metadata
    assert _warnings(articles) == [
        "entry 3: date 'sometime next week' is not a calendar date; left out",
        "entry 4: no content or summary; skipped"]


def test_atom_entry_prefers_content_to_summary(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "feed_atom.atom", tmp_path / "valley.atom")
    (entry,) = _articles(tmp_path, "valley.atom")
    assert entry.id == "valley.atom#urn:uuid:dam-inspection"
    assert entry.text == ("Engineers inspecting the Elm Valley dam found three cracks in its "
                          "spillway.\nThe water board said the dam is safe.")
    assert dict(entry.metadata) == {"date": "2025-03-14",
                                    "url": "https://valleycourier.example/dam-inspection",
                                    "author": "Tom Okafor", "site": "Valley Courier"}


def test_xml_that_is_no_feed_is_skipped_with_a_clear_reason(tmp_path: Path) -> None:
    (tmp_path / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset><url><loc>https://a.example/</loc></url></urlset>',
        encoding="utf-8")
    read = read_article(tmp_path, "sitemap.xml")
    assert isinstance(read, SkippedFile)
    assert read.reason == "not an RSS or Atom feed; skipped"
