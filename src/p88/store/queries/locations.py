"""A session's timing points: their order, the one to show first, the start mat.

One rule each, for every screen: ``location_order`` (course order as p88 knows it),
``default_point`` (the finish, by name, else the last point) and ``start_point`` (the
start mat, by name, as results scoring infers it when a race saved no points).
"""

from __future__ import annotations

from psycopg import sql

from p88.store.queries.plan import Plan, Query

#: Names a display takes for the finish when no race says which point it is.
FINISH_WORD = "finish"
FINISH_NAMES = ("fin",)
START_WORD = "start"


def location_order(session_id: int) -> Plan[list[str]]:
    """The session's timing points in course order as p88 knows it: the points the
    controllers declared (``timing_locations``), in the order first declared; then points
    that only have reads, by name (from migration 005's read totals: 0.2 ms at a million
    reads, where DISTINCT over the reads took 120 ms)."""
    rows = yield Query(
        sql.SQL(
            "SELECT location_name FROM ("
            " SELECT location_name, min(id) AS first FROM timing_locations"
            "  WHERE session_id = %(s)s GROUP BY location_name"
            " UNION ALL"
            " SELECT location_name, NULL FROM timing_read_totals WHERE session_id = %(s)s"
            ") x GROUP BY location_name ORDER BY min(first) NULLS LAST, location_name"
        ),
        {"s": session_id},
    )
    return [str(r[0]) for r in rows]


def default_point(names: list[str]) -> str | None:
    """The point a display shows first, from ``location_order``'s list: the first whose
    name contains "finish" (any case; "FIN" counts too), else the last point."""
    for name in names:
        low = name.strip().lower()
        if FINISH_WORD in low or low in FINISH_NAMES:
            return name
    return names[-1] if names else None


def start_point(names: list[str]) -> str | None:
    """The start mat among a session's points when no race names it: the one point whose
    name contains "start" (any case), as ``p88 results score`` infers it; else none."""
    starts = [n for n in names if START_WORD in n.lower()]
    return starts[0] if len(starts) == 1 else None
