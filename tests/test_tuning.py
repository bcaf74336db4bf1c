"""``bot/tuning.py``: every answering threshold in one object, overridden by name from the
settings (``NEWSBOT_TUNE``) or one evaluation run (``newsbot eval --tune``), and handed down
by the engine, so an override changes what is answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.engine import NewsBot
from bot.rules import RULES, RuleSwitches
from bot.tuning import DEFAULTS, Tuning, parse_overrides, tunable_names
from tests.core_fixtures import SAUDI_QUESTION, IndexedCorpus, make_settings


def test_overrides_are_parsed_validated_and_reported() -> None:
    tuned = DEFAULTS.with_overrides(parse_overrides(
        ["sentence_floor=0.25, recent_days=14", "rules_off=recent_first+sentence_floor",
         "recent_days=20"]))  # a later item wins
    assert tuned.sentence_floor == 0.25 and tuned.recent_days == 20
    assert tuned.rules == RuleSwitches(frozenset({"recent_first", "sentence_floor"}))
    assert tuned.changes() == {"recent_days": 20, "sentence_floor": 0.25,
                               "rules_off": ["recent_first", "sentence_floor"]}
    assert DEFAULTS.changes() == {} and Tuning() == DEFAULTS
    assert set(tunable_names()) == (set(Tuning.model_fields) - {"rules"}) | {"rules_off"}
    # Frozen: a component cannot change the tuning another one reads.
    with pytest.raises(ValidationError):
        tuned.sentence_floor = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"sentence_flor": "0.2"}, "unknown tuning 'sentence_flor'; the names are: rrf_k, "),
    ({"rules": "x"}, "unknown tuning 'rules'"),
    ({"recent_days": "two"}, "recent_days='two': Input should be a valid integer"),
    ({"keep_ratio": "1.5"}, "keep_ratio='1.5': Input should be less than or equal to 1"),
    ({"rules_off": "sentence_floor+typo"}, "rules_off: unknown rule typo; the rules are: "),
])
def test_a_bad_name_or_value_is_one_line(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        DEFAULTS.with_overrides(overrides)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


@pytest.mark.parametrize("item", ["sentence_floor", "=0.2", "sentence_floor="])
def test_an_item_without_name_and_value_is_refused(item: str) -> None:
    with pytest.raises(ValueError, match="expected name=value"):
        parse_overrides([item])


def test_settings_combine_newsbot_tune_and_newsbot_rules_off(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, NEWSBOT_TUNE="type_bonus=0.2,rules_off=asked_part",
                             NEWSBOT_RULES_OFF="recent_first")
    tuning = settings.tuning()
    assert tuning.type_bonus == 0.2 and tuning.keep_ratio == DEFAULTS.keep_ratio
    assert tuning.rules.off == {"asked_part", "recent_first"}
    assert make_settings(tmp_path).tuning() == DEFAULTS
    with pytest.raises(ValidationError, match="unknown tuning 'typo'"):
        make_settings(tmp_path, NEWSBOT_TUNE="typo=1")


def test_an_override_reaches_the_answer(indexed_corpus: IndexedCorpus) -> None:
    """Each override is read where it acts, not a module constant: a floor above every
    sentence refuses what the defaults answer, one sentence is one, and switching the floor's
    rule off through the same object answers again."""
    def bot(tune: str = "") -> NewsBot:
        return indexed_corpus.bot(**({"NEWSBOT_TUNE": tune} if tune else {}))

    default = bot().answer(SAUDI_QUESTION)
    assert not default.refused and "Saudi Arabia" in default.text
    assert bot("sentence_floor=0.99").answer(SAUDI_QUESTION).refused
    assert not bot("sentence_floor=0.99,rules_off=sentence_floor").answer(SAUDI_QUESTION).refused
    several = bot("keep_ratio=0").answer(SAUDI_QUESTION)
    one = bot("keep_ratio=0,max_sentences=1").answer(SAUDI_QUESTION)
    assert several.text.count("[") > 1 and one.text.count("[") == 1


def test_every_rule_is_a_switch_of_the_tuning() -> None:
    tuning = DEFAULTS.with_overrides({"rules_off": "+".join(RULES)})
    assert not any(tuning.rules.on(name) for name in RULES)
    assert all(DEFAULTS.rules.on(name) for name in RULES)
