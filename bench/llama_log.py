"""Prompt tokens and prefill time per request, read from a llama.cpp server's log.

The server measures what a client cannot: how many prompt tokens it evaluated (after reusing
the cached prefix) and how long that prefill took, which on a CPU is the time to first token.
Reading its log treats newsbot and vanilla LlamaIndex alike, whatever client each uses.

    newsbot model serve --model 1.5b --port 8088 2> server.log &
    … run the evaluation …
    python -m bench.llama_log server.log [--since-line N] [--json]

Lines parsed (llama-cpp-python 0.3.x, verbose): ``Llama.generate: N prefix-match hit,
remaining M prompt tokens to eval`` and ``llama_perf_context_print: prompt eval time = X ms /
M tokens``, ``eval time = X ms / N runs``, ``total time = X ms``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

_PREFIX = re.compile(r"(\d+) prefix-match hit, remaining (\d+) prompt tokens to eval")
_PROMPT = re.compile(r"prompt eval time\s*=\s*([\d.]+) ms\s*/\s*(\d+) tokens")
_EVAL = re.compile(r"(?<!prompt )eval time\s*=\s*([\d.]+) ms\s*/\s*(\d+) runs")
_TOTAL = re.compile(r"total time\s*=\s*([\d.]+) ms")


@dataclass
class Request:
    cached_tokens: int = 0
    prompt_tokens: int = 0
    prefill_ms: float = 0.0
    generated_tokens: int = 0
    generate_ms: float = 0.0
    total_ms: float = 0.0


def parse(lines: Iterable[str]) -> list[Request]:
    """One ``Request`` per completed generation (a ``total time`` line closes it)."""
    requests: list[Request] = []
    current = Request()
    for line in lines:
        if match := _PREFIX.search(line):
            current.cached_tokens = int(match.group(1))
        elif match := _PROMPT.search(line):
            current.prefill_ms, current.prompt_tokens = float(match.group(1)), int(match.group(2))
        elif match := _EVAL.search(line):
            current.generate_ms, current.generated_tokens = (float(match.group(1)),
                                                             int(match.group(2)))
        elif match := _TOTAL.search(line):
            current.total_ms = float(match.group(1))
            requests.append(current)
            current = Request()
    return requests


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(requests: Sequence[Request]) -> dict[str, object]:
    fields = ("cached_tokens", "prompt_tokens", "prefill_ms", "generated_tokens", "total_ms")
    return {"requests": len(requests), **{
        name: {"p50": round(_percentile([getattr(r, name) for r in requests], 50), 1),
               "p95": round(_percentile([getattr(r, name) for r in requests], 95), 1)}
        for name in fields}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--since-line", type=int, default=0,
                        help="Skip the log's first N lines (an earlier run's requests).")
    parser.add_argument("--json", action="store_true", help="Print every request too.")
    args = parser.parse_args(argv)
    try:
        lines = args.log.read_text(errors="replace").splitlines()[args.since_line:]
    except OSError as exc:
        print(f"error: cannot read {args.log}: {exc.strerror}", file=sys.stderr)
        return 2
    requests = parse(lines)
    result = summary(requests)
    if args.json:
        result["per_request"] = [asdict(r) for r in requests]
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
