"""The chat-model seam of the LLM path, beside the encoder's (``ingest.embedding.Encoder``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}

# The longest reply asked of a model. An answer is one to three sentences (~100 tokens) and a
# rewritten question fewer; without a cap, a small model that falls into repeating itself
# writes until its context is full (Qwen2.5-Coder 1.5B on 2 cores: minutes for one answer).
MAX_REPLY_TOKENS = 384
# A verdict's reply: "Yes" or "No" and whatever a small model adds before it stops.
VERDICT_TOKENS = 3


class ChatModel(Protocol):
    """A chat model the LLM synthesizer talks to; ``factory.make_chat_model`` builds one."""

    @property
    def label(self) -> str:
        """Provider and model, e.g. ``openai:gpt-4o-mini``: what ``Answer.backend`` shows."""
        ...

    def chat(self, messages: list[Message],
             on_text: Callable[[str], None] | None = None, *,
             max_tokens: int = MAX_REPLY_TOKENS) -> str:
        """The model's reply, at most ``max_tokens`` long. With ``on_text``, streams and calls
        it with the text *so far* (cumulative; after a restarted stream it starts again from
        the beginning). Raises ``ServiceUnavailableError`` when the model cannot answer."""
        ...
