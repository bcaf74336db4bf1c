"""Expected failures, each with the exit code the CLI gives it.

They live in ``ingest`` because both halves raise them and ``ingest`` may not import ``bot``.
The message is the one line a user sees; no traceback is shown for these.
"""

from __future__ import annotations


class NewsbotError(Exception):
    """An expected failure: its message is shown as one line, ``exit_code`` is returned."""

    exit_code = 1


class BadInputError(NewsbotError):
    """The user's input or configuration is wrong (exit 2)."""

    exit_code = 2


class ServiceUnavailableError(NewsbotError):
    """A dependency (Chroma server, LLM endpoint) failed or is unreachable (exit 1)."""

    exit_code = 1


class EmbeddingMismatchError(BadInputError):
    """The collection was built with another embedding model than the configured one."""


class IngestBusyError(NewsbotError):
    """Another ingest is writing the same index; this one did not start (exit 1)."""

    exit_code = 1


class IndexFaultError(NewsbotError):
    """The local index cannot be read even after reopening it: waiting will not fix it;
    ``newsbot ingest --rebuild`` will (exit 1)."""

    exit_code = 1
