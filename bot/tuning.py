"""Every number that tunes answering, in one typed object: ``Tuning``.

Each field is a threshold, weight or count one of the answering modules used to keep as a
module constant (or wrote inline); its description says what it does and where its value
came from (most were measured on the golden set, docs/evaluation.md). The engine builds one
from the settings (``Settings.tuning()``) and passes it down to the retriever, the evidence
rules and both synthesizers, so a sweep changes a value without editing code:

    NEWSBOT_TUNE="sentence_floor=0.25,recent_days=14" newsbot ask "…"
    newsbot eval --tune sentence_floor=0.25 --tune keep_ratio=0.7

The rule switches (``bot/rules.py``) ride along as ``rules``: an ablation switches a rule off
through the same object (``rules_off=recent_first+sentence_floor``, or ``NEWSBOT_RULES_OFF``).

It sits at the bottom beside ``bot/settings.py`` and ``bot/rules.py``: it imports nothing from
answering or the front-ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.rules import ALL_ON, RuleSwitches

#: The override key that switches rules off; its value names them joined by "+".
RULES_OFF = "rules_off"


class Tuning(BaseModel):
    """The answering path's thresholds, weights and counts, and which rules are on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # -- retrieval (bot/answering/retrieval.py) ------------------------------------------------
    rrf_k: int = Field(60, ge=0, description=(
        "reciprocal rank fusion's k: a hit at rank r adds 1/(k+r+1); Cormack et al. (2009), "
        "as llama-index uses"))
    candidates_per_slot: int = Field(4, ge=1, description=(
        "candidates each retriever (dense, keyword) contributes to the fusion per answer slot"))
    min_candidates: int = Field(10, ge=1, description=(
        "the fewest candidates each retriever contributes, however few slots are asked"))

    # -- recency (bot/answering/dates.py, NewsBot._retrieve) ------------------------------------
    recent_days: int = Field(30, ge=1, description=(
        "how far back 'the present' reaches for a question with no span phrase: a month of "
        "news, ending on the newest article day"))
    recent_share: float = Field(0.8, gt=0, le=1, description=(
        "the recent articles answer 'about as well' when their best passage has at least "
        "this share of the whole range's best similarity (a ratio: the same on any "
        "embedding's scale); swept on all five sets: 0.7-0.85 answer two or three more "
        "RealTimeQA questions from this month's articles than 0.9 and refuse one fewer, 0.8 "
        "the most, golden, held-out and SQuAD unmoved (docs/evaluation.md)"))

    # -- the evidence rules' sentence choice (bot/answering/evidence/selection.py) --------------
    max_sentences: int = Field(3, ge=1, description="sentences an extractive answer quotes")
    max_candidates: int = Field(6, ge=1, description=(
        "sentences embedded per answer, the best by keyword overlap and chunk rank; on the "
        "golden set 6 answered best and fastest (24: fact accuracy 0.773, p50 446 ms; 12: "
        "0.795, 272 ms; 8: 0.818, 155 ms; 6: 0.818, 128 ms; 4: 0.795, 86 ms); on all five "
        "sets 10, 20 and 40 each lose a RealTimeQA answer (docs/evaluation.md)"))
    min_words: int = Field(4, ge=1, description="a shorter sentence is never quoted")
    dense_weight: float = Field(0.65, ge=0, description=(
        "weight of a sentence's embedding similarity to the question in its score (with "
        "keyword_weight, swept on all five sets: 0.55/0.45 and 0.75/0.25 each lose a set, "
        "docs/evaluation.md)"))
    keyword_weight: float = Field(0.35, ge=0, description=(
        "weight of a sentence's IDF-weighted keyword overlap with the question in its score"))
    keyword_length_norm: float = Field(0.1, ge=0, le=1, description=(
        "BM25's b in a sentence's keyword overlap: 0 counts the question's words a sentence "
        "holds whatever its length, 1 divides by its length relative to the pool's mean; "
        "swept on all five sets (docs/evaluation.md): 0.05-0.15 answer one or two more "
        "RealTimeQA questions and cite more precisely on news, golden and held-out answer "
        "the same facts (golden cites one more unexpected file); 0.25 and 0.5 lose held-out "
        "precision, 0.5 a golden answer"))
    rank_prior_weight: float = Field(0.1, ge=0, description=(
        "weight of 1/chunk rank when shortlisting sentences to embed: a better-ranked "
        "chunk's sentence is shortlisted first"))
    keep_ratio: float = Field(0.8, ge=0, le=1, description=(
        "a further sentence is quoted only if its score is at least this share of the best"))
    duplicate_jaccard: float = Field(0.6, ge=0, le=1, description=(
        "two sentences sharing at least this Jaccard share of their terms are near-"
        "duplicates (a syndicated story): only the first is quoted"))
    type_bonus: float = Field(0.10, ge=0, description=(
        "added to the score of a sentence holding the kind of value asked for (a duration "
        "for 'how long', a date for 'when'); chosen on golden (0.10 lifted fact accuracy "
        "from 0.82 to 0.86 then); swept on all five sets since, 0, 0.05 and 0.20 each "
        "trade one set's figures against another's (docs/evaluation.md)"))
    heading_capitals: float = Field(0.7, ge=0, le=1, description=(
        "an unpunctuated line whose words are at least this share capitalised is a heading, "
        "never quoted"))

    # -- compound and scene-setting questions (bot/answering/question_parts.py) ----------------
    max_question_parts: int = Field(3, ge=2, description=(
        "a compound question's parts looked up in turn (retrieval, sentence choice, "
        "grounding); further parts are not looked up on their own"))
    min_asking_words: int = Field(3, ge=1, description=(
        "a question that sets the scene first is answered by its last sentence only when "
        "that sentence asks with at least this many words ('Why?' alone says too little)"))

    # -- refusals (bot/answering/evidence/gatherer.py, answerability.py) ------------------------
    sentence_floor: float = Field(0.30, description=(
        "refuse when the best sentence's similarity and score are both below this; on the "
        "golden set off-topic questions peak at 0.23 similarity and 0.25 score, answerable "
        "ones reach at least 0.29 and 0.34 on one or the other (either signal alone refused "
        "a paraphrase or a meta question)"))
    deeper_factor: int = Field(3, ge=1, description=(
        "when no retrieved sentence holds the narrow kind of value asked (an age, a "
        "duration, a count), look once more this many times deeper"))
    figure_tolerance: float = Field(0.10, ge=0, le=1, description=(
        "a figure the question rounds ('nearly 200,000', 'more than 60 years') is stated by a "
        "passage figure within this share of it (figure_in_passages); an exact one only by "
        "the same value"))
    planned_share: float = Field(0.75, ge=0, le=1, description=(
        "an outcome question is refused when at least this share of the sentences naming "
        "its day speak of it as still to come"))
    planned_min_sentences: int = Field(2, ge=1, description=(
        "the planned-day refusal needs at least this many sentences naming the day: one "
        "sentence is too little to say the articles only plan for it"))

    # -- sources that disagree (bot/answering/evidence/conflicts.py) ----------------------------
    conflict_min_similarity: float = Field(0.6, ge=0, le=1, description=(
        "share of two sentences' tokens in aligned blocks (difflib's ratio) for them to be one "
        "statement with a value changed: syndicated copies and corrections keep nearly every "
        "word; two articles telling a fact in their own words rarely reach 0.5"))
    conflict_max_other_words: int = Field(2, ge=0, description=(
        "content words two such sentences may differ in besides the value (\"said\" / "
        "\"told reporters\")"))

    # -- citations (bot/answering/citations.py) -------------------------------------------------
    support_threshold: float = Field(0.25, ge=0, le=1, description=(
        "share of a citing sentence's content words its quote must contain for the citation "
        "to count as supported (an LLM's unsupported citations are dropped)"))
    quote_max_chars: int = Field(400, ge=2, description="a citation's quote is cut to this")

    # -- grounding an LLM's reply (bot/answering/llm/grounding.py) ------------------------------
    attach_threshold: float = Field(0.5, ge=0, le=1, description=(
        "a sentence the model left uncited (or cited wrongly) is shown only if one source "
        "sentence holds at least this share of its content words; stricter than "
        "support_threshold because then the source is our choice, not the model's"))
    stem_chars: int = Field(5, ge=1, description=(
        "names are compared cut to this many letters, so 'Russian' finds 'Russia' (the "
        "Snowball stemmer keeps such pairs apart)"))

    # -- what an LLM reads (bot/answering/evidence/for_model.py) --------------------------------
    tokens_per_word: float = Field(1.4, gt=0, description=(
        "rough tokens per word of English news for Qwen/GPT tokenizers: a token budget "
        "without loading a tokenizer on the answer path"))
    window_radius: int = Field(1, ge=0, description=(
        "sentences on each side of a chosen one that come with it: the one before often names "
        "who 'he' is, the one after finishes its thought"))

    # -- follow-ups without an LLM (bot/answering/quoting/synthesizer.py) -----------------------
    carried_topic_turns: int = Field(1, ge=0, description=(
        "previous questions whose words a follow-up carries when no LLM rewrites it"))

    # -- the rule switches (bot/rules.py) -------------------------------------------------------
    rules: RuleSwitches = Field(ALL_ON, description=(
        "which answering rules are on; override with rules_off=name+name"))

    def with_overrides(self, overrides: Mapping[str, object]) -> Tuning:
        """This tuning with ``overrides`` (field name → value, strings accepted: "0.25")
        applied and validated; ``rules_off`` (names joined by "+", or a list) adds to the rules
        already off. ``ValueError`` with a one-line message names a bad name or value."""
        values: dict[str, Any] = self.model_dump()
        values["rules"] = self.rules
        for name, value in overrides.items():
            if name == RULES_OFF:
                names = value.split("+") if isinstance(value, str) else value
                if not isinstance(names, Iterable):
                    raise ValueError(f"{RULES_OFF}: expected rule names joined by '+'")
                try:
                    added = RuleSwitches.from_names(str(n) for n in names)
                except ValueError as exc:
                    raise ValueError(f"{RULES_OFF}: {exc}") from None
                values["rules"] = RuleSwitches(values["rules"].off | added.off)
            elif name not in Tuning.model_fields or name == "rules":
                raise ValueError(f"unknown tuning {name!r}; the names are: "
                                 f"{', '.join(tunable_names())}")
            else:
                values[name] = value
        try:
            return Tuning.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first.get("loc", ())) or "?"
            raise ValueError(f"{field}={values.get(field)!r}: {first.get('msg')}") from None


    def changes(self) -> dict[str, object]:
        """What differs from the defaults (``rules_off`` as a sorted list): what a report
        says a run was tuned by."""
        changed: dict[str, object] = {
            name: value for name, value in self.model_dump(exclude={"rules"}).items()
            if value != getattr(DEFAULTS, name)}
        if self.rules.off:
            changed[RULES_OFF] = sorted(self.rules.off)
        return changed


def tunable_names() -> list[str]:
    """Every name an override may set: the fields, with ``rules_off`` for ``rules``."""
    return [name for name in Tuning.model_fields if name != "rules"] + [RULES_OFF]


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``name=value`` items (each may hold several, comma-separated: the form of
    ``NEWSBOT_TUNE``) as a dict, later items winning. ``ValueError`` for an item without
    ``=``. Values stay strings: ``Tuning.with_overrides`` validates them."""
    overrides: dict[str, str] = {}
    for item in items:
        for pair in item.split(","):
            if not pair.strip():
                continue
            name, equals, value = pair.partition("=")
            if not equals or not name.strip() or not value.strip():
                raise ValueError(f"expected name=value, not {pair.strip()!r}")
            overrides[name.strip()] = value.strip()
    return overrides


#: Every default: what a caller that is not handed a tuning (a test, a tool) answers with.
DEFAULTS = Tuning()
