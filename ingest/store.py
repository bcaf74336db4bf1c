"""The Chroma side of the index: the client factory and the article collection.

Why not only llama-index's ChromaVectorStore: the answer path must start in well under 1.5 s
and importing llama-index costs ~2 s, and ingest needs per-file bookkeeping (content hashes,
complete chunk sets) that the vector-store interface does not expose. So this module talks to
chromadb directly. (The vanilla baseline in ``bot.evaluation.baseline`` keeps llama-index's
own in-memory ``VectorStoreIndex`` over the raw files, so it shares no code with this path.)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.chunking import Chunk
from ingest.dates import DATE_NUMBER_KEY, span_where
from ingest.errors import EmbeddingMismatchError, ServiceUnavailableError
from ingest.file_lock import IndexLock, NoLock

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from ingest.generation import IndexCoordination

log = logging.getLogger(__name__)

PAGE_SIZE = 5000
# Per-request limit for a Chroma server: a frozen server must give an error, not a hang.
CHROMA_HTTP_TIMEOUT_SECONDS = 15.0
# The keyword index is rebuilt whenever this differs from the fingerprint it was built for.
KEYWORD_DIRTY = "dirty"


def make_chroma_client(data_dir: Path, host: str | None = None, port: int = 8000,
                       timeout: float = CHROMA_HTTP_TIMEOUT_SECONDS) -> ClientAPI:
    """An embedded ``PersistentClient`` under ``data_dir``, or an ``HttpClient`` if ``host``.

    Telemetry is off either way. Raises ``ServiceUnavailableError`` if the server is unreachable.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not host:
        path = data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    try:
        client = chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
        _limit_request_time(client, timeout)
        client.heartbeat()
    except Exception as exc:
        raise ServiceUnavailableError(
            f"Chroma server at http://{host}:{port} is unreachable ({exc.__class__.__name__}); "
            "start it with `chroma run` or unset CHROMA_HOST") from exc
    return client


def _limit_request_time(client: ClientAPI, seconds: float) -> None:
    """Give the HTTP client's requests a timeout.

    Why an internal: chromadb's FastAPI client builds its httpx session with ``timeout=None``
    and offers no setting for it (chromadb 1.5), so a server that stops answering would block
    every caller forever. httpx's ``Client.timeout`` is a public, settable property.
    """
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))
    else:  # pragma: no cover - a chromadb upgrade changed its internals
        log.warning("could not set a timeout on the Chroma HTTP client")


def chroma_call_failed(exc: Exception, where: str) -> ServiceUnavailableError:
    """A one-line error for a failed Chroma request (typically the server went away)."""
    return ServiceUnavailableError(f"Chroma {where} failed: {exc.__class__.__name__}: "
                                   f"{str(exc).splitlines()[0][:200] if str(exc) else ''}")


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    metadata: dict[str, Any]
    # The stored embedding, only when asked for (``get(..., with_vectors=True)``).
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def file(self) -> str:
        return str(self.metadata.get("file", ""))

    @property
    def article_id(self) -> str:
        """The article's id: ``<file>#<entry>`` in a feed or JSON export, else the file."""
        return str(self.metadata.get("article_id") or self.file)

    @property
    def title(self) -> str:
        return str(self.metadata.get("title", ""))

    @property
    def index(self) -> int | None:
        """The chunk's position in its article (0: it starts the article); None if unknown."""
        value = self.metadata.get("chunk_index")
        return value if isinstance(value, int) else None

    @property
    def title_given(self) -> bool:
        """True when the article's format gave the title; else it is the first line."""
        return self.metadata.get("title_given") is True

    def article_field(self, key: str) -> str:
        """One of the article's ``ARTICLE_FIELDS`` (date, url, author, site), "" if unknown."""
        value = self.metadata.get(key)
        return value if isinstance(value, str) else ""


