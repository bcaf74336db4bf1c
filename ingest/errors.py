"""The app's expected failures, and the exit code the CLI gives each: the one home of both.

App-wide: both halves raise them (a bad setting or input, a Chroma server or LLM endpoint away,
an ingest already at work, an index that cannot be read) and the front-ends tell them apart
(the CLI by exit code, ``bot/frontends/common/errors.error_text`` by what a chat member is
told). They live in ``ingest``, the lower of the two halves, because ``bot`` may import
``ingest`` and never the reverse, so this is the one module both can import (as
``ingest/settings.py`` is for the settings sections). The message is the one line a user sees;
no traceback is shown for these.

Where a new error goes: a kind of failure a front-end must treat differently (its own text or
exit code) is a class here. A feature's more precise kind that is handled as its parent stays
beside the feature and subclasses one of these (``bot/local_model/catalog.ModelSetupError``,
``ingest/embedding/model_file.ModelFileError``). A failure that never leaves its module
(``ingest/sources/fetch.FetchError``, which the poller records as a source's last error) need
not be one at all.

Exit codes: the table below is the only one; ``bot/frontends/cli/console.report_error`` is the
one place that shows an error and hands back its code.
"""

from __future__ import annotations

#: An expected failure, or a check that did not pass (``newsbot eval --strict``).
EXIT_FAILURE = 1
#: The user's input or configuration is wrong; the code Typer/Click give a usage error too.
EXIT_BAD_INPUT = 2
#: Ctrl+C: 128 + SIGINT, as a shell reports a process it interrupted.
EXIT_INTERRUPTED = 130


class NewsbotError(Exception):
    """An expected failure: its message is shown as one line, ``exit_code`` is returned."""

    exit_code = EXIT_FAILURE


class BadInputError(NewsbotError):
    """The user's input or configuration is wrong (exit 2)."""

    exit_code = EXIT_BAD_INPUT


class ServiceUnavailableError(NewsbotError):
    """A dependency (Chroma server, LLM endpoint) failed or is unreachable (exit 1)."""


class EmbeddingMismatchError(BadInputError):
    """The collection was built with another embedding model than the configured one."""


class IngestBusyError(NewsbotError):
    """Another ingest is writing the same index; this one did not start (exit 1)."""


class IndexFaultError(NewsbotError):
    """The local index cannot be read even after reopening it: waiting will not fix it;
    ``newsbot ingest --rebuild`` will (exit 1)."""
