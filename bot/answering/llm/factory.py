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


def _openai(settings: Settings) -> ChatModel:
    from bot.answering.llm.openai_chat import OpenAIChat

    return OpenAIChat(settings.llm_model, settings.openai_key(), settings.openai_base_url,
                      settings.llm_timeout, settings.llm_max_retries)


def _local(settings: Settings) -> ChatModel:
    from bot.answering.llm.local_chat import LlamaCppChat

    if settings.local_model is None:
        raise BadInputError("the local backend needs NEWSBOT_LOCAL_MODEL=/path/to/model.gguf")
    return LlamaCppChat(settings.local_model, context=settings.local_context,
                        threads=settings.local_threads)


def _local_label(settings: Settings) -> str:
    return f"local:{settings.local_model.stem if settings.local_model else '?'}"


PROVIDERS: dict[str, Provider] = {
    "openai": Provider(_openai, lambda s: f"openai:{s.llm_model}"),
    "local": Provider(_local, _local_label),
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


def make_chat_model(provider: str, settings: Settings) -> ChatModel:
    """The chat model of ``provider`` (a key of ``PROVIDERS``)."""
    return _provider(provider).build(settings)
