"""The no-LLM backend: quotes the articles' own sentences. ``synthesizer.py`` holds its refusal
rules and thresholds, ``selection.py`` scores and picks sentences, ``answer_types.py`` and
``answerability.py`` tell what a question asks for and when the articles cannot answer it."""
