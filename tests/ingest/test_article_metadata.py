"""Article metadata from real formats (issue 14): trafilatura for saved pages, YAML front matter
for .md/.txt, dates as ISO YYYY-MM-DD, and every problem a warning that names no traceback.

The fixtures (tests/ingest/fixtures/) are written for these tests: two saved news pages with
og:/article: meta tags wrapped in navigation, cookie banners, newsletters, comments and
footers, a Markdown file with front matter, one whose front matter is not YAML and one whose
date is no date.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.dates import iso_date
from ingest.loaders.base import Article
from ingest.loaders.fields import article_fields, is_web_url
from ingest.loaders.files import ArticleFile, read_article
from ingest.loaders.html import HtmlLoader
from ingest.loaders.text import PlainTextLoader

FIXTURES = Path(__file__).parent / "fixtures"
BOILERPLATE = ("cookie", "Subscribe", "Privacy policy", "All rights reserved", "Related stories",
               "Oil prices climb", "Sign up", "Share this article", "Great article",
               "Log in", "Advertise")


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _one(articles: list[Article]) -> Article:
    assert len(articles) == 1, articles
    return articles[0]


# -- HTML: trafilatura ---------------------------------------------------------------------------


def test_a_saved_news_page_gives_its_main_text_and_metadata() -> None:
    article = _one(HtmlLoader().load("world/jeddah.html", _fixture("news_page.html")))
    assert article.id == "world/jeddah.html"
    assert article.title == "Ceasefire talks move to Jeddah"
    assert dict(article.metadata) == {
        "date": "2025-03-11",  # article:published_time, a full datetime cut to its date
        "url": "https://harbourgazette.example/world/2025/03/11/ceasefire-talks-jeddah",
        "author": "Maria Lindqvist",
        "site": "The Harbour Gazette",
    }
    lines = article.text.splitlines()
    # Inline links and emphasis stay inside their sentence.
    assert ("Ukrainian and American delegates met in Jeddah on Tuesday to discuss a proposed "
            "30-day ceasefire, officials from both sides said after more than eight hours of "
            "talks.") in lines
    assert lines[-1].startswith("Diplomats said the next step")
    for text in (*BOILERPLATE, "World", "Business", "track("):
        assert text not in article.text, text
    assert article.warnings == ()


def test_boilerplate_around_a_page_without_article_markup_stays_out() -> None:
    article = _one(HtmlLoader().load("ledger.html", _fixture("ledger_page.html")))
    assert article.title == "Peacekeepers: who would go?"
    assert article.metadata == {"date": "2025-03-15", "url": "https://ledger.example/news/peacekeepers",
                                "author": "Sam Okafor", "site": "Daily Ledger"}
    assert article.text.splitlines() == [
        "Britain and France said on Saturday they were prepared to lead a peacekeeping force in "
        "Ukraine if a ceasefire is agreed, and asked other countries to contribute troops.",
        "Officials said about thirty countries had expressed interest, although few had "
        "committed soldiers and several wanted American backing first.",
        "Russia has repeatedly said it would not accept troops from NATO countries on "
        "Ukrainian soil.",
    ]


def test_a_footer_copyright_year_is_not_taken_for_the_date() -> None:
    markup = _fixture("ledger_page.html").replace(
        '<meta property="article:published_time" content="2025-03-15">', "")
    article = _one(HtmlLoader().load("ledger.html", markup))
    assert "date" not in article.metadata  # "Copyright 2025" is not 1 January 2025
    assert article.metadata["url"] == "https://ledger.example/news/peacekeepers"


def test_a_date_in_the_pages_url_or_time_element_counts() -> None:
    markup = _fixture("news_page.html").replace(
        '<meta property="article:published_time" content="2025-03-11T18:42:00+00:00">', "")
    assert HtmlLoader().load("a.html", markup)[0].metadata["date"] == "2025-03-11"


def test_a_fragment_trafilatura_drops_is_read_by_the_fallback() -> None:
    # trafilatura returns nothing for "<p>…</p>" alone; the page still has text to index.
    article = _one(HtmlLoader().load("frag.html", "<p>Leaders spoke about the truce.</p>"))
    assert article.text == "Leaders spoke about the truce."
    short = ("<html><head><title>Talks in Jeddah</title>"
             "<meta property='og:url' content='https://example.org/jeddah'></head>"
             "<body><p>Delegates met.</p></body></html>")
    article = _one(HtmlLoader().load("short.html", short))
    assert "Delegates met." in article.text
    assert article.title == "Talks in Jeddah"
    assert article.metadata.get("url") == "https://example.org/jeddah"


def test_an_html_loader_import_does_not_load_trafilatura() -> None:
    import subprocess
    import sys

    code = ("import sys; import ingest.loaders.registry, ingest.pipeline; "
            "print('trafilatura' in sys.modules, 'frontmatter' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split() == ["False", "False"]


# -- front matter --------------------------------------------------------------------------------


def test_front_matter_gives_title_and_metadata_and_is_not_text() -> None:
    text = _fixture("front_matter.md")
    article = _one(PlainTextLoader().load("peacekeepers.md", text))
    assert article.title == "Peacekeepers: who would go?"
    assert dict(article.metadata) == {
        "date": "2025-03-15",  # "Date: 15 March 2025": keys ignore case, dates become ISO
        "url": "https://ledger.example/news/peacekeepers",  # from "link"
        "author": "Sam Okafor, Ines Duarte",  # a list of authors
        "site": "Daily Ledger",  # from "source"
    }
    assert article.text.startswith("Britain and France said on Saturday")
    assert article.text.endswith("several wanted American backing first.")
    assert "---" not in article.text and "tags" not in article.text
    assert article.warnings == ()


def test_malformed_front_matter_is_read_as_plain_text_with_a_warning() -> None:
    text = _fixture("bad_front_matter.txt")
    article = _one(PlainTextLoader().load("bad_front_matter.txt", text))
    assert article.text == text
    assert article.title is None and article.metadata == {}
    [warning] = article.warnings
    assert "front matter is not valid YAML" in warning and "line 2" in warning
    assert "plain text" in warning and "\n" not in warning


def test_an_unparseable_date_and_a_relative_url_are_left_out_with_warnings() -> None:
    article = _one(PlainTextLoader().load("bad_date.md", _fixture("bad_date.md")))
    assert article.title == "Grain deal talks resume"
    assert article.metadata == {}
    assert article.text.startswith("Negotiators from Turkey")
    assert article.warnings == (
        "date 'sometime last spring' is not a calendar date; left out",
        "url '/world/grain-deal' is not an http(s) address; left out",
    )


@pytest.mark.parametrize("text", [
    "Headline\n\nBody text.\n",
    "Headline\n---\nA rule, then more text.\n",
    "---\nOpening rule, never closed.\n",
    "---\nA Markdown rule around a headline\n---\nBody.\n",  # the block is no mapping
])
def test_a_file_without_front_matter_is_read_verbatim(text: str) -> None:
    article = _one(PlainTextLoader().load("a.md", text))
    assert (article.text, article.title, article.metadata, article.warnings) == (
        text, None, {}, ())


def test_an_impossible_yaml_date_is_a_bad_date_not_bad_front_matter() -> None:
    # PyYAML would build a date from 2025-02-30 and fail; read as text it is just a bad date.
    article = _one(PlainTextLoader().load("a.md", "---\ntitle: T\ndate: 2025-02-30\n---\nBody."))
    assert article.title == "T" and article.text == "Body."
    assert article.warnings == ("date '2025-02-30' is not a calendar date; left out",)


def test_front_matter_alone_is_no_article() -> None:
    assert PlainTextLoader().load("a.md", "---\ntitle: Only a title\n---\n\n") == []


def test_read_article_hashes_the_whole_file_so_edited_front_matter_is_a_change(
        tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "front_matter.md", tmp_path / "a.md")
    before = read_article(tmp_path, "a.md")
    path = tmp_path / "a.md"
    path.write_text(path.read_text().replace("Daily Ledger", "The Ledger"), encoding="utf-8")
    after = read_article(tmp_path, "a.md")
    assert isinstance(before, ArticleFile) and isinstance(after, ArticleFile)
    assert before.text == after.text
    assert before.content_hash != after.content_hash
    assert after.metadata["site"] == "The Ledger" and after.title == before.title


# -- the shared rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "iso"), [
    ("2025-03-11", "2025-03-11"),
    ("2025-03-11T23:30:00-05:00", "2025-03-11"),  # the day as written, no time-zone shift
    ("11 March 2025", "2025-03-11"),
    ("March 11, 2025", "2025-03-11"),
    ("Tue, 11 Mar 2025 18:42:00 GMT", "2025-03-11"),
    ("20250311", "2025-03-11"),
])
def test_dates_become_iso(written: str, iso: str) -> None:
    assert iso_date(written) == iso


@pytest.mark.parametrize("written", ["", "yesterday", "2025", "2025-03", "Tuesday",
                                     "2025-13-45", "sometime last spring"])
def test_incomplete_or_impossible_dates_are_refused(written: str) -> None:
    assert iso_date(written) is None


@pytest.mark.parametrize(("url", "ok"), [
    ("https://example.org/a?b=1#c", True), ("http://example.org", True),
    ("/relative/path", False), ("example.org/a", False), ("javascript:alert(1)", False),
    ("https://example.org/<@123>", False), ("https://exa mple.org", False), ("https://", False),
])
def test_only_http_addresses_are_urls(url: str, ok: bool) -> None:
    assert is_web_url(url) is ok


def test_fields_ignore_values_that_are_not_text() -> None:
    fields = article_fields({"title": True, "author": {"name": "x"}, "site": 7, "date": None})
    assert (fields.title, fields.metadata, fields.warnings) == (None, {"site": "7"}, ())