@dataclass
class FileState:
    """What the collection holds for one file: chunk indices per (content hash, chunking)."""

    versions: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    expected: dict[tuple[str, str], int] = field(default_factory=dict)
    title: str = ""
    date: str = ""  # ISO YYYY-MM-DD when the article's format gives one
    file: str = ""  # the file the article is in (its key, for a one-article file)
    story: str = ""  # its story (``ingest.near_duplicates``); "" if stored before stories

    def is_complete(self, version: tuple[str, str]) -> bool:
        """True if exactly one version is stored and all its chunks are there."""
        if set(self.versions) != {version}:
            return False
        return self.versions[version] == set(range(self.expected.get(version, -1)))

    @property
    def chunk_total(self) -> int:
        return sum(len(indices) for indices in self.versions.values())


class ArticleStore:
    """The collection of article chunks, bound to one embedding model.

    With ``coordination`` (embedded Chroma shared by several processes, see
    ``ingest.generation``) every read holds the data dir's shared lock and every write its
    exclusive one, and ``reopen`` (which builds a fresh client) lets a reader see what another
    process wrote. A Chroma server needs neither.
    """

    def __init__(self, client: ClientAPI, name: str, embed_model: str, embed_dim: int, *,
                 coordination: IndexCoordination | None = None,
                 reopen: Callable[[], ClientAPI] | None = None) -> None:
        self.client = client
        self.name = name
        self.embed_model = embed_model
        self.embed_dim = embed_dim
        self.coordination = coordination
        self.lock: IndexLock = coordination.lock if coordination else NoLock()
        self._make_client = reopen
        self._collection: Collection | None = None
        # The generation published when this client was (re)opened; None: not known.
        self.opened_at_generation: int | None = None

    # -- opening -----------------------------------------------------------------------------

    def open(self, create: bool) -> bool:
        """Bind to the collection; create it if ``create``. False if it does not exist.

        Refuses a collection built with another embedding model.
        """
        with self.lock.exclusive() if create else self.lock.shared():
            return self._open(create)

    def _open(self, create: bool) -> bool:
        try:
            if create:
                collection = self.client.get_or_create_collection(
                    self.name,
                    embedding_function=None,  # never chromadb's default: it downloads a model
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embed_model": self.embed_model, "embed_dim": self.embed_dim,
                              "keyword_fingerprint": KEYWORD_DIRTY},
                )
            else:
                names = {c if isinstance(c, str) else c.name
                         for c in self.client.list_collections()}
                if self.name not in names:
                    return False
                collection = self.client.get_collection(self.name, embedding_function=None)
        except Exception as exc:
            raise chroma_call_failed(exc, "open collection") from exc
        built_with = (collection.metadata or {}).get("embed_model")
        if built_with and built_with != self.embed_model:
            raise EmbeddingMismatchError(
                f"collection '{self.name}' was built with embedding model '{built_with}', but "
                f"'{self.embed_model}' is configured; run `newsbot ingest --rebuild` to rebuild "
                "it with the configured model")
        self._collection = collection
        return True

    def drop(self) -> None:
        """Delete the whole collection (for ``--rebuild``)."""
        with self.lock.exclusive():
            self._drop()

    def _drop(self) -> None:
        try:
            names = {c if isinstance(c, str) else c.name for c in self.client.list_collections()}
            if self.name in names:
                self.client.delete_collection(self.name)
        except Exception as exc:
            raise chroma_call_failed(exc, "delete collection") from exc
        self._collection = None

    @property
    def collection(self) -> Collection:
        if self._collection is None:
            raise RuntimeError("ArticleStore.open() was not called")
        return self._collection

    def reopen(self) -> bool:
        """Close the client and open a fresh one, then load the vector index (embedded Chroma
        loads it into memory on first use and never sees another process's later writes).
        The caller holds the exclusive lock: loading may write the index's files. False if
        the collection does not exist (yet)."""
        if self._make_client is None:
            return self._open(create=False)
        if self.coordination is not None:
            current = self.coordination.current()
            self.opened_at_generation = current.number if current else None
        close = getattr(self.client, "close", None)
        if callable(close):
            close()
        self.client = self._make_client()
        self._collection = None
        return self._open(create=False) and self.warm_up()

    def warm_up(self) -> bool:
        """Make embedded Chroma load (and catch up) its vector index now, under whatever lock
        the caller holds, rather than in the first question's shared section."""
        try:
            if self.collection.count():
                probe = np.eye(1, self.embed_dim, dtype=np.float32)  # any unit vector
                self.collection.query(query_embeddings=probe, n_results=1, include=[])
        except Exception as exc:
            raise chroma_call_failed(exc, "load") from exc
        return True

    # -- metadata ----------------------------------------------------------------------------

    def _metadata(self) -> dict[str, Any]:
        # Re-read: another process (an ingest) may have changed it.
        try:
            with self.lock.shared():
                fresh = self.client.get_collection(self.name, embedding_function=None)
        except Exception as exc:
            raise chroma_call_failed(exc, "read collection") from exc
        return dict(fresh.metadata or {})

    def keyword_fingerprint(self) -> str:
        return str(self._metadata().get("keyword_fingerprint", KEYWORD_DIRTY))

    def set_keyword_fingerprint(self, fingerprint: str) -> None:
        metadata = self._metadata()
        metadata.pop("hnsw:space", None)  # cannot be modified after creation
        metadata["keyword_fingerprint"] = fingerprint
        try:
            with self.lock.exclusive():
                self.collection.modify(metadata=metadata)
        except Exception as exc:
            raise chroma_call_failed(exc, "update collection metadata") from exc

    # -- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        try:
            with self.lock.shared():
                return self.collection.count()
        except Exception as exc:
            raise chroma_call_failed(exc, "count") from exc

    def _pages(self, include: list[str],
               where: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            try:
                with self.lock.shared():
                    page = self.collection.get(
                        include=include, limit=PAGE_SIZE,  # type: ignore[arg-type]
                        offset=offset, where=where)
            except Exception as exc:
                raise chroma_call_failed(exc, "read") from exc
            if not page["ids"]:
                return
            yield dict(page)
            offset += len(page["ids"])

    def file_states(self) -> dict[str, FileState]:
        """Per article (its id; a one-article file's is its name), which chunk versions are
        stored: the basis of incremental ingest. Chunks stored before articles had ids carry
        no ``article_id`` and are their file's, as they were."""
        states: dict[str, FileState] = defaultdict(FileState)
        for page in self._pages(["metadatas"]):
            for metadata in page["metadatas"]:
                state = states[str(metadata.get("article_id") or metadata["file"])]
                state.file = str(metadata["file"])
                version = (str(metadata["content_hash"]), str(metadata.get("chunking", "")))
                state.versions[version].add(int(metadata["chunk_index"]))
                state.expected[version] = int(metadata["chunk_count"])
                state.title = str(metadata.get("title", ""))
                state.date = str(metadata.get("date", ""))
                state.story = str(metadata.get("story", ""))
        return dict(states)

    def iter_texts(self) -> Iterator[tuple[list[str], list[str]]]:
        """All (ids, texts) pages, for building the keyword index."""
        for page in self._pages(["documents"]):
            yield list(page["ids"]), [doc or "" for doc in page["documents"]]

    def ids(self) -> set[str]:
        """The ids of all stored chunks."""
        return {chunk_id for page in self._pages([]) for chunk_id in page["ids"]}

    def ids_where(self, where: dict[str, Any]) -> set[str]:
        """The ids of the chunks whose metadata match ``where`` (a Chroma filter)."""
        return {chunk_id for page in self._pages([], where) for chunk_id in page["ids"]}

    def day_numbers(self, within: AbstractSet[str] | None = None) -> dict[str, int]:
        """The ``date_number`` day of each dated chunk, by id (none for an undated corpus);
        only of the chunks in ``within`` if given (a published generation's)."""
        return {chunk_id: int(metadata[DATE_NUMBER_KEY])
                for page in self._pages(["metadatas"], span_where(None, None))
                for chunk_id, metadata in zip(page["ids"], page["metadatas"], strict=True)
                if within is None or chunk_id in within}

    def get(self, ids: Sequence[str], with_vectors: bool = False) -> list[StoredChunk]:
        """Chunks by id, in the order asked (missing ids are left out)."""
        if not ids:
            return []
        include = ["documents", "metadatas", *(["embeddings"] if with_vectors else [])]
        try:
            with self.lock.shared():
                result = self.collection.get(ids=list(ids), include=include)  # type: ignore[arg-type]
        except Exception as exc:
            raise chroma_call_failed(exc, "get") from exc
        vectors = result["embeddings"] if with_vectors and result["embeddings"] is not None \
            else [None] * len(result["ids"])
        by_id = {
            chunk_id: StoredChunk(chunk_id, doc or "", dict(meta or {}),
                                  None if vec is None else np.asarray(vec, dtype=np.float32))
            for chunk_id, doc, meta, vec in zip(
                result["ids"], result["documents"] or [], result["metadatas"] or [], vectors,
                strict=True)
        }
        return [by_id[i] for i in ids if i in by_id]

    def query(self, embedding: np.ndarray, k: int, where: dict[str, Any] | None = None,
              ids: Sequence[str] | None = None) -> list[tuple[StoredChunk, float]]:
        """The ``k`` nearest chunks with cosine similarity, best first; only those matching
        ``where`` (a Chroma metadata filter) or among ``ids`` when given.

        A hit without a document is a chunk deleted since this process loaded the vector
        index (embedded Chroma): it is left out, never quoted as empty text."""
        if ids is not None and not ids:
            return []
        try:
            with self.lock.shared():
                result = self.collection.query(
                    query_embeddings=[embedding.astype(np.float32).tolist()], n_results=k,
                    where=where, ids=None if ids is None else list(ids),
                    include=["documents", "metadatas", "distances"])
        except Exception as exc:
            raise chroma_call_failed(exc, "query") from exc
        hits: list[tuple[StoredChunk, float]] = []
        for chunk_id, doc, meta, distance in zip(
            result["ids"][0], (result["documents"] or [[]])[0], (result["metadatas"] or [[]])[0],
            (result["distances"] or [[]])[0], strict=True,
        ):
            if doc is None or meta is None:
                continue
            hits.append((StoredChunk(chunk_id, doc, dict(meta)), 1.0 - float(distance)))
        return hits

    # -- writing -----------------------------------------------------------------------------

    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        if not chunks:
            return
        try:
            with self.lock.exclusive():
                self.collection.upsert(
                    ids=[c.id for c in chunks],
                    embeddings=embeddings.astype(np.float32),
                    documents=[c.text for c in chunks],
                    metadatas=[c.metadata() for c in chunks],
                )
        except Exception as exc:
            raise chroma_call_failed(exc, "upsert") from exc

    def delete_file(self, file: str, keep: tuple[str, str] | None = None,
                    article_id: str | None = None) -> None:
        """Remove a file's chunks (only those of ``article_id`` if given, for an article of a
        multi-article file), except those of version ``keep`` (hash, chunking)."""
        try:
            with self.lock.exclusive():
                self.collection.delete(where=deletion_where(file, keep, article_id))
        except Exception as exc:
            raise chroma_call_failed(exc, "delete") from exc


def deletion_where(file: str, keep: tuple[str, str] | None = None,
                   article_id: str | None = None) -> dict[str, Any]:
    """The Chroma filter of ``ArticleStore.delete_file``: the chunks it removes."""
    owner: dict[str, Any] = {"file": file} if article_id is None else {"article_id": article_id}
    if keep is None:
        return owner
    return {"$and": [
        owner, {"$or": [{"content_hash": {"$ne": keep[0]}}, {"chunking": {"$ne": keep[1]}}]},
    ]}
