"""The queries ``p88 ask`` runs: its catalog of names, runner lookups, and guarded SQL.

``nlq`` reaches the database only through here. Guarded SQL (the ask guard's output,
re-emitted from a checked sqlglot tree) runs in its own transaction::

    BEGIN; SET TRANSACTION READ ONLY; statement_timeout; SET LOCAL ROLE p88_ask;
    EXPLAIN (cost check); the query; ROLLBACK

A client-side timer cancels the query if the server's own timeout does not fire (a server
that ignores it, a network that stalls), so a question can never hang the caller.
``p88_ask`` (migrations 004 and 007) may read only the allow-listed columns.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from psycopg import sql

from p88.errors import RefusedError, StoreError
from p88.store.connect import database_error

if TYPE_CHECKING:
    import psycopg

ASK_ROLE = "p88_ask"
DEFAULT_TIMEOUT_S = 5.0
MAX_COST = 5e7
"""Planner cost above which a query is refused before it runs (a 1M-row scan is ~3e4)."""


@dataclass(frozen=True)
class AskRows:
    """What a guarded query returned, and how it ran."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    role: str
    elapsed_ms: float
    cost: float


def can_use_role(conn: psycopg.Connection[Any], role: str) -> bool:
    """The role exists, the user may become it, and it was granted this database's results
    (roles are server-wide: another database's migration may have made it). Since 007 the
    grants are per column, so any column privilege counts."""
    row = conn.execute(
        "SELECT CASE WHEN to_regrole(%s) IS NULL THEN false ELSE "
        "pg_has_role(current_user, %s, 'MEMBER') AND coalesce("
        "has_any_column_privilege(%s, to_regclass('ct_results'), 'SELECT'), false) END",
        (role, role, role),
    ).fetchone()
    return bool(row and row[0])


def run_guarded(
    conn: psycopg.Connection[Any],
    text: str,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_cost: float = MAX_COST,
    role: str | None = ASK_ROLE,
    server_timeout: bool = True,
) -> AskRows:
    """Run ``text`` (SQL the ask guard emitted) READ ONLY, time-boxed, as ``role`` when
    the connecting user may become it, and return its rows.

    ``server_timeout=False`` leaves only the client-side cancel (tests use it to prove the
    cancel works on its own).
    """
    import psycopg

    # The one place p88 runs SQL it did not write itself: the guard re-emitted it from a
    # tree it checked, and nlq.execute.run accepts nothing else.
    query = sql.SQL(text)
    used_role = "(connecting user)"
    timer = threading.Timer(timeout_s + 0.5, conn.cancel_safe)
    started = time.perf_counter()
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SET TRANSACTION READ ONLY")
            ms = str(int(timeout_s * 1000)) if server_timeout else "0"
            conn.execute("SELECT set_config('statement_timeout', %s, true)", (ms,))
            if role and can_use_role(conn, role):
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
                used_role = role
            cost = _plan_cost(conn, query)
            if cost > max_cost:
                raise RefusedError(
                    f"refused by rule 'cost': the planner estimates {cost:,.0f} (limit "
                    f"{max_cost:,.0f}); narrow the question",
                    rule="cost",
                )
            timer.start()
            with conn.cursor() as cur:
                cur.execute(query, prepare=False)
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
    return AskRows(columns=columns, rows=rows, role=used_role, elapsed_ms=elapsed, cost=cost)


def _plan_cost(conn: psycopg.Connection[Any], query: sql.SQL) -> float:
    row = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) {}").format(query)).fetchone()
    plan = row[0] if row else []
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Total Cost"])


@dataclass(frozen=True)
class CatalogRows:
    """The names ``p88 ask`` matches questions against, as the database holds them."""

    partners: list[tuple[int, str, str]]  # id, name, code
    events: list[tuple[int, int, str, date, str, str]]  # id, partner, name, date, city, state
    races: list[tuple[int, int, int]]  # race id, event id, distance_m
    homes: list[tuple[str | None, str | None]]  # participants' distinct (city, state)
    sessions: list[tuple[int, str]]
    locations: list[str]
    bq_years: list[int]


def catalog_rows(conn: psycopg.Connection[Any]) -> CatalogRows:
    """Read the catalog in one READ ONLY transaction (a few small queries)."""
    with conn.transaction(force_rollback=True):
        conn.execute("SET TRANSACTION READ ONLY")
        return CatalogRows(
            partners=[(r[0], r[1], r[2]) for r in conn.execute(_PARTNERS)],
            events=[(r[0], r[1], r[2], r[3], r[4], r[5]) for r in conn.execute(_EVENTS)],
            races=[(r[0], r[1], r[2]) for r in conn.execute(_RACES)],
            homes=[(r[0], r[1]) for r in conn.execute(_HOMES)],
            sessions=[(r[0], r[1]) for r in conn.execute(_SESSIONS)],
            locations=[r[0] for r in conn.execute(_LOCATIONS)],
            bq_years=[r[0] for r in conn.execute(_BQ)],
        )


def runners_named(
    conn: psycopg.Connection[Any], names: Sequence[tuple[str, str]], partner_id: int | None
) -> list[tuple[int, str, str]]:
    """Participants whose lower-cased (first, last) name is one of ``names``, as
    ``(id, first, last)`` in lower case, ordered by id; only a partner's own runners when
    ``partner_id`` is set. Read-only: in autocommit, one round trip; otherwise inside a
    transaction that is rolled back."""
    if not names:
        return []
    query = sql.SQL(
        "SELECT id, lower(first_name), lower(last_name) FROM ct_participants "
        "WHERE ({pairs}){tenant} ORDER BY id"
    ).format(
        pairs=sql.SQL(" OR ").join(
            sql.SQL("(lower(last_name) = {} AND lower(first_name) = {})").format(
                sql.Literal(last), sql.Literal(first)
            )
            for first, last in names
        ),
        tenant=sql.SQL(
            " AND id IN (SELECT participant_id FROM ct_results WHERE partner_id = {})"
        ).format(sql.Literal(partner_id))
        if partner_id is not None
        else sql.SQL(""),
    )
    if conn.autocommit:
        rows = conn.execute(query).fetchall()
    else:
        with conn.transaction(force_rollback=True):
            rows = conn.execute(query).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


_PARTNERS = "SELECT id, name, code FROM timing_partners ORDER BY id"
_EVENTS = (
    "SELECT id, partner_id, name, event_date, coalesce(city, ''), coalesce(state, '') "
    "FROM ct_events ORDER BY event_date, id"
)
_RACES = "SELECT id, event_id, distance_m FROM ct_races ORDER BY id"
_HOMES = "SELECT DISTINCT city, state FROM ct_participants"
_SESSIONS = "SELECT id, session_name FROM timing_sessions ORDER BY id"
_LOCATIONS = "SELECT DISTINCT location_name FROM timing_locations"
_BQ = "SELECT DISTINCT boston_year FROM bq_standards ORDER BY 1"
