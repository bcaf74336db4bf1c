"""All configuration, read once from the environment and ``.env``.

This is the only module that reads the environment, and the bottom layer: it imports nothing
from answering or the front-ends. Everything else receives values as arguments, so a test or a
user changes behaviour by configuration, not by patching. The settings come in sections: the
indexing half's (store, embedding, chunking, the OpenAI connection) are defined in
``ingest.settings``, the answering and Discord sections here, and ``Settings`` combines them,
keeping every variable's name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.rules import RuleSwitches
from bot.tuning import DEFAULTS, Tuning, parse_overrides
from ingest.settings import (
    ChunkingSettings,
    EmbeddingSettings,
    OpenAISettings,
    SourceSettings,
    StoreSettings,
)

# Defined here, the bottom layer, and re-exported by the answering modules that use them
# (``backends``, ``questions``): settings import nothing from answering or the front-ends.
LlmChoice = Literal["auto", "openai", "local", "llamaindex", "extractive"]
MAX_QUESTION_CHARS = 2000  # the default of NEWSBOT_MAX_QUESTION_CHARS (and Discord's hard cap)


class AnsweringSettings(BaseModel):
    """Which backend answers, and how much it retrieves."""

    llm: LlmChoice = Field("auto", alias="NEWSBOT_LLM")
    llm_model: str = Field("gpt-4o-mini", alias="NEWSBOT_LLM_MODEL")
    local_model: Path | None = Field(None, alias="NEWSBOT_LOCAL_MODEL")
    local_context: int = Field(4096, alias="NEWSBOT_LOCAL_CONTEXT", ge=512, le=131072)
    local_threads: int | None = Field(None, alias="NEWSBOT_LOCAL_THREADS", ge=1)
    # NEWSBOT_LLM=llamaindex: any llama-index LLM class as "module:Class" (e.g.
    # "llama_index.llms.ollama:Ollama") and the JSON object of its constructor's arguments.
    llamaindex_llm: str | None = Field(None, alias="NEWSBOT_LLAMAINDEX_LLM")
    llamaindex_kwargs: Annotated[dict[str, Any], NoDecode] = Field(
        default_factory=dict, alias="NEWSBOT_LLAMAINDEX_KWARGS")
    # Where `newsbot model setup` keeps the llama-cpp-python wheel it built and the models.
    model_cache: Path = Field(Path("~/.cache/newsbot"), alias="NEWSBOT_MODEL_CACHE")
    # Questions the model is asked at once (the rest wait their turn). Unset: 1 for a local
    # model and for an OpenAI-compatible server at OPENAI_BASE_URL (llama.cpp's server and
    # Ollama serve one at a time, and llama_cpp.server cuts a stream short when a second
    # request arrives), 4 for OpenAI itself.
    llm_concurrency: int | None = Field(None, alias="NEWSBOT_LLM_CONCURRENCY", ge=1, le=64)
    # What an LLM reads (docs/evaluation.md, "what the model reads"): "passages", the retrieved
    # passages' best sentences with a sentence either side, up to llm_evidence_tokens, and the
    # model itself judges whether they answer; "sentences", only the one to three sentences
    # the extractive rules chose, after those rules decide whether to refuse (short prompts
    # for a small model on CPU, but capped at the rules' reading); "auto": sentences for a
    # local model or a self-hosted server at OPENAI_BASE_URL, passages for OpenAI itself and
    # llama-index providers (backends.llm_evidence says why).
    llm_evidence: Literal["auto", "passages", "sentences"] = Field(
        "auto", alias="NEWSBOT_LLM_EVIDENCE")
    llm_evidence_tokens: int = Field(450, alias="NEWSBOT_LLM_EVIDENCE_TOKENS",
                                     ge=100, le=100_000)
    # Answering rules switched off by name (bot/rules.py), for an ablation.
    rules_off: Annotated[list[str], NoDecode] = Field(default_factory=list,
                                                      alias="NEWSBOT_RULES_OFF")
    # Answering thresholds overridden by name (bot/tuning.py), for a sweep:
    # "sentence_floor=0.25,recent_days=14"; validated here, so a typo stops the start.
    tune: Annotated[Tuning, NoDecode] = Field(default_factory=Tuning, alias="NEWSBOT_TUNE")
    top_k: int = Field(5, alias="NEWSBOT_TOP_K", ge=1, le=50)
    relevance_floor: float = Field(0.20, alias="NEWSBOT_RELEVANCE_FLOOR")
    max_question_chars: int = Field(MAX_QUESTION_CHARS, alias="NEWSBOT_MAX_QUESTION_CHARS", ge=1)


    @field_validator("llamaindex_llm")
    @classmethod
    def _class_path(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        module, _, name = value.strip().partition(":")
        if not module or not name.isidentifier():
            raise ValueError(f'expected "module:Class" (e.g. "llama_index.llms.ollama:Ollama"), '
                             f"not {value!r}")
        return value.strip()

    @field_validator("llamaindex_kwargs", mode="before")
    @classmethod
    def _json_object(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except json.JSONDecodeError as exc:
                raise ValueError(f"not JSON ({exc.msg} at character {exc.pos})") from None
            if not isinstance(value, dict):
                raise ValueError("expected a JSON object of keyword arguments")
        return value

    @field_validator("rules_off", mode="before")
    @classmethod
    def _rule_names(cls, value: object) -> object:
        names = value.split(",") if isinstance(value, str) else value
        if isinstance(names, list):
            RuleSwitches.from_names(str(n) for n in names)  # ValueError names the unknown one
            return [str(n).strip() for n in names if str(n).strip()]
        return value

    @field_validator("tune", mode="before")
    @classmethod
    def _tune_overrides(cls, value: object) -> object:
        if isinstance(value, str):
            return DEFAULTS.with_overrides(parse_overrides([value]))  # ValueError: one line
        return value

    def rule_switches(self) -> RuleSwitches:
        return RuleSwitches.from_names(self.rules_off)

    def tuning(self) -> Tuning:
        """What answering is tuned by: ``NEWSBOT_TUNE``'s values, and the rules
        ``NEWSBOT_RULES_OFF`` and ``NEWSBOT_TUNE``'s ``rules_off`` switch off."""
        return self.tune.model_copy(
            update={"rules": RuleSwitches(self.tune.rules.off | self.rule_switches().off)})


