"""File → articles. ``files.py`` finds and safely reads files in a corpus folder; each format's
loader (``text.py``, ``html.py``) turns a file's text into articles (id, text, title,
metadata); ``registry.py`` maps a file suffix to its loader. A new format is one module here
and one line in ``registry.LOADERS``.
"""
