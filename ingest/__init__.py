"""newsbot's indexing half: load, clean, chunk, embed and store articles.

This package never imports ``bot``: the dependency points one way only. So the two modules
both halves use live here: ``errors.py`` (the app's expected failures and their exit codes) and
``dates.py`` (reading an article's date; the ``YYYYMMDD`` day number retrieval selects by).
"""
