"""Article metadata through the ingest (issue 14): loader → chunk metadata in Chroma →
``StoredChunk`` → ``Citation`` and ``sources()``; warnings in the report; re-ingest stays
incremental (an unchanged file is not re-embedded, edited front matter re-embeds its file)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from bot.engine import NewsBot
from ingest.chunking import chunk_article
from ingest.cleaning import clean_text
from ingest.pipeline import embedding_text
from tests.core_fixtures import CachingEncoder, HashEncoder, RecordingEncoder, make_settings

FIXTURES = Path(__file__).parent / "fixtures"
PLAIN = "plain.txt"
PAGE_URL = "https://harbourgazette.example/world/2025/03/11/ceasefire-talks-jeddah"


def _corpus(root: Path) -> Path:
    corpus = root / "corpus"
    (corpus / "world").mkdir(parents=True)
    shutil.copy(FIXTURES / "news_page.html", corpus / "world" / "jeddah.html")
    for name in ("front_matter.md", "bad_front_matter.txt", "bad_date.md"):
        shutil.copy(FIXTURES / name, corpus / name)
    (corpus / PLAIN).write_text("Storm hits the coast\nA storm hit the coast on Monday.\n",
                                encoding="utf-8")
    return corpus


def _bot(root: Path, encoder: object) -> NewsBot:
    return NewsBot(make_settings(root / "data", root / "corpus"), encoder=encoder)  # type: ignore[arg-type]


def _metadata_by_file(bot: NewsBot) -> dict[str, list[dict[str, object]]]:
    bot.store.open(create=False)
    result = bot.store.collection.get(include=["metadatas"])
    by_file: dict[str, list[dict[str, object]]] = {}
    for meta in result["metadatas"] or []:
        by_file.setdefault(str(meta["file"]), []).append(dict(meta))
    return by_file


def test_metadata_is_stored_with_every_chunk_and_only_when_known(tmp_path: Path) -> None:
    _corpus(tmp_path)
    bot = _bot(tmp_path, HashEncoder())
    report = bot.ingest()
    assert (report.files_added, report.files_skipped) == (5, 0)
    stored = _metadata_by_file(bot)
    for meta in stored["world/jeddah.html"]:
        assert (meta["title"], meta["title_given"], meta["date"], meta["url"], meta["author"],
                meta["site"]) == ("Ceasefire talks move to Jeddah", True, "2025-03-11", PAGE_URL,
                                  "Maria Lindqvist", "The Harbour Gazette")
    for meta in stored["front_matter.md"]:
        assert meta["title"] == "Peacekeepers: who would go?" and meta["date"] == "2025-03-15"
        # The day as a number too: Chroma's $gte/$lte (date filters) compare only numbers.
        assert meta["date_number"] == 20250315
    # What is not known is not stored (Chroma takes no None, and "" would read as a value).
    for name in (PLAIN, "bad_front_matter.txt", "bad_date.md"):
        for meta in stored[name]:
            assert not {"date", "date_number", "url", "author", "site"} & set(meta), (name, meta)
            assert all(value != "" for value in meta.values())
    assert stored[PLAIN][0]["title"] == "Storm hits the coast"
    assert "title_given" not in stored[PLAIN][0]
    # Front matter that is not YAML is indexed as the plain text it is.
    assert stored["bad_front_matter.txt"][0]["title"] == "title: Oil reserves: what was agreed"

    sources = {s.file: s for s in bot.sources()}
    assert (sources["world/jeddah.html"].title, sources["world/jeddah.html"].date) == (
        "Ceasefire talks move to Jeddah", "2025-03-11")
    assert (sources[PLAIN].title, sources[PLAIN].date) == ("Storm hits the coast", "")


def test_problems_are_warnings_naming_the_file_on_every_run(tmp_path: Path) -> None:
    _corpus(tmp_path)
    for _ in range(2):  # like skipped files, until the file is fixed
        report = _bot(tmp_path, HashEncoder()).ingest()
        assert report.files_skipped == 0
        warned = [(w.name, w.message.split(" (")[0].split(" '")[0]) for w in report.warnings]
        assert warned == [("bad_date.md", "date"), ("bad_date.md", "url"),
                          ("bad_front_matter.txt", "front matter is not valid YAML")]


def test_unchanged_files_are_not_re_embedded_and_edited_front_matter_is(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    _bot(tmp_path, HashEncoder()).ingest()
    recorder = RecordingEncoder(HashEncoder())
    again = _bot(tmp_path, recorder).ingest()
    assert (again.files_unchanged, again.chunks_embedded, recorder.texts) == (5, 0, [])

    path = corpus / "front_matter.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "source: Daily Ledger", "source: The Ledger"), encoding="utf-8")
    recorder = RecordingEncoder(HashEncoder())
    bot = _bot(tmp_path, recorder)
    report = bot.ingest()
    assert (report.files_updated, report.files_unchanged) == (1, 4)
    stored = _metadata_by_file(bot)
    assert report.chunks_embedded == len(recorder.texts) == len(stored["front_matter.md"])
    assert {meta["site"] for meta in stored["front_matter.md"]} == {"The Ledger"}
    assert all("Britain and France" in text or "Officials said" in text
               for text in recorder.texts)


def test_a_title_the_format_gives_is_embedded_with_the_first_chunk_too() -> None:
    text = "Britain and France said on Saturday they were ready to lead a force."
    chunks = chunk_article("a.md", text, clean_text(text), hashlib.sha256(b"x").hexdigest(),
                           128, 16, title="Peacekeepers: who would go?",
                           metadata={"date": "2025-03-15", "url": ""})
    [chunk] = chunks
    assert embedding_text(chunk) == f"Peacekeepers: who would go?\n{text}"
    assert chunk.metadata()["date"] == "2025-03-15" and "url" not in chunk.metadata()
    # A plain file's first chunk starts with its headline already: embedded as it is.
    plain = "Headline\nBody text of the story."
    [first] = chunk_article("b.txt", plain, clean_text(plain), "h", 128, 16)
    assert embedding_text(first) == first.text and first.title == "Headline"


@pytest.mark.slow
def test_answers_cite_the_articles_title_date_and_url(tmp_path: Path,
                                                      local_encoder: CachingEncoder) -> None:
    _corpus(tmp_path)
    bot = _bot(tmp_path, local_encoder)
    bot.ingest()
    answer = bot.answer("Where did Ukrainian and American delegates meet on Tuesday?")
    assert not answer.refused, answer
    cited = {c.file: c for c in answer.citations}
    page = cited["world/jeddah.html"]
    assert (page.title, page.date, page.url, page.author, page.site, page.title_given) == (
        "Ceasefire talks move to Jeddah", "2025-03-11", PAGE_URL, "Maria Lindqvist",
        "The Harbour Gazette", True)
    as_json = next(c for c in answer.to_json()["citations"] if c["file"] == "world/jeddah.html")
    assert (as_json["date"], as_json["url"], as_json["site"], as_json["author"]) == (
        "2025-03-11", PAGE_URL, "The Harbour Gazette", "Maria Lindqvist")
