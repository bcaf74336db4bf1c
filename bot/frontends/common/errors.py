"""What a chat front-end tells its users when a question is not answered, and what it logs.

Shared by every chat front-end (Discord today): users see a short sentence, never a traceback
or a secret; the detail goes to the log.
"""

from __future__ import annotations

import logging

from bot.answering.questions import MAX_QUESTION_CHARS, question_problem
from ingest.errors import BadInputError

log = logging.getLogger(__name__)

APOLOGY = "Sorry, the answer service is unavailable right now; please try again in a minute."
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
    """What the user sees for a failure: a bad input's own message, else a short apology."""
    return str(exc) if isinstance(exc, BadInputError) else APOLOGY


def log_failure(exc: BaseException, what: str, guild_id: int | None,
                channel_id: int | None) -> None:
    """The detail goes to the log only: never a traceback (or a secret) in chat."""
    if isinstance(exc, BadInputError):
        log.info("%s refused: %s", what, exc)
    else:
        log.error("%s failed (guild=%s channel=%s)", what, guild_id, channel_id, exc_info=exc)
