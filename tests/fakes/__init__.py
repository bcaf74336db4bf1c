"""Real-part test doubles: an OpenAI-compatible HTTP server and a `chroma run` server.

Tests talk to these over loopback instead of patching internals, so the code under test goes
through its real HTTP clients, retries and timeouts.
"""

from tests.fakes.chroma_server import ChromaServer
from tests.fakes.fake_model import default_responder, embed_text
from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest

__all__ = ["ChromaServer", "FakeOpenAIServer", "RecordedRequest", "default_responder", "embed_text"]
