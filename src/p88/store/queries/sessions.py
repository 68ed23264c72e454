"""Timing sessions: the list, the current one, finding one by id or name, who owns one;
and a partner by id or code.

Tenancy: ``partner_id`` ``None`` means all partners (a local operator); an integer
restricts the answer to that partner's sessions, so one timing company never sees
another's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg import sql

from p88.store.queries.plan import Plan, Query, where

_NEWEST = sql.SQL("ORDER BY s.created_at DESC NULLS LAST, s.id DESC")
_ACTIVE_THEN_NEWEST = sql.SQL(
    "ORDER BY (s.status = 'active') IS TRUE DESC, s.created_at DESC NULLS LAST, s.id DESC"
)

_SUMMARY = sql.SQL(
    "SELECT s.id, s.session_name, s.event_name, s.status, s.created_at,"
    " COALESCE(c.n, 0)::bigint, s.partner_id, s.start_time, s.end_time"
    " FROM timing_sessions s"
    " LEFT JOIN (SELECT session_id, sum(read_count) AS n FROM timing_read_totals"
    "  GROUP BY session_id) c ON c.session_id = s.id"
    "{where} {order} LIMIT %(limit)s"
)


@dataclass(frozen=True)
class SessionSummary:
    """A timing session with its read count (the seed's ``/api/timing/sessions`` row, the
    TUI's session picker)."""

    id: int
    session_name: str
    event_name: str | None
    status: str | None
    created_at: datetime | None
    total_reads: int
    partner_id: int | None
    start_time: datetime | None
    end_time: datetime | None


@dataclass(frozen=True)
class DatabaseStatus:
    """The seed's ``/api/timing/database-status``."""

    connected: bool
    current_session: int | None
    database_version: str | None
    error: str | None = None


def list_sessions(
    *, partner_id: int | None = None, status: str | None = None, limit: int = 10_000
) -> Plan[list[SessionSummary]]:
    """Every session in scope, newest first, with its read count (from migration 005's
    read totals: a million reads count in 0.2 ms)."""
    clauses: list[sql.Composable] = []
    if partner_id is not None:
        clauses.append(sql.SQL("s.partner_id = %(partner)s"))
    if status is not None:
        clauses.append(sql.SQL("s.status = %(status)s"))
    rows = yield Query(
        _SUMMARY.format(where=where(clauses), order=_NEWEST),
        {"partner": partner_id, "status": status, "limit": limit},
    )
    return [SessionSummary(*row) for row in rows]


def session_summary(session_id: int) -> Plan[SessionSummary | None]:
    """One session with its read count, or ``None``."""
    rows = yield Query(
        _SUMMARY.format(where=sql.SQL(" WHERE s.id = %(s)s"), order=_NEWEST),
        {"s": session_id, "limit": 1},
    )
    return SessionSummary(*rows[0]) if rows else None


def current_session(
    *, partner_id: int | None = None, named_like: str | None = None, or_newest: bool = False
) -> Plan[int | None]:
    """THE current session: the newest active one (by creation time, then id).

    ``named_like`` (a LIKE pattern) narrows it, as the listener does to continue today's
    session after a restart; ``or_newest`` falls back to the newest session of any status
    when none is active, as a screen that must open on something does.
    """
    clauses: list[sql.Composable] = []
    if not or_newest:
        clauses.append(sql.SQL("s.status = 'active'"))
    if partner_id is not None:
        clauses.append(sql.SQL("s.partner_id = %(partner)s"))
    if named_like is not None:
        clauses.append(sql.SQL("s.session_name LIKE %(like)s"))
    order = _ACTIVE_THEN_NEWEST if or_newest else _NEWEST
    rows = yield Query(
        sql.SQL("SELECT s.id FROM timing_sessions s{where} {order} LIMIT 1").format(
            where=where(clauses), order=order
        ),
        {"partner": partner_id, "like": named_like},
    )
    return int(rows[0][0]) if rows else None


def find_session(key: str) -> Plan[int | None]:
    """A session by exact name, else by id (the name wins when both match)."""
    rows = yield Query(
        sql.SQL(
            "SELECT id FROM timing_sessions WHERE session_name = %(key)s"
            " OR (%(key)s ~ '^[0-9]{1,9}$' AND id = %(key)s::int)"
            " ORDER BY (session_name = %(key)s) DESC, id LIMIT 1"
        ),
        {"key": key},
    )
    return int(rows[0][0]) if rows else None


def session_partner(session_id: int) -> Plan[tuple[bool, int | None]]:
    """``(exists, partner_id)`` of a session: lets callers tell 404 from 403."""
    rows = yield Query(
        sql.SQL("SELECT partner_id FROM timing_sessions WHERE id = %(s)s"), {"s": session_id}
    )
    return (bool(rows), rows[0][0] if rows else None)


def session_partners(session_ids: Sequence[int]) -> Plan[dict[int, int | None]]:
    """``session id -> partner id`` for the sessions that exist (a tenant filter for live
    reads)."""
    rows = yield Query(
        sql.SQL("SELECT id, partner_id FROM timing_sessions WHERE id = ANY(%(ids)s)"),
        {"ids": list(session_ids)},
    )
    return {int(r[0]): (int(r[1]) if r[1] is not None else None) for r in rows}


def partner_id(key: str | int) -> Plan[int | None]:
    """A timing partner's id from its id or its code (``None`` if there is none): what a
    ``p88 serve`` token names."""
    if isinstance(key, int):
        rows = yield Query(sql.SQL("SELECT id FROM timing_partners WHERE id = %(k)s"), {"k": key})
    else:
        rows = yield Query(sql.SQL("SELECT id FROM timing_partners WHERE code = %(k)s"), {"k": key})
    return int(rows[0][0]) if rows else None


def database_status(*, partner_id: int | None = None) -> Plan[DatabaseStatus]:
    """Connected, the server's version string and the current session."""
    rows = yield Query(sql.SQL("SELECT version()"))
    current = yield from current_session(partner_id=partner_id)
    return DatabaseStatus(
        connected=True,
        current_session=current,
        database_version=str(rows[0][0]) if rows else None,
    )
