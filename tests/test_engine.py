"""``NewsBot`` as such: it checks the question, retrieves for the synthesizer's standalone
question, refuses below the relevance floor, hands the retrieval to the synthesizer, and times
each step. The synthesizer here is a small fake plugged into the ``synthesizer`` cached
property, so these tests see exactly what the engine passes and what it does with the result;
the real backends are tested in ``tests/answering/``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.answering.retrieval import Retrieval
from bot.answering.synthesizer import REFUSAL, Synthesis
from bot.engine import NewsBot
from bot.models import Answer, Citation, DateRange, Timings, Turn
from bot.service import StatusInfo
from ingest.errors import BadInputError
from tests.core_fixtures import (
    SAMPLE_FILES,
    SAUDI_QUESTION,
    HashEncoder,
    IndexedCorpus,
    make_settings,
    retrieved_chunk,
)

SYNTHESIS_SECONDS = 0.05


class FakeSynthesizer:
    """Records every call; answers with a fixed text, after a short pause so the generate step
    has a measurable duration. ``rewrite`` is the standalone question it returns; ``replace``
    builds the retrieval its synthesis reports (a synthesizer may look deeper)."""

    label = "fake"

    def __init__(self, rewrite: str | None = None,
                 replace: Callable[[Retrieval], Retrieval] | None = None) -> None:
        self.rewrite = rewrite
        self.replace = replace
        self.standalone_calls: list[tuple[str, tuple[Turn, ...]]] = []
        self.synthesize_calls: list[tuple[str, str, Retrieval]] = []

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        self.standalone_calls.append((question, tuple(history)))
        return self.rewrite or question

    def synthesize(self, question: str, standalone: str, retrieval: Retrieval,
                   on_token: Callable[[str], None] | None = None) -> Synthesis:
        self.synthesize_calls.append((question, standalone, retrieval))
        time.sleep(SYNTHESIS_SECONDS)
        if on_token is not None:
            on_token("Fake")
            time.sleep(SYNTHESIS_SECONDS)
            on_token("Fake answer [1]")
        answer = Answer(question=question, text="Fake answer [1]", backend=self.label,
                        citations=(Citation(1, "fake.txt", "Fake", "quote", 0.5),),
                        timings=Timings(retrieve=-1.0, generate=-1.0, total=-1.0))
        return Synthesis(answer, self.replace(retrieval) if self.replace else retrieval)


def _bot(indexed_corpus: IndexedCorpus, fake: FakeSynthesizer, **env: Any) -> NewsBot:
    bot = indexed_corpus.bot(**env)
    bot.__dict__["synthesizer"] = fake  # what functools.cached_property reads first
    return bot


def _files(retrieval: Retrieval) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.chunk.file for c in retrieval.chunks))


def test_the_plugged_in_synthesizer_is_the_one_asked(indexed_corpus: IndexedCorpus) -> None:
    fake = FakeSynthesizer()
    answer = _bot(indexed_corpus, fake).answer(SAUDI_QUESTION)
    assert answer.text == "Fake answer [1]" and answer.backend == "fake"
    assert answer.citations[0].file == "fake.txt"
    assert len(fake.synthesize_calls) == 1


@pytest.mark.parametrize("above", [True, False])
def test_the_relevance_floor_decides_whether_the_synthesizer_is_asked(
        indexed_corpus: IndexedCorpus, above: bool) -> None:
    """The floor is set just above / just below the best similarity of the real retrieval."""
    probe = indexed_corpus.bot()
    assert probe.store.open(create=False)
    retrieval = probe.retriever.retrieve(SAUDI_QUESTION, probe.settings.top_k)
    best = retrieval.best_similarity
    assert best > 0.2
    fake = FakeSynthesizer()
    bot = _bot(indexed_corpus, fake, NEWSBOT_RELEVANCE_FLOOR=best + 0.01 if above else best - 0.01)
    answer = bot.answer(SAUDI_QUESTION)
    assert len(fake.standalone_calls) == 1  # retrieval always runs for the standalone question
    if above:
        assert answer.refused and answer.text == REFUSAL and not answer.citations
        assert answer.backend == bot.backend
        assert fake.synthesize_calls == []
        # Even a refusal reports what was retrieved (the evaluator scores retrieval from it).
        assert answer.retrieved_files == _files(retrieval)
    else:
        assert not answer.refused and answer.text == "Fake answer [1]"
        assert len(fake.synthesize_calls) == 1


def test_an_empty_collection_refuses_without_asking_the_synthesizer(tmp_path: Path) -> None:
    bot = NewsBot(make_settings(tmp_path / "data"), encoder=HashEncoder())
    fake = FakeSynthesizer()
    bot.__dict__["synthesizer"] = fake
    answer = bot.answer(SAUDI_QUESTION)
    assert answer.refused and answer.retrieved_files == ()
    assert fake.synthesize_calls == []


def test_history_goes_to_standalone_and_retrieval_uses_its_result(
        indexed_corpus: IndexedCorpus) -> None:
    history = (Turn("Who held talks on the ceasefire?", "Ukrainian and American delegates."),)
    fake = FakeSynthesizer(rewrite=SAUDI_QUESTION)
    bot = _bot(indexed_corpus, fake)
    bot.answer("  And where?\x07 ", history, top_k=3)

    assert fake.standalone_calls == [("And where?", history)]  # cleaned before anything else
    [(question, standalone, retrieval)] = fake.synthesize_calls
    assert question == "And where?" and standalone == SAUDI_QUESTION
    assert retrieval.top_k == 3 and len(retrieval.chunks) == 3
    expected = bot.retriever.retrieve(SAUDI_QUESTION, 3)
    assert [c.chunk.id for c in retrieval.chunks] == [c.chunk.id for c in expected.chunks]


def test_retrieve_gives_what_answer_hands_the_synthesizer(indexed_corpus: IndexedCorpus) -> None:
    fake = FakeSynthesizer()
    bot = _bot(indexed_corpus, fake)
    bot.answer(SAUDI_QUESTION)
    [(_, _, handed)] = fake.synthesize_calls
    retrieval = bot.retrieve(SAUDI_QUESTION)
    assert [c.chunk.id for c in retrieval.chunks] == [c.chunk.id for c in handed.chunks]
    with pytest.raises(BadInputError, match="starts"):
        bot.retrieve(SAUDI_QUESTION, dates=DateRange(date(2025, 3, 2), date(2025, 3, 1)))


def test_top_k_defaults_to_the_setting(indexed_corpus: IndexedCorpus) -> None:
    fake = FakeSynthesizer()
    _bot(indexed_corpus, fake, NEWSBOT_TOP_K=2).answer(SAUDI_QUESTION)
    [(_, _, retrieval)] = fake.synthesize_calls
    assert retrieval.top_k == 2 and len(retrieval.chunks) == 2


def test_timings_are_filled_by_the_engine(indexed_corpus: IndexedCorpus) -> None:
    answer = _bot(indexed_corpus, FakeSynthesizer()).answer(SAUDI_QUESTION)
    t = answer.timings
    assert t.retrieve > 0
    assert t.generate >= SYNTHESIS_SECONDS * 1000  # the fake's pause is inside "generate"
    assert t.total >= t.retrieve and t.total >= t.generate
    assert t.total == pytest.approx(t.retrieve + t.generate, abs=0.01)


def test_time_to_first_token_is_measured_only_when_streaming(
        indexed_corpus: IndexedCorpus) -> None:
    bot = _bot(indexed_corpus, FakeSynthesizer())
    streamed: list[str] = []
    answer = bot.answer(SAUDI_QUESTION, on_token=streamed.append)
    t = answer.timings
    assert streamed == ["Fake", "Fake answer [1]"]  # the caller still gets every piece
    assert t.retrieve + SYNTHESIS_SECONDS * 1000 <= t.first_token
    assert t.first_token <= t.total - SYNTHESIS_SECONDS * 1000
    assert bot.answer(SAUDI_QUESTION).timings.first_token == 0.0


def test_retrieved_files_come_from_the_synthesis_retrieval(indexed_corpus: IndexedCorpus) -> None:
    """A synthesizer that looked deeper reports a different retrieval: that one counts."""

    def deeper(first: Retrieval) -> Retrieval:
        chunks = [retrieved_chunk("z.txt", "Z."), retrieved_chunk("a.txt", "A."),
                  retrieved_chunk("z.txt", "Z again.")]
        return Retrieval(first.query_vector, chunks, first.keyword_index, first.top_k * 3)

    fake = FakeSynthesizer(replace=deeper)
    answer = _bot(indexed_corpus, fake).answer(SAUDI_QUESTION)
    assert answer.retrieved_files == ("z.txt", "a.txt")  # best first, repeats removed
    [(_, _, first)] = fake.synthesize_calls
    assert set(_files(first)) <= set(SAMPLE_FILES)


@pytest.mark.parametrize("question", ["", "   ", "\x00\x07\n\t", "x" * 51])
def test_an_empty_or_over_long_question_is_bad_input(indexed_corpus: IndexedCorpus,
                                                      question: str) -> None:
    fake = FakeSynthesizer()
    bot = _bot(indexed_corpus, fake, NEWSBOT_MAX_QUESTION_CHARS=50)
    with pytest.raises(BadInputError):
        bot.answer(question)
    assert fake.standalone_calls == [] and fake.synthesize_calls == []


def test_a_question_at_the_limit_is_answered(indexed_corpus: IndexedCorpus) -> None:
    fake = FakeSynthesizer()
    _bot(indexed_corpus, fake, NEWSBOT_MAX_QUESTION_CHARS=50).answer("x" * 50)
    assert len(fake.standalone_calls) == 1


# -- status ------------------------------------------------------------------------------------

# The keys (and their order) of `newsbot status --json`, which prints StatusInfo.to_json().
STATUS_JSON_KEYS = ["corpus_dir", "store", "collection", "collection_exists", "files", "chunks",
                    "embedding_model", "backend", "llm_setting", "backend_reason",
                    "sentence_vectors", "dated_files", "oldest_date", "newest_date",
                    "newest_article_age", "sources"]


def test_status_of_the_indexed_corpus(indexed_corpus: IndexedCorpus) -> None:
    bot = indexed_corpus.bot()
    status = bot.status()
    assert isinstance(status, StatusInfo)
    info = status.to_json()
    assert list(info) == STATUS_JSON_KEYS
    assert json.loads(json.dumps(info)) == info
    assert info["corpus_dir"] == str(indexed_corpus.corpus_dir)
    assert info["store"] == str(indexed_corpus.data_dir / "chroma")
    assert info["collection_exists"] is True
    assert info["files"] == len(SAMPLE_FILES)
    assert info["chunks"] == indexed_corpus.first.chunks_total > 0
    assert info["embedding_model"] == indexed_corpus.encoder.name
    assert info["backend"] == "extractive" and info["llm_setting"] == "extractive"
    assert info["backend_reason"] == "NEWSBOT_LLM=extractive"


def test_status_before_any_ingest_creates_nothing(tmp_path: Path) -> None:
    bot = NewsBot(make_settings(tmp_path / "data", NEWSBOT_LLM="auto"), encoder=HashEncoder())
    info = bot.status().to_json()
    assert list(info) == STATUS_JSON_KEYS
    assert info["collection_exists"] is False and info["files"] == info["chunks"] == 0
    assert info["embedding_model"] == "test-hash"
    assert info["llm_setting"] == "auto" and info["backend"] == "extractive"
    assert bot.status().collection_exists is False  # asking did not create the collection
