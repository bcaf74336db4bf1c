"""From a question and retrieved chunks to a cited ``Answer``.

``retrieval.py`` (dense + BM25, fused; a compound question's parts take turns),
``question_parts.py`` (a compound question's parts; the asking sentence of one that sets the
scene first), ``dates.py`` (time words read against the articles' dates; the recent window of a
question about the present), ``synthesizer.py`` (the protocol every backend implements, refusals),
``citations.py`` and ``markers.py`` (``[n]`` markers to checked citations), ``sentences.py``
(news-aware sentence boundaries), ``headlines.py`` (telling a headline from a sentence),
``questions.py`` (the one question check), ``stories.py`` (one story told by several outlets),
``backends.py`` (backend names and which synthesizer a name builds). ``evidence/`` is what both
backends answer from (the word rules, sentence choice, what a model reads); the backends are
``quoting/`` (no LLM) and ``llm/`` (chat models). The rules' names, for switching them off, are
in ``bot/rules.py``.
"""
