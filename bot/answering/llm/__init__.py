"""The LLM backend: ``chat_model.py`` (the ``ChatModel`` protocol), one module per provider
(``openai_chat.py``), ``factory.py`` (provider name → chat model), ``messages.py`` (the prompts'
messages) and ``synthesizer.py`` (chat model → cited answer)."""
