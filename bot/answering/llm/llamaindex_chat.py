"""A ``ChatModel`` behind any llama-index LLM class (Anthropic, Gemini, Bedrock, Ollama, ...).

The class is named in the settings as ``module:Class`` and built with the JSON keyword
arguments of ``NEWSBOT_LLAMAINDEX_KWARGS``; newsbot then speaks to it only through
llama-index's ``LLM.chat`` / ``LLM.stream_chat``, so every provider llama-index has an
integration for answers with newsbot's prompt, citation checks and refusals. llama-index is
imported when this backend is built, never on the extractive path or at start-up.

Timeouts and retries are the provider class's own (newsbot fills in ``timeout`` and
``max_retries`` from NEWSBOT_LLM_TIMEOUT / NEWSBOT_LLM_MAX_RETRIES when the class has such
fields and the kwargs leave them out); a stream that breaks is not restarted here.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from bot.answering.llm.chat_model import MAX_REPLY_TOKENS, Message
from ingest.errors import BadInputError, ServiceUnavailableError

if TYPE_CHECKING:
    from llama_index.core.llms import LLM, ChatMessage

log = logging.getLogger(__name__)

# Where the classes keep their model's name (for the label).
MODEL_KEYS = ("model", "model_name")


def llamaindex_label(class_path: str | None, kwargs: dict[str, Any]) -> str:
    """``llamaindex:<Class>[:<model>]``, known from the settings without importing anything."""
    name = (class_path or "?").rpartition(":")[2]
    model = next((str(kwargs[k]) for k in MODEL_KEYS if kwargs.get(k)), "")
    return f"llamaindex:{name}:{model}" if model else f"llamaindex:{name}"


def build_llm(class_path: str, kwargs: dict[str, Any], *, timeout: float,
              max_retries: int) -> LLM:
    """An instance of the llama-index LLM class ``module:Class``; ``BadInputError`` (one line)
    when the module is not installed, the name is no LLM class or the arguments don't fit."""
    from llama_index.core.llms import LLM

    module_name, _, class_name = class_path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = ""
        if module_name.startswith("llama_index."):
            # llama-index's integrations are published under the module path's name with dashes.
            hint = f"; pip install {'-'.join(module_name.split('.')[:4]).replace('_', '-')}"
        raise BadInputError(f"NEWSBOT_LLAMAINDEX_LLM={class_path}: cannot import "
                            f"{module_name} ({exc}){hint}") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, LLM)):
        raise BadInputError(f"NEWSBOT_LLAMAINDEX_LLM={class_path}: {module_name} has no "
                            f"llama-index LLM class {class_name}")
    # Filled in when the class has such a field and the kwargs don't set it: a deterministic
    # reply of at most MAX_REPLY_TOKENS (as the openai backend asks), and newsbot's timeout and
    # retries. Passed only by name the class declares: LLM classes are pydantic models whose
    # knobs differ (Ollama's is request_timeout), and an unknown one may be an error.
    fields = getattr(cls, "model_fields", {})
    defaults: dict[str, Any] = {"temperature": 0.0, "max_tokens": MAX_REPLY_TOKENS,
                                "timeout": timeout, "max_retries": max_retries}
    arguments = {**{k: v for k, v in defaults.items() if k in fields}, **kwargs}
    try:
        return cls(**arguments)
    except Exception as exc:  # pydantic's ValidationError, or the class's own checks
        first = str(exc).strip().splitlines()
        raise BadInputError(f"NEWSBOT_LLAMAINDEX_LLM={class_path} with "
                            f"NEWSBOT_LLAMAINDEX_KWARGS: {' '.join(first[:3])}") from None


class LlamaIndexChat:
    """A chat model that is a llama-index ``LLM`` (any provider class)."""

    def __init__(self, llm: LLM, label: str, concurrency: int = 1) -> None:
        self.llm = llm
        self._label = label
        # As in OpenAIChat: requests beyond ``concurrency`` wait here, not at a server that
        # serves one at a time (Ollama, llama.cpp).
        self._turns = threading.BoundedSemaphore(concurrency)

    @property
    def label(self) -> str:
        return self._label

    def chat(self, messages: list[Message],
             on_text: Callable[[str], None] | None = None, *,
             max_tokens: int = MAX_REPLY_TOKENS) -> str:
        # ``max_tokens`` is not passed on: llama-index's providers take their own keyword
        # arguments (an unknown one is an error in some), and the reply is capped at
        # MAX_REPLY_TOKENS where the LLM is built. A short reply is asked for in the prompt.
        del max_tokens
        from llama_index.core.llms import ChatMessage, MessageRole

        chat_messages = [ChatMessage(role=MessageRole(m["role"]), content=m["content"])
                         for m in messages]
        with self._turns:
            if on_text is None:
                try:
                    return self.llm.chat(chat_messages).message.content or ""
                except Exception as exc:
                    raise self._failure(exc) from exc
            text = ""
            for delta in self._deltas(chat_messages):
                text += delta
                on_text(text)  # outside the guard: the caller's own errors stay its own
            return text

    def _deltas(self, chat_messages: list[ChatMessage]) -> Iterator[str]:
        """The streamed pieces; ``delta`` is what arrived (``message.content`` is cumulative
        only in some integrations, so ``chat`` sums the text itself)."""
        try:
            for response in self.llm.stream_chat(chat_messages):
                if response.delta:
                    yield response.delta
        except Exception as exc:
            raise self._failure(exc) from exc

    def _failure(self, exc: Exception) -> ServiceUnavailableError:
        """The provider's SDK raises its own error types, unknown here; whatever it raises
        means the model could not answer, told in one line rather than a traceback
        (NEWSBOT_LOG_LEVEL=DEBUG shows the traceback)."""
        log.debug("llama-index LLM %s failed", self._label, exc_info=exc)
        detail = (str(exc).strip().splitlines() or [""])[0][:200]
        return ServiceUnavailableError(f"the LLM {self._label} failed: "
                                       f"{exc.__class__.__name__}{': ' + detail if detail else ''}")
