"""All configuration, read once from the environment and ``.env``.

This is the only module that reads the environment; everything else receives values as
arguments, so a test or a user changes behaviour by configuration, not by patching.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

EmbedKind = Literal["local", "openai"]
LlmChoice = Literal["auto", "openai", "extractive"]


class Settings(BaseSettings):
    """Every knob of newsbot; `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # Where things live.
    data_dir: Path = Field(Path(".newsbot"), alias="NEWSBOT_DATA_DIR")
    corpus_dir: Path = Field(Path("data/articles"), alias="NEWSBOT_CORPUS_DIR")
    collection: str = Field("newsbot_articles", alias="NEWSBOT_COLLECTION", min_length=3,
                            max_length=512)
    chroma_host: str | None = Field(None, alias="CHROMA_HOST")
    chroma_port: int = Field(8000, alias="CHROMA_PORT")
    chroma_timeout: float = Field(15.0, alias="NEWSBOT_CHROMA_TIMEOUT", gt=0)

    # Embeddings.
    embed: EmbedKind = Field("local", alias="NEWSBOT_EMBED")
    embed_model_path: Path | None = Field(None, alias="NEWSBOT_EMBED_MODEL_PATH")
    embed_tokenizer_path: Path | None = Field(None, alias="NEWSBOT_EMBED_TOKENIZER_PATH")
    openai_embed_model: str = Field("text-embedding-3-small", alias="NEWSBOT_OPENAI_EMBED_MODEL")
    embed_batch_size: int = Field(32, alias="NEWSBOT_EMBED_BATCH_SIZE", ge=1, le=2048)

    # Chunking: 128/16 tokens, chosen by a sweep on the golden set (docs/evaluation.md).
    chunk_size: int = Field(128, alias="NEWSBOT_CHUNK_SIZE", ge=32, le=8192)
    chunk_overlap: int = Field(16, alias="NEWSBOT_CHUNK_OVERLAP", ge=0, le=1024)

    # Answering.
    llm: LlmChoice = Field("auto", alias="NEWSBOT_LLM")
    llm_model: str = Field("gpt-4o-mini", alias="NEWSBOT_LLM_MODEL")
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    llm_timeout: float = Field(30.0, alias="NEWSBOT_LLM_TIMEOUT", gt=0)
    llm_max_retries: int = Field(2, alias="NEWSBOT_LLM_MAX_RETRIES", ge=0, le=10)
    top_k: int = Field(5, alias="NEWSBOT_TOP_K", ge=1, le=50)
    relevance_floor: float = Field(0.20, alias="NEWSBOT_RELEVANCE_FLOOR")
    max_question_chars: int = Field(2000, alias="NEWSBOT_MAX_QUESTION_CHARS", ge=1)

    # Discord.
    discord_token: SecretStr | None = Field(None, alias="DISCORD_TOKEN")
    discord_guilds: Annotated[list[int], NoDecode] = Field(
        default_factory=list, alias="NEWSBOT_DISCORD_GUILDS")
    discord_channels: Annotated[list[int], NoDecode] = Field(
        default_factory=list, alias="NEWSBOT_DISCORD_CHANNELS")
    discord_cooldown_seconds: float = Field(10.0, alias="NEWSBOT_DISCORD_COOLDOWN", ge=0)
    discord_max_concurrent: int = Field(4, alias="NEWSBOT_DISCORD_MAX_CONCURRENT", ge=1)
    discord_api_base: str | None = Field(None, alias="NEWSBOT_DISCORD_API_BASE")

    log_level: str = Field("WARNING", alias="NEWSBOT_LOG_LEVEL")

    @field_validator("discord_guilds", "discord_channels", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        """Accept ``"1,2, 3"`` from the environment as well as a list."""
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        return value

    def resolved_llm(self) -> Literal["openai", "extractive"]:
        """What ``auto`` means right now: openai when a key is set, else extractive."""
        if self.llm == "auto":
            return "openai" if self.openai_api_key else "extractive"
        return self.llm

    def openai_key(self) -> str | None:
        """The OpenAI key as plain text, or None when unset."""
        return self.openai_api_key.get_secret_value() if self.openai_api_key else None

    def store_location(self) -> str:
        """A human-readable name of the store: a path or a server URL."""
        if self.chroma_host:
            return f"http://{self.chroma_host}:{self.chroma_port}"
        return str(self.data_dir / "chroma")
