"""A reader's view of the index: the Chroma store and the keyword index of one generation.

``reading()`` is what every retrieval runs inside. It costs one ``stat`` when nothing changed.
When an ingest (in this process or another) has published a new generation, it first swaps
both halves together: embedded Chroma is reopened (a process's vector index is loaded once
and never sees another process's writes) and the keyword index of that generation is loaded.
The keyword index's chunk ids are the generation's manifest: dense hits outside it (chunks an
unfinished ingest has already written) are not part of the published index and are left out
by the retriever, so the two halves always agree.

With a Chroma server there is no generation file; the collection's keyword fingerprint plays
its part (read per question, as before), and "dirty" (an ingest at work) keeps the last index.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.errors import IngestBusyError
from ingest.generation import PROCESS_TOKEN
from ingest.keyword_index import KeywordIndex, refresh_keyword_index
from ingest.store import KEYWORD_DIRTY, ArticleStore

# A reader that finds a newer generation every time it has caught up (a writer publishing
# in a tight loop) answers from the one it has rather than waiting.
CATCH_UP_ATTEMPTS = 3


class IndexReader:
    """Hands out the keyword index of the generation the store shows, holding it steady."""

    def __init__(self, store: ArticleStore, keyword_dir: Path) -> None:
        self.store = store
        self.keyword_dir = keyword_dir
        self.coordination = store.coordination
        self._watch = self.coordination.watch() if self.coordination else None
        self._keyword: KeywordIndex | None = None
        self._generation: int | None = None  # the published generation number last loaded
        self._loaded_once = False
        self._mutex = threading.Lock()  # one thread of this process catches up at a time

    @contextmanager
    def reading(self) -> Iterator[KeywordIndex]:
        """The current keyword index, with the index held steady (no commit) until exit."""
        for attempt in range(CATCH_UP_ATTEMPTS):
            keyword = self._catch_up()
            with self.store.lock.shared():
                if self._watch is None or not self._watch.changed() \
                        or attempt == CATCH_UP_ATTEMPTS - 1:
                    yield keyword
                    return

    def invalidate(self) -> None:
        """Reopen on the next ``reading()`` whatever the generation (after a failed read)."""
        with self._mutex:
            self._loaded_once = False
            if self._watch is not None:
                self._watch.reset()

    # -- catching up --------------------------------------------------------------------------

    def _catch_up(self) -> KeywordIndex:
        if self._watch is None:
            return self._server_keyword()
        if self._keyword is not None and not self._watch.changed():
            return self._keyword
        with self._mutex, self.store.lock.exclusive():
            assert self.coordination is not None
            self._watch.mark()  # before reading: a publish after this is seen next time
            generation = self.coordination.current()
            number = generation.number if generation else 0
            if self._keyword is not None and self._loaded_once and number == self._generation:
                return self._keyword
            # A generation this process published needs no reopen: its client wrote it.
            if not self._loaded_once or generation is None \
                    or generation.writer != PROCESS_TOKEN:
                self.store.reopen()
            self._loaded_once = True
            expected = generation.fingerprint if generation else self.store.keyword_fingerprint()
            self._keyword = self._load_keyword(expected)
            self._generation = number
            return self._keyword

    def _load_keyword(self, expected: str) -> KeywordIndex:
        """The saved keyword index if it is the expected one; else rebuilt (when no ingest is
        running, e.g. a data dir written before generations existed or a deleted index)."""
        saved = KeywordIndex.load(self.keyword_dir)
        if saved is not None and saved.fingerprint == expected:
            return saved
        assert self.coordination is not None
        try:
            with self.coordination.single_writer():
                index = refresh_keyword_index(self.store, self.keyword_dir)
                self.coordination.publish(index.fingerprint)
                if self._watch is not None:
                    self._watch.mark()
                return index
        except IngestBusyError:
            # An ingest is at work and will publish; until then the last saved index is the
            # best whole one there is.
            if saved is not None:
                return saved
            return KeywordIndex.build(self.store.iter_texts())

    def _server_keyword(self) -> KeywordIndex:
        with self._mutex:
            current = self.store.keyword_fingerprint()
            if self._keyword is not None and current in (self._keyword.fingerprint,
                                                         KEYWORD_DIRTY):
                return self._keyword
            if current == KEYWORD_DIRTY:
                saved = KeywordIndex.load(self.keyword_dir)
                self._keyword = saved or KeywordIndex.build(self.store.iter_texts())
            else:
                self._keyword = refresh_keyword_index(self.store, self.keyword_dir,
                                                      stored=current)
            return self._keyword

