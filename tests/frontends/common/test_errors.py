"""What a chat member is told for each kind of failure."""

from __future__ import annotations

import pytest

from bot.frontends.common.errors import APOLOGY, FAULT, INGEST_BUSY, error_text
from ingest.errors import (
    BadInputError,
    EmbeddingMismatchError,
    IndexFaultError,
    IngestBusyError,
    ServiceUnavailableError,
)


@pytest.mark.parametrize("exc", [ServiceUnavailableError("Chroma server unreachable"),
                                 TimeoutError("read timed out")])
def test_a_failure_that_passes_says_try_again_in_a_minute(exc: Exception) -> None:
    assert error_text(exc) == APOLOGY


@pytest.mark.parametrize("exc", [IndexFaultError("the index could not be read"),
                                 RuntimeError("a bug"), KeyError("x")])
def test_a_failure_waiting_will_not_cure_never_says_try_again(exc: Exception) -> None:
    text = error_text(exc)
    assert text == FAULT
    assert "try again" not in text and "minute" not in text


def test_bad_input_shows_its_own_message_and_a_busy_ingest_says_so() -> None:
    assert error_text(BadInputError("the question is empty")) == "the question is empty"
    assert "rebuild" in error_text(EmbeddingMismatchError("... run `newsbot ingest --rebuild`"))
    assert error_text(IngestBusyError("another ingest is already updating ...")) == INGEST_BUSY
