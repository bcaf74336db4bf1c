"""The settings sections the indexing half reads: where the store lives, the embedding model,
chunking, and the OpenAI connection (shared with the LLM path).

Each section is a plain pydantic model; ``bot.settings.Settings`` combines them with the
answering and Discord sections into the one class that reads the environment and ``.env``, so
every environment variable keeps its name and is read in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

EmbedKind = Literal["local", "openai"]


class StoreSettings(BaseModel):
    """Where articles are read from and where their chunks are stored."""

    data_dir: Path = Field(Path(".newsbot"), alias="NEWSBOT_DATA_DIR")
    corpus_dir: Path = Field(Path("data/articles"), alias="NEWSBOT_CORPUS_DIR")
    collection: str = Field("newsbot_articles", alias="NEWSBOT_COLLECTION", min_length=3,
                            max_length=512)
    chroma_host: str | None = Field(None, alias="CHROMA_HOST")
    chroma_port: int = Field(8000, alias="CHROMA_PORT")
    chroma_timeout: float = Field(15.0, alias="NEWSBOT_CHROMA_TIMEOUT", gt=0)

    def store_location(self) -> str:
        """A human-readable name of the store: a path or a server URL."""
        if self.chroma_host:
            return f"http://{self.chroma_host}:{self.chroma_port}"
        return str(self.data_dir / "chroma")


class EmbeddingSettings(BaseModel):
    """The embedding model chunks and questions are encoded with."""

    embed: EmbedKind = Field("local", alias="NEWSBOT_EMBED")
    embed_model_path: Path | None = Field(None, alias="NEWSBOT_EMBED_MODEL_PATH")
    embed_tokenizer_path: Path | None = Field(None, alias="NEWSBOT_EMBED_TOKENIZER_PATH")
    openai_embed_model: str = Field("text-embedding-3-small", alias="NEWSBOT_OPENAI_EMBED_MODEL")
    embed_batch_size: int = Field(32, alias="NEWSBOT_EMBED_BATCH_SIZE", ge=1, le=2048)


class ChunkingSettings(BaseModel):
    """Chunking: 128/16 tokens, chosen by a sweep on the golden set (docs/evaluation.md)."""

    chunk_size: int = Field(128, alias="NEWSBOT_CHUNK_SIZE", ge=32, le=8192)
    chunk_overlap: int = Field(16, alias="NEWSBOT_CHUNK_OVERLAP", ge=0, le=1024)


class OpenAISettings(BaseModel):
    """An OpenAI-compatible endpoint, used by OpenAI embeddings and the openai LLM backend."""

    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    llm_timeout: float = Field(30.0, alias="NEWSBOT_LLM_TIMEOUT", gt=0)
    llm_max_retries: int = Field(2, alias="NEWSBOT_LLM_MAX_RETRIES", ge=0, le=10)

    def openai_key(self) -> str | None:
        """The OpenAI key as plain text, or None when unset."""
        return self.openai_api_key.get_secret_value() if self.openai_api_key else None


class SourceSettings(BaseModel):
    """Sources followed on a schedule (``newsbot watch``, and inside ``newsbot discord``):
    folders and RSS/Atom feed URLs, how often they are polled, how politely, and how long
    articles are kept. Parsed into typed sources by ``ingest.sources.config``."""

    # Comma- or newline-separated folders and http(s) feed URLs; NEWSBOT_SOURCES_FILE names a
    # file with one per line (# comments). NEWSBOT_CORPUS_DIR is always ingested besides.
    sources: Annotated[list[str], NoDecode] = Field(default_factory=list,
                                                    alias="NEWSBOT_SOURCES")
    sources_file: Path | None = Field(None, alias="NEWSBOT_SOURCES_FILE")
    poll_minutes: float = Field(15.0, alias="NEWSBOT_POLL_MINUTES", gt=0, le=7 * 24 * 60)
    # Articles dated more than this many days ago are pruned on every ingest or poll; unset
    # keeps everything. Undated articles are always kept (there is nothing to judge them by).
    keep_days: int | None = Field(None, alias="NEWSBOT_KEEP_DAYS", ge=1)
    # Named in the User-Agent of every request, so a site's operator can reach whoever runs
    # this bot: a URL or an e-mail address.
    contact: str = Field("", alias="NEWSBOT_CONTACT", max_length=200)
    fetch_timeout: float = Field(20.0, alias="NEWSBOT_FETCH_TIMEOUT", gt=0, le=300)
    fetch_max_bytes: int = Field(5 * 1024 * 1024, alias="NEWSBOT_FETCH_MAX_BYTES",
                                 ge=1024, le=100 * 1024 * 1024)
    # Seconds between two requests to the same host (robots.txt's Crawl-delay wins if longer).
    fetch_host_delay: float = Field(1.0, alias="NEWSBOT_FETCH_HOST_DELAY", ge=0, le=600)
    # Fetch the linked page of a feed entry that carries only a summary.
    fetch_pages: bool = Field(True, alias="NEWSBOT_FETCH_PAGES")

    @field_validator("sources", mode="before")
    @classmethod
    def _split_sources(cls, value: object) -> object:
        """``"a, b"`` or one per line from the environment, as well as a list."""
        if isinstance(value, str):
            return [part.strip() for part in value.replace("\n", ",").split(",")
                    if part.strip()]
        return value
