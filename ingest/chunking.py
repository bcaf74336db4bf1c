"""Split a cleaned article into chunks with llama-index's SentenceSplitter.

Each chunk keeps what a citation needs: the file, the title, the article's metadata (date, url,
author, site), its index, character offsets into the article's text, and the file's content
hash. Chunk ids are deterministic, derived from
(file, content hash, chunking parameters, index): re-ingesting the same file yields the same ids,
which is what makes an interrupted ingest resumable without duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from ingest.cleaning import CleanedText
from ingest.dates import DATE_NUMBER_KEY, iso_date_number
from ingest.loaders.base import ARTICLE_FIELDS

if TYPE_CHECKING:
    from llama_index.core.node_parser import SentenceSplitter

TITLE_MAX_CHARS = 200
# Bump when loading, cleaning or chunking changes meaning: stored chunks made by an older
# version are then re-made on the next ingest, as if the file had changed.
# 2 (issue 14): HTML main text and metadata by trafilatura; front matter is metadata, not text.
# 3 (issue 14): a dated article's chunks also store the day as a number (``ingest.dates``), which
# date-filtered retrieval selects on. Re-making the chunks (rather than adding the number to the
# stored metadata in place) changes their ids, so the keyword index and every running bot's
# caches follow without a migration of their own; the cost is one re-embedding of the corpus.
PIPELINE_VERSION = "3"


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str
    file: str
    title: str
    index: int
    count: int
    start_char: int
    end_char: int
    content_hash: str
    chunking: str  # the signature of the parameters that made it
    # The format gave the title (front matter, a page's metadata); otherwise it is the first line.
    title_given: bool = False
    # The article's ``ARTICLE_FIELDS`` that are known (date, url, author, site).
    article_metadata: Mapping[str, str] = field(default_factory=dict)
    # The article's id in a multi-article file (feed, JSON export); "" for a one-article file,
    # whose chunks stay keyed by the file as they always were (no migration).
    article_id: str = ""
    # The story the article belongs to (``ingest.near_duplicates``): the key of the first-seen
    # article it is a near-duplicate of; "" until the ingest run assigns it.
    story: str = ""
    # When the ingest run made the chunk (Unix seconds): of two copies of a story with the same
    # date, retrieval prefers the one ingested later (a correction).
    ingested_at: int = 0

    @property
    def key(self) -> str:
        """What incremental ingest tracks: the article id, else the file."""
        return self.article_id or self.file

    def metadata(self) -> dict[str, str | int | bool]:
        """What Chroma stores beside the text and vector (its values must be str, int, float
        or bool, so unknown fields are left out rather than stored empty)."""
        stored: dict[str, str | int | bool] = {
            "file": self.file,
            "title": self.title,
            "chunk_index": self.index,
            "chunk_count": self.count,
            "start_char": self.start_char,
            "end_char": self.end_char,
            "content_hash": self.content_hash,
            "chunking": self.chunking,
        }
        if self.title_given:
            stored["title_given"] = True
        if self.article_id:
            stored["article_id"] = self.article_id
        if self.story:
            stored["story"] = self.story
        if self.ingested_at:
            stored["ingested_at"] = self.ingested_at
        for key in ARTICLE_FIELDS:
            value = self.article_metadata.get(key)
            if isinstance(value, str) and value:
                stored[key] = value
        number = iso_date_number(self.article_metadata.get("date", ""))
        if number is not None:
            stored[DATE_NUMBER_KEY] = number
        return stored


def chunking_signature(chunk_size: int, chunk_overlap: int) -> str:
    return f"v{PIPELINE_VERSION}-s{chunk_size}-o{chunk_overlap}"


def chunk_id(file: str, content_hash: str, chunking: str, index: int) -> str:
    digest = hashlib.sha256(f"{file}\0{content_hash}\0{chunking}\0{index}".encode())
    return digest.hexdigest()[:32]


@lru_cache(maxsize=4)
def _splitter(chunk_size: int, chunk_overlap: int) -> SentenceSplitter:
    # Imported here: llama-index costs ~2 s to import and only ingest needs the splitter.
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)


def _shortened(title: str) -> str:
    return title if len(title) <= TITLE_MAX_CHARS else title[: TITLE_MAX_CHARS - 1] + "…"


def title_of(text: str) -> str:
    """The first line with a word in it, shortened: news files start with their headline (a
    ``---`` rule, e.g. of front matter that could not be read, is no headline)."""
    for line in text.splitlines():
        if any(char.isalnum() for char in line):
            return _shortened(line.strip())
    return ""


def chunk_article(
    file: str,
    original: str,
    cleaned: CleanedText,
    content_hash: str,
    chunk_size: int,
    chunk_overlap: int,
    *,
    title: str | None = None,
    metadata: Mapping[str, str] | None = None,
    article_id: str = "",
) -> list[Chunk]:
    """Chunks of ``cleaned`` with offsets mapped back into ``original``.

    ``title`` is the article's title when its format gives one (else its first line is);
    ``metadata`` its known ``ARTICLE_FIELDS``, stored with every chunk.
    """
    if not cleaned.text.strip():
        return []
    signature = chunking_signature(chunk_size, chunk_overlap)
    pieces = _splitter(chunk_size, chunk_overlap).split_text(cleaned.text)
    given = " ".join((title or "").split())
    shown_title = _shortened(given) if given else title_of(original)
    article_metadata = dict(metadata or {})
    chunks: list[Chunk] = []
    search_from = 0
    for index, piece in enumerate(pieces):
        # The splitter returns substrings of its input; find each one after the previous start
        # (overlapping chunks begin before the previous one ends).
        start = cleaned.text.find(piece, search_from)
        if start < 0:  # defensive: whitespace normalised by the splitter
            start = search_from
        search_from = start + 1
        end = start + len(piece)
        chunks.append(Chunk(
            id=chunk_id(article_id or file, content_hash, signature, index),
            text=piece,
            file=file,
            title=shown_title,
            index=index,
            count=len(pieces),
            start_char=cleaned.original_offset(start),
            end_char=cleaned.original_offset(max(end - 1, start)) + 1,
            content_hash=content_hash,
            chunking=signature,
            title_given=bool(given),
            article_metadata=article_metadata,
            article_id=article_id,
        ))
    return chunks
