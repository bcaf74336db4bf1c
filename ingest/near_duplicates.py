"""One story, many outlets: near-duplicate articles grouped into stories at ingest.

The same wire story runs on several sites with another headline and other boilerplate, and an
article is re-published with small edits. Each article gets a ``story``: the key of the
first-seen article it is a near-duplicate of (its own key when it is the first), stored in its
chunks' metadata, so retrieval can spend its slots on distinct stories
(``bot/answering/retrieval.py``) and a citation can say where else the story ran.

Near-duplicate means: the articles' word 3-shingles have an estimated Jaccard similarity of at
least ``THRESHOLD``, or at least ``CONTAINMENT`` of the shorter one's shingles are in the
longer one (a copy cut short or with paragraphs dropped), found with datasketch's MinHash and
MinHash LSH (a maintained library, so no hashing code of our own); or the articles have the
same url and share at least ``SAME_URL_FLOOR`` of their shingles (a corrected copy of a page,
however much the correction changed; not two articles that a feed gave its front page's url).

The signatures are kept in one JSON file beside the keyword index, written by the ingest run
(the single writer) and read only by the next one; it is a cache: an article missing from it
(a run killed before it saved, an index made before this file existed) is signed again from
its text, which every run reads anyway, and keeps the story its chunks already have.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash, MinHashLSH

# Measured on planted wire copies (bench/near_duplicates.py, docs/benchmarks.md): copies with
# another headline, boilerplate and a few edited sentences score 0.85 and more, articles of the
# same topic by different writers under 0.1.
THRESHOLD = 0.8
# Containment of the shorter article in the longer, estimated from the Jaccard estimate and the
# two shingle counts; only for articles of ``MIN_CONTAINED`` shingles or more (a short brief is
# contained in many long articles by chance of wording, and a story is more than a paragraph).
CONTAINMENT = 0.9
MIN_CONTAINED = 100
SAME_URL_FLOOR = 0.2
# LSH's own threshold: low enough that a contained copy (Jaccard near 0.5 for a half) is a
# candidate; the estimates above then decide.
CANDIDATE_THRESHOLD = 0.4
NUM_PERM = 128
SHINGLE_WORDS = 3
# Named, not left to datasketch's default: saved values can only be read back, and compared,
# under the scheme that made them.
SCHEME = "affine32"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FORMAT = 2


def shingles(text: str) -> set[bytes]:
    """The text's lower-cased word 3-grams (its words, when it has fewer than three)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < SHINGLE_WORDS:
        return {w.encode() for w in words}
    return {" ".join(words[i:i + SHINGLE_WORDS]).encode()
            for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(text: str) -> MinHash:
    return _signed(text)[0]


def _signed(text: str) -> tuple[MinHash, int]:
    """The text's MinHash and how many distinct shingles it has."""
    from datasketch import MinHash  # imported here: only ingest signs articles

    grams = shingles(text)
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch(list(grams))
    return minhash, len(grams)


def similarity(a: str, b: str) -> float:
    """The estimated Jaccard similarity of two texts' shingles (0 to 1)."""
    return float(signature(a).jaccard(signature(b)))


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """The estimated share of the smaller shingle set found in the larger: |A∩B| is
    J(|A|+|B|)/(1+J) for sets of Jaccard similarity J."""
    smaller = min(size_a, size_b)
    if smaller == 0:
        return 0.0
    return min(1.0, jaccard * (size_a + size_b) / (1 + jaccard) / smaller)


def same_story(jaccard: float, size_a: int, size_b: int) -> bool:
    """Whether two articles are copies of one story, by their shingles' similarity."""
    return jaccard >= THRESHOLD or (min(size_a, size_b) >= MIN_CONTAINED
                                    and containment(jaccard, size_a, size_b) >= CONTAINMENT)


@dataclass
class _Entry:
    content_hash: str
    story: str
    url: str
    minhash: MinHash
    size: int  # how many distinct shingles the text has


class StoryIndex:
    """The signatures of the stored articles and the story each belongs to."""

    def __init__(self, path: Path | None) -> None:
        from datasketch import MinHashLSH

        self.path = path
        self._entries: dict[str, _Entry] = {}
        self._lsh: MinHashLSH = MinHashLSH(threshold=CANDIDATE_THRESHOLD, num_perm=NUM_PERM)
        self._by_url: dict[str, str] = {}

    @classmethod
    def load(cls, path: Path | None) -> StoryIndex:
        """The saved index at ``path``; empty if there is none or it cannot be read (it is a
        cache: the run then signs the articles again)."""
        from datasketch import MinHash

        index = cls(path)
        if path is None:
            return index
        try:
            saved = json.loads(path.read_text())
            if (saved.get("format"), saved.get("num_perm"), saved.get("scheme")) != \
                    (_FORMAT, NUM_PERM, SCHEME):
                return index
            for key, item in saved["articles"].items():
                values = np.frombuffer(base64.b64decode(item["minhash"]), dtype=np.uint64)
                index._add(key, _Entry(item["hash"], item["story"], item.get("url", ""),
                                       MinHash(num_perm=NUM_PERM, hashvalues=values,
                                               scheme=SCHEME), int(item["size"])))
        except (OSError, ValueError, KeyError, TypeError):
            return cls(path)
        return index

    def knows(self, key: str, content_hash: str) -> bool:
        entry = self._entries.get(key)
        return entry is not None and entry.content_hash == content_hash

    def note(self, key: str, content_hash: str, text: str, url: str, story: str) -> None:
        """Record an article already stored under ``story`` (its chunks say so)."""
        self._add(key, _Entry(content_hash, story or key, url, *_signed(text)))

    def assign(self, key: str, content_hash: str, text: str, url: str) -> str:
        """The story of a new or changed article, which is recorded: the story of a stored
        article with the same url (a corrected copy), else of the most similar near-duplicate,
        else its own key (a new story)."""
        self._remove(key)
        minhash, size = _signed(text)
        story = ""
        same_url = self._by_url.get(url) if url else None
        if same_url is not None and \
                minhash.jaccard(self._entries[same_url].minhash) >= SAME_URL_FLOOR:
            story = self._entries[same_url].story
        else:
            scored = [(float(minhash.jaccard(self._entries[other].minhash)), str(other))
                      for other in self._lsh.query(minhash)]
            # LSH finds candidates; the estimates decide.
            matches = sorted((s, other) for s, other in scored
                             if same_story(s, size, self._entries[other].size))
            if matches:
                story = self._entries[matches[-1][1]].story
        self._add(key, _Entry(content_hash, story or key, url, minhash, size))
        return story or key

    def keep_only(self, keys: set[str]) -> None:
        """Forget the articles no longer stored."""
        for key in [k for k in self._entries if k not in keys]:
            self._remove(key)

    def save(self) -> None:
        """Write the index (atomically: a reader of the file sees the old one or the new)."""
        if self.path is None:
            return
        articles = {key: {"hash": e.content_hash, "story": e.story, "url": e.url,
                          "size": e.size,
                          "minhash": base64.b64encode(
                              np.asarray(e.minhash.hashvalues, dtype=np.uint64).tobytes()
                          ).decode()}
                    for key, e in self._entries.items()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"format": _FORMAT, "num_perm": NUM_PERM,
                                       "scheme": SCHEME, "articles": articles}))
        os.replace(partial, self.path)

    def story_of(self, key: str) -> str:
        entry = self._entries.get(key)
        return entry.story if entry else key

    def _add(self, key: str, entry: _Entry) -> None:
        self._remove(key)
        self._entries[key] = entry
        self._lsh.insert(key, entry.minhash)
        if entry.url:
            self._by_url.setdefault(entry.url, key)

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._lsh.remove(key)
        if entry.url and self._by_url.get(entry.url) == key:
            del self._by_url[entry.url]
            other = next((k for k, e in self._entries.items() if e.url == entry.url), None)
            if other is not None:
                self._by_url[entry.url] = other


def index_path(keyword_dir: Path) -> Path:
    """Where the ingest of the index in ``keyword_dir`` keeps its signatures (beside it: the
    keyword index's folder is replaced whole on every publish)."""
    return keyword_dir.with_name(keyword_dir.name + ".stories.json")

