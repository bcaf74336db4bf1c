"""The day of every chunk of one published generation, held in memory for date filters.

Why: a question with a date bound (every RealTimeQA question: "articles on or before the
question's day") used to list the matching chunk ids from Chroma's metadata on every retrieval,
166 ms an answer at 100,000 chunks (docs/benchmarks.md). The chunks and their days change only
when an ingest publishes a new generation, so they are read once per generation, in the keyword
index's order (the keyword index's ids are that generation's manifest), and a span of days
becomes a numpy comparison: a mask for BM25 and a sorted id list for the dense query.

The selection is ``ingest.dates.span_where``'s, evaluated here instead of by Chroma: chunks
dated from the first day to the last, both included; an undated chunk is outside every span.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from ingest.dates import date_number, number_date

UNDATED = 0  # below every real day number (YYYYMMDD), so no span reaches it


@dataclass(frozen=True)
class ChunkDays:
    """Chunk ids (one generation's, in keyword-index order) and each one's day number."""

    ids: Sequence[str]
    numbers: NDArray[np.int64]  # ``YYYYMMDD`` per chunk of ``ids``, ``UNDATED`` if none
    # The ids sorted, and where each sorted id sits in ``ids``: the dense query is asked for
    # its ids in sorted order, as it was when they came from a set.
    _sorted_ids: NDArray[np.object_] = field(init=False, repr=False, compare=False)
    _sorted_at: NDArray[np.intp] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.numbers) != len(self.ids):
            raise ValueError(f"{len(self.ids)} chunk ids but {len(self.numbers)} day numbers")
        as_array = np.asarray(self.ids, dtype=object)
        order = np.argsort(as_array, kind="stable")
        object.__setattr__(self, "_sorted_ids", as_array[order])
        object.__setattr__(self, "_sorted_at", order)

    @classmethod
    def of(cls, ids: Sequence[str], numbers: Mapping[str, int]) -> ChunkDays:
        """The days of ``ids`` given each dated one's number (missing: undated)."""
        return cls(ids, np.fromiter((numbers.get(i, UNDATED) for i in ids), dtype=np.int64,
                                    count=len(ids)))

    def __len__(self) -> int:
        return len(self.ids)

    def within(self, first: date | None, last: date | None) -> NDArray[np.bool_]:
        """Per chunk of ``ids``: dated from ``first`` to ``last`` (both included; an open end
        still requires a date)."""
        low = date_number(first) if first else UNDATED + 1
        selected = self.numbers >= low
        if last is not None:
            selected &= self.numbers <= date_number(last)
        return selected

    def sorted_ids(self, selected: NDArray[np.bool_]) -> list[str]:
        """The ids ``selected`` marks (a ``within`` mask), sorted."""
        return list(self._sorted_ids[selected[self._sorted_at]])

    def days(self) -> list[date]:
        """The distinct days the chunks are dated, oldest first (none if all are undated)."""
        return list(self._distinct_days)

    @cached_property
    def _distinct_days(self) -> tuple[date, ...]:
        # Asked for on every question (its time words are read against the newest day).
        return tuple(number_date(int(n)) for n in np.unique(self.numbers) if n != UNDATED)