class DiscordSettings(BaseModel):
    """The Discord bot: token, where it syncs and answers, and its load limits."""

    discord_token: SecretStr | None = Field(None, alias="DISCORD_TOKEN")
    discord_guilds: Annotated[list[int], NoDecode] = Field(
        default_factory=list, alias="NEWSBOT_DISCORD_GUILDS")
    discord_channels: Annotated[list[int], NoDecode] = Field(
        default_factory=list, alias="NEWSBOT_DISCORD_CHANNELS")
    discord_cooldown_seconds: float = Field(10.0, alias="NEWSBOT_DISCORD_COOLDOWN", ge=0)
    discord_max_concurrent: int = Field(4, alias="NEWSBOT_DISCORD_MAX_CONCURRENT", ge=1)
    discord_api_base: str | None = Field(None, alias="NEWSBOT_DISCORD_API_BASE")
    # In a thread the bot opened, which messages are questions to it: "asker" (the member who
    # asked the opening question, plus mentions and replies to the bot) or "mention" (only
    # mentions and replies to the bot). Other members' chatter is never answered.
    discord_thread_replies: Literal["asker", "mention"] = Field(
        "asker", alias="NEWSBOT_DISCORD_THREAD_REPLIES")

    @field_validator("discord_guilds", "discord_channels", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        """Accept ``"1,2, 3"`` from the environment as well as a list."""
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        return value


class Settings(BaseSettings, StoreSettings, EmbeddingSettings, ChunkingSettings, OpenAISettings,
               SourceSettings, AnsweringSettings, DiscordSettings):
    """Every knob of newsbot; `.env.example` documents each one."""

    # No populate_by_name: with it pydantic-settings also reads each field's bare name from
    # the environment (`LLM`, `TOP_K`), variables that belong to other programs. Only the
    # aliases (NEWSBOT_*, and OPENAI_API_KEY, DISCORD_TOKEN… as documented) are read.
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    def __init__(self, **values: Any) -> None:
        """Also accepts fields by name (``Settings(data_dir=…)`` in code and tests), which
        ``populate_by_name`` would have allowed, mapped to their aliases here so the
        environment is still read by alias alone."""
        aliases = {name: field.alias for name, field in type(self).model_fields.items()
                   if field.alias}
        super().__init__(**{aliases.get(key, key): value for key, value in values.items()})

    log_level: str = Field("WARNING", alias="NEWSBOT_LOG_LEVEL")
