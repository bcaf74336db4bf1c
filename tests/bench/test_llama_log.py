"""The llama.cpp log reader behind the prompt-token and prefill figures of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.llama_log import main, parse, summary

LOG = """\
INFO:     127.0.0.1:50412 - "POST /v1/chat/completions HTTP/1.1" 200 OK
Llama.generate: 204 prefix-match hit, remaining 846 prompt tokens to eval
llama_perf_context_print:        load time =   31200.10 ms
llama_perf_context_print: prompt eval time =   31180.55 ms /   846 tokens (   36.86 ms per token)
llama_perf_context_print:        eval time =    1900.00 ms /    17 runs   (  111.76 ms per token)
llama_perf_context_print:       total time =   33201.00 ms /   863 tokens
Llama.generate: 210 prefix-match hit, remaining 300 prompt tokens to eval
llama_perf_context_print: prompt eval time =   10000.00 ms /   300 tokens (   33.33 ms per token)
llama_perf_context_print:        eval time =    3000.00 ms /    30 runs   (  100.00 ms per token)
llama_perf_context_print:       total time =   13100.00 ms /   330 tokens
llama_perf_context_print: prompt eval time =   99.00 ms /   5 tokens
"""


def test_each_finished_request_is_read() -> None:
    first, second = parse(LOG.splitlines())
    assert (first.cached_tokens, first.prompt_tokens, first.prefill_ms) == (204, 846, 31180.55)
    assert (first.generated_tokens, first.generate_ms, first.total_ms) == (17, 1900.0, 33201.0)
    assert (second.cached_tokens, second.prompt_tokens, second.generated_tokens) == (210, 300, 30)


def test_the_summary_gives_percentiles() -> None:
    result = summary(parse(LOG.splitlines()))
    assert result["requests"] == 2
    assert result["prompt_tokens"] == {"p50": 573.0, "p95": 818.7}


def test_a_missing_log_is_one_line_and_exit_2(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "absent.log")]) == 2
    assert capsys.readouterr().err.startswith("error: cannot read")


def test_since_line_skips_an_earlier_run(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "server.log"
    log.write_text(LOG)
    assert main([str(log), "--since-line", "6"]) == 0
    assert '"requests": 1' in capsys.readouterr().out
