"""Real-part test doubles: an OpenAI-compatible HTTP server and a `chroma run` server.

Tests talk to these over loopback instead of patching internals, so the code under test goes
through its real HTTP clients, retries and timeouts.
"""

from tests.fakes.chroma_server import ChromaServer
from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, embed_text

__all__ = ["ChromaServer", "FakeOpenAIServer", "RecordedRequest", "embed_text"]
