"""newsbot's indexing half: load, clean, chunk, embed and store articles.

This package never imports ``bot``: the dependency points one way only.
"""
