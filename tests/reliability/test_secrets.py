"""``DISCORD_TOKEN`` and ``OPENAI_API_KEY`` never show: not in logs (DEBUG included), error
messages, ``status`` output or a CLI's stderr; and ``.env`` is git-ignored.

The Discord engineer's tests cover ``newsbot discord`` with a rejected token; here the keys go
through the answer, ingest and status paths, where the OpenAI key is actually used.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.engine import NewsBot
from ingest.errors import NewsbotError
from tests.fakes.fake_model import default_responder
from tests.fakes.openai_server import FakeOpenAIServer
from tests.reliability.conftest import BotFactory, SharedIndex
from tests.reliability.support import REPO_ROOT

OPENAI_KEY = "sk-proj-RELIABILITY0secret0openai0key0do0not0log0x9Qz"
DISCORD_TOKEN = "MTAxMjM0NTY3ODkw.reliability.secret-discord-token-do-not-log"
SECRETS = (OPENAI_KEY, DISCORD_TOKEN)
# A recognisable fragment too: a key cut to its middle part must not leak either.
FRAGMENTS = (*SECRETS, "RELIABILITY0secret", "secret-discord-token")
CHAT = "/chat/completions"


def assert_clean(text: str, where: str) -> None:
    for fragment in FRAGMENTS:
        assert fragment not in text, f"a secret leaked into {where}"


def test_settings_never_print_secrets(make_bot: BotFactory) -> None:
    bot = make_bot(OPENAI_API_KEY=OPENAI_KEY, DISCORD_TOKEN=DISCORD_TOKEN)
    assert_clean(repr(bot.settings), "repr(Settings)")
    assert_clean(str(bot.settings.model_dump()), "Settings.model_dump()")
    assert_clean(bot.settings.model_dump_json(), "Settings JSON")


def test_answer_paths_at_debug_level(make_bot: BotFactory, caplog: pytest.LogCaptureFixture,
                                     capfd: pytest.CaptureFixture[str]) -> None:
    """Success, 401, 500, a broken stream, a follow-up, status and sources, with every logger
    at DEBUG (the openai SDK, httpx and httpcore log requests at that level)."""
    errors: list[str] = []
    caplog.set_level(logging.DEBUG)
    # The server answers 401 unless the key is sent.
    with FakeOpenAIServer(default_responder, api_key=OPENAI_KEY) as server:
        bot = make_bot(NEWSBOT_LLM="openai", OPENAI_BASE_URL=server.base_url,
                       OPENAI_API_KEY=OPENAI_KEY, DISCORD_TOKEN=DISCORD_TOKEN,
                       NEWSBOT_LLM_TIMEOUT=5, NEWSBOT_LLM_MAX_RETRIES=1)
        assert not bot.answer("How long is the ceasefire that Ukraine accepted?").refused
        assert server.requests[0].authorization == f"Bearer {OPENAI_KEY}"  # it was sent
        for kind in ("401", "500", "break_stream"):
            server.fail_next(kind, 2, path=CHAT)
            try:
                bot.answer("Where were the ceasefire talks held?", on_token=lambda _t: None)
            except NewsbotError as exc:
                errors.append(f"{exc!s} {exc!r} {exc.__cause__!r}")
            server.reset()
            server.responder = default_responder
        from bot.models import Turn

        bot.answer("And who attended?", [Turn("Where were the talks held?", "Riyadh [1].")])
        status = bot.status().to_json()
        sources = bot.sources()
    assert any("OPENAI_API_KEY" in e for e in errors)  # the 401 names the setting, not value
    loggers = {record.name.split(".")[0] for record in caplog.records}
    assert {"openai", "httpx", "httpcore"} <= loggers, loggers  # DEBUG logging really was on
    assert_clean(caplog.text, "log records")
    assert_clean("\n".join(errors), "error messages")
    assert_clean(json.dumps(status), "status()")
    assert_clean(repr(sources), "sources()")
    captured = capfd.readouterr()
    assert_clean(captured.out + captured.err, "stdout/stderr")


def test_openai_embedding_errors(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tests.reliability.support import SAMPLE_CORPUS, make_settings

    caplog.set_level(logging.DEBUG)
    with FakeOpenAIServer(api_key="a-different-key") as server:  # every request: 401
        bot = NewsBot(make_settings(tmp_path / "data", NEWSBOT_EMBED="openai",
                                    NEWSBOT_OPENAI_EMBED_MODEL="fake-embed",
                                    OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY=OPENAI_KEY,
                                    NEWSBOT_LLM_MAX_RETRIES=0))
        with pytest.raises(NewsbotError) as raised:
            bot.ingest(SAMPLE_CORPUS)
        assert server.requests[0].authorization == f"Bearer {OPENAI_KEY}"
    assert_clean(f"{raised.value!s} {raised.value!r} {raised.value.__cause__!r}",
                 "embedding error")
    assert_clean(caplog.text, "log records")


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("NEWSBOT_", "OPENAI_", "CHROMA_", "DISCORD_"))}
    return {**keep, "ANONYMIZED_TELEMETRY": "False", "NEWSBOT_LOG_LEVEL": "DEBUG",
            "OPENAI_API_KEY": OPENAI_KEY, "DISCORD_TOKEN": DISCORD_TOKEN,
            "PYTHONPATH": str(REPO_ROOT), **extra}


def test_cli_status_ask_and_ingest(shared_index: SharedIndex, tmp_path: Path) -> None:
    """`status`, `status --json`, a failing `ask` (401) and an `ingest` through the OpenAI
    embedding endpoint, as subprocesses at DEBUG level: stdout and stderr stay clean."""
    data_dir = tmp_path / "data"
    shutil.copytree(shared_index.data_dir, data_dir)
    newsbot = [sys.executable, "-c", "from bot.frontends.cli.app import main; main()"]
    with FakeOpenAIServer() as server:
        server.fail_next("401", 10, path=CHAT)
        base = cli_env(tmp_path, NEWSBOT_DATA_DIR=str(data_dir),
                       NEWSBOT_CORPUS_DIR=str(shared_index.corpus),
                       OPENAI_BASE_URL=server.base_url)
        embed = cli_env(tmp_path, NEWSBOT_DATA_DIR=str(tmp_path / "embed-data"),
                        NEWSBOT_EMBED="openai", NEWSBOT_OPENAI_EMBED_MODEL="fake-embed",
                        OPENAI_BASE_URL=server.base_url)
        runs = {
            "status": ([*newsbot, "status"], base),
            "status --json": ([*newsbot, "status", "--json"], base),
            "ask (401)": ([*newsbot, "ask", "How long is the ceasefire?", "--llm", "openai"],
                          base),
            "ingest (openai embeddings)": ([*newsbot, "ingest", str(shared_index.corpus)],
                                          embed),
        }
        # Started together: each one's start-up (imports, model load) is most of its time.
        processes = {name: subprocess.Popen(args, env=env, cwd=tmp_path, text=True,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                     for name, (args, env) in runs.items()}
        results = {}
        for name, process in processes.items():
            out, err = process.communicate(timeout=180)
            results[name] = (process.returncode, out, err)
    for name, (_code, out, err) in results.items():
        assert_clean(out, f"`newsbot {name}` stdout")
        assert_clean(err, f"`newsbot {name}` stderr")
    assert results["status"][0] == 0 and "backend" in results["status"][1]
    assert json.loads(results["status --json"][1])["backend"].startswith("openai")
    code, _out, err = results["ask (401)"]
    assert code == 1 and "error: the LLM endpoint rejected the API key" in err
    assert results["ingest (openai embeddings)"][0] == 0, results["ingest (openai embeddings)"]
    assert "DEBUG" in results["ingest (openai embeddings)"][2]  # DEBUG logging really was on


def test_dotenv_is_git_ignored() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO_ROOT)
    assert ignored.returncode == 0, ".env must be listed in .gitignore"
    example = subprocess.run(["git", "check-ignore", "-q", ".env.example"], cwd=REPO_ROOT)
    assert example.returncode == 1, ".env.example documents the settings and must stay tracked"
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", ".env"], cwd=REPO_ROOT,
                             capture_output=True)
    assert tracked.returncode != 0, ".env is committed"
