"""newsbot inside other frameworks' ecosystems (``llama_index.py``: a retriever and a query
engine). Nothing here is on newsbot's own answer path; each module imports its framework."""
