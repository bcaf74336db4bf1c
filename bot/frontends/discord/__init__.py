"""The Discord interface: slash commands, mentions and threads over the same ``answer()``.

Start with ``client.py`` (the client and its events), then ``commands.py`` and ``mentions.py``
(the handlers), ``answering.py`` (one question, start to finish) and ``formatting.py``.
Nothing is imported here, so ``newsbot --help`` does not load discord.py.
"""
