"""The server's one way to the database: a pool of read-only connections, and 503 on failure.

Every query of a request runs as a sync store plan (``p88.store.run``) in the thread pool, on a
pooled autocommit connection that is read-only and has a statement timeout. Whatever way the
database fails (not started, gone mid-query, pool exhausted, too slow), the caller gets one
``DatabaseGone`` that the app turns into HTTP 503 with a clear body. The pool checks each
connection before lending it, so once PostgreSQL is back the next request simply works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.concurrency import run_in_threadpool

from p88.store import unavailable

T = TypeVar("T")

STATEMENT_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 3
ACQUIRE_TIMEOUT_S = 2.0


class DatabaseGone(Exception):
    """PostgreSQL cannot answer right now; ``message`` says why, without the password."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadQueryValue(Exception):
    """PostgreSQL rejected a parameter value (a last line of defence behind validation)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def make_pool(url: str, *, max_size: int = 8) -> ConnectionPool[psycopg.Connection[Any]]:
    """A pool that does not wait for the database at start, so the server starts without it."""
    return ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        open=False,
        timeout=ACQUIRE_TIMEOUT_S,
        check=ConnectionPool.check_connection,
        reconnect_timeout=24 * 3600,
        kwargs={
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "p88 serve",
            "options": f"-c default_transaction_read_only=on "
            f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        },
        name="p88-serve",
    )


class Database:
    """The pool plus the URL (for messages); ``run`` is what routes call."""

    def __init__(self, url: str, *, max_size: int = 8) -> None:
        self.url = url
        self.pool = make_pool(url, max_size=max_size)
        self._down = False  # set by a failure; cleared by a probe that connects

    def open(self) -> None:
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close(timeout=2)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(conn, *args, **kwargs)`` on a pooled connection, in this thread.

        After a failure, each call first probes with a direct connection: while the
        database is down that fails at once (no waiting on the pool), and the first
        probe that connects sends the pool back to work.
        """
        if self._down:
            why = self._probe()
            if why is not None:
                raise DatabaseGone(why)
            self._down = False
            self.pool.check()
        try:
            with self.pool.connection() as conn:
                return fn(conn, *args, **kwargs)
        except PoolTimeout:
            self._down = True
            raise DatabaseGone(self._probe() or "every connection of the pool is busy") from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self._down = True
            raise DatabaseGone(unavailable(self.url, exc).message) from None
        except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
            raise DatabaseGone(
                "the database does not have p88's tables yet: run 'p88 db migrate'"
            ) from None
        except psycopg.DataError as exc:
            raise BadQueryValue(str(exc).splitlines()[0]) from None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``call`` in the thread pool, so the event loop never waits on PostgreSQL."""
        return await run_in_threadpool(self.call, fn, *args, **kwargs)

    def _probe(self) -> str | None:
        """``None`` if PostgreSQL accepts a connection now, else why not (one line)."""
        try:
            with psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_S) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            return unavailable(self.url, exc).message
        return None
