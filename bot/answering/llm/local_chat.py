"""A ``ChatModel`` running a GGUF model in-process through llama-cpp-python (the ``local``
extra): no server, no key.

llama.cpp is not re-entrant, so one request runs at a time; other callers wait on a lock (in
Discord the answer gate already tells a waiting asker where it is in the queue). The model is
loaded on the first request, not at start-up.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.answering.llm.chat_model import MAX_REPLY_TOKENS, Message
from ingest.errors import BadInputError, ServiceUnavailableError

log = logging.getLogger(__name__)

INSTALL_HINT = ("the local backend needs llama-cpp-python: run `newsbot model setup` (it builds "
                "it for this CPU); see README")


class LlamaCppChat:
    """A chat model read from a GGUF file and run by llama.cpp in this process."""

    def __init__(self, model_path: Path, *, context: int = 4096, threads: int | None = None,
                 max_tokens: int = MAX_REPLY_TOKENS) -> None:
        if not model_path.is_file():
            raise BadInputError(f"NEWSBOT_LOCAL_MODEL={model_path} is not a file")
        try:
            import llama_cpp  # noqa: F401  (checked now: a clear error before the first question)
        except ImportError:
            raise BadInputError(INSTALL_HINT) from None
        self.model_path = model_path
        self.context = context
        self.threads = threads or os.cpu_count() or 1
        self.max_tokens = max_tokens
        self._llama: Any = None
        self._lock = threading.Lock()  # llama.cpp serves one request at a time

    @property
    def label(self) -> str:
        return f"local:{self.model_path.stem}"

    def _model(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            try:
                self._llama = Llama(model_path=str(self.model_path), n_ctx=self.context,
                                    n_threads=self.threads, verbose=False)
            except (ValueError, RuntimeError) as exc:
                raise BadInputError(
                    f"cannot load NEWSBOT_LOCAL_MODEL={self.model_path} as a GGUF model "
                    f"({exc})") from None
        return self._llama

    def chat(self, messages: list[Message],
             on_text: Callable[[str], None] | None = None, *,
             max_tokens: int = MAX_REPLY_TOKENS) -> str:
        max_tokens = min(max_tokens, self.max_tokens)
        with self._lock:
            model = self._model()
            try:
                if on_text is None:
                    response = model.create_chat_completion(
                        messages=messages, temperature=0, max_tokens=max_tokens)
                    return str(response["choices"][0]["message"].get("content") or "")
                text = ""
                for piece in _deltas(model.create_chat_completion(
                        messages=messages, temperature=0, max_tokens=max_tokens,
                        stream=True)):
                    text += piece
                    on_text(text)
                return text
            except ValueError as exc:  # e.g. the prompt does not fit the context window
                log.warning("local model failed: %s", exc)
                raise ServiceUnavailableError(f"the local model could not answer: {exc}") \
                    from None


def _deltas(stream: Iterator[dict[str, Any]]) -> Iterator[str]:
    for chunk in stream:
        choices = chunk.get("choices") or []
        content = choices[0].get("delta", {}).get("content") if choices else None
        if content:
            yield content
