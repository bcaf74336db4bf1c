"""Words for keyword matching: lower-cased, stop words removed, Snowball-stemmed.

One function serves the keyword index (build and query) and the extractive answerer's keyword
overlap, so both agree on what a "word" is.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
# A compact English stop-word list (bm25s's list keeps "where", "were", which add only noise).
STOP_WORDS = frozenset(
    """
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours yourself yourselves s t d ll m re ve say said says tell
told also
    """.split()
)


# Numbers news writes in words, in order of value ("ten" is 10): read as numbers by the
# answering rules (bot/answering/evidence/figures.py) and by the quiz scorer alike.
SMALL_NUMBER_WORDS = tuple(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer  # PyStemmer: C Snowball stemmer, ~1 µs a word

    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """The stemmed content words of ``text``, in order (repeats kept)."""
    words = [w.replace("’", "'").lower() for w in _WORD.findall(text)]
    words = [w.split("'")[0] for w in words]  # "Trump's" → "trump"
    content = [w for w in words if w and w not in STOP_WORDS]
    return list(_stemmer().stemWords(content))  # type: ignore[attr-defined]
