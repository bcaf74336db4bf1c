"""The loader registry: a file's suffix picks its format's loader; every registered loader
keeps the ``Loader`` contract (blank text → no article, else its articles named like the file:
the file's name for a one-article format, ``<file>#<entry>`` for a feed or JSON export)."""

from __future__ import annotations

import pytest

from ingest.loaders.base import Article, Loader
from ingest.loaders.feed import FeedLoader
from ingest.loaders.html import HtmlLoader
from ingest.loaders.json_file import JsonLoader
from ingest.loaders.jsonl import JsonLinesLoader
from ingest.loaders.registry import ARTICLE_SUFFIXES, LOADERS, loader_for
from ingest.loaders.text import PlainTextLoader


@pytest.mark.parametrize(("name", "kind"), [
    ("a.txt", PlainTextLoader), ("notes.md", PlainTextLoader), ("x.markdown", PlainTextLoader),
    ("page.html", HtmlLoader), ("page.htm", HtmlLoader),
    ("SHOUT.TXT", PlainTextLoader), ("sub/dir/Story.Md", PlainTextLoader),
    ("Saved.HTML", HtmlLoader), ("v1.2/page.HtM", HtmlLoader),
    ("data.json", JsonLoader), ("export.JSONL", JsonLinesLoader), ("feed.xml", FeedLoader),
    ("feed.rss", FeedLoader), ("feed.atom", FeedLoader),
])
def test_loader_for_picks_by_suffix_ignoring_case(name: str, kind: type) -> None:
    assert isinstance(loader_for(name), kind)


@pytest.mark.parametrize("name", [
    "report.pdf", "data.csv", "README", "archive.txt.gz", "story.txt.bak", "folder.txt/inner",
    ".txt", "txt", "",
])
def test_an_unknown_suffix_has_no_loader(name: str) -> None:
    assert loader_for(name) is None


def test_every_registered_suffix_finds_its_own_loader() -> None:
    for loader in LOADERS:
        for suffix in loader.suffixes:
            assert suffix.startswith(".") and suffix == suffix.lower(), suffix
            assert loader_for(f"article{suffix}") is loader
            assert loader_for(f"article{suffix.upper()}") is loader


def test_no_suffix_is_claimed_twice() -> None:
    claimed = [suffix for loader in LOADERS for suffix in loader.suffixes]
    assert len(claimed) == len(set(claimed))


def test_article_suffixes_is_the_union_of_the_loaders_suffixes() -> None:
    assert frozenset().union(*(loader.suffixes for loader in LOADERS)) == ARTICLE_SUFFIXES
    assert {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".xml",
            ".rss", ".atom"} == ARTICLE_SUFFIXES


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: type(loader).__name__)
@pytest.mark.parametrize("blank", ["", " ", "\n\n\t \r\n"])
def test_a_registered_loader_finds_no_article_in_blank_text(loader: Loader, blank: str) -> None:
    assert loader.load(f"empty{min(loader.suffixes)}", blank) == []


# One small file per registered format, all saying SAMPLE_SENTENCE. A new loader adds its own.
SAMPLE_SENTENCE = "Delegates met in Saudi Arabia on Tuesday."
SAMPLES: dict[type, str] = {
    PlainTextLoader: f"Talks in Jeddah\n\n{SAMPLE_SENTENCE}\n",
    HtmlLoader: f"<html><head><title>Talks in Jeddah</title></head><body><p>{SAMPLE_SENTENCE}</p>"
                "<script>track()</script></body></html>",
    JsonLoader: f'[{{"title": "Talks in Jeddah", "text": "{SAMPLE_SENTENCE}", "id": "t1"}}]',
    JsonLinesLoader: f'{{"title": "Talks in Jeddah", "text": "{SAMPLE_SENTENCE}", "id": "t1"}}\n',
    FeedLoader: ('<rss version="2.0"><channel><title>Gazette</title><item><title>Talks in '
                 f'Jeddah</title><guid>t1</guid><description>&lt;p&gt;{SAMPLE_SENTENCE}&lt;/p&gt;'
                 '&lt;script&gt;track()&lt;/script&gt;</description></item></channel></rss>'),
}
MULTI_ARTICLE = (JsonLoader, JsonLinesLoader, FeedLoader)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: type(loader).__name__)
def test_a_registered_loader_reads_one_article_named_like_the_file(loader: Loader) -> None:
    assert type(loader) in SAMPLES, "add a sample file of the new format to SAMPLES"
    name = f"2025/03/talks{min(loader.suffixes)}"
    articles = loader.load(name, SAMPLES[type(loader)])
    assert len(articles) == 1
    [article] = articles
    assert isinstance(article, Article)
    assert article.id == (f"{name}#t1" if isinstance(loader, MULTI_ARTICLE) else name)
    assert SAMPLE_SENTENCE in article.text and "track()" not in article.text


def test_an_html_page_without_visible_text_is_no_article() -> None:
    markup = "<html><head><title> </title><style>p {}</style></head><body> <script>x()</script>"
    assert HtmlLoader().load("blank.html", markup) == []
