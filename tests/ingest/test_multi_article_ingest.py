"""Multi-article files through the ingest (issue 14): every entry of a JSONL export or a feed is
an article with its own id, tracked on its own: an unchanged entry of an edited file is not
re-embedded, a deleted entry is pruned, an edited one replaced; bad entries are warnings naming
the file and the line or entry, and the rest ingests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bot.engine import NewsBot
from tests.core_fixtures import HashEncoder, RecordingEncoder, make_settings

FIXTURES = Path(__file__).parent / "fixtures"


def _record(i: int, text: str | None = None) -> dict[str, str]:
    return {"id": f"n{i}", "title": f"Story {i}", "url": f"https://news.example/{i}",
            "published": f"2025-03-{i + 1:02d}",
            "text": text or f"Story {i} happened in town number {i} on a windy day."}


def _write(corpus: Path, records: list[dict[str, str]], extra: tuple[str, ...] = ()) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r) for r in records] + list(extra)
    (corpus / "export.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _bot(root: Path, encoder: object) -> NewsBot:
    return NewsBot(make_settings(root / "data", root / "corpus"), encoder=encoder)  # type: ignore[arg-type]


def _stored(bot: NewsBot) -> dict[str, set[str]]:
    """Chunk ids per article id."""
    bot.store.open(create=False)
    result = bot.store.collection.get(include=["metadatas"])
    by_article: dict[str, set[str]] = {}
    for chunk_id, meta in zip(result["ids"], result["metadatas"] or [], strict=True):
        assert meta["file"] == "export.jsonl"
        by_article.setdefault(str(meta["article_id"]), set()).add(chunk_id)
    return by_article


def test_each_entry_is_an_article_and_bad_lines_are_warnings(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write(corpus, [_record(i) for i in range(3)] + [_record(1)],  # line 4 repeats n1
           ('{"id": "broken", "text": ', json.dumps({"id": "no-text", "title": "Empty"})))
    bot = _bot(tmp_path, HashEncoder())
    report = bot.ingest()
    assert (report.files_added, report.files_skipped) == (3, 0)
    assert set(_stored(bot)) == {f"export.jsonl#n{i}" for i in range(3)}
    warned = [f"warning: {w.name}: {w.message}" for w in report.warnings]
    assert warned == [
        "warning: export.jsonl: duplicate article id 'export.jsonl#n1'; skipped",
        "warning: export.jsonl: line 5: malformed JSON (Expecting value); skipped",
        "warning: export.jsonl: line 6: no text field (text/content/body/article); skipped"]
    sources = {s.file: s for s in bot.sources()}
    assert (sources["export.jsonl#n2"].title, sources["export.jsonl#n2"].date) == (
        "Story 2", "2025-03-03")
    assert bot.status().files == 1


def test_only_the_edited_entry_is_re_embedded_and_a_deleted_one_is_pruned(
        tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    records = [_record(i) for i in range(5)]
    _write(corpus, records)
    first = _bot(tmp_path, HashEncoder())
    first.ingest()
    before = _stored(first)

    recorder = RecordingEncoder(HashEncoder())
    again = _bot(tmp_path, recorder).ingest()
    assert (again.files_unchanged, again.chunks_embedded, recorder.texts) == (5, 0, [])

    records[2] = _record(2, "Story 2 was corrected: the wind blew from the north.")
    del records[4]
    _write(corpus, records)
    recorder = RecordingEncoder(HashEncoder())
    bot = _bot(tmp_path, recorder)
    report = bot.ingest()
    assert (report.files_updated, report.files_unchanged, report.files_removed) == (1, 3, 1)
    # (the text starts with its title already, so it is embedded as it is)
    # Its one chunk, then the chunk's one sentence for the sentence store.
    assert report.chunks_embedded == report.sentences_embedded == 1
    assert recorder.texts == ["Story 2 was corrected: the wind blew from the north."] * 2
    after = _stored(bot)
    assert set(after) == {f"export.jsonl#n{i}" for i in range(4)}
    for i in (0, 1, 3):  # untouched entries keep their very chunks
        assert after[f"export.jsonl#n{i}"] == before[f"export.jsonl#n{i}"]
    assert after["export.jsonl#n2"].isdisjoint(before["export.jsonl#n2"])


def test_a_file_that_stops_being_readable_loses_all_its_articles(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURES / "feed_rss.xml", corpus / "feed.xml")
    bot = _bot(tmp_path, HashEncoder())
    assert bot.ingest().files_added == 3
    (corpus / "feed.xml").write_text("<urlset></urlset>", encoding="utf-8")
    report = _bot(tmp_path, HashEncoder()).ingest()
    assert [(s.name, s.reason) for s in report.skipped] == [
        ("feed.xml", "not an RSS or Atom feed; skipped")]
    assert bot.store.count() == 0
