"""Incremental ingest into embedded Chroma: add, re-run, change, delete, rebuild, mismatch.

The shared ``indexed_corpus`` (first and second run over the five sample articles) is read only;
tests that change files work on ``private_index``, a fresh ingest into their own tmp dirs whose
vectors come from the session's cached local model.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from bot.engine import NewsBot
from ingest.chunking import chunk_article
from ingest.cleaning import clean_text
from ingest.errors import BadInputError, EmbeddingMismatchError
from ingest.pipeline import embedding_text
from ingest.store import ArticleStore
from tests.core_fixtures import (
    SAMPLE_FILES,
    SAUDI_FILE,
    HashEncoder,
    IndexedCorpus,
    RecordingEncoder,
    make_settings,
)

CHANGED = SAUDI_FILE
NEW_SENTENCE = "\nFollow-up talks are planned in Quokkaville, a village nobody had heard of.\n"


def _bot(index: IndexedCorpus, encoder: object | None = None) -> NewsBot:
    return NewsBot(index.settings(), encoder=encoder or index.encoder)  # type: ignore[arg-type]


def _all_metadata(store: ArticleStore) -> tuple[list[str], list[dict[str, object]]]:
    store.open(create=False)
    result = store.collection.get(include=["metadatas"])
    return list(result["ids"]), [dict(m or {}) for m in result["metadatas"] or []]


def assert_consistent(store: ArticleStore) -> dict[str, set[str]]:
    """One complete version per file, no duplicate ids; returns each file's chunk ids."""
    ids, metadatas = _all_metadata(store)
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    by_file: dict[str, list[dict[str, object]]] = {}
    for meta in metadatas:
        by_file.setdefault(str(meta["file"]), []).append(meta)
    expected_total = 0
    for file, metas in by_file.items():
        versions = {(m["content_hash"], m["chunking"]) for m in metas}
        assert len(versions) == 1, f"{file} has {len(versions)} stored versions"
        counts = {int(m["chunk_count"]) for m in metas}  # type: ignore[call-overload]
        assert len(counts) == 1
        count = counts.pop()
        assert sorted(int(m["chunk_index"]) for m in metas) == list(range(count))  # type: ignore[call-overload]
        expected_total += count
    assert store.count() == len(ids) == expected_total
    return {file: {i for i, m in zip(ids, metadatas, strict=True) if m["file"] == file}
            for file in by_file}


# -- first and second run ----------------------------------------------------------------------


def test_first_run_adds_the_five_articles(indexed_corpus: IndexedCorpus) -> None:
    report = indexed_corpus.first
    assert report.files_added == len(SAMPLE_FILES) == 5
    assert (report.files_updated, report.files_unchanged, report.files_removed,
            report.files_skipped) == (0, 0, 0, 0)
    assert report.chunks_embedded == report.chunks_total > 0
    assert report.lines_dropped == 27  # 20 in 000 and 7 in 001 (see test_cleaning)
    store = indexed_corpus.bot().store
    assert set(assert_consistent(store)) == set(SAMPLE_FILES)


def test_second_run_embeds_nothing(indexed_corpus: IndexedCorpus) -> None:
    report = indexed_corpus.second
    assert report is not None
    assert report.chunks_embedded == 0
    assert report.files_unchanged == 5
    assert (report.files_added, report.files_updated, report.files_removed) == (0, 0, 0)
    assert report.chunks_total == indexed_corpus.first.chunks_total
    assert report.lines_dropped == 0  # unchanged files are not even cleaned


def test_rerun_asks_the_encoder_for_nothing(private_index: IndexedCorpus) -> None:
    recorder = RecordingEncoder(private_index.encoder)
    report = _bot(private_index, recorder).ingest()
    assert report.chunks_embedded == 0
    assert recorder.texts == []


def test_json_report_schema(indexed_corpus: IndexedCorpus) -> None:
    data = indexed_corpus.first.to_json()
    assert list(data) == ["files_added", "files_updated", "files_unchanged", "files_removed",
                          "files_skipped", "chunks_embedded", "chunks_total", "lines_dropped",
                          "articles_expired", "seconds", "sentences_embedded",
                          "sentence_seconds"]
    assert all(isinstance(v, int) for k, v in data.items()
               if k not in ("seconds", "sentence_seconds"))
    assert isinstance(data["seconds"], float) and data["seconds"] > 0


def test_an_all_boilerplate_file_is_skipped_every_run_and_never_re_added(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "story.txt").write_text("Headline\nThe talks were held in Riyadh on Tuesday.\n")
    (corpus / "junk.txt").write_text("More In Politics MORE...\nRead: another story\n")
    settings = make_settings(tmp_path / "data", corpus)
    first = NewsBot(settings, encoder=HashEncoder()).ingest()
    assert (first.files_added, first.files_skipped, first.chunks_total) == (1, 1, 1)
    assert "boilerplate" in first.skipped[0].reason
    second = NewsBot(settings, encoder=HashEncoder()).ingest()
    assert second.chunks_embedded == 0
    assert (second.files_added, second.files_unchanged, second.files_skipped,
            second.lines_dropped) == (0, 1, 1, 0)


