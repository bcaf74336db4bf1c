"""Settings: one pydantic-settings class read from env and `.env`, the only reader of the env."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.answering.backends import resolve_backend
from bot.settings import Settings
from ingest.errors import BadInputError

REPO_ROOT = Path(__file__).resolve().parents[1]


def _aliases() -> set[str]:
    return {field.alias for field in Settings.model_fields.values() if field.alias}


def test_defaults_need_no_key_and_no_server() -> None:
    settings = Settings(_env_file=None)
    assert settings.data_dir == Path(".newsbot")
    assert settings.corpus_dir == Path("data/articles")
    assert settings.collection == "newsbot_articles"
    assert settings.chroma_host is None and settings.chroma_port == 8000
    assert settings.embed == "local"
    assert settings.llm == "auto" and resolve_backend(settings).name == "extractive"
    assert settings.llm_model == "gpt-4o-mini"
    assert settings.openai_embed_model == "text-embedding-3-small"
    assert settings.max_question_chars == 2000
    assert settings.openai_api_key is None


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_TOP_K", "7")
    monkeypatch.setenv("CHROMA_HOST", "chroma.internal")
    monkeypatch.setenv("CHROMA_PORT", "9000")
    monkeypatch.setenv("NEWSBOT_DISCORD_GUILDS", "1, 2,3")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    settings = Settings(_env_file=None)
    assert settings.top_k == 7
    assert settings.store_location() == "http://chroma.internal:9000"
    assert settings.discord_guilds == [1, 2, 3]
    assert settings.openai_base_url == "http://127.0.0.1:11434/v1"


def test_values_come_from_a_dotenv_file_and_the_environment_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("NEWSBOT_TOP_K=9\nNEWSBOT_LLM=extractive\nOPENAI_API_KEY=sk-from-file\n")
    settings = Settings(_env_file=env_file)
    assert settings.top_k == 9 and settings.llm == "extractive"
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-from-file"
    monkeypatch.setenv("NEWSBOT_TOP_K", "3")
    assert Settings(_env_file=env_file).top_k == 3


def test_bare_field_names_in_the_environment_are_not_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``LLM`` or ``TOP_K`` belong to other programs: only the documented names are read (a
    bare ``LLM=foo`` once failed every start with an invalid backend)."""
    monkeypatch.setenv("LLM", "foo")
    monkeypatch.setenv("TOP_K", "3")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    env_file = tmp_path / ".env"
    env_file.write_text("RELEVANCE_FLOOR=0.9\nlog_level=DEBUG\n")
    settings = Settings(_env_file=env_file)
    assert settings.llm == "auto" and settings.top_k == 5
    assert settings.data_dir == Path(".newsbot") and settings.relevance_floor == 0.20
    assert settings.log_level == "WARNING"
    monkeypatch.setenv("NEWSBOT_TOP_K", "3")  # the documented name still is
    assert Settings(_env_file=env_file).top_k == 3
    # Code may still pass a field by name.
    assert Settings(_env_file=None, top_k=8, data_dir=tmp_path).top_k == 8


def test_auto_resolves_by_the_key() -> None:
    assert resolve_backend(Settings(_env_file=None, OPENAI_API_KEY="k")).name == "openai"
    assert resolve_backend(
        Settings(_env_file=None, NEWSBOT_LLM="extractive", OPENAI_API_KEY="k")).name == "extractive"
    assert resolve_backend(Settings(_env_file=None, NEWSBOT_LLM="openai")).name == "openai"


def test_auto_resolves_to_openai_for_a_base_url_then_to_a_local_model(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    base_url = resolve_backend(Settings(_env_file=None, OPENAI_BASE_URL="http://127.0.0.1:1/v1"))
    assert base_url.name == "openai" and "OPENAI_BASE_URL" in base_url.reason
    local = resolve_backend(Settings(_env_file=None, NEWSBOT_LOCAL_MODEL=model))
    assert local.name == "local" and "NEWSBOT_LOCAL_MODEL" in local.reason
    both = Settings(_env_file=None, NEWSBOT_LOCAL_MODEL=model, OPENAI_API_KEY="k")
    assert resolve_backend(both).name == "openai"
    assert "no OPENAI_API_KEY" in resolve_backend(Settings(_env_file=None)).reason


def test_the_local_backend_says_what_is_missing(tmp_path: Path) -> None:
    from bot.answering.llm.factory import make_chat_model

    with pytest.raises(BadInputError, match="NEWSBOT_LOCAL_MODEL"):
        make_chat_model("local", Settings(_env_file=None, NEWSBOT_LLM="local"))
    missing = Settings(_env_file=None, NEWSBOT_LLM="local", NEWSBOT_LOCAL_MODEL=tmp_path / "no")
    with pytest.raises(BadInputError, match="is not a file"):
        make_chat_model("local", missing)


def test_store_location_is_a_path_or_a_url(tmp_path: Path) -> None:
    assert Settings(_env_file=None, NEWSBOT_DATA_DIR=tmp_path).store_location() == \
        str(tmp_path / "chroma")
    assert Settings(_env_file=None, CHROMA_HOST="127.0.0.1").store_location() == \
        "http://127.0.0.1:8000"


@pytest.mark.parametrize(("name", "value"), [
    ("NEWSBOT_LLM", "gpt"), ("NEWSBOT_EMBED", "torch"), ("NEWSBOT_TOP_K", "0"),
    ("NEWSBOT_TOP_K", "many"), ("CHROMA_PORT", "port"), ("NEWSBOT_LLM_TIMEOUT", "0"),
    ("NEWSBOT_COLLECTION", "x"),
])
def test_invalid_values_are_refused(name: str, value: str) -> None:
    values: dict[str, Any] = {name: value}
    with pytest.raises(ValidationError):
        Settings(_env_file=None, **values)


def test_the_api_key_is_not_shown() -> None:
    settings = Settings(_env_file=None, OPENAI_API_KEY="sk-very-secret")
    assert "sk-very-secret" not in repr(settings)
    assert "sk-very-secret" not in str(settings.model_dump())


def test_env_example_lists_every_variable() -> None:
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    missing = sorted(_aliases() - listed)
    assert not missing, f".env.example lacks {missing}"


def test_no_other_module_reads_the_environment() -> None:
    offenders = []
    for folder in ("bot", "ingest", "prompts"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if path == REPO_ROOT / "bot" / "settings.py":
                continue
            source = path.read_text(encoding="utf-8")
            if re.search(r"os\.environ|os\.getenv|getenv\(", source):
                offenders.append(str(path.relative_to(REPO_ROOT)))
    assert offenders == []


def test_settings_are_the_bottom_layer() -> None:
    """Importing the settings loads nothing from answering or the front-ends (a fresh process,
    since this one has imported them all already); only ``bot.rules``, the names of the rules
    a setting may switch off, and ``bot.tuning``, the thresholds a setting may override,
    which import nothing of bot but each other."""
    code = ("import sys, bot.settings; print(' '.join(m for m in sys.modules "
            "if m.startswith('bot.') and m != 'bot.settings'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=REPO_ROOT)
    assert sorted(done.stdout.split()) == ["bot.rules", "bot.tuning"]
