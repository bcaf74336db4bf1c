"""Start-up: ``newsbot ask`` from a cold process on the sample corpus, and the vanilla pipeline's.

    python -m bench.startup_bench [--runs 10]

A "cold process" is a new Python process each time (the OS file cache is warm, as it is for
anyone asking twice). Wall time comes from hyperfine when installed (else a subprocess loop),
peak memory from each child's own rusage (``wait4``), and the profile from
``python -X importtime`` and pyinstrument.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import OUT_DIR, REPO_ROOT, SAMPLE_DIR, VENV_BIN, child_env, emit, run_measured

QUESTION = "Where were the talks on the 30-day ceasefire held?"
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)")


def newsbot_cmd(*args: str) -> list[str]:
    return [str(VENV_BIN / "newsbot"), *args]


def prepare(work: Path) -> tuple[dict[str, str], Path]:
    """A data dir with the sample corpus ingested (by the real CLI), and a vanilla index."""
    data_dir = work / "data"
    env = child_env(NEWSBOT_DATA_DIR=str(data_dir), NEWSBOT_LLM="extractive")
    done = run_measured(newsbot_cmd("ingest", str(SAMPLE_DIR), "--json"), env=env)
    if done.returncode != 0:
        raise RuntimeError(f"newsbot ingest failed: {done.stderr[-2000:]}")
    vanilla_dir = work / "vanilla"
    if not (vanilla_dir / "docstore.json").is_file():
        from bench import vanilla

        vanilla.ingest(SAMPLE_DIR, vanilla_dir)
    return env, vanilla_dir


def wall_times(commands: dict[str, list[str]], env: dict[str, str], runs: int,
               export: Path) -> dict[str, dict[str, Any]]:
    """Median/mean/min wall seconds per command (hyperfine if available)."""
    hyperfine = shutil.which("hyperfine")
    results: dict[str, dict[str, Any]] = {}
    if hyperfine:
        cmd = [hyperfine, "-N", "--warmup", "1", "--runs", str(runs), "--export-json",
               str(export), "--style", "basic"]
        for name, argv in commands.items():
            cmd += ["-n", name, subprocess.list2cmdline(argv)]
        subprocess.run(cmd, cwd=REPO_ROOT, env=env, check=True, capture_output=True)
        for entry in json.loads(export.read_text())["results"]:
            results[entry["command"]] = {
                "median_s": round(entry["median"], 3), "mean_s": round(entry["mean"], 3),
                "min_s": round(entry["min"], 3), "max_s": round(entry["max"], 3),
                "runs": len(entry["times"]), "tool": "hyperfine"}
        return results
    for name, argv in commands.items():
        run_measured(argv, env=env)  # warm-up
        times = [run_measured(argv, env=env).seconds for _ in range(runs)]
        results[name] = {"median_s": round(statistics.median(times), 3),
                         "mean_s": round(statistics.mean(times), 3),
                         "min_s": round(min(times), 3), "max_s": round(max(times), 3),
                         "runs": runs, "tool": "subprocess loop"}
    return results


def peak_memory_and_cpu(argv: list[str], env: dict[str, str], runs: int = 3) -> dict[str, Any]:
    """Peak RSS (MB) and CPU seconds (user + system) of ``argv`` over ``runs`` cold processes.

    CPU time is what the process itself costs; on this shared machine wall time also counts
    waiting for a core.
    """
    peaks, cpu = [], []
    for _ in range(runs):
        measured = run_measured(argv, env=env)
        if measured.returncode != 0:
            raise RuntimeError(f"{argv} failed: {measured.stderr[-2000:]}")
        peaks.append(round(measured.maxrss_mb, 1))
        cpu.append(round(measured.cpu_seconds, 2))
    return {"peak_rss_mb": statistics.median(peaks), "peaks": peaks,
            "cpu_s": statistics.median(cpu), "cpus": cpu}


def import_profile(env: dict[str, str], top: int = 12) -> list[dict[str, Any]]:
    """The top-level imports of ``newsbot ask`` by cumulative time (``-X importtime``)."""
    code = (f"import sys; sys.argv = ['newsbot', 'ask', {QUESTION!r}]; "
            "from bot.frontends.cli.app import main; main()")
    done = run_measured([sys.executable, "-X", "importtime", "-c", code], env=env)
    rows = []
    for line in done.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match and len(match.group(3)) == 1:  # one space: imported at top level
            rows.append({"module": match.group(4), "cumulative_ms":
                         round(int(match.group(2)) / 1000, 1)})
    rows.sort(key=lambda r: -float(r["cumulative_ms"]))
    return rows[:top]


def pyinstrument_profile(env: dict[str, str], output: Path) -> str:
    """pyinstrument's text report of one cold ``newsbot ask`` (also written to ``output``)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    run_measured([sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(output),
                  "--interval", "0.001", str(VENV_BIN / "newsbot"), "ask", QUESTION], env=env)
    return output.read_text() if output.is_file() else ""


