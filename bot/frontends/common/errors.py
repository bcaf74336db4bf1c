"""What a chat front-end tells its users when a question is not answered, and what it logs.

Shared by every chat front-end (Discord today): users see a short sentence, never a traceback
or a secret; the detail goes to the log.
"""

from __future__ import annotations

import logging

from bot.answering.questions import MAX_QUESTION_CHARS, question_problem
from ingest.errors import BadInputError, IngestBusyError, ServiceUnavailableError

log = logging.getLogger(__name__)

APOLOGY = "Sorry, the answer service is unavailable right now; please try again in a minute."
# For a failure that waiting will not cure (a damaged index, a bug): asking again later would
# only fail again, so the member is pointed at whoever runs the bot.
FAULT = ("Sorry, I can't answer right now because of a problem on the bot's side that won't "
         "go away by itself; please let the person who runs this bot know.")
INGEST_BUSY = "Another ingest is updating the articles right now; try again once it has finished."
EMPTY_QUESTION = ("Ask me a question about the news articles, e.g. *what did Trump and Putin "
                  "discuss?*")


def question_problem_text(question: str, max_chars: int = MAX_QUESTION_CHARS) -> str | None:
    """A short refusal for a question we will not send to the engine, else ``None``."""
    problem = question_problem(question, max_chars)
    if problem is None:
        return None
    if problem.empty:
        return EMPTY_QUESTION
    return (f"That question is {problem.length:,} characters long; please keep it under "
            f"{problem.limit:,}.")


def error_text(exc: BaseException) -> str:
    """What the user sees for a failure: a bad input's own message; for one that passes (a
    service away, an ingest at work) "try again in a minute"; else that it needs the
    operator."""
    if isinstance(exc, BadInputError):
        return str(exc)
    if isinstance(exc, IngestBusyError):
        return INGEST_BUSY
    if isinstance(exc, ServiceUnavailableError | TimeoutError):
        return APOLOGY
    return FAULT


def log_failure(exc: BaseException, what: str, guild_id: int | None,
                channel_id: int | None) -> None:
    """The detail goes to the log only: never a traceback (or a secret) in chat."""
    if isinstance(exc, BadInputError):
        log.info("%s refused: %s", what, exc)
    else:
        log.error("%s failed (guild=%s channel=%s)", what, guild_id, channel_id, exc_info=exc)
