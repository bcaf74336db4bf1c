"""newsbot's indexing half: load, clean, chunk, embed and store articles.

This package never imports ``bot``: the dependency points one way only. So the modules both
halves use live here: ``errors.py`` (the app's expected failures and their exit codes),
``dates.py`` (reading an article's date; the ``YYYYMMDD`` day number retrieval selects by),
``sentences.py`` (news-aware sentence boundaries: ingest embeds the sentences the answer path
quotes), ``text_terms.py`` (the stemmed content words keyword search and support count).
The store: ``store.py`` (Chroma), ``keyword_index.py`` (BM25), ``sentence_vectors.py`` (each
sentence's vector, written at ingest, read at answer time), with ``generation.py``,
``file_lock.py`` and ``index_reader.py`` (one writer, readers that see a whole generation).
"""
