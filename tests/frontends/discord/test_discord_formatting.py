"""Message splitting and embeds within Discord's limits."""

from __future__ import annotations

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering.headlines import headline
from bot.frontends.common.splitting import split_message
from bot.frontends.discord.formatting import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_LIMIT,
    WRITING_MARKER,
    answer_messages,
    citation_line,
    no_link_previews,
    sources_embed,
    sources_list_embed,
    status_embed,
    streaming_preview,
    thread_name,
)
from bot.models import Answer, Citation, Timings
from bot.service import SourceInfo


def _words(text: str) -> list[str]:
    return text.split()


def test_short_text_is_one_message() -> None:
    assert split_message("One sentence [1]. Two [2].", CONTENT_LIMIT) == [
        "One sentence [1]. Two [2]."]


def test_a_marker_after_the_full_stop_stays_with_its_sentence() -> None:
    sentences = [f"Sentence {i} says something about the talks. [{i % 5 + 1}]"
                 for i in range(120)]
    text = " ".join(sentences) + " [1][2]"
    parts = split_message(text, CONTENT_LIMIT)
    assert len(parts) > 1
    for part in parts:
        assert not part.startswith("["), part[:30]
        assert part.endswith("]")
    assert _words(" ".join(parts)) == _words(text)


def test_long_text_splits_between_sentences() -> None:
    sentences = [f"Sentence number {i} says something about the talks [1]." for i in range(120)]
    text = " ".join(sentences)
    parts = split_message(text, CONTENT_LIMIT)
    assert len(parts) > 1
    assert all(len(p) <= CONTENT_LIMIT for p in parts)
    assert all(p.endswith("[1].") for p in parts)  # every part ends at a sentence end
    assert _words(" ".join(parts)) == _words(text)


def test_paragraph_breaks_are_kept_inside_a_part() -> None:
    assert split_message("First paragraph.\n\nSecond one.", CONTENT_LIMIT) == [
        "First paragraph.\n\nSecond one."]


def test_a_sentence_longer_than_a_message_splits_between_words() -> None:
    text = "word " * 1000 + "end."
    parts = split_message(text, CONTENT_LIMIT)
    assert all(len(p) <= CONTENT_LIMIT for p in parts)
    assert _words(" ".join(parts)) == _words(text)


def test_a_single_giant_word_is_cut() -> None:
    parts = split_message("x" * 4500, CONTENT_LIMIT)
    assert [len(p) for p in parts] == [2000, 2000, 500]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .!?\n"), max_size=6000),
       st.integers(min_value=20, max_value=300))
def test_split_never_exceeds_the_limit_and_loses_no_words(text: str, limit: int) -> None:
    parts = split_message(text, limit)
    assert all(len(p) <= limit for p in parts)
    assert _words(" ".join(parts)) == _words(text)


def test_streaming_preview_is_marked_and_fits() -> None:
    assert streaming_preview("So far") == "So far" + WRITING_MARKER
    long = streaming_preview("word " * 1000)
    assert len(long) <= CONTENT_LIMIT and long.endswith(WRITING_MARKER)


def _citation(n: int, quote: str = "a quote", file: str = "000_x.txt") -> Citation:
    return Citation(n=n, file=file, title=f"Title {n}", quote=quote, score=0.5)


def test_sources_embed_lists_numbered_files_and_quotes() -> None:
    answer = Answer(question="q", text="t [1] [2]", backend="extractive",
                    citations=(_citation(1, "first *quote*"), _citation(2, file="001_y.txt")),
                    timings=Timings(total=1234))
    embed = sources_embed(answer)
    assert embed is not None and embed.description is not None
    lines = embed.description.splitlines()
    assert lines[0].startswith("**1.** Title 1 · `000_x.txt` — “first \\*quote\\*”")
    assert lines[1].startswith("**2.**") and "`001_y.txt`" in lines[1]
    assert embed.footer.text == "extractive · 1.2 s"


def test_sources_embed_stays_within_limits_with_many_long_quotes() -> None:
    citations = tuple(_citation(n, "long quote " * 500, f"{n:03}_file.txt") for n in range(1, 41))
    embed = sources_embed(Answer(question="q", text="t", citations=citations))
    assert embed is not None and embed.description is not None
    assert len(embed.description) <= DESCRIPTION_LIMIT
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert "**1.**" in embed.description and "…" in embed.description


def test_no_citations_no_embed() -> None:
    refusal = Answer(question="q", text="I could not find that in the articles.", refused=True)
    assert sources_embed(refusal) is None
    assert answer_messages(refusal) == ["I could not find that in the articles."]


def test_sources_list_embed_within_limits() -> None:
    sources = [SourceInfo(f"{i:04}_article.txt", "A fairly long article title " * 3, i % 7)
               for i in range(600)]
    embed = sources_list_embed(sources)
    assert embed.description is not None
    assert len(embed.description) <= DESCRIPTION_LIMIT and len(embed) <= EMBED_TOTAL_LIMIT
    assert embed.description.splitlines()[-1].startswith("…and ")
    assert "(600)" in (embed.title or "")


