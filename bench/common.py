"""Helpers shared by the benchmark scripts: paths, settings, child processes, statistics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = REPO_ROOT / "bench" / "out"
SAMPLE_DIR = REPO_ROOT / "data" / "articles"
GOLDEN_FILE = REPO_ROOT / "bot" / "evaluation" / "sets" / "golden.yaml"
# shared/ sits beside the repository (as on CI and every developer machine).
SQUAD_FILE = REPO_ROOT.parent / "shared" / "bench" / "squad_v2_normans" / "dev-v2.0.json"
VENV_BIN = Path(sys.executable).parent
_DROPPED_ENV_PREFIXES = ("NEWSBOT_", "CHROMA_", "OPENAI_", "DISCORD_")


# Chunking of the benchmark collections, pinned so that results measured at different times
# stay comparable: 256/32 was the default when these figures were measured (it became 128/16
# in dc24da7 during the run). Start-up (`newsbot ask` on the sample) uses the product default.
BENCH_CHUNKING = {"NEWSBOT_CHUNK_SIZE": 256, "NEWSBOT_CHUNK_OVERLAP": 32}


def bench_settings(data_dir: Path, corpus_dir: Path | None = None) -> Settings:
    """Settings for a benchmark: its own data dir, extractive answers, no .env file."""
    from bot.settings import Settings

    values: dict[str, Any] = {"NEWSBOT_DATA_DIR": data_dir, "NEWSBOT_LLM": "extractive",
                              **BENCH_CHUNKING}
    if corpus_dir is not None:
        values["NEWSBOT_CORPUS_DIR"] = corpus_dir
    return Settings(_env_file=None, **values)


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a measured child: none of the developer's newsbot settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_ENV_PREFIXES)}
    env["ANONYMIZED_TELEMETRY"] = "False"
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra)
    return env


@dataclass(frozen=True)
class Measured:
    """A finished child process: wall time, peak resident memory, exit code, output."""

    seconds: float
    maxrss_mb: float
    cpu_seconds: float  # user + system time of the child (all its threads)
    returncode: int
    stdout: str
    stderr: str


def run_measured(cmd: Sequence[str], env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd`` and read its own rusage (wait4), so the RSS high-water is the child's alone."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=REPO_ROOT, env=env or child_env(),
                                stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return Measured(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime,
                        proc.returncode,
                        out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def run_worker(module: str, args: Sequence[str]) -> dict[str, Any]:
    """Run ``python -m module args`` and parse the JSON object on its last stdout line."""
    measured = run_measured([sys.executable, "-m", module, *args])
    if measured.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({measured.returncode}):\n"
                           f"{measured.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(measured.stdout.strip().splitlines()[-1])
    result.setdefault("child_maxrss_mb", round(measured.maxrss_mb, 1))
    return result


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation, as the evaluator reports latency; NaN when nothing was measured."""
    from bot.evaluation.metrics import percentile as interpolated

    return interpolated(values, q) if values else float("nan")


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def self_maxrss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def questions(limit_squad: int = 20, limit: int | None = None) -> list[str]:
    """The golden questions (sample articles) plus a few SQuAD Normans questions.

    ``limit`` keeps an evenly spread subset (the smoke test uses a handful)."""
    import yaml

    asked = [str(case["question"]) for case in yaml.safe_load(GOLDEN_FILE.read_text())]
    if SQUAD_FILE.is_file():
        data = json.loads(SQUAD_FILE.read_text())
        squad = [qa["question"] for article in data["data"] for p in article["paragraphs"]
                 for qa in p["qas"]]
        asked += squad[:: max(1, len(squad) // limit_squad)][:limit_squad]
    if limit is not None and limit < len(asked):
        asked = asked[:: max(1, len(asked) // limit)][:limit]
    return asked


def emit(result: dict[str, Any]) -> None:
    """A worker's result: one JSON line on stdout."""
    print(json.dumps(result), flush=True)
