"""``ChunkDays``: a span of days selected in memory as ``span_where`` selects it in Chroma
(both ends included, undated chunks outside every span), in the keyword index's order."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from ingest.chunk_days import ChunkDays

# In keyword-index order, not sorted: the mask follows this order, the id list is sorted.
IDS = ["d", "b", "e", "a", "c"]
NUMBERS = {"d": 20250310, "b": 20250301, "a": 20250320, "c": 20250310}  # "e" is undated


def _selected(days: ChunkDays, first: date | None, last: date | None) -> list[str]:
    return days.sorted_ids(days.within(first, last))


def test_a_span_includes_both_ends_and_never_an_undated_chunk() -> None:
    days = ChunkDays.of(IDS, NUMBERS)
    assert days.within(None, None).tolist() == [True, True, False, True, True]
    assert _selected(days, None, date(2025, 3, 10)) == ["b", "c", "d"]
    assert _selected(days, date(2025, 3, 10), None) == ["a", "c", "d"]
    assert _selected(days, date(2025, 3, 10), date(2025, 3, 10)) == ["c", "d"]
    assert _selected(days, None, date(2025, 3, 9)) == ["b"]  # the day after the bound is out
    assert _selected(days, date(2025, 3, 21), None) == []
    assert _selected(days, date(2025, 3, 11), date(2025, 3, 19)) == []


def test_the_mask_is_in_the_given_order() -> None:
    days = ChunkDays.of(IDS, NUMBERS)
    assert days.within(date(2025, 3, 20), None).tolist() == [False, False, False, True, False]
    assert len(days) == len(IDS)


def test_days_are_the_distinct_dated_days_oldest_first() -> None:
    assert ChunkDays.of(IDS, NUMBERS).days() == [date(2025, 3, 1), date(2025, 3, 10),
                                                date(2025, 3, 20)]
    assert ChunkDays.of(["x", "y"], {}).days() == []
    assert ChunkDays.of([], {}).days() == [] and ChunkDays.of([], {}).sorted_ids(
        np.zeros(0, dtype=bool)) == []


def test_ids_and_numbers_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 chunk ids but 1 day numbers"):
        ChunkDays(["a", "b"], np.array([20250101], dtype=np.int64))
