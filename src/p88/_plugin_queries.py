"""The plugin API's read queries: the store's plans, run on a plugin's sync connection.

Private: plugins import these names from :mod:`p88.plugin`, which loads this module on
first use so that listing plugin commands never imports the store (its list of names,
``_FROM_READS``, is there).
"""

from __future__ import annotations

from typing import Any

import psycopg

from p88.store import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PointStanding,
    clamp_limit,
    current_session,
    list_sessions,
    load_roster,
    location_order,
    point_standings,
    run,
)
from p88.store import SessionSummary as SessionSummary
from p88.store import Stats as Stats
from p88.store import format_read_time as format_read_time
from p88.store import reads_after as _reads_after
from p88.store import recent_reads as _recent_reads
from p88.store import stats as _stats

#: A runner's place at a timing point (the name plugins have always used).
Crossing = PointStanding


def sessions(
    conn: psycopg.Connection[Any], *, partner_id: int | None = None, status: str | None = None
) -> list[SessionSummary]:
    """Every session in scope, newest first, with its read count."""
    return run(conn, list_sessions(partner_id=partner_id, status=status))


def current_session_id(
    conn: psycopg.Connection[Any], *, partner_id: int | None = None
) -> int | None:
    """The current session: the newest active one."""
    return run(conn, current_session(partner_id=partner_id))


def recent_reads(conn: psycopg.Connection[Any], **filters: Any) -> list[dict[str, Any]]:
    """The newest reads first (``limit``, ``session_id``, ``location``, ``tag``,
    ``partner_id``)."""
    return run(conn, _recent_reads(**filters))


def reads_after(
    conn: psycopg.Connection[Any], after_id: int, *, limit: int | None = MAX_LIMIT, **filters: Any
) -> list[dict[str, Any]]:
    """Reads with ``id > after_id``, oldest first."""
    return run(conn, _reads_after(after_id, limit=limit, **filters))


def stats(conn: psycopg.Connection[Any], **scope: Any) -> Stats:
    """Read totals overall and per location (``session_id``, ``partner_id``)."""
    return run(conn, _stats(**scope))


def locations(conn: psycopg.Connection[Any], session_id: int) -> list[str]:
    """The session's timing points in course order."""
    return run(conn, location_order(session_id))


def first_crossings(
    conn: psycopg.Connection[Any],
    session_id: int,
    location: str,
    *,
    limit: int | None = DEFAULT_LIMIT,
) -> list[PointStanding]:
    """Standings at a point: each runner's first crossing, ranked by time from their gun."""
    roster = run(conn, load_roster(session_id))
    return run(conn, point_standings(session_id, location, roster, limit=clamp_limit(limit)))
