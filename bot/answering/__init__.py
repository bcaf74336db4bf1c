"""From a question and retrieved chunks to a cited ``Answer``.

``retrieval.py`` (dense + BM25, fused), ``synthesizer.py`` (the protocol every backend
implements), ``citations.py`` and ``markers.py`` (``[n]`` markers to citations),
``questions.py`` (the one question check), ``backends.py`` (backend names and which
synthesizer a name builds). The backends: ``extractive/`` (no LLM) and ``llm/`` (chat models).
"""
