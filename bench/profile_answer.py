"""Profile warm answers (or retrievals) on a benchmark collection with pyinstrument.

    python -m bench.profile_answer DATA_DIR [--what answer|retrieve] [--questions 10] [-o OUT]

Warm-up first (model, Chroma, keyword index loaded), then the profiled loop, so the profile
shows the per-question cost only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.common import SAMPLE_DIR, bench_settings, questions


def profile(data_dir: Path, what: str, count: int) -> str:
    from pyinstrument import Profiler

    from bot.engine import NewsBot

    bot = NewsBot(bench_settings(data_dir, SAMPLE_DIR))
    asked = questions()
    for question in asked[:3]:
        bot.answer(question)
    profiler = Profiler(interval=0.001)
    profiler.start()
    for question in asked[3 : 3 + count]:
        if what == "answer":
            bot.answer(question)
        else:
            bot.retriever.retrieve(question, bot.settings.top_k)
    profiler.stop()
    text: str = profiler.output_text(unicode=True, color=False, show_all=False)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile warm answers with pyinstrument.")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--what", choices=["answer", "retrieve"], default="answer")
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    text = profile(args.data_dir, args.what, args.questions)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
