"""One chunk's worth of slots per story: copies of one story (``ingest.near_duplicates``) do not
take retrieval's slots from other stories.

Of the copies of a story among the ranked chunks, the newest is kept (by its date, then by when
it was ingested: a corrected copy is re-published, or at least re-ingested, after the story it
corrects); it takes the rank of the story's best-ranked chunk, and the others are where else
the story ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ingest.store import StoredChunk


def story_of(chunk: StoredChunk) -> str:
    """The chunk's story; its article when it was stored before stories were (its own story,
    which is also the story its later copies name)."""
    return str(chunk.metadata.get("story") or chunk.article_id)


def _newness(chunk: StoredChunk) -> tuple[str, int]:
    ingested = chunk.metadata.get("ingested_at")
    return chunk.article_field("date"), ingested if isinstance(ingested, int) else 0


@dataclass(frozen=True)
class Distinct:
    ids: list[str]  # the kept chunks, best first
    # Per kept chunk, the best chunk of each other copy of its story among the ranked chunks.
    copies: dict[str, tuple[StoredChunk, ...]]


def one_copy_per_story(ranked: Sequence[StoredChunk], k: int) -> Distinct:
    """The first ``k`` chunks of ``ranked`` (best first) with each story's chunks taken from
    one copy, its newest; a chunk of another copy gives its place to that copy's best chunk."""
    members: dict[str, dict[str, StoredChunk]] = {}
    for chunk in ranked:
        members.setdefault(story_of(chunk), {}).setdefault(chunk.article_id, chunk)
    # max() keeps the first of equals: of copies equally new, the best-ranked one.
    kept_copy = {story: max(copies.values(), key=_newness).article_id
                 for story, copies in members.items()}
    ids: list[str] = []
    copies: dict[str, tuple[StoredChunk, ...]] = {}
    for chunk in ranked:
        story = story_of(chunk)
        kept = members[story][kept_copy[story]]
        chosen = chunk if chunk.article_id == kept.article_id else kept
        if chosen.id in copies:
            continue
        others = tuple(c for a, c in members[story].items() if a != kept.article_id)
        copies[chosen.id] = others
        ids.append(chosen.id)
        if len(ids) == k:
            break
    return Distinct(ids, copies)
