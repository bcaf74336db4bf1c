"""What both backends answer from, and the word rules' hints and refusals.

``gatherer.py`` (the refusal rules and their thresholds; the sentences worth quoting, best
first), ``selection.py`` (scores and picks sentences), ``answer_types.py`` and
``answerability.py`` (what a question asks for, and when the articles cannot answer it),
``for_model.py`` (what an LLM reads: passage windows within a token budget, or the rules'
chosen sentences)."""
