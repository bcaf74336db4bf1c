"""Chunking: deterministic ids and the metadata a citation needs, offsets into the ORIGINAL file."""

from __future__ import annotations

import hashlib

import pytest

from ingest.chunking import TITLE_MAX_CHARS, Chunk, chunk_article, chunk_id, title_of
from ingest.cleaning import clean_text
from ingest.loaders.files import ArticleFile, read_article
from tests.core_fixtures import CORPUS_DIR, SAMPLE_FILES

SIZE, OVERLAP = 256, 32


def _chunks(name: str, text: str | None = None, size: int = SIZE,
            overlap: int = OVERLAP) -> tuple[str, list[Chunk]]:
    if text is None:
        article = read_article(CORPUS_DIR, name)
        assert isinstance(article, ArticleFile)
        text, digest = article.text, article.content_hash
    else:
        digest = hashlib.sha256(text.encode()).hexdigest()
    return text, chunk_article(name, text, clean_text(text), digest, size, overlap)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_ids_are_deterministic_and_unique(name: str) -> None:
    _, first = _chunks(name)
    _, again = _chunks(name)
    assert [c.id for c in first] == [c.id for c in again]
    assert first == again
    assert len({c.id for c in first}) == len(first)


def test_ids_differ_across_files() -> None:
    ids = [c.id for name in SAMPLE_FILES for c in _chunks(name)[1]]
    assert len(ids) == len(set(ids))


def test_changed_content_gives_new_ids() -> None:
    name = SAMPLE_FILES[2]
    original, before = _chunks(name)
    changed, after = _chunks(name, original.replace("Saudi Arabia", "Jeddah, Saudi Arabia"))
    assert changed != original
    assert not {c.id for c in before} & {c.id for c in after}
    # Even a change that leaves the chunk texts alike (a trailing newline) changes the hash.
    _, trailing = _chunks(name, original + "\n")
    assert not {c.id for c in before} & {c.id for c in trailing}


def test_other_chunking_parameters_give_new_ids() -> None:
    name = SAMPLE_FILES[0]
    _, default = _chunks(name)
    _, other = _chunks(name, size=128, overlap=16)
    assert not {c.id for c in default} & {c.id for c in other}
    assert default[0].chunking != other[0].chunking


def test_chunk_id_depends_on_every_part() -> None:
    base = chunk_id("a.txt", "h", "v1-s256-o32", 0)
    assert base == chunk_id("a.txt", "h", "v1-s256-o32", 0)
    variants = {
        chunk_id("b.txt", "h", "v1-s256-o32", 0),
        chunk_id("a.txt", "h2", "v1-s256-o32", 0),
        chunk_id("a.txt", "h", "v1-s128-o32", 0),
        chunk_id("a.txt", "h", "v1-s256-o32", 1),
    }
    assert base not in variants and len(variants) == 4


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_metadata(name: str) -> None:
    original, chunks = _chunks(name)
    raw = (CORPUS_DIR / name).read_bytes()
    first_line = original.splitlines()[0].strip()
    assert chunks, "every sample article yields chunks"
    for index, chunk in enumerate(chunks):
        assert chunk.file == name
        assert chunk.title == (first_line if len(first_line) <= TITLE_MAX_CHARS
                               else first_line[: TITLE_MAX_CHARS - 1] + "…")
        assert chunk.index == index
        assert chunk.count == len(chunks)
        assert chunk.content_hash == hashlib.sha256(raw).hexdigest()
        meta = chunk.metadata()
        assert meta == {
            "file": name, "title": chunk.title, "chunk_index": index,
            "chunk_count": len(chunks), "start_char": chunk.start_char,
            "end_char": chunk.end_char, "content_hash": chunk.content_hash,
            "chunking": chunk.chunking,
        }


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_offsets_point_into_the_original_file(name: str) -> None:
    original, chunks = _chunks(name)
    for chunk in chunks:
        span = original[chunk.start_char:chunk.end_char]
        lines = chunk.text.split("\n")
        # The chunk's first line starts exactly at start_char, its last ends exactly at end_char.
        assert span.startswith(lines[0]), (name, chunk.index)
        assert span.endswith(lines[-1]), (name, chunk.index)
        for line in lines:  # everything in between is verbatim original text
            assert line in span
        assert 0 <= chunk.start_char < chunk.end_char <= len(original)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_chunks_cover_the_cleaned_text_in_order(name: str) -> None:
    original, chunks = _chunks(name)
    cleaned = clean_text(original).text
    starts = [c.start_char for c in chunks]
    assert starts == sorted(starts)
    # Every kept line appears in some chunk (nothing is lost between chunks).
    joined = "\n".join(c.text for c in chunks)
    for line in cleaned.split("\n"):
        for sentence_piece in (line[:40], line[-40:]):
            assert sentence_piece in joined


def test_offsets_skip_dropped_lines() -> None:
    # The repeated paragraph between the two kept ones is not in the chunk, and the offsets
    # still land on the original text around it.
    text = "Headline\nAlpha paragraph here.\nAlpha paragraph here.\nOmega paragraph here.\n"
    original, [chunk] = _chunks("x.txt", text)
    assert chunk.text == "Headline\nAlpha paragraph here.\nOmega paragraph here."
    assert original[chunk.start_char:chunk.end_char] == text.rstrip("\n")


def test_empty_cleaned_text_gives_no_chunks() -> None:
    assert _chunks("junk.txt", "More In Politics MORE...\n")[1] == []


def test_title_is_the_first_non_empty_line_shortened() -> None:
    assert title_of("\n\n  Headline here  \nBody") == "Headline here"
    long = "x" * 500
    title = title_of(long + "\nBody")
    assert len(title) == TITLE_MAX_CHARS and title.endswith("…")
    assert title_of("") == ""
