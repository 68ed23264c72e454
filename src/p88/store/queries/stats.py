"""Counts: read totals overall and per timing point, and the TUI header's figures.

Everything here reads the totals that migration 005's triggers keep
(``timing_read_totals``, ``timing_tag_totals``, ``timing_location_tags``): milliseconds
on any table size, where counting ``timing_reads`` took seconds at ten million reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg import sql

from p88.store.queries.plan import Plan, Query, where


@dataclass(frozen=True)
class OverallStats:
    """Totals over every read in scope."""

    total_reads: int
    unique_tags: int
    total_locations: int
    first_read: datetime | None
    last_read: datetime | None


@dataclass(frozen=True)
class LocationStats:
    """Totals for one timing point (location name)."""

    location_name: str
    read_count: int
    unique_tags: int
    last_read: datetime | None


@dataclass(frozen=True)
class Stats:
    """The seed's ``/api/timing/stats``: overall totals and one row per location."""

    overall: OverallStats
    by_location: tuple[LocationStats, ...]


@dataclass(frozen=True)
class HeaderFigures:
    """What the crew checks at a glance: are the mats alive."""

    controllers: int
    reads_per_minute: int
    total_reads: int
    rejects: int
    last_read_at: datetime | None


def stats(*, session_id: int | None = None, partner_id: int | None = None) -> Plan[Stats]:
    """Overall totals and per-location totals of the reads in scope."""
    clauses: list[sql.Composable] = []
    if session_id is not None:
        clauses.append(sql.SQL("session_id = %(session)s"))
    if partner_id is not None:
        clauses.append(
            sql.SQL("session_id IN (SELECT id FROM timing_sessions WHERE partner_id = %(partner)s)")
        )
    scope = where(clauses)
    params = {"session": session_id, "partner": partner_id}
    # Unique tags: across sessions from the small per-location table (each (location,
    # tag) once); within a scope from the per-session one, made distinct per location.
    tags: sql.SQL | sql.Composed
    if clauses:
        tags = sql.SQL("SELECT location_name, tag_code FROM timing_tag_totals{}").format(scope)
        per_location: sql.Composable = sql.SQL(
            "SELECT DISTINCT location_name, tag_code FROM ({}) y"
        ).format(tags)
    else:
        tags = sql.SQL("SELECT location_name, tag_code FROM timing_location_tags")
        per_location = tags
    totals = yield Query(
        sql.SQL(
            "SELECT COALESCE(sum(read_count), 0)::bigint, count(DISTINCT location_name),"
            " min(first_read), max(last_read) FROM timing_read_totals{}"
        ).format(scope),
        params,
    )
    # count(*) over a DISTINCT subquery hashes; count(DISTINCT ...) sorts (3x slower here).
    unique = yield Query(
        sql.SQL("SELECT count(*) FROM (SELECT DISTINCT tag_code FROM ({}) t) d").format(tags),
        params,
    )
    by_location = yield Query(
        sql.SQL(
            "SELECT r.location_name, r.n, COALESCE(t.n, 0), r.last_read FROM"
            " (SELECT location_name, sum(read_count)::bigint AS n, max(last_read) AS last_read"
            "  FROM timing_read_totals{scope} GROUP BY location_name) r"
            " LEFT JOIN (SELECT location_name, count(*) AS n FROM ({per_location}) x"
            "  GROUP BY location_name) t ON t.location_name = r.location_name"
            " ORDER BY r.location_name"
        ).format(scope=scope, per_location=per_location),
        params,
    )
    t, u = totals[0], unique[0]
    return Stats(
        overall=OverallStats(int(t[0]), int(u[0]), int(t[1]), t[2], t[3]),
        by_location=tuple(LocationStats(*row) for row in by_location),
    )


def header_figures(session_id: int, now: datetime) -> Plan[HeaderFigures]:
    """Controllers connected, reads in the minute before ``now``, totals and the last read.

    A controller is a ``connection_log`` row with no ``disconnected_at`` (the archive's
    bookkeeping rows excepted) for this session or not yet bound to one. The total comes
    from the read totals: this runs every second, and count(*) over a session of a million
    reads took 57 ms, the totals 0.2 ms.
    """
    rows = yield Query(
        sql.SQL(
            "SELECT"
            " (SELECT count(*) FROM connection_log c WHERE c.disconnected_at IS NULL"
            "   AND (c.session_id = %(s)s OR c.session_id IS NULL)"
            "   AND (c.session_info IS NULL OR c.session_info->>'action' IS NULL)),"
            " (SELECT count(*) FROM timing_reads r WHERE r.session_id = %(s)s"
            "   AND r.received_at > %(since)s AND r.received_at <= %(now)s),"
            " (SELECT coalesce(sum(t.read_count), 0) FROM timing_read_totals t"
            "   WHERE t.session_id = %(s)s),"
            " (SELECT count(*) FROM rejected_lines j WHERE j.session_id = %(s)s),"
            " (SELECT r.received_at FROM timing_reads r WHERE r.session_id = %(s)s"
            "   ORDER BY r.id DESC LIMIT 1)"
        ),
        {"s": session_id, "now": now, "since": now - timedelta(minutes=1)},
    )
    c, rpm, total, rejects, last = rows[0]
    return HeaderFigures(int(c), int(rpm), int(total), int(rejects), last)
