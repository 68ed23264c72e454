"""One definition of a query, two thin runners: sync (serve, CLI, scoring) and async (TUI).

A query is written once as a *plan*: a generator that yields ``Query`` objects (one
``psycopg.sql`` text and its parameters) and receives each one's rows back, then returns
its answer. It does no I/O itself (the sans-IO idea of psycopg's ``generators.py``), so
the same plan runs on a ``Connection`` with :func:`run` or on an ``AsyncConnection`` with
:func:`arun`, and the page and the terminal cannot drift apart::

    def current_session() -> Plan[int | None]:
        rows = yield Query(sql.SQL("SELECT id FROM timing_sessions ..."))
        return int(rows[0][0]) if rows else None

    run(conn, current_session())            # sync
    await arun(aconn, current_session())    # async
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from psycopg import sql

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")
Rows: TypeAlias = list[tuple[Any, ...]]
Plan: TypeAlias = Generator["Query", Rows, T]

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Query:
    """One SQL text (composed with ``psycopg.sql``) and its named parameters."""

    text: sql.SQL | sql.Composed
    params: Mapping[str, Any] = field(default_factory=dict)


def run(conn: psycopg.Connection[Any], plan: Plan[T]) -> T:
    """Drive ``plan`` on a sync connection and return its answer."""
    try:
        query = next(plan)
        while True:
            rows = conn.execute(query.text, query.params).fetchall()
            query = plan.send(list(rows))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def arun(conn: psycopg.AsyncConnection[Any], plan: Plan[T]) -> T:
    """Drive ``plan`` on an async connection (the event loop never waits on a socket)."""
    try:
        query = next(plan)
        while True:
            cur = await conn.execute(query.text, query.params)
            query = plan.send(list(await cur.fetchall()))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def clamp_limit(limit: int | None, default: int = DEFAULT_LIMIT) -> int:
    """``limit`` bounded to 1..MAX_LIMIT (``None`` gives ``default``): no query returns an
    unbounded result."""
    if limit is None:
        return default
    return max(1, min(int(limit), MAX_LIMIT))


def where(clauses: list[sql.Composable]) -> sql.SQL | sql.Composed:
    """`` WHERE a AND b`` for the clauses given, or nothing."""
    if not clauses:
        return sql.SQL("")
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses)