# Cumulative prefixes of a cold `ask`: each child does one step more than the previous one, so
# the differences of their CPU times (user + system, all threads) are the steps' costs. No
# profiler runs, so nothing is inflated; CPU time is used because wall time on this shared
# machine mostly measures waiting for a core.
_SETUP = ("import sys; from pathlib import Path; from bot.settings import Settings; "
          "s = Settings(); ")
CPU_STEPS: list[tuple[str, str]] = [
    ("python interpreter", "pass"),
    ("import bot.frontends.cli.app (typer, rich, pydantic-settings, optional commands)",
     "import bot.frontends.cli.app"),
    ("import bot.engine (numpy, bm25s, retrieval, extractive)",
     "import bot.frontends.cli.app, bot.engine"),
    ("import chromadb", "import bot.frontends.cli.app, bot.engine, chromadb"),
    ("open the Chroma client and collection",
     _SETUP + "from bot.engine import NewsBot; b = NewsBot(s); "
     "from ingest.store import make_chroma_client; c = make_chroma_client(s.data_dir); "
     "c.get_collection(s.collection).count()"),
    ("load the ONNX model (read, sha256, session)",
     _SETUP + "from bot.engine import NewsBot; b = NewsBot(s); b.is_indexed()"),
    ("retrieve (embed question, Chroma query, load BM25 index)",
     _SETUP + "from bot.engine import NewsBot; b = NewsBot(s); b.is_indexed(); "
     f"b.retriever.retrieve({QUESTION!r}, s.top_k)"),
    ("extractive answer (embed candidate sentences) + print",
     f"import sys; sys.argv = ['newsbot', 'ask', {QUESTION!r}]; "
     "from bot.frontends.cli.app import main; main()"),
]


def cpu_steps(env: dict[str, str], runs: int = 3) -> list[dict[str, Any]]:
    """CPU seconds of each step of a cold ``ask`` (median of ``runs`` children per prefix)."""
    rows: list[dict[str, Any]] = []
    previous = 0.0
    for label, code in CPU_STEPS:
        times = []
        for _ in range(runs):
            done = run_measured([sys.executable, "-c", code], env=env)
            if done.returncode not in (0,):
                raise RuntimeError(f"{label}: {done.stderr[-1500:]}")
            times.append(done.cpu_seconds)
        cumulative = statistics.median(times)
        rows.append({"step": label, "cpu_s": round(cumulative - previous, 3),
                     "cumulative_cpu_s": round(cumulative, 3)})
        previous = cumulative
    return rows


def run(runs: int = 10, work: Path | None = None) -> dict[str, Any]:
    work = work or OUT_DIR / "startup"
    env, vanilla_dir = prepare(work)
    py = sys.executable
    commands = {
        "python -c pass": [py, "-c", "pass"],
        "newsbot --help": newsbot_cmd("--help"),
        "newsbot ask": newsbot_cmd("ask", QUESTION),
        "vanilla ask": [py, "-m", "bench.vanilla", "ask", str(vanilla_dir), QUESTION],
    }
    walls = wall_times(commands, env, runs, work / "hyperfine.json")
    memory = {name: peak_memory_and_cpu(argv, env) for name, argv in commands.items()
              if name != "python -c pass"}
    profile_text = pyinstrument_profile(env, work / "pyinstrument_ask.txt")
    return {"mode": "startup", "question": QUESTION, "wall": walls, "resources": memory,
            "imports": import_profile(env), "cpu_steps": cpu_steps(env),
            "pyinstrument_head": profile_text[:6000]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start-up benchmark of `newsbot ask`.")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    emit(run(args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
