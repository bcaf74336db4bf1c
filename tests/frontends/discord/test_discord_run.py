"""`newsbot discord` as a user runs it: a subprocess, settings from the environment."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import pytest

from bot.frontends.discord.run import RedactSecret
from tests.fakes.discord_gateway import FakeDiscord

REPO_ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.timeout(60)


async def _newsbot(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from bot.frontends.cli.app import main; main()", *args,
        cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(), 45)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_a_rejected_token_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    secret = "MTIz.bad-token-that-must-not-be-logged"
    async with FakeDiscord(token="the-right-token") as fake:
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO_ROOT),
               "DISCORD_TOKEN": secret, "NEWSBOT_DISCORD_API_BASE": fake.api_base,
               "NEWSBOT_DATA_DIR": str(tmp_path / "data"), "NEWSBOT_LOG_LEVEL": "DEBUG",
               "ANONYMIZED_TELEMETRY": "False"}
        code, stderr = await _newsbot("discord", env=env, cwd=tmp_path)
    assert code == 2, stderr
    assert "error: Discord rejected DISCORD_TOKEN" in stderr.splitlines()[-1]
    assert secret not in stderr  # not even in DEBUG logs
    assert "Traceback" not in stderr
    assert fake.calls_to("GET", "/users/@me")[0].status == 401


def test_the_token_is_redacted_from_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    handler = logging.Handler()
    records: list[str] = []
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    handler.addFilter(RedactSecret("s3cret-token"))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("connecting with %s now", "s3cret-token")
    finally:
        logger.removeHandler(handler)
    assert records == ["connecting with [redacted] now"]
