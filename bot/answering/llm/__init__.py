"""The LLM backend: ``chat_model.py`` (the ``ChatModel`` protocol), one module per provider
(``openai_chat.py``, ``local_chat.py``, ``llamaindex_chat.py``), ``factory.py`` (provider name →
chat model, and how many questions it answers at once), ``messages.py`` (the prompts'
messages), ``reply.py`` (a real model's marker and refusal habits), ``grounding.py`` (every
sentence shown tied to a source that states what it adds to the question) and
``synthesizer.py`` (chat model → cited answer). What the model reads comes from
``bot/answering/evidence/``."""
