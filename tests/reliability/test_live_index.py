"""A running bot and `newsbot ingest` in another process, on one embedded data dir.

The bot answers in this process; the ingest is a real second process (the CLI, embedding
through the loopback OpenAI-compatible server). The bot must keep answering without errors,
answer from new and edited articles within seconds of the ingest finishing, and never from a
half-updated index: while an ingest runs, every cited chunk is one of the last published
generation; once it has published, one of the new generation.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from bot.engine import NewsBot
from bot.models import Answer, DateRange
from ingest.generation import GENERATION_FILE
from tests.core_fixtures import HashEncoder, error_lines
from tests.fakes.openai_server import FakeOpenAIServer
from tests.reliability.kill_support import nth, run_and_kill, run_forked_and_kill
from tests.reliability.live_support import (
    Shop,
    cost_quoted,
    file_name,
    question,
    write_article,
)
from tests.reliability.support import make_settings

pytestmark = pytest.mark.slow

BASE = 12  # articles indexed before each test's change
# A new or edited article must be answered from this soon after the ingest process exits.
FRESH_WITHIN_SECONDS = 5.0


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with FakeOpenAIServer() as server:
        corpus = tmp_path / "articles"
        for i in range(BASE):
            write_article(corpus, i, cost=10 + i)
        yield Shop(tmp_path / "data", corpus, server)


def published_ids(bot: NewsBot) -> frozenset[str]:
    """The chunk ids of the generation the bot answers from now."""
    return bot.retriever.keyword_index().ids


def first_answer_citing(bot: NewsBot, i: int, wanted: str, within: float) -> tuple[Answer, float]:
    """Ask about article ``i`` until an answer cites it quoting ``wanted`` (or time is up)."""
    started = time.monotonic()
    while True:
        answer = bot.answer(question(i))
        waited = time.monotonic() - started
        if (file_name(i) in {c.file for c in answer.citations} and wanted in cost_quoted(answer)) \
                or waited > within:
            return answer, waited


def test_a_new_and_an_edited_article_are_answered_right_after_another_process_ingests(
        shop: Shop) -> None:
    shop.ingest()
    bot = shop.bot()
    before = bot.answer(question(3))
    assert "13 million" in cost_quoted(before)

    write_article(shop.corpus, 500, cost=77)  # a new article
    write_article(shop.corpus, 3, cost=913)  # an edit: the terminal cost 913, not 13
    shop.ingest()

    new, new_wait = first_answer_citing(bot, 500, "77 million", FRESH_WITHIN_SECONDS)
    assert file_name(500) in {c.file for c in new.citations}, new.text
    edited, edited_wait = first_answer_citing(bot, 3, "913 million", FRESH_WITHIN_SECONDS)
    assert "913 million" in cost_quoted(edited), edited.text
    assert "13 million" not in cost_quoted(edited).replace("913 million", "")
    print(f"\n[live] after the ingest process exited: new article answered in {new_wait:.2f} s, "
          f"edited one in {edited_wait:.2f} s")


def write_dated_article(corpus: Path, i: int, cost: int, day: str) -> None:
    """Article ``i`` dated ``day`` (front matter), otherwise as ``write_article`` writes it."""
    path = write_article(corpus, i, cost)
    path.write_text(f"---\ndate: {day}\n---\n{path.read_text(encoding='utf-8')}",
                    encoding="utf-8")


def test_a_date_bound_reads_the_days_of_each_generation_another_process_publishes(
        shop: Shop) -> None:
    """The chunk days behind a date bound are held in memory per generation: after another
    process publishes, a bounded retrieval finds the new article in the span and none outside
    it (an edit that moves an article's date moves it out)."""
    write_dated_article(shop.corpus, 600, cost=60, day="2025-03-01")
    write_dated_article(shop.corpus, 601, cost=61, day="2025-03-20")
    shop.ingest()
    bot = shop.bot()
    bound = DateRange(until=date(2025, 3, 10))

    def in_bound(i: int) -> set[str]:
        retrieval = bot.retriever.retrieve(question(i), 6, dates=bound)
        assert all(c.chunk.article_field("date") <= "2025-03-10" for c in retrieval.chunks)
        return {c.chunk.file for c in retrieval.chunks}

    # The base articles are undated: only article 600 is in the span.
    assert in_bound(600) == {file_name(600)}
    assert bot.retriever.corpus_days() == [date(2025, 3, 1), date(2025, 3, 20)]

    write_dated_article(shop.corpus, 602, cost=62, day="2025-03-05")  # new, in the span
    write_dated_article(shop.corpus, 603, cost=63, day="2025-03-25")  # new, after it
    write_dated_article(shop.corpus, 600, cost=65, day="2025-03-15")  # edited: now after it
    shop.ingest()
    assert in_bound(602) == {file_name(602)}
    assert "62 million" in cost_quoted(bot.answer(question(602), dates=bound))
    assert bot.retriever.corpus_days() == [date(2025, 3, 5), date(2025, 3, 15),
                                           date(2025, 3, 20), date(2025, 3, 25)]


@dataclass
class Asked:
    i: int
    started: float  # time.time(), to compare with the generation file's mtime
    ended: float
    answer: Answer | None = None
    error: BaseException | None = None

    def cited(self) -> set[str]:
        return {c.chunk_id for c in self.answer.citations} if self.answer else set()


def keep_asking(bot: NewsBot, articles: list[int], until: threading.Event,
                asked: list[Asked]) -> None:
    n = 0
    while not until.is_set():
        i = articles[n % len(articles)]
        n += 1
        record = Asked(i, time.time(), 0.0)
        try:
            record.answer = bot.answer(question(i))
        except Exception as exc:  # every failure is reported by the test
            record.error = exc
        record.ended = time.time()
        asked.append(record)


EDITED = [0, 1, 2, 3]
REMOVED = [10, 11]
ADDED = list(range(1000, 1200))  # 200 new articles


def change_corpus(shop: Shop) -> None:
    for i in EDITED:
        write_article(shop.corpus, i, cost=900 + i)
    for i in REMOVED:
        (shop.corpus / file_name(i)).unlink()
    for i in ADDED:
        write_article(shop.corpus, i, cost=2000 + i)


def test_questions_while_another_process_ingests_200_articles_see_one_whole_generation(
        shop: Shop) -> None:
    shop.ingest()
    bot = shop.bot()
    old = published_ids(bot)
    change_corpus(shop)
    shop.server.embed_delay = 0.08  # ~50 requests of 4 chunks: the ingest lasts seconds
    asked: list[Asked] = []
    stop = threading.Event()
    articles = [*EDITED, *REMOVED, 4, 5, 1000, 1100, 1199]
    askers = [threading.Thread(target=keep_asking, args=(bot, articles, stop, asked))
              for _ in range(2)]  # two at once, as Discord answers several questions
    process = shop.start_ingest()
    for asker in askers:
        asker.start()
    try:
        _, stderr = process.communicate(timeout=300)
        time.sleep(1.0)  # and a little after it has finished
    finally:
        stop.set()
        for asker in askers:
            asker.join(60)
    assert process.returncode == 0, stderr
    published = os.stat(shop.data_dir / GENERATION_FILE).st_mtime
    new = published_ids(bot)
    # The edits and removals deleted chunks; the 200 new articles added more.
    assert old - new and len(new) > len(old) + 150

    errors = [f"{a.i}: {a.error!r}" for a in asked if a.error]
    assert errors == []
    during = [a for a in asked if a.ended < published]
    after = [a for a in asked if a.started > published]
    assert len(during) >= 10 and len(after) >= 4, (len(during), len(after))
    for a in during:  # the ingest is at work: only the last published generation
        assert a.cited() <= old, (a.i, a.cited() - old)
    for a in after:  # published: only the new generation, the edit quoted, the removed gone
        assert a.cited() <= new, (a.i, a.cited() - new)
        assert a.answer is not None
        quotes = cost_quoted(a.answer)
        if a.i in EDITED:
            assert f"{900 + a.i} million" in quotes, (a.i, a.answer.text)
        if a.i in REMOVED:
            assert file_name(a.i) not in {c.file for c in a.answer.citations}
        if a.i in ADDED:
            assert f"{2000 + a.i} million" in quotes, (a.i, a.answer.text)
    for a in asked:
        assert a.cited() <= old | new and all(c.quote for c in a.answer.citations)  # type: ignore[union-attr]
    print(f"\n[live] {len(asked)} questions while `newsbot ingest` added 200 articles in another "
          f"process: {len(during)} before it published, {len(after)} after; no error, none "
          "from a half-updated index")


def test_a_killed_ingest_leaves_the_last_index_answering_and_the_next_run_publishes(
        shop: Shop) -> None:
    shop.ingest()
    bot = shop.bot()
    old = published_ids(bot)
    change_corpus(shop)
    shop.server.embed_delay = 0.05
    embedded_before = len(shop.server.requests_to("/embeddings"))
    result = run_and_kill(shop.ingest_args(), lambda _line, _seen: False, env=shop.env(),
                          cwd=shop.data_dir.parent,
                          poll=lambda: len(shop.server.requests_to("/embeddings"))
                          >= embedded_before + 15)  # mid-embedding: ~60 of ~200 chunks
    assert result.killed and result.returncode == -9

    for i in [*EDITED, *REMOVED, 4, 1000]:
        answer = bot.answer(question(i))  # no error: the last published index answers
        assert {c.chunk_id for c in answer.citations} <= old
        if i in EDITED or i in REMOVED:
            assert f"{10 + i} million" in cost_quoted(answer), answer.text
    shop.server.embed_delay = 0.0
    shop.ingest()
    for i in [*EDITED, 1000]:
        answer = bot.answer(question(i))
        wanted = 900 + i if i in EDITED else 2000 + i
        assert f"{wanted} million" in cost_quoted(answer), answer.text


def test_a_kill_inside_the_publish_step_never_shows_a_deleted_chunk(tmp_path: Path) -> None:
    """The ingest (the forked driver, which announces each delete) is killed between the
    deletes of its publish step: some replaced chunks are gone, the new generation is not
    published. The bot answers from the old one without quoting a deleted chunk."""
    corpus, data_dir = tmp_path / "articles", tmp_path / "data"
    for i in range(BASE):
        write_article(corpus, i, cost=10 + i)
    assert not run_forked_and_kill(data_dir, corpus, lambda _line, _seen: False).killed
    bot = NewsBot(make_settings(data_dir, NEWSBOT_CORPUS_DIR=corpus), encoder=HashEncoder())
    old = published_ids(bot)
    for i in range(6):
        write_article(corpus, i, cost=900 + i)
    for i in REMOVED:
        (corpus / file_name(i)).unlink()

    killed = run_forked_and_kill(data_dir, corpus, nth("delete ", 3), pause_after=("delete ",))
    assert killed.killed
    present = bot.store.ids_where({"chunk_index": {"$gte": 0}})
    assert old - present, "the kill should have left some old chunks deleted"
    for i in range(BASE):
        answer = bot.answer(question(i))
        assert {c.chunk_id for c in answer.citations} <= old & present, (i, answer.text)

    assert not run_forked_and_kill(data_dir, corpus, lambda _line, _seen: False).killed
    for i in range(6):
        assert f"{900 + i} million" in cost_quoted(bot.answer(question(i)))


def test_the_bots_own_reindex_while_it_answers(shop: Shop) -> None:
    """The writer in the answering process itself (Discord's /reindex): the same guarantees,
    without reopening its own Chroma client."""
    bot = shop.bot()
    bot.ingest()
    old = published_ids(bot)
    change_corpus(shop)
    bot.encoder.delay = 0.01  # type: ignore[attr-defined]  # stretch the re-index a little
    asked: list[Asked] = []
    stop = threading.Event()
    asker = threading.Thread(target=keep_asking,
                             args=(bot, [*EDITED, *REMOVED, 4, 1000, 1199], stop, asked))
    asker.start()
    try:
        report = bot.reindex()
        time.sleep(0.5)
    finally:
        stop.set()
        asker.join(60)
    published = os.stat(shop.data_dir / GENERATION_FILE).st_mtime
    new = published_ids(bot)
    assert report.files_added == len(ADDED) and report.files_removed == len(REMOVED)
    assert [a.error for a in asked if a.error] == []
    during = [a for a in asked if a.ended < published]
    after = [a for a in asked if a.started > published]
    assert during and after
    assert all(a.cited() <= old for a in during)
    assert all(a.cited() <= new for a in after)
    assert all(f"{900 + a.i} million" in cost_quoted(a.answer)  # type: ignore[arg-type]
               for a in after if a.i in EDITED)


def test_a_second_ingest_while_one_runs_exits_1_with_one_line(shop: Shop) -> None:
    from ingest.generation import IndexCoordination

    with IndexCoordination(shop.data_dir).single_writer():  # an ingest at work
        second = subprocess.run(shop.ingest_args(), env=shop.env(), cwd=shop.data_dir.parent,
                                capture_output=True, text=True, timeout=120)
    assert second.returncode == 1
    lines = error_lines(second.stderr)
    assert len(lines) == 1 and "another ingest is already updating" in lines[0], second.stderr
    assert "Traceback" not in second.stderr


def test_a_long_lived_writer_catches_up_before_it_writes(shop: Shop) -> None:
    """The bot's process ingests, another process ingests, then the bot ingests again with no
    question in between: its Chroma client must not write on top of a vector index that
    lacks the other process's chunks. (The second run adds over 1,000 vectors, so embedded
    Chroma saves its in-memory index to disk during it: a stale one would lose article 700's
    vector for every later reader.)"""
    import json

    bot = shop.bot()
    bot.ingest()
    write_article(shop.corpus, 700, cost=70)
    for i in range(2000, 3100):
        write_article(shop.corpus, i, cost=5)
    shop.ingest()  # another process publishes article 700 (and saves its vector index)
    for i in range(4000, 5100):
        write_article(shop.corpus, i, cost=6)
    bot.ingest()

    asked = shop.ask_in_new_process(question(700))
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert "70 million" in answer["answer"], answer["answer"]
    assert file_name(700) in {c["file"] for c in answer["citations"]}


def test_questions_during_another_process_rebuild_get_no_error(shop: Shop) -> None:
    """`ingest --rebuild` drops the collection the bot has open: it answers from what is
    re-embedded so far (refusing the rest), never with an error, and fully once published."""
    shop.ingest()
    bot = shop.bot()
    assert "13 million" in cost_quoted(bot.answer(question(3)))
    shop.server.embed_delay = 0.1
    process = subprocess.Popen([*shop.ingest_args(), "--rebuild"], env=shop.env(),
                               cwd=shop.data_dir.parent, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    errors, answered, n = [], 0, 0
    while process.poll() is None:
        try:
            bot.answer(question(n % BASE))
            answered += 1
        except Exception as exc:  # every failure is reported by the test
            errors.append(repr(exc))
        n += 1
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert errors == [] and answered > 0
    assert "13 million" in cost_quoted(bot.answer(question(3)))
