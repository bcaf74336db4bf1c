"""👍/👎 votes on answers, kept in SQLite in the data dir (``store.py``)."""
