"""What any chat front-end reuses: load limits (``limits.py``), streaming edits
(``streaming.py``), message splitting (``splitting.py``) and user-facing error texts
(``errors.py``). Nothing here imports discord.py."""
