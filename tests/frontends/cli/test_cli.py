"""The `newsbot` console script through subprocess: exit codes, error lines, `--json` schemas.

The workspace is a tmp dir holding a copy of data/articles (the default corpus path, relative to
the working directory) and NEWSBOT_DATA_DIR pointing into it, so the first `newsbot ask` runs
the auto-ingest of the default corpus exactly as on a fresh machine. Each run loads the model
(~2-4 s), so the module shares one workspace and keeps the number of runs small.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.engine import NewsBot
from tests.core_fixtures import (
    OFF_TOPIC_QUESTION,
    SAMPLE_FILES,
    SAUDI_FILE,
    SAUDI_QUESTION,
    CachingEncoder,
    HashEncoder,
    clean_env,
    copy_corpus,
    error_lines,
    make_settings,
    run_newsbot,
)
from tests.fakes.openai_server import FakeOpenAIServer

ASK_KEYS = ["question", "answer", "note", "refused", "backend", "citations", "timings_ms"]
CITATION_KEYS = ["n", "file", "article_id", "title", "date", "url", "site", "author", "quote",
                 "score", "also_in"]
TIMING_KEYS = ["retrieve", "generate", "total", "first_token"]
INGEST_KEYS = ["files_added", "files_updated", "files_unchanged", "files_removed",
               "files_skipped", "chunks_embedded", "chunks_total", "lines_dropped",
               "articles_expired", "seconds", "sentences_embedded", "sentence_seconds"]


@dataclass(frozen=True)
class Workspace:
    root: Path
    data_dir: Path
    first_ask: subprocess.CompletedProcess[str]

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        variables: dict[str, Any] = {"NEWSBOT_DATA_DIR": str(self.data_dir), **env}
        return run_newsbot(*args, cwd=self.root, **variables)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("cli")
    copy_corpus(root / "data" / "articles")
    data_dir = root / "state"
    first = run_newsbot("ask", "--json", SAUDI_QUESTION, cwd=root, NEWSBOT_DATA_DIR=str(data_dir))
    return Workspace(root, data_dir, first)


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"--json must print exactly one line: {result.stdout!r}"
    data = json.loads(lines[0])
    assert isinstance(data, dict)
    return data


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int,
                          *fragments: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# -- the "Done when" checks ---------------------------------------------------------------------


def test_first_ask_ingests_the_default_corpus_and_answers(workspace: Workspace) -> None:
    result = workspace.first_ask
    data = _json(result)
    assert "ingesting the sample articles" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Saudi Arabia" in data["answer"]
    assert SAUDI_FILE in {c["file"] for c in data["citations"]}
    assert data["refused"] is False
    assert (workspace.data_dir / "chroma").is_dir()


def test_ask_json_schema(workspace: Workspace) -> None:
    data = _json(workspace.first_ask)
    assert list(data) == ASK_KEYS
    assert data["question"] == SAUDI_QUESTION
    assert data["backend"] == "extractive"
    assert data["citations"]
    for n, citation in enumerate(data["citations"], start=1):
        assert list(citation) == CITATION_KEYS
        assert citation["n"] == n
        assert citation["file"] in SAMPLE_FILES
        assert isinstance(citation["title"], str) and citation["title"]
        # The sample articles are plain text without front matter: nothing else is known.
        assert citation["date"] == citation["url"] == citation["site"] == citation["author"] == ""
        assert isinstance(citation["quote"], str) and citation["quote"]
        assert isinstance(citation["score"], float)
    assert list(data["timings_ms"]) == TIMING_KEYS
    assert all(isinstance(v, float) and v >= 0 for v in data["timings_ms"].values())


def test_second_ingest_embeds_nothing(workspace: Workspace) -> None:
    data = _json(workspace.run("ingest", "--json"))
    assert list(data) == INGEST_KEYS
    assert data["chunks_embedded"] == data["sentences_embedded"] == 0
    assert data["files_unchanged"] == 5
    assert data["files_added"] == data["files_updated"] == data["files_removed"] == 0
    assert data["chunks_total"] > 0
    assert isinstance(data["seconds"], float)


def test_off_topic_question_is_refused_with_no_sources(workspace: Workspace) -> None:
    result = workspace.run("ask", OFF_TOPIC_QUESTION)
    assert result.returncode == 0, result.stderr
    assert "don't cover" in result.stdout
    assert "Sources" not in result.stdout
    assert ".txt" not in result.stdout


def test_text_answer_ends_with_a_sources_block(workspace: Workspace) -> None:
    result = workspace.run("ask", SAUDI_QUESTION)
    assert result.returncode == 0, result.stderr
    answer, sources = result.stdout.split("Sources:", 1)
    assert "Saudi Arabia" in answer and "Sentences quoted from the articles" in answer
    assert re.search(rf"\[\d+\] {re.escape(SAUDI_FILE)} — ", sources), sources


def test_status_json(workspace: Workspace) -> None:
    data = _json(workspace.run("status", "--json"))
    assert data["corpus_dir"] == "data/articles"
    assert data["store"] == str(workspace.data_dir / "chroma")
    assert data["collection"] == "newsbot_articles"
    assert data["files"] == 5 and data["chunks"] > 0
    assert data["embedding_model"] == "all-MiniLM-L6-v2-onnx-int8"
    assert data["backend"] == "extractive"


def test_help_works() -> None:
    result = run_newsbot("--help", cwd=Path.cwd())
    assert result.returncode == 0
    for command in ("ingest", "ask", "chat", "status"):
        assert command in result.stdout


def test_chat_answers_a_question_and_a_follow_up(workspace: Workspace) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "newsbot"), "chat"], cwd=workspace.root,
        env=clean_env(NEWSBOT_DATA_DIR=str(workspace.data_dir)), capture_output=True, text=True,
        timeout=120, input="Who is Trump's special envoy who met Putin?\nWhat did he tell CNN?\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Sources:") == 2
    assert "Witkoff" in result.stdout


# -- bad usage: exit 2, one line ---------------------------------------------------------------


def test_bad_questions_exit_2(workspace: Workspace) -> None:
    assert_one_line_error(workspace.run("ask", "   "), 2, "empty")
    assert_one_line_error(workspace.run("ask", "--json", "x" * 2001), 2, "2,000")


def test_missing_corpus_dir_exits_2(workspace: Workspace) -> None:
    result = workspace.run("ingest", str(workspace.root / "no-such-folder"))
    assert_one_line_error(result, 2, "no-such-folder")


def test_bad_setting_and_bad_option_exit_2(workspace: Workspace) -> None:
    assert_one_line_error(workspace.run("ask", "Hi?", NEWSBOT_TOP_K="many"), 2, "NEWSBOT_TOP_K")
    assert_one_line_error(workspace.run("ask", "--llm", "gpt5", "Hi?"), 2, "--llm")


def test_another_embedding_model_exits_2_with_the_rebuild_hint(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "data" / "articles")
    NewsBot(make_settings(tmp_path / "state", corpus), encoder=HashEncoder()).ingest()
    result = run_newsbot("ask", SAUDI_QUESTION, cwd=tmp_path,
                         NEWSBOT_DATA_DIR=str(tmp_path / "state"))
    assert_one_line_error(result, 2, "newsbot ingest --rebuild", "test-hash")


# -- faults: exit 1, one line ------------------------------------------------------------------


def test_openai_auth_failure_exits_1(workspace: Workspace) -> None:
    with FakeOpenAIServer(api_key="the-right-key") as server:
        result = workspace.run("ask", "--llm", "openai", SAUDI_QUESTION,
                               OPENAI_BASE_URL=server.base_url,
                               OPENAI_API_KEY="sk-wrong-key-1234567890")
    line = assert_one_line_error(result, 1, "401", "OPENAI_API_KEY")
    assert "1234567890" not in result.stderr + result.stdout
    assert line


# -- ingest options on a small corpus ----------------------------------------------------------


def test_ingest_dir_no_prune_and_rebuild(tmp_path: Path, local_encoder: CachingEncoder) -> None:
    corpus = tmp_path / "mine"
    corpus.mkdir()
    (corpus / "one.txt").write_text("Summit in Oslo\nLeaders met in Oslo on Friday.\n")
    (corpus / "two.md").write_text("Storm\nA storm hit the coast on Monday.\n")
    (corpus / "bad.txt").write_bytes(b"\x00\x01binary")
    # The first ingest runs in-process (same model, same data dir) to save one slow start-up.
    first = NewsBot(make_settings(tmp_path / "state", corpus), encoder=local_encoder).ingest()
    assert (first.files_added, first.files_skipped) == (2, 1)

    def ingest(*flags: str) -> subprocess.CompletedProcess[str]:
        return run_newsbot("ingest", str(corpus), "--json", *flags, cwd=tmp_path,
                           NEWSBOT_DATA_DIR=str(tmp_path / "state"))

    (corpus / "two.md").unlink()
    result = ingest("--no-prune")
    kept = _json(result)
    assert (kept["files_removed"], kept["files_unchanged"], kept["files_skipped"]) == (0, 1, 1)
    assert kept["chunks_total"] == first.chunks_total == 2
    [warning] = error_lines(result.stderr)
    assert "bad.txt" in warning and "binary" in warning
    rebuilt = _json(ingest("--rebuild"))
    assert rebuilt["files_added"] == 1
    assert rebuilt["chunks_embedded"] == rebuilt["chunks_total"] == 1


# -- start-up cost -----------------------------------------------------------------------------


def test_answer_path_does_not_import_llama_index(workspace: Workspace) -> None:
    script = (
        "import sys\n"
        "from bot.frontends.cli.app import app, load_settings\n"
        "heavy = ('llama_index', 'onnxruntime', 'openai', 'chromadb')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "from bot.engine import NewsBot\n"
        "answer = NewsBot(load_settings()).answer('Where were the talks held?')\n"
        "print(sorted(m for m in ('llama_index', 'openai') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=workspace.root, capture_output=True, text=True,
        env=clean_env(NEWSBOT_DATA_DIR=str(workspace.data_dir)), timeout=120)
    assert result.returncode == 0, result.stderr
    at_start, after_answer = result.stdout.splitlines()[-2:]
    assert at_start == "[]", "the CLI module must not import heavy libraries"
    assert after_answer == "[]", "an extractive answer must not import llama-index or openai"


# -- article metadata (issue 14) ---------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parents[2] / "ingest" / "fixtures"
PAGE_URL = "https://harbourgazette.example/world/2025/03/11/ceasefire-talks-jeddah"


def test_ingest_and_ask_show_the_articles_title_date_and_url(tmp_path: Path) -> None:
    corpus = tmp_path / "news"
    (corpus / "world").mkdir(parents=True)
    shutil.copy(FIXTURES / "news_page.html", corpus / "world" / "jeddah.html")
    shutil.copy(FIXTURES / "front_matter.md", corpus / "peacekeepers.md")
    shutil.copy(FIXTURES / "bad_front_matter.txt", corpus / "oil.txt")
    env = {"NEWSBOT_DATA_DIR": str(tmp_path / "state"), "NEWSBOT_CORPUS_DIR": str(corpus)}

    ingested = run_newsbot("ingest", "--json", cwd=tmp_path, **env)
    assert _json(ingested)["files_added"] == 3
    assert "Traceback" not in ingested.stderr
    [warning] = error_lines(ingested.stderr)
    assert warning.startswith("warning: oil.txt: front matter is not valid YAML"), warning

    question = "Where did Ukrainian and American delegates meet on Tuesday?"
    data = _json(run_newsbot("ask", "--json", question, cwd=tmp_path, **env))
    assert data["refused"] is False
    page = next(c for c in data["citations"] if c["file"] == "world/jeddah.html")
    assert list(page) == CITATION_KEYS
    assert (page["title"], page["date"], page["url"], page["site"], page["author"]) == (
        "Ceasefire talks move to Jeddah", "2025-03-11", PAGE_URL, "The Harbour Gazette",
        "Maria Lindqvist")

    shown = run_newsbot("ask", question, cwd=tmp_path, **env)
    assert shown.returncode == 0, shown.stderr
    _, sources = shown.stdout.split("Sources:", 1)
    assert re.search(rf"\[\d+\] Ceasefire talks move to Jeddah · 2025-03-11 · "
                     rf"{re.escape(PAGE_URL)} — “", sources), sources


@pytest.mark.slow
def test_a_feed_entry_is_cited_as_the_article_not_the_file(tmp_path: Path) -> None:
    corpus = tmp_path / "news"
    corpus.mkdir()
    shutil.copy(FIXTURES / "feed_rss.xml", corpus / "gazette.xml")
    env = {"NEWSBOT_DATA_DIR": str(tmp_path / "state"), "NEWSBOT_CORPUS_DIR": str(corpus)}

    ingested = run_newsbot("ingest", "--json", cwd=tmp_path, **env)
    assert _json(ingested)["files_added"] == 3  # three entries with text
    assert "Traceback" not in ingested.stderr
    assert error_lines(ingested.stderr) == [
        "warning: gazette.xml: entry 3: date 'sometime next week' is not a calendar date; "
        "left out",
        "warning: gazette.xml: entry 4: no content or summary; skipped"]

    question = "Why did the lighthouse keepers vote to strike?"
    data = _json(run_newsbot("ask", "--json", question, cwd=tmp_path, **env))
    assert data["refused"] is False
    cited = next(c for c in data["citations"]
                 if c["article_id"] == "gazette.xml#hg-2025-0312-lighthouse")
    assert (cited["file"], cited["title"], cited["date"], cited["url"], cited["site"]) == (
        "gazette.xml", "Lighthouse keepers vote to strike", "2025-03-12",
        "https://harbourgazette.example/2025/03/12/lighthouse-strike", "The Harbour Gazette")
    shown = run_newsbot("ask", question, cwd=tmp_path, **env).stdout
    assert ("Lighthouse keepers vote to strike · 2025-03-12 · "
            "https://harbourgazette.example/2025/03/12/lighthouse-strike") in shown
