"""Sources followed on a schedule: folders and RSS/Atom feed URLs (issue 22).

``config`` turns the settings into typed sources, ``fetch`` is the polite HTTP client,
``feeds`` fetches one feed (or one page) into article files, ``state`` remembers each
source's last check, ``poller`` runs one poll of every source and the loop around it, and
``status`` is what ``newsbot status`` and Discord's ``/status`` show of them.

Fetched entries become ``.json`` article files under ``<data dir>/web/``, which the ordinary
incremental ingest (``ingest.pipeline``) reads as one more root: ids, updates and pruning work
as for any folder.
"""