# -- a changed file ----------------------------------------------------------------------------


def test_a_changed_file_alone_is_re_embedded_and_its_old_chunks_go(
        private_index: IndexedCorpus) -> None:
    before = assert_consistent(_bot(private_index).store)
    path = private_index.corpus_dir / CHANGED
    path.write_text(path.read_text(encoding="utf-8") + NEW_SENTENCE, encoding="utf-8")

    recorder = RecordingEncoder(private_index.encoder)
    bot = _bot(private_index, recorder)
    report = bot.ingest()
    assert (report.files_updated, report.files_unchanged, report.files_added) == (1, 4, 0)
    after = assert_consistent(bot.store)
    assert report.chunks_embedded == len(after[CHANGED])
    # Its chunks, then those of their sentences the sentence store did not have yet.
    assert len(recorder.texts) == report.chunks_embedded + report.sentences_embedded
    assert 0 < report.sentences_embedded < len(recorder.texts)
    assert any("Quokkaville" in text for text in recorder.texts)
    # Every text sent to the model is one of the changed file's new chunks or their sentences.
    new_chunks = bot.store.get(sorted(after[CHANGED]))
    for text in recorder.texts:
        assert any(chunk.text in text or text in chunk.text for chunk in new_chunks)
    assert not before[CHANGED] & after[CHANGED], "old chunks of the changed file remain"
    for other in SAMPLE_FILES:
        if other != CHANGED:
            assert after[other] == before[other]
    assert report.chunks_total == sum(len(ids) for ids in after.values())


def test_an_interrupted_file_is_completed_next_run(private_index: IndexedCorpus) -> None:
    # A run killed mid-file leaves part of a file's chunks: the file must not count as unchanged.
    bot = _bot(private_index)
    before = assert_consistent(bot.store)
    victim = SAMPLE_FILES[0]
    bot.store.collection.delete(ids=[sorted(before[victim])[0]])
    report = _bot(private_index).ingest()
    assert report.files_updated == 1 and report.files_unchanged == 4
    assert report.chunks_embedded == len(before[victim])
    assert assert_consistent(bot.store) == before


def test_a_leftover_old_version_is_cleaned_up(private_index: IndexedCorpus) -> None:
    # A run killed after writing a file's new chunks but before deleting the old ones leaves
    # two versions side by side; the next run must end with the current one only.
    settings = private_index.settings()
    path = private_index.corpus_dir / CHANGED
    original = path.read_bytes()
    text = original.decode("utf-8")
    old_chunks = chunk_article(CHANGED, text, clean_text(text),
                               hashlib.sha256(original).hexdigest(), settings.chunk_size,
                               settings.chunk_overlap)
    path.write_text(text + NEW_SENTENCE, encoding="utf-8")
    bot = _bot(private_index)
    bot.ingest()
    new_ids = assert_consistent(bot.store)[CHANGED]
    bot.store.upsert(old_chunks, private_index.encoder.encode(
        [embedding_text(c) for c in old_chunks]))
    assert len(bot.store.file_states()[CHANGED].versions) == 2

    report = _bot(private_index).ingest()
    assert report.files_updated == 1 and report.files_unchanged == 4
    assert assert_consistent(bot.store)[CHANGED] == new_ids


# -- deleted files -----------------------------------------------------------------------------


def test_a_deleted_file_is_pruned(private_index: IndexedCorpus) -> None:
    (private_index.corpus_dir / CHANGED).unlink()
    bot = _bot(private_index)
    report = bot.ingest()
    assert report.files_removed == 1 and report.files_unchanged == 4
    assert report.chunks_embedded == 0
    remaining = assert_consistent(bot.store)
    assert CHANGED not in remaining
    assert report.chunks_total == sum(len(ids) for ids in remaining.values())


def test_no_prune_keeps_a_deleted_files_chunks(private_index: IndexedCorpus) -> None:
    before = assert_consistent(_bot(private_index).store)
    (private_index.corpus_dir / CHANGED).unlink()
    bot = _bot(private_index)
    report = bot.ingest(prune=False)
    assert report.files_removed == 0
    assert assert_consistent(bot.store) == before
    # A later pruning run removes them.
    assert _bot(private_index).ingest().files_removed == 1


def test_an_emptied_corpus_prunes_everything(private_index: IndexedCorpus) -> None:
    for name in SAMPLE_FILES:
        (private_index.corpus_dir / name).unlink()
    bot = _bot(private_index)
    report = bot.ingest()
    assert report.files_removed == 5 and report.chunks_total == 0
    assert bot.store.count() == 0


# -- rebuild -----------------------------------------------------------------------------------


def test_rebuild_embeds_everything_again_with_the_same_ids(private_index: IndexedCorpus) -> None:
    before = assert_consistent(_bot(private_index).store)
    recorder = RecordingEncoder(private_index.encoder)
    bot = _bot(private_index, recorder)
    report = bot.ingest(rebuild=True)
    assert report.files_added == 5 and report.files_unchanged == 0
    assert report.chunks_embedded == report.chunks_total
    # A rebuild starts the sentence store afresh too.
    assert len(recorder.texts) == report.chunks_embedded + report.sentences_embedded
    assert report.sentences_embedded > report.chunks_total
    assert assert_consistent(bot.store) == before


