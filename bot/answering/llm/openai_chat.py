"""A ``ChatModel`` behind any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp).

Why the openai SDK directly and not llama-index's OpenAI LLM: that wrapper adds a tenacity
retry loop (up to 60 s) on top of the SDK's own retries, so a failing endpoint is retried
(retries+1)² times and a hang can last minutes; here the SDK's bounded retries (which honour
Retry-After) are the only ones, plus one bounded retry loop for streams that break midway.
It also keeps llama-index's 2 s import off the answer path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.answering.llm.chat_model import MAX_REPLY_TOKENS
from ingest.errors import BadInputError, ServiceUnavailableError

log = logging.getLogger(__name__)

BACKOFF_START_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0


class OpenAIChat:
    """A chat model behind an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp)."""

    def __init__(self, model: str, api_key: str | None, base_url: str | None,
                 timeout: float, max_retries: int, concurrency: int = 1) -> None:
        if not api_key and not base_url:
            raise BadInputError("the openai backend needs OPENAI_API_KEY (or OPENAI_BASE_URL "
                                "for a local OpenAI-compatible server)")
        import openai

        self.model = model
        self.max_retries = max_retries
        # Requests beyond ``concurrency`` wait here rather than at the server: a self-hosted
        # server serves one at a time, and llama_cpp.server (interrupt_requests, its default)
        # ends the stream in progress when another request arrives.
        self._turns = threading.BoundedSemaphore(concurrency)
        # Local servers ignore the key, but the SDK insists on one.
        self._client = openai.OpenAI(api_key=api_key or "not-needed", base_url=base_url,
                                     timeout=timeout, max_retries=max_retries)

    @property
    def label(self) -> str:
        return f"openai:{self.model}"

    def chat(self, messages: list[dict[str, str]],
             on_text: Callable[[str], None] | None = None, *,
             max_tokens: int = MAX_REPLY_TOKENS) -> str:
        """The model's reply. With ``on_text``, streams and calls it with the text so far.

        A stream that breaks midway is restarted (bounded, with backoff); ``on_text`` then
        starts again from the beginning, which is why it receives the whole text so far.
        """
        with self._turns:
            return self._chat(messages, on_text, max_tokens)

    def _chat(self, messages: list[dict[str, str]],
              on_text: Callable[[str], None] | None, max_tokens: int) -> str:
        import openai

        for attempt in range(self.max_retries + 1):
            try:
                if on_text is None:
                    response = self._client.chat.completions.create(
                        model=self.model, messages=messages, temperature=0,  # type: ignore[arg-type]
                        max_tokens=max_tokens)
                    return response.choices[0].message.content or ""
                return self._stream(messages, on_text, max_tokens)
            except openai.APIStatusError as exc:
                raise _service_error(exc) from exc  # the SDK already retried what is retryable
            except (openai.APIConnectionError, openai.APIError) as exc:
                # Connection errors and timeouts were retried by the SDK before any byte came;
                # here we also land when a stream broke midway: retry that, bounded.
                if attempt == self.max_retries or isinstance(exc, openai.APITimeoutError):
                    raise _service_error(exc) from exc
                delay = min(BACKOFF_START_SECONDS * 2**attempt, BACKOFF_MAX_SECONDS)
                log.warning("LLM stream failed (%s); retrying in %.1f s",
                            exc.__class__.__name__, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _stream(self, messages: list[dict[str, str]], on_text: Callable[[str], None],
                max_tokens: int) -> str:
        import httpx
        import openai
        from openai.types.chat import ChatCompletionChunk

        text = ""
        finished = False
        try:
            stream = self._client.chat.completions.create(
                model=self.model, messages=messages, temperature=0,  # type: ignore[arg-type]
                max_tokens=max_tokens, stream=True)
            for chunk in stream:
                if not isinstance(chunk, ChatCompletionChunk) or not chunk.choices:
                    continue
                choice = chunk.choices[0]
                if choice.delta.content:
                    text += choice.delta.content
                    on_text(text)
                finished = finished or choice.finish_reason is not None
        except (httpx.HTTPError, ValueError) as exc:
            # A connection dropped mid-stream surfaces as an httpx error or a JSON error.
            raise openai.APIConnectionError(request=httpx.Request("POST", "stream")) from exc
        if not finished:
            # The stream ended cleanly but the model never said why it stopped: the server cut
            # it short (llama_cpp.server does so when another request arrives). Half an answer
            # must not pass for a whole one: retried like a broken stream.
            raise openai.APIConnectionError(request=httpx.Request("POST", "stream"))
        return text


def _service_error(exc: Exception) -> ServiceUnavailableError:
    import openai

    if isinstance(exc, openai.AuthenticationError):
        message = "the LLM endpoint rejected the API key (HTTP 401); check OPENAI_API_KEY"
    elif isinstance(exc, openai.RateLimitError):
        message = "the LLM endpoint is rate-limiting us (HTTP 429) even after retries"
    elif isinstance(exc, openai.APITimeoutError):
        message = "the LLM endpoint timed out"
    elif isinstance(exc, openai.APIStatusError):
        message = f"the LLM endpoint answered HTTP {exc.status_code}"
    else:
        message = "the LLM endpoint is unreachable or dropped the connection"
    return ServiceUnavailableError(message)
