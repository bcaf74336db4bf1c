"""The settings sections the indexing half reads: where the store lives, the embedding model,
chunking, and the OpenAI connection (shared with the LLM path).

Each section is a plain pydantic model; ``bot.settings.Settings`` combines them with the
answering and Discord sections into the one class that reads the environment and ``.env``, so
every environment variable keeps its name and is read in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr

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
