"""What both backends answer from, and the word rules' hints and refusals.

``gatherer.py`` (the refusal rules; the sentences worth quoting, best first, and the near-top
ones), ``selection.py`` (scores and picks sentences), ``answer_types.py`` and
``answerability.py`` (what a question asks for, and when the articles cannot answer it),
``conflicts.py`` (two articles stating different values for one thing, when it bears on the
question) and ``sources_differ.py`` (the "Sources differ: …" sentence both backends append),
``for_model.py`` (what an LLM reads: passage windows within a token budget, or the rules'
chosen sentences). Their thresholds are ``bot.tuning.Tuning``'s."""