# -- the embedding-model check -----------------------------------------------------------------


def test_another_embedding_model_is_refused_until_rebuild(private_index: IndexedCorpus) -> None:
    other = HashEncoder("some-other-model", 32)
    bot = NewsBot(private_index.settings(), encoder=other)
    with pytest.raises(EmbeddingMismatchError) as info:
        bot.ingest()
    message = str(info.value)
    assert "newsbot ingest --rebuild" in message
    assert private_index.encoder.name in message and "some-other-model" in message
    with pytest.raises(EmbeddingMismatchError):
        NewsBot(private_index.settings(), encoder=other).answer("Where were the talks held?")
    # Nothing was written by the refused runs.
    assert assert_consistent(_bot(private_index).store)

    report = NewsBot(private_index.settings(), encoder=other).ingest(rebuild=True)
    assert report.files_added == 5
    assert NewsBot(private_index.settings(), encoder=other).status().embedding_model == \
        "some-other-model"
    with pytest.raises(EmbeddingMismatchError):
        _bot(private_index).ingest()  # and now the original model is the stranger


# -- the keyword index follows the collection --------------------------------------------------


def test_keyword_index_is_refreshed_after_changes(private_index: IndexedCorpus) -> None:
    reader = _bot(private_index)  # a long-lived reader, like the Discord bot
    assert reader.retriever.keyword_index().search("Quokkaville", 5) == []
    deleted = SAMPLE_FILES[4]
    deleted_ids = assert_consistent(reader.store)[deleted]
    assert {i for i, _ in reader.retriever.keyword_index().search("Xinhua Agencies", 20)} & \
        deleted_ids

    path = private_index.corpus_dir / CHANGED
    path.write_text(path.read_text(encoding="utf-8") + NEW_SENTENCE, encoding="utf-8")
    (private_index.corpus_dir / deleted).unlink()
    writer = _bot(private_index)
    writer.ingest()
    current = assert_consistent(writer.store)

    hits = reader.retriever.keyword_index().search("Quokkaville", 5)
    assert hits and {i for i, _ in hits} <= current[CHANGED]
    all_hits = {i for i, _ in reader.retriever.keyword_index().search("Xinhua Agencies", 50)}
    assert not all_hits & deleted_ids
    assert len(reader.retriever.keyword_index()) == sum(len(ids) for ids in current.values())
    # A fresh process finds the saved index in line with the collection too.
    fresh = _bot(private_index).retriever.keyword_index()
    assert fresh.fingerprint == reader.retriever.keyword_index().fingerprint


# -- progress and errors -----------------------------------------------------------------------


class _Progress:
    def __init__(self) -> None:
        self.started: list[int] = []
        self.files: list[str] = []
        self.planned = 0
        self.embedded = 0
        self.sentences = 0

    def start(self, files_total: int) -> None:
        self.started.append(files_total)

    def file_done(self, name: str) -> None:
        self.files.append(name)

    def chunks_planned(self, count: int) -> None:
        self.planned += count

    def chunks_embedded(self, count: int) -> None:
        self.embedded += count

    def sentences_embedded(self, count: int) -> None:
        self.sentences += count


def test_progress_reports_files_and_chunks(tmp_path: Path, local_encoder: object) -> None:
    from tests.core_fixtures import copy_corpus

    corpus = copy_corpus(tmp_path / "articles")
    bot = NewsBot(make_settings(tmp_path / "data", corpus), encoder=local_encoder)  # type: ignore[arg-type]
    progress = _Progress()
    report = bot.ingest(progress=progress)
    assert progress.started == [5]
    assert progress.files == list(SAMPLE_FILES)
    assert progress.planned == progress.embedded == report.chunks_embedded


def test_a_missing_corpus_folder_is_bad_input(tmp_path: Path) -> None:
    bot = NewsBot(make_settings(tmp_path / "data", tmp_path / "nope"), encoder=HashEncoder())
    with pytest.raises(BadInputError) as info:
        bot.ingest()
    assert "nope" in str(info.value)


def test_names_with_spaces_and_non_ascii_are_cited_as_is(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "Новости дня.txt").write_text(
        "Kangaroo summit\nThe kangaroo summit was held in Canberra on Friday.\n",
        encoding="utf-8")
    (corpus / "my notes é.md").write_text(
        "Weather\nIt rained heavily in Oslo during the whole week.\n", encoding="utf-8")
    bot = NewsBot(make_settings(tmp_path / "data", corpus, NEWSBOT_RELEVANCE_FLOOR="0.0"),
                  encoder=HashEncoder())
    report = bot.ingest()
    assert report.files_added == 2
    assert {s.file for s in bot.sources()} == {"Новости дня.txt", "my notes é.md"}
    counts = Counter(m["file"] for m in _all_metadata(bot.store)[1])
    assert counts == {"Новости дня.txt": 1, "my notes é.md": 1}
