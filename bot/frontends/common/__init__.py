"""What any chat front-end reuses: load limits (``limits.py``), streaming edits
(``streaming.py``), message splitting (``splitting.py``), user-facing error texts
(``errors.py``) and the typed ``since``/``until`` as a ``DateRange`` (``dates.py``). Nothing
here imports discord.py."""
