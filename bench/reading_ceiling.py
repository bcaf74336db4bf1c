"""How far better evidence could take the answering model, on a news-quiz set.

A measurement, never on the answer path: it reads each question's gold answer to find where
it stands in what answering found, which no answer may do. For each answerable question of a
set in RealTimeQA's format (each asked from the articles of its day or before, as
``newsbot eval`` asks it), the gold answer is

- in the chosen sentences: the one to three sentences the evidence rules chose to quote (what
  a self-hosted model reads by default, ``NEWSBOT_LLM_EVIDENCE=sentences``) name it;
- elsewhere in the passages: a retrieved chunk names it, the chosen sentences don't;
- not retrieved: no retrieved chunk names it;
- refused by the rules: the rules refuse before choosing any sentence.

With an LLM backend (``NEWSBOT_LLM`` and its settings, as for ``newsbot eval``) the model is
then asked each question once with the answer prompt, no judging call and no grounding: over
the chosen sentences ("as chosen"), and, where a retrieved sentence names the gold and the
chosen don't, over the chosen with the first such sentence in place of the last, its source
shown first ("with the gold sentence"). Both replies are scored as the set is (names the
gold, no distractor). The "with the gold sentence" total is what this model reads out of a
perfect sentence choice among the retrieved passages; "not retrieved" is what retrieval
leaves to no choice at all. Between them they bound what any sentence-choosing rule can gain
with this model, and show how much a stronger reader would gain over it.

    python -m bench.reading_ceiling                        # RealTimeQA beside the repository
    python -m bench.reading_ceiling --every 3 --out bench/out/reading_ceiling.json
    python -m bench.reading_ceiling --set path/to/questions.json --corpus path/to/corpus
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from bot.answering.evidence.for_model import evidence_sources  # noqa: E402
from bot.answering.evidence.gatherer import EvidenceGatherer  # noqa: E402
from bot.answering.evidence.selection import Candidate  # noqa: E402
from bot.answering.llm.chat_model import ChatModel  # noqa: E402
from bot.answering.llm.messages import answer_messages  # noqa: E402
from bot.answering.llm.synthesizer import LLMSynthesizer  # noqa: E402
from bot.answering.quoting.synthesizer import ExtractiveSynthesizer  # noqa: E402
from bot.answering.retrieval import RetrievedChunk  # noqa: E402
from bot.engine import NewsBot  # noqa: E402
from bot.evaluation.news_quiz import QuizCase, QuizScore, load_quiz, names  # noqa: E402
from bot.models import Answer, DateRange  # noqa: E402
from ingest.errors import BadInputError  # noqa: E402
from ingest.sentences import split_sentences  # noqa: E402

REALTIMEQA = REPO.parent / "shared" / "bench" / "realtimeqa_dev" / "questions.json"

IN_CHOSEN = "in the chosen sentences"
IN_PASSAGES = "elsewhere in the passages"
NOT_RETRIEVED = "not retrieved"
RULES_REFUSE = "refused by the rules"
PLACES = (IN_CHOSEN, IN_PASSAGES, NOT_RETRIEVED, RULES_REFUSE)


@dataclass
class Reading:
    """One answerable question: where its gold stands, and the model's two replies (None
    where the model was not asked: no LLM, or the evidence would be the same)."""

    id: str
    question: str
    gold: str
    place: str
    as_chosen: bool | None = None
    with_gold: bool | None = None
    reply_as_chosen: str = ""
    reply_with_gold: str = ""

    @property
    def best(self) -> bool | None:
        """Right with the better of the two evidences (as chosen where the gold sentence was
        not added)."""
        return self.with_gold if self.with_gold is not None else self.as_chosen


def gold_sentence(chunks: Sequence[RetrievedChunk], gold: str) -> Candidate | None:
    """The first sentence of the retrieved chunks (best chunk first) naming ``gold``."""
    for rank, retrieved in enumerate(chunks, 1):
        for sentence in split_sentences(retrieved.chunk.text):
            if names(sentence.text, gold):
                return Candidate(source=rank, text=sentence.text, terms=frozenset(), keyword=0.0,
                                 date=retrieved.chunk.article_field("date"))
    return None


def with_gold_sentence(found: Candidate, chosen: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """``found`` in place of the last chosen sentence, and first, so that its source is shown
    first (``evidence_sources``): as many sentences as the rules chose (two when they chose
    one), so the model reads about as much as it did."""
    return (found, *chosen[:max(len(chosen) - 1, 1)])


def right(case: QuizCase, reply: str) -> bool:
    """``reply`` scored as the set scores an answer."""
    return QuizScore(case, Answer(question=case.question, text=reply)).right


def evidence_rules(bot: NewsBot) -> EvidenceGatherer:
    """The bot's own evidence rules, so the sentences measured are those its answers are made
    from; a backend without them is bad input."""
    synthesizer = bot.synthesizer
    if not isinstance(synthesizer, LLMSynthesizer | ExtractiveSynthesizer):
        raise BadInputError(f"backend {bot.backend} has no evidence rules to measure")
    return synthesizer.rules


def read_case(bot: NewsBot, rules: EvidenceGatherer, model: ChatModel | None,
              case: QuizCase) -> Reading:
    retrieval = bot.retrieve(case.question, dates=DateRange(until=case.day))
    reading = Reading(case.id, case.question, case.gold, RULES_REFUSE)
    evidence = rules.gather(case.question, case.question, retrieval)
    if not evidence.answerable:
        return reading
    chunks = evidence.synthesis.retrieval.chunks  # deeper than asked when the rules looked so
    chosen = evidence.sentences
    found = gold_sentence(chunks, case.gold)
    reading.place = IN_CHOSEN if any(names(c.text, case.gold) for c in chosen) else \
        IN_PASSAGES if found is not None else NOT_RETRIEVED
    if model is None:
        return reading

    def ask(sentences: Sequence[Candidate]) -> str:
        messages = answer_messages(case.question, evidence_sources(chunks, sentences))
        return model.chat(messages)

    reading.reply_as_chosen = ask(chosen)
    reading.as_chosen = right(case, reading.reply_as_chosen)
    if reading.place == IN_PASSAGES and found is not None:
        reading.reply_with_gold = ask(with_gold_sentence(found, chosen))
        reading.with_gold = right(case, reading.reply_with_gold)
    return reading


def table(readings: Sequence[Reading], with_model: bool) -> str:
    """The Markdown table: a row per place, then all answerable questions."""
    lines = ["| where the gold answer stands | questions | model right, as chosen "
             "| model right, with the gold sentence |", "|---|---:|---:|---:|"]
    for place in PLACES:
        rows = [r for r in readings if r.place == place]
        as_chosen = with_gold = "—"
        if with_model:
            as_chosen = str(sum(1 for r in rows if r.as_chosen))
            if place == IN_PASSAGES:
                with_gold = str(sum(1 for r in rows if r.with_gold))
            elif place == IN_CHOSEN:
                with_gold = "(the same)"
        lines.append(f"| {place} | {len(rows)} | {as_chosen} | {with_gold} |")
    total = len(readings)
    if with_model and total:
        chosen_right = sum(1 for r in readings if r.as_chosen)
        best_right = sum(1 for r in readings if r.best)
        lines.append(f"| **all answerable** | {total} | {chosen_right} "
                     f"({chosen_right / total:.3f}) | {best_right} ({best_right / total:.3f}) |")
    else:
        lines.append(f"| **all answerable** | {total} | — | — |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=REALTIMEQA,
                        help="a news-quiz set in RealTimeQA's format (default: realtimeqa_dev)")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="its articles (default: the corpus folder beside the set)")
    parser.add_argument("--every", type=int, default=1, help="every Nth answerable question")
    parser.add_argument("--out", type=Path, default=None, help="write every reading as JSON")
    args = parser.parse_args(argv)

    from bot.frontends.cli.console import load_settings
    from bot.frontends.cli.eval_commands import prepare_bot
    from ingest.errors import NewsbotError

    try:
        cases = [c for c in load_quiz(args.set) if not c.refuse][::max(args.every, 1)]
        bot = prepare_bot(load_settings(), args.corpus or args.set.parent / "corpus",
                          show_progress=True)
        rules = evidence_rules(bot)
        synthesizer = bot.synthesizer
        model = synthesizer.chat_model if isinstance(synthesizer, LLMSynthesizer) else None
        readings = []
        for number, case in enumerate(cases, 1):
            print(f"[{number}/{len(cases)}] {case.question[:70]}", file=sys.stderr, flush=True)
            readings.append(read_case(bot, rules, model, case))
    except (NewsbotError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.set} · {bot.backend} · {len(readings)} answerable questions")
    print(table(readings, model is not None))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps([asdict(r) for r in readings], indent=1) + "\n",
                            encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
