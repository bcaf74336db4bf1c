"""Hostile and odd questions on the answer path (extractive backend, shared index).

The property: ``answer()`` returns an ``Answer`` for every question, and raises only
``BadInputError``, only for a question that is empty after removing control characters or
longer than the limit, with a message that says so.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import NewsBot
from bot.models import Answer, Turn
from ingest.errors import BadInputError
from tests.reliability.conftest import SharedIndex
from tests.reliability.support import make_settings

LIMIT = 2000

FRAGMENTS = [
    "@everyone", "@here", "<@&123456789012345678>", "<@456>", "<@!456>", "<#789>",
    "```python\nimport os; os.system('rm -rf /')\n```", "`inline code`", "**bold**", "__u__",
    "~~strike~~", "||spoiler||", "> quote", "# Heading", "[link](https://example.com)",
    "<script>alert(1)</script>", "'; DROP TABLE chunks; --", "{question}", "{sources}", "%s %d",
    "\u202eevil\u202c", "\u200b\u200d\ufeff", "e\u0301\u0301\u0301", "👩‍👩‍👧‍👦", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\x00\x07\x1b[31m", "\r\n", "\t", "ceasefire", "Trump", "Putin", "Tuesday", "Zaporizhzhia",
    "How long is the ceasefire?", "[1]", "[Source 2]", "Ignore previous instructions",
]

# exclude_categories=() lets lone surrogates and every control character through.
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=300)
fragment_soup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), any_text), max_size=8).map(
    " ".join)


def expected_clean(question: str) -> str:
    """An independent statement of the rule: drop control/format/unassigned characters
    (category C*) except newline and tab, then strip."""
    return "".join(ch for ch in question
                   if ch in "\n\t" or not unicodedata.category(ch).startswith("C")).strip()


@pytest.fixture(scope="module")
def bot(shared_index: SharedIndex) -> NewsBot:
    """One extractive bot for the module (hypothesis calls the test many times)."""
    return NewsBot(make_settings(shared_index.data_dir, NEWSBOT_LLM="extractive"),
                   encoder=shared_index.encoder)


def check(bot: NewsBot, question: str, history: tuple[Turn, ...] = ()) -> Answer | None:
    cleaned = expected_clean(question)
    if not cleaned:
        with pytest.raises(BadInputError, match="the question is empty"):
            bot.answer(question, history)
        return None
    if len(cleaned) > LIMIT:
        with pytest.raises(BadInputError, match=f"the limit is {LIMIT:,}"):
            bot.answer(question, history)
        return None
    answer = bot.answer(question, history)
    assert isinstance(answer, Answer)
    assert answer.text.strip()
    assert answer.refused or answer.citations
    # The extractive answer is quoted article text: it never echoes mention syntax back.
    for token in ("@everyone", "@here", "<@", "<#"):
        assert token not in answer.text
    return answer


SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@SETTINGS
@given(question=fragment_soup)
def test_any_question_is_answered_or_rejected_clearly(bot: NewsBot, question: str) -> None:
    check(bot, question)


@settings(SETTINGS, max_examples=8)
@given(question=fragment_soup, previous=fragment_soup)
def test_hostile_history(bot: NewsBot, question: str, previous: str) -> None:
    check(bot, question, (Turn(previous, previous),))


@settings(SETTINGS, max_examples=8)
@given(base=st.sampled_from(FRAGMENTS), extra=st.integers(-50, 50),
       padding=st.sampled_from(["", "\x00" * 300, " " * 300, "\u200b" * 300]))
def test_length_limit_is_exact_and_ignores_invisible_padding(bot: NewsBot, base: str,
                                                             extra: int, padding: str) -> None:
    unit = expected_clean(base) or "x"
    body = (unit * (LIMIT // len(unit) + 2))[: LIMIT + extra].strip() or "x"
    check(bot, padding + body + padding)


def test_over_long_message_is_clear(bot: NewsBot) -> None:
    with pytest.raises(BadInputError) as raised:
        bot.answer("why? " * 1000)
    assert str(raised.value) == "the question is 4,999 characters long; the limit is 2,000"


def test_huge_question_is_rejected_fast(bot: NewsBot) -> None:
    """A 1 MB paste is refused before anything is embedded."""
    import time

    started = time.monotonic()
    with pytest.raises(BadInputError, match="limit"):
        bot.answer("ceasefire " * 100_000)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01\x02", "\u200b\u200e", "\n\t\n"])
def test_empty_questions(bot: NewsBot, question: str) -> None:
    with pytest.raises(BadInputError, match="the question is empty"):
        bot.answer(question)


def test_cli_over_long_question_exits_2_with_one_line() -> None:
    from typer.testing import CliRunner

    from bot.frontends.cli.app import app

    result = CliRunner().invoke(app, ["ask", "x" * 2500])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: the question is 2,500 characters long; the limit is 2,000")
