"""The ``p88`` command line: thin typer sub-apps over the library."""
