"""One story, many outlets: near-duplicate articles share a story id at ingest.

The unit tests sign texts with the real datasketch MinHash; the ingest tests run the real
pipeline (HashEncoder: which chunks are stored is what matters here) and read the stories back
from the stored chunks' metadata.
"""

from __future__ import annotations

from pathlib import Path

from bot.engine import NewsBot
from ingest.near_duplicates import THRESHOLD, StoryIndex, index_path, similarity
from tests.core_fixtures import HashEncoder, make_settings

WIRE = (
    "The city council of Marlow voted on Tuesday to close the old Harbour Bridge to cars from "
    "March, after engineers found corrosion in three of its steel supports. The bridge, built "
    "in 1921, carries about 14,000 vehicles a day. Buses will be diverted over the Kings Road "
    "crossing, adding ten minutes to the morning commute, the council said. Repairs are "
    "expected to cost 42 million pounds and to take two years. Cyclists and pedestrians may "
    "still cross on a protected lane. Local shop owners said they feared a drop in trade, and "
    "the chamber of commerce asked for a temporary ferry. The council leader, Ann Hale, said "
    "safety came first and that the decision had not been taken lightly. A public meeting on "
    "the plans will be held at the town hall on Thursday evening."
)
# The same wire story on another site: its own headline and boilerplate, one sentence edited.
COPY = (
    "Harbour Bridge to shut to traffic\n"
    + WIRE.replace("Repairs are expected", "Repair work is expected")
    + "\nSign up for our morning newsletter to get the day's headlines."
)
# Same topic, same town, another writer: not a copy.
OTHER = (
    "Traders in Marlow say business is down since the council's bridge vote. The Harbour "
    "Bridge closure, due in March, worries cafe owners near the quay, who rely on drivers "
    "stopping on their way into town. One baker said takings had already fallen by a fifth. "
    "The council has promised a review of parking charges and a shuttle bus during the "
    "works, which engineers say are needed because of corroded supports."
)


def test_copies_score_above_the_threshold_and_other_writers_far_below() -> None:
    assert similarity(WIRE, COPY) >= THRESHOLD
    assert similarity(WIRE, OTHER) < 0.2
    assert similarity(WIRE, WIRE) == 1.0


def test_the_first_seen_article_names_the_story_and_copies_join_it(tmp_path: Path) -> None:
    index = StoryIndex(tmp_path / "s.json")
    assert index.assign("a.txt", "h1", WIRE, "") == "a.txt"
    assert index.assign("b.txt", "h2", COPY, "https://other.example/bridge") == "a.txt"
    assert index.assign("c.txt", "h3", OTHER, "") == "c.txt"
    # A corrected page at the same url joins its story even when much of the text changed...
    corrected = COPY[: COPY.index("Repair work")] + (
        "Correction: an earlier version of this story gave the wrong cost and dates. The "
        "council now says the repairs will cost 48 million pounds, that the closure starts in "
        "May rather than March, and that the work will last until the summer of 2027.")
    assert similarity(COPY, corrected) < THRESHOLD
    assert index.assign("d.txt", "h4", corrected, "https://other.example/bridge") == "a.txt"
    # ...but an unrelated article that a feed gave the same url (its front page) does not.
    unrelated = "Marlow's rowing club won the regional regatta on Sunday, beating crews from " \
        "six towns in a race held in strong winds on the river."
    assert index.assign("g.txt", "h7", unrelated, "https://other.example/bridge") == "g.txt"
    index.save()
    again = StoryIndex.load(tmp_path / "s.json")
    assert again.knows("b.txt", "h2") and not again.knows("b.txt", "changed")
    assert again.assign("e.txt", "h5", COPY + " Updated at noon.", "") == "a.txt"
    again.keep_only({"c.txt", "e.txt"})
    assert again.assign("f.txt", "h6", WIRE, "") == "a.txt"  # e.txt's story, kept
    assert not again.knows("a.txt", "h1")


def test_an_unreadable_signature_file_is_an_empty_cache(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json")
    assert StoryIndex.load(path).assign("x.txt", "h", WIRE, "") == "x.txt"


def _stories(bot: NewsBot) -> dict[str, str]:
    return {key: state.story for key, state in bot.store.file_states().items()}


def _write(corpus: Path, name: str, text: str, site: str) -> None:
    (corpus / name).write_text(f"---\nsite: {site}\n---\n{text}\n", encoding="utf-8")


def test_ingest_stores_the_story_of_each_article_and_keeps_it_across_runs(
        tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus, "a_wire.md", WIRE, "Wire")
    _write(corpus, "b_copy.md", COPY, "Daily Post")
    _write(corpus, "c_other.md", OTHER, "Marlow Times")
    bot = NewsBot(make_settings(tmp_path / "data", corpus), encoder=HashEncoder())
    bot.ingest()
    assert _stories(bot) == {"a_wire.md": "a_wire.md", "b_copy.md": "a_wire.md",
                             "c_other.md": "c_other.md"}
    saved = index_path(bot.keyword_dir)
    assert saved.is_file()

    # The signatures are a cache: lost, they are made again from the texts, and a copy that
    # arrives later still joins the story its first copy started.
    saved.unlink()
    _write(corpus, "d_late.md", WIRE + " The ferry idea was rejected.", "Evening News")
    report = bot.ingest()
    assert report.files_added == 1 and report.files_unchanged == 3
    assert _stories(bot)["d_late.md"] == "a_wire.md"

    # Once the first copy is gone, the story keeps its name: the other copies still share it.
    (corpus / "a_wire.md").unlink()
    _write(corpus, "e_later.md", COPY, "Morning Star")
    bot.ingest()
    stories = _stories(bot)
    assert "a_wire.md" not in stories
    assert stories["e_later.md"] == stories["b_copy.md"] == "a_wire.md"


def test_a_copy_cut_short_joins_its_story_and_a_short_brief_does_not() -> None:
    long_story = f"{WIRE}\n{OTHER}"
    index = StoryIndex(None)
    assert index.assign("full.txt", "h1", long_story, "") == "full.txt"
    # The first part only: Jaccard near 0.6, but all of it is in the full story.
    assert similarity(long_story, WIRE) < THRESHOLD
    assert index.assign("part.txt", "h2", WIRE, "") == "full.txt"
    # A two-sentence brief that the story contains is too short to be called a copy.
    brief = "The bridge, built in 1921, carries about 14,000 vehicles a day. Buses will be " \
        "diverted over the Kings Road crossing."
    assert index.assign("brief.txt", "h3", brief, "") == "brief.txt"
