"""Running guarded SQL: read-only, time-boxed, as the SELECT-only role when there is one.

Only a ``Guarded`` (the guard's output, re-emitted from the checked tree) can be run.
Each run is its own transaction::

    BEGIN; SET TRANSACTION READ ONLY; statement_timeout; SET LOCAL ROLE p88_ask;
    EXPLAIN (cost check); the query; ROLLBACK

A client-side timer cancels the query if the server's own timeout does not fire (a
server that ignores it, a network that stalls), so a question can never hang the caller.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from p88.errors import RefusedError, StoreError
from p88.nlq.guard import Guarded
from p88.store import database_error

if TYPE_CHECKING:
    import psycopg

ASK_ROLE = "p88_ask"
DEFAULT_TIMEOUT_S = 5.0
MAX_COST = 5e7
"""Planner cost above which a query is refused before it runs (a 1M-row scan is ~3e4)."""


@dataclass(frozen=True)
class Rows:
    """What a query returned, and how it ran."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    role: str
    elapsed_ms: float
    cost: float


def _can_use_role(conn: psycopg.Connection[Any], role: str) -> bool:
    """The role exists, the user may become it, and it was granted this database's tables
    (roles are server-wide: another database's migration may have made it)."""
    row = conn.execute(
        "SELECT CASE WHEN to_regrole(%s) IS NULL THEN false ELSE "
        "pg_has_role(current_user, %s, 'MEMBER') "
        "AND coalesce(has_table_privilege(%s, to_regclass('ct_results'), 'SELECT'), false) END",
        (role, role, role),
    ).fetchone()
    return bool(row and row[0])


def run(
    conn: psycopg.Connection[Any],
    guarded: Guarded,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_cost: float = MAX_COST,
    role: str | None = ASK_ROLE,
    server_timeout: bool = True,
) -> Rows:
    """Run ``guarded`` in a READ ONLY transaction and return its rows.

    ``server_timeout=False`` leaves only the client-side cancel (tests use it to prove the
    cancel works on its own).
    """
    import psycopg

    if not isinstance(guarded, Guarded):
        raise TypeError("run() takes the guard's output, never raw SQL")
    used_role = "(connecting user)"
    timer = threading.Timer(timeout_s + 0.5, conn.cancel_safe)
    started = time.perf_counter()
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            ms = str(int(timeout_s * 1000)) if server_timeout else "0"
            conn.execute("SELECT set_config('statement_timeout', %s, true)", (ms,))
            if role and _can_use_role(conn, role):
                conn.execute(f"SET LOCAL ROLE {role}")  # constant name, not user input
                used_role = role
            cost = _plan_cost(conn, guarded.sql)
            if cost > max_cost:
                raise RefusedError(
                    f"refused by rule 'cost': the planner estimates {cost:,.0f} (limit "
                    f"{max_cost:,.0f}); narrow the question",
                    rule="cost",
                )
            timer.start()
            with conn.cursor() as cur:
                cur.execute(guarded.sql.encode(), prepare=False)
                columns = [d.name for d in cur.description or []]
                rows = cur.fetchall()
    except psycopg.errors.QueryCanceled:
        raise StoreError(
            f"the question took longer than {timeout_s:g} s and was cancelled",
            hint="narrow it: one event, one year",
        ) from None
    except psycopg.errors.InsufficientPrivilege as exc:
        raise RefusedError(
            f"refused by rule 'role': {str(exc).splitlines()[0]}", rule="role"
        ) from None
    except psycopg.Error as exc:
        known = database_error(exc)  # the store's translation: an outage is exit 3, not 1
        raise known or StoreError(f"the query failed: {str(exc).splitlines()[0]}") from None
    finally:
        timer.cancel()
    elapsed = (time.perf_counter() - started) * 1000
    return Rows(columns=columns, rows=rows, role=used_role, elapsed_ms=elapsed, cost=cost)


def _plan_cost(conn: psycopg.Connection[Any], sql: str) -> float:
    row = conn.execute(b"EXPLAIN (FORMAT JSON) " + sql.encode()).fetchone()
    plan = row[0] if row else []
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Total Cost"])
