"""Sentence vectors computed at ingest (``ingest.sentence_vectors``) and read at answer time.

The answering bot's encoder records every text that reaches the model, so a test sees exactly
which sentences an answer embedded rather than read from the store.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.engine import NewsBot
from ingest.pipeline import run_ingest
from ingest.sentence_vectors import SentenceVectorStore, chunk_sentences, sentence_hash
from tests.core_fixtures import (
    REPO_ROOT,
    SAUDI_QUESTION,
    HashEncoder,
    IndexedCorpus,
    RecordingEncoder,
    clean_env,
    copy_corpus,
    make_settings,
)
from tests.reliability.support import make_settings as driver_settings

NEW_ARTICLE = ("Quokka census finishes early\n\n"
               "The island's rangers counted 12,400 quokkas in the spring census. "
               "Volunteers from three towns walked every trail twice before dawn.\n")


def _stored_sentences(bot: NewsBot) -> set[str]:
    assert bot.store.open(create=False)
    return {sentence for chunk in bot.store.get(sorted(bot.store.ids()))
            for sentence in chunk_sentences(chunk.text)}


def test_the_answer_reads_the_sentences_ingest_stored(private_index: IndexedCorpus) -> None:
    recorder = RecordingEncoder(private_index.encoder)
    bot = NewsBot(private_index.settings(), encoder=recorder)
    stored = _stored_sentences(bot)
    assert bot.sentence_vectors.count() == len(stored)

    answer = bot.answer(SAUDI_QUESTION)

    assert not answer.refused and "Saudi Arabia" in answer.text
    # The model embedded the question (retrieval) and nothing of what ingest stored.
    assert recorder.texts and not set(recorder.texts) & stored


def test_an_index_without_the_store_still_answers_and_the_next_ingest_fills_it(
        private_index: IndexedCorpus) -> None:
    path = NewsBot(private_index.settings()).sentence_vectors.path
    path.unlink()  # as a data dir built before sentence vectors has none
    recorder = RecordingEncoder(private_index.encoder)
    bot = NewsBot(private_index.settings(), encoder=recorder)

    answer = bot.answer(SAUDI_QUESTION)

    assert not answer.refused and "Saudi Arabia" in answer.text
    stored = _stored_sentences(bot)
    assert set(recorder.texts) & stored, "without the store the sentences are embedded"
    assert not path.exists(), "answering never creates the store"
    assert bot.status().sentence_vectors == 0

    report = bot.ingest()
    assert (report.files_unchanged, report.chunks_embedded) == (5, 0)
    assert report.sentences_embedded > 0
    assert bot.sentence_vectors.count() == len(stored) == bot.status().sentence_vectors
    assert bot.sentence_vectors.chunk_ids() == bot.store.ids()

    again = RecordingEncoder(private_index.encoder)
    assert not NewsBot(private_index.settings(), encoder=again).answer(SAUDI_QUESTION).refused
    assert not set(again.texts) & stored
    assert bot.ingest().sentences_embedded == 0  # nothing left to fill


def test_replaced_and_removed_articles_lose_their_sentence_vectors(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "articles")
    (corpus / "quokka.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    settings = make_settings(tmp_path / "data", corpus)
    bot = NewsBot(settings, encoder=HashEncoder())
    bot.ingest()
    vectors = bot.sentence_vectors
    census = "The island's rangers counted 12,400 quokkas in the spring census."
    volunteers = "Volunteers from three towns walked every trail twice before dawn."
    assert set(vectors.lookup([census, volunteers])) == {census, volunteers}
    total = vectors.count()

    corrected = "The island's rangers counted 12,900 quokkas in the spring census."
    (corpus / "quokka.txt").write_text(NEW_ARTICLE.replace(census, corrected), encoding="utf-8")
    report = bot.ingest()
    assert report.files_updated == 1
    assert set(vectors.lookup([census, volunteers, corrected])) == {volunteers, corrected}
    assert vectors.count() == total
    assert vectors.chunk_ids() == bot.store.ids()

    (corpus / "quokka.txt").unlink()
    assert bot.ingest().files_removed == 1
    assert vectors.lookup([census, volunteers, corrected]) == {}
    assert vectors.chunk_ids() == bot.store.ids()
    assert vectors.count() == len(_stored_sentences(bot))


def test_a_rebuild_starts_the_store_afresh(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "articles")
    bot = NewsBot(make_settings(tmp_path / "data", corpus), encoder=HashEncoder())
    bot.ingest()
    stale = SentenceVectorStore(bot.sentence_vectors.path, bot.encoder.name, bot.encoder.dim)
    stale.add({sentence_hash("A sentence no chunk holds."): HashEncoder().encode(["x"])[0]}, [])
    stale.close()
    assert bot.sentence_vectors.lookup(["A sentence no chunk holds."])

    report = bot.ingest(rebuild=True)

    assert report.sentences_embedded == bot.sentence_vectors.count() > 0
    assert bot.sentence_vectors.lookup(["A sentence no chunk holds."]) == {}


def test_a_running_reader_reads_what_another_process_ingests(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "articles")
    data_dir = tmp_path / "data"
    settings = driver_settings(data_dir)
    # An index from before sentence vectors: the ingest is not given a sentence store.
    writer = NewsBot(settings, encoder=HashEncoder())
    writer.store.open(create=True)
    run_ingest(corpus, writer.store, writer.encoder, writer.keyword_dir,
               chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)
    old_sentences = sorted(_stored_sentences(writer))

    recorder = RecordingEncoder(HashEncoder())
    reader = NewsBot(settings, encoder=recorder)
    reader.sentence_encoder.encode(old_sentences[:1])
    assert recorder.texts == old_sentences[:1]  # no store yet: the model embeds it

    (corpus / "quokka.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tests.reliability.ingest_driver", str(data_dir), str(corpus)],
        cwd=REPO_ROOT, env=clean_env(PYTHONPATH=str(REPO_ROOT)), capture_output=True,
        text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

    new = "Volunteers from three towns walked every trail twice before dawn."
    recorder.texts.clear()
    vectors = reader.sentence_encoder.encode([new, *old_sentences[1:]])
    assert recorder.texts == [], "the reader embedded sentences the other process stored"
    assert vectors.shape == (len(old_sentences), recorder.dim)
    assert (vectors[0] == HashEncoder().encode([new])[0]).all()


def test_a_chunk_stored_without_its_sentences_gets_them_on_the_next_run(
        tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "articles")
    bot = NewsBot(make_settings(tmp_path / "data", corpus), encoder=HashEncoder())
    bot.ingest()
    vectors = bot.sentence_vectors
    total = vectors.count()
    # As a run killed between storing a chunk and recording its sentences leaves it.
    chunk = bot.store.get([sorted(bot.store.ids())[0]])[0]
    vectors.remove_chunks([chunk.id])
    own = set(chunk_sentences(chunk.text)) - _shared(bot, chunk.id)  # no other chunk's
    assert own and vectors.count() == total - len(own)
    assert vectors.chunk_count() == bot.store.count() - 1

    report = bot.ingest()

    assert (report.chunks_embedded, report.sentences_embedded) == (0, len(own))
    assert vectors.count() == total
    assert vectors.chunk_ids() == bot.store.ids()


def _shared(bot: NewsBot, chunk_id: str) -> set[str]:
    """The sentences of every chunk but ``chunk_id``."""
    others = sorted(bot.store.ids() - {chunk_id})
    return {s for c in bot.store.get(others) for s in chunk_sentences(c.text)}
