"""Finding and opening the database, with errors a timing crew can act on.

``database_url`` decides between ``P88_DATABASE_URL`` and the embedded server;
``connect`` opens a connection and turns every way that can fail into one
``DatabaseUnavailable`` line that names the server but never the password.
``database_error`` is the store's edge for every other psycopg error: the one place a
``psycopg.Error`` becomes the ``StoreError``/``DatabaseUnavailable`` a user sees, used by
the CLI's error boundary and by library code that adds its own message first (nlq).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from p88.config import Settings
from p88.errors import ConfigError, DatabaseUnavailable, P88Error, StoreError

if TYPE_CHECKING:
    import psycopg

CONNECT_TIMEOUT_S = 5


def database_url(settings: Settings) -> str:
    """The URL to use: the configured one, or the embedded server's (started if needed)."""
    url = settings.get("database_url")
    if url:
        return url
    from p88.store.embedded import embedded_url

    return embedded_url(settings.data_dir)


def describe(url: str) -> str:
    """``host:port/dbname`` for messages; never includes the password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(url)
    except Exception:
        return "(unparseable URL)"
    host = str(params.get("host") or "localhost")
    if host.startswith("/"):
        host = f"socket {host}"
    port = params.get("port") or "5432"
    return f"{host}:{port}/{params.get('dbname') or params.get('user') or ''}"


def connect(url: str, *, autocommit: bool = False, **kwargs: Any) -> psycopg.Connection[Any]:
    """Open a connection, or raise one clear ``DatabaseUnavailable``/``ConfigError``."""
    import psycopg

    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=kwargs.pop("application_name", "p88"),
            **kwargs,
        )
    except psycopg.ProgrammingError as exc:
        raise ConfigError(
            f"not a usable PostgreSQL URL: {_first_line(exc)}",
            hint="expected postgresql://user:password@host:port/dbname",
        ) from None
    except psycopg.OperationalError as exc:
        raise unavailable(url, exc) from None


def unavailable(url: str, exc: BaseException) -> DatabaseUnavailable:
    """Classify a connection failure into one readable line."""
    text = str(exc)
    where = describe(url)
    lowered = text.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return DatabaseUnavailable(
            f"PostgreSQL at {where} refused the login: wrong user or password",
            hint="check P88_DATABASE_URL",
        )
    if "does not exist" in lowered and "database" in lowered:
        return DatabaseUnavailable(
            f"PostgreSQL at {where}: the database does not exist",
            hint="create it, or point P88_DATABASE_URL at an existing one",
        )
    return DatabaseUnavailable(
        f"cannot reach PostgreSQL at {where}: {_first_line(exc)}",
        hint="is the server running? check P88_DATABASE_URL",
    )


def database_error(exc: BaseException, url: str | None = None) -> P88Error | None:
    """The user-facing error for a psycopg error, or None when ``exc`` is not one p88 can
    explain (not a psycopg error, or one that means a bug: that keeps its traceback).

    psycopg is only consulted if something already imported it, keeping start-up light.
    ``url`` names the server in a connection failure (never its password).
    """
    psycopg = sys.modules.get("psycopg")
    if psycopg is None or not isinstance(exc, psycopg.Error):
        return None
    errors = psycopg.errors
    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, errors.UndefinedTable | errors.UndefinedColumn | errors.UndefinedFunction):
        return StoreError(
            f"the database schema is older than this p88 ({first})", hint="run p88 db migrate"
        )
    if isinstance(exc, errors.InsufficientPrivilege):
        return StoreError(f"the database refused: {first}", hint="check the database user's grants")
    if isinstance(exc, errors.QueryCanceled):
        return StoreError(f"the database gave up: {first}")
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        if url is not None:
            return unavailable(url, exc)
        return DatabaseUnavailable(f"lost the database: {first}", hint="is the server running?")
    return None


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    # libpq prefixes the useful line with 'connection to server ... failed:'
    for line in lines:
        if "failed:" in line:
            return line.split("failed:", 1)[1].strip() or line
    return lines[0] if lines else exc.__class__.__name__