def test_status_embed_caps_fields_and_total() -> None:
    status = {f"key_{i}": "value " * 300 for i in range(40)}
    embed = status_embed(status)
    assert len(embed.fields) <= FIELD_LIMIT
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert all(len(f.value or "") <= 1024 for f in embed.fields)


def test_status_embed_shows_simple_values() -> None:
    embed = status_embed({"files": 5, "backend": "extractive", "models": ["a", "b"]})
    assert [(f.name, f.value) for f in embed.fields] == [
        ("files", "5"), ("backend", "extractive"), ("models", "a, b")]
    assert isinstance(embed, discord.Embed)


def test_thread_name_is_one_short_line() -> None:
    assert thread_name("What did\nTrump say?") == "What did Trump say?"
    assert len(thread_name("long question " * 30)) <= 100
    assert thread_name("   ") == "newsbot"


@pytest.mark.parametrize(("title", "shown"), [
    ("Trump plans talks with Putin over truce", "Trump plans talks with Putin over truce"),
    ("U.S. President Donald Trump has said “many elements” of a potential peace deal…", ""),
    ("Negotiations for a 30-day ceasefire were held in Saudi Arabia.", ""),
    ("", ""),
])
def test_a_title_is_shown_only_when_it_reads_as_a_headline(title: str, shown: str) -> None:
    assert headline(title) == shown
    line = citation_line(Citation(1, "a.txt", title, "A quote.", 0.5))
    assert line == (f"**1.** {shown} · `a.txt` — “A quote.”" if shown
                    else "**1.** `a.txt` — “A quote.”")


def test_the_footer_says_how_the_answer_was_made() -> None:
    answer = Answer(question="q", text="A quote [1].", note="Sentences quoted; no LLM.",
                    backend="extractive", citations=(Citation(1, "a.txt", "", "A quote.", 0.5),))
    embed = sources_embed(answer)
    assert embed is not None and embed.footer.text == "Sentences quoted; no LLM · extractive"


# -- article metadata (issue 14) ---------------------------------------------------------------

URL = "https://harbourgazette.example/world/2025/03/11/ceasefire-talks-jeddah"


def test_a_known_url_makes_the_title_a_link_with_the_date() -> None:
    line = citation_line(Citation(1, "world/jeddah.html", "Ceasefire talks move to Jeddah",
                                  "Delegates met.", 0.5, date="2025-03-11", url=URL,
                                  title_given=True))
    assert line == f"**1.** [Ceasefire talks move to Jeddah]({URL}) · 2025-03-11 — “Delegates met.”"


def test_a_title_the_format_gives_is_shown_whatever_its_punctuation() -> None:
    given = Citation(1, "a.md", "Peacekeepers: who would go?", "Q.", 0.5, title_given=True)
    first_line = Citation(1, "a.txt", "Peacekeepers: who would go?", "Q.", 0.5)
    assert citation_line(given) == "**1.** Peacekeepers: who would go? · `a.md` — “Q.”"
    assert citation_line(first_line) == "**1.** `a.txt` — “Q.”"
    dated = Citation(1, "a.txt", "", "Q.", 0.5, date="2025-03-15")
    assert citation_line(dated) == "**1.** `a.txt` · 2025-03-15 — “Q.”"


def test_link_text_and_target_cannot_break_the_markdown_or_ping() -> None:
    line = citation_line(Citation(
        1, "a.html", "[Breaking] *news* about <@&9001>", "Q.", 0.5, title_given=True,
        url="https://example.org/wiki/Truce_(2025)"))
    assert line.startswith(
        "**1.** [\\[Breaking\\] \\*news\\* about @role](https://example.org/wiki/Truce_%282025%29)")
    # No title: the file names the link.
    untitled = citation_line(Citation(1, "a.html", "", "Q.", 0.5, url="https://example.org/a"))
    assert untitled.startswith("**1.** [a.html](https://example.org/a) — ")


def test_sources_list_shows_titles_and_dates() -> None:
    embed = sources_list_embed([SourceInfo("world/jeddah.html", "Ceasefire talks move to Jeddah",
                                           2, "2025-03-11"),
                                SourceInfo("plain.txt", "Storm hits the coast", 1)])
    assert embed.description is not None
    assert embed.description.splitlines() == [
        "`world/jeddah.html` — Ceasefire talks move to Jeddah · 2025-03-11 (2 chunks)",
        "`plain.txt` — Storm hits the coast (1 chunk)"]


@pytest.mark.parametrize(("text", "shown"), [
    (f"Read it at {URL}.", f"Read it at <{URL}>."),
    (f"(see {URL})", f"(see <{URL}>)"),
    (f"Already <{URL}> wrapped", f"Already <{URL}> wrapped"),
    (f"[the story]({URL})", f"[the story](<{URL}>)"),
    ("No address here [1].", "No address here [1]."),
])
def test_addresses_in_answer_text_get_no_preview(text: str, shown: str) -> None:
    assert no_link_previews(text) == shown
    assert answer_messages(Answer(question="q", text=text)) == [shown]
