"""Builds the ``ChatModel`` of an LLM backend from the settings.

A new provider is a module in this folder implementing ``ChatModel`` plus one entry in
``PROVIDERS`` (and its name in ``backends.LlmChoice``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.errors import BadInputError

if TYPE_CHECKING:
    from bot.answering.llm.chat_model import ChatModel
    from bot.settings import Settings


@dataclass(frozen=True)
class Provider:
    """How to build one provider's chat model, and the label its answers carry (known
    without building it, so ``newsbot status`` works before any key is checked)."""

    build: Callable[[Settings], ChatModel]
    label: Callable[[Settings], str]
    # How many questions its model answers at once; more wait their turn.
    concurrency: Callable[[Settings], int]


def _openai(settings: Settings) -> ChatModel:
    from bot.answering.llm.openai_chat import OpenAIChat

    return OpenAIChat(settings.llm_model, settings.openai_key(), settings.openai_base_url,
                      settings.llm_timeout, settings.llm_max_retries,
                      concurrency=_openai_concurrency(settings))


def _openai_concurrency(settings: Settings) -> int:
    """NEWSBOT_LLM_CONCURRENCY, else 1 for a self-hosted server at OPENAI_BASE_URL (llama.cpp
    and Ollama serve one request at a time) and 4 for OpenAI itself."""
    if settings.llm_concurrency is not None:
        return settings.llm_concurrency
    return 1 if settings.openai_base_url else 4


def _local(settings: Settings) -> ChatModel:
    from bot.answering.llm.local_chat import LlamaCppChat

    if settings.local_model is None:
        raise BadInputError("the local backend needs NEWSBOT_LOCAL_MODEL=/path/to/model.gguf")
    return LlamaCppChat(settings.local_model, context=settings.local_context,
                        threads=settings.local_threads)


def _local_label(settings: Settings) -> str:
    return f"local:{settings.local_model.stem if settings.local_model else '?'}"


def _llamaindex(settings: Settings) -> ChatModel:
    from bot.answering.llm.llamaindex_chat import LlamaIndexChat, build_llm

    if settings.llamaindex_llm is None:
        raise BadInputError('the llamaindex backend needs NEWSBOT_LLAMAINDEX_LLM="module:Class", '
                            'e.g. "llama_index.llms.ollama:Ollama"')
    llm = build_llm(settings.llamaindex_llm, settings.llamaindex_kwargs,
                    timeout=settings.llm_timeout, max_retries=settings.llm_max_retries)
    return LlamaIndexChat(llm, _llamaindex_label(settings), _llamaindex_concurrency(settings))


def _llamaindex_label(settings: Settings) -> str:
    # Not imported at the top: llamaindex_chat is light, but the label is all `status` needs.
    from bot.answering.llm.llamaindex_chat import llamaindex_label

    return llamaindex_label(settings.llamaindex_llm, settings.llamaindex_kwargs)


def _llamaindex_concurrency(settings: Settings) -> int:
    """NEWSBOT_LLM_CONCURRENCY, else 1: the class may be a local server's (Ollama) that serves
    one request at a time; a hosted API's user raises it."""
    return settings.llm_concurrency or 1


PROVIDERS: dict[str, Provider] = {
    "openai": Provider(_openai, lambda s: f"openai:{s.llm_model}", _openai_concurrency),
    # llama.cpp in this process is not re-entrant: one at a time, whatever the setting.
    "local": Provider(_local, _local_label, lambda s: 1),
    # Any llama-index LLM class (Anthropic, Gemini, Bedrock, Ollama, ...): llamaindex_chat.py.
    "llamaindex": Provider(_llamaindex, _llamaindex_label, _llamaindex_concurrency),
}


def _provider(name: str) -> Provider:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise BadInputError(f"unknown LLM provider {name!r}; one of: "
                            f"{', '.join(PROVIDERS)}") from None


def provider_label(name: str, settings: Settings) -> str:
    """The ``Answer.backend`` label of ``name``'s answers."""
    return _provider(name).label(settings)


def provider_concurrency(name: str, settings: Settings) -> int:
    """How many questions ``name``'s model answers at once."""
    return _provider(name).concurrency(settings)


def make_chat_model(provider: str, settings: Settings) -> ChatModel:
    """The chat model of ``provider`` (a key of ``PROVIDERS``)."""
    return _provider(provider).build(settings)
