"""The ``eval`` extra (llama-index's OpenAI-compatible LLM) is optional: without it the LLM
judges are skipped with the install command, and ``eval --baseline`` with an LLM stops at once
with it. "Not installed" is made real in a child process by an import hook, and in this one by
the ``None`` entry in ``sys.modules`` that makes an import fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.evaluation.llm_judges import eval_extra_missing, skip_reason
from bot.settings import Settings
from tests.core_fixtures import clean_env, error_lines, newsbot_executable
from tests.fakes.openai_server import FakeOpenAIServer

REPO = Path(__file__).resolve().parents[2]
# Loaded by Python at start-up from PYTHONPATH: any llama_index.llms import fails as if the
# packages were not installed.
HIDE_LLM_PACKAGES = '''
import importlib.abc, sys

class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "llama_index.llms" or name.startswith("llama_index.llms."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled())
'''


def test_judges_are_skipped_with_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None, NEWSBOT_LLM="openai", OPENAI_BASE_URL="http://x/v1")
    assert eval_extra_missing() is None and skip_reason(settings) is None  # installed here

    monkeypatch.setitem(sys.modules, "llama_index.llms.openai_like", None)

    assert skip_reason(settings) == ("llama-index-llms-openai-like is not installed: "
                                     "pip install 'newsbot[eval]'")


def test_baseline_with_an_llm_needs_the_extra_and_says_so_before_the_run(
        tmp_path: Path, openai_server: FakeOpenAIServer) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HIDE_LLM_PACKAGES)
    pythonpath = os.pathsep.join(p for p in (str(hook), os.environ.get("PYTHONPATH")) if p)
    env = clean_env(PYTHONPATH=pythonpath, NEWSBOT_DATA_DIR=str(tmp_path / "data"),
                    NEWSBOT_LLM="openai", OPENAI_BASE_URL=openai_server.base_url)

    done = subprocess.run([str(newsbot_executable()), "eval", "--baseline", "--corpus",
                           str(REPO / "data" / "articles")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 2, done.stderr
    assert error_lines(done.stderr) == [
        "error: --baseline with an LLM needs the eval extra; llama-index-llms-openai-like is "
        "not installed: pip install 'newsbot[eval]'"]
    assert not (tmp_path / "data").exists()  # nothing ingested, nothing asked
    assert openai_server.requests == []
