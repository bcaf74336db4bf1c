"""The ``newsbot`` command line: ``app.py`` (the Typer app and the core commands),
``console.py`` (shared console, settings and error handling), ``ingest_progress.py``, and one
module per feature's commands (``discord_commands.py``, ``eval_commands.py``)."""
