"""The plugin API: everything a p88 plugin may import from p88, and nothing else.

A plugin is a package that adds commands to ``p88``. It registers a typer app under the
entry-point group ``p88.commands``::

    [project.entry-points."p88.commands"]
    hello-results = "p88_hello_results:app"

Once installed beside p88, ``p88 hello-results ...`` exists and ``p88 plugins`` lists it.
A working example lives in ``examples/p88-hello-results`` in p88's repository.

Only the names in ``__all__`` are promised; every other module of p88 is private and may
change in any release. What is promised:

Database
    ``connect(ctx)`` opens a psycopg 3 connection to the database p88 is configured for
    (``--db``, ``P88_DATABASE_URL``, ``p88.toml``, else the embedded PostgreSQL), as a
    context manager. Pass your command's ``typer.Context`` so p88's global flags apply.
    ``database_url(ctx)`` and ``settings(ctx)`` give the URL and the effective settings.
Read queries
    The store's read-only queries on the raw timing tables (``timing_sessions``,
    ``timing_reads``): ``sessions`` (newest first, as ``SessionSummary``),
    ``current_session_id``, ``recent_reads`` (newest first, every column of the read as a
    dict), ``reads_after`` (catch up from a read id), ``stats`` (``Stats``), ``locations``
    (in course order), ``first_crossings`` (``Crossing``: each runner's place at a point,
    timed from their gun or wave start) and ``format_read_time``. Each takes an open
    connection; row counts are capped by p88.
    They are the functions ``p88 serve`` and ``p88 tui`` use.
Output
    ``console`` (stdout) and ``err_console`` (stderr) are p88's rich consoles;
    ``print_json(data)`` writes JSON for scripts.
Errors
    Raise ``P88Error`` (or a subclass) for anything the user can fix: p88 prints ONE line on
    stderr and exits with the error's ``exit_code``, never a traceback. ``ConfigError``,
    ``StoreError``, ``DatabaseUnavailable`` (exit 3) and ``RefusedError`` (exit 4) are the
    subclasses a plugin may raise or catch; the ``EXIT_*`` constants are p88's exit codes
    (see docs/cli.md, "Exit codes").

Rules for plugins: keep module-level imports light (the module is imported when p88 lists
its commands, e.g. for ``p88 --help``); give every command a docstring with an
``Example: p88 ...`` line; do not use a built-in command's name (``p88 plugins`` shows why a
plugin was left out).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from p88 import config
from p88.cli._app import err as err_console
from p88.cli._app import out as console
from p88.cli._app import print_json, state
from p88.errors import (
    EXIT_DATABASE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    EXIT_USER,
    ConfigError,
    DatabaseUnavailable,
    P88Error,
    RefusedError,
    StoreError,
)

if TYPE_CHECKING:
    import psycopg

    from p88._plugin_queries import (
        Crossing,
        SessionSummary,
        Stats,
        current_session_id,
        first_crossings,
        format_read_time,
        locations,
        reads_after,
        recent_reads,
        sessions,
        stats,
    )

# Re-exported from p88._plugin_queries on first use (PEP 562), so that importing this module,
# which p88 does for every plugin when it lists its commands, does not import the store.
_FROM_READS = frozenset(
    {
        "Crossing",
        "SessionSummary",
        "Stats",
        "current_session_id",
        "first_crossings",
        "format_read_time",
        "locations",
        "reads_after",
        "recent_reads",
        "sessions",
        "stats",
    }
)

__all__ = [
    "EXIT_DATABASE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "EXIT_USER",
    "ConfigError",
    "Crossing",
    "DatabaseUnavailable",
    "P88Error",
    "RefusedError",
    "SessionSummary",
    "Stats",
    "StoreError",
    "connect",
    "console",
    "current_session_id",
    "database_url",
    "err_console",
    "first_crossings",
    "format_read_time",
    "locations",
    "print_json",
    "reads_after",
    "recent_reads",
    "sessions",
    "settings",
    "stats",
]


def __getattr__(name: str) -> Any:
    if name in _FROM_READS:
        from p88 import _plugin_queries

        value = getattr(_plugin_queries, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def settings(ctx: typer.Context | None = None) -> config.Settings:
    """p88's effective settings: flags (with ``ctx``) > environment > p88.toml > defaults."""
    if ctx is not None:
        return state(ctx).settings()
    return config.load()


def database_url(ctx: typer.Context | None = None) -> str:
    """The URL of the database p88 is configured for; starts the embedded server if needed."""
    if ctx is not None:
        return state(ctx).database_url()
    from p88.store import database_url as resolve

    return resolve(config.load())


@contextmanager
def connect(
    ctx: typer.Context | None = None, *, autocommit: bool = True
) -> Iterator[psycopg.Connection[Any]]:
    """A connection to p88's database, closed on exit.

    Autocommit by default, as a reporting command wants; pass ``autocommit=False`` to
    group writes in ``conn.transaction()``. An unreachable server raises
    ``DatabaseUnavailable``, which p88 turns into one line and exit code 3.
    """
    from p88.store import connect as open_connection

    with open_connection(
        database_url(ctx), autocommit=autocommit, application_name="p88-plugin"
    ) as conn:
        yield conn
