"""What every ``newsbot`` command shares: the two consoles, settings loading, building the
engine, and turning expected errors into one line and an exit code."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from bot.answering.backends import LLM_CHOICES
from bot.settings import Settings
from ingest.errors import EXIT_INTERRUPTED, BadInputError, NewsbotError

if TYPE_CHECKING:
    from bot.engine import NewsBot

out = Console(highlight=False, soft_wrap=True)
# soft_wrap: an error stays one line however narrow the terminal (or 80 columns in a pipe).
err = Console(stderr=True, highlight=False, soft_wrap=True)

LlmOption = Annotated[str | None, typer.Option(
    "--llm", help="Backend: auto (llamaindex if NEWSBOT_LLAMAINDEX_LLM is set, else openai if "
    "OPENAI_API_KEY or OPENAI_BASE_URL is set, else local if NEWSBOT_LOCAL_MODEL is set, else "
    "extractive), openai, local, llamaindex or extractive.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def load_settings(*, tune: list[str] | None = None, **overrides: Any) -> Settings:
    """Settings from env and .env; a bad value is a one-line usage error. ``tune``: the
    ``--tune name=value`` items, applied over ``NEWSBOT_TUNE``'s."""
    from pydantic import ValidationError

    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = first.get("loc", ("?",))[0]
        raise BadInputError(f"invalid setting {name}: {first.get('msg')}") from None
    updates = {k: v for k, v in overrides.items() if v is not None}
    if tune:
        from bot.tuning import parse_overrides

        try:
            updates["tune"] = settings.tune.with_overrides(parse_overrides(tune))
        except ValueError as exc:
            raise BadInputError(f"--tune {exc}") from None
    if "llm" in updates and updates["llm"] not in LLM_CHOICES:
        raise BadInputError(
            f"--llm must be {', '.join(LLM_CHOICES[:-1])} or {LLM_CHOICES[-1]}, "
            f"not {updates['llm']!r}")
    return settings.model_copy(update=updates) if updates else settings


def make_bot(settings: Settings) -> NewsBot:
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    from bot.engine import NewsBot

    return NewsBot(settings)


def report_error(exc: NewsbotError) -> int:
    """Show an expected failure as one line on stderr; its exit code (``ingest/errors.py``).
    Every command's handler goes through here, so the line and the code are decided once."""
    err.print(f"error: {exc}", markup=False, soft_wrap=True)  # one line, however long
    return exc.exit_code


@contextmanager
def expected_errors() -> Iterator[None]:
    """Turn expected failures into one line on stderr and an exit code."""
    try:
        yield
    except NewsbotError as exc:
        raise typer.Exit(report_error(exc)) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
