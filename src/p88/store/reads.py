"""Read-only queries on the raw timing tables, shared by ``p88 serve``, ``p88 tui`` and plugins.

Every function takes an open psycopg connection (sync) and returns plain dataclasses or
dicts, never cursors, so callers can run them in a thread, a pool or a test alike.

Tenancy: every function that returns session data takes ``partner_id``. ``None`` means
all partners (a local operator); an integer restricts the answer to sessions whose
``timing_sessions.partner_id`` equals it, so one timing company never sees another's reads.

Limits are bounded here, not by callers: ``clamp_limit`` caps every row count at
``MAX_LIMIT``, so no query can return an unbounded result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from p88.units import clock_text

if TYPE_CHECKING:
    import psycopg

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

# Columns of timing_reads returned per read, in table order (every column the table has).
READ_COLUMNS: tuple[str, ...] = (
    "id",
    "session_id",
    "location_id",
    "sequence_number",
    "location_name",
    "tag_code",
    "read_time",
    "read_date",
    "read_timestamp",
    "lap_count",
    "reader_id",
    "gator_number",
    "raw_data",
    "processed_at",
    "connection_id",
    "received_at",
)

# Every column of the read plus what the seed's app joined on: the location's description,
# the session's name, and how long ago p88 received it (received_at is a timestamptz, so the
# answer does not depend on the server's or the race's time zone).
_READ_SELECT = (
    "SELECT "
    + ", ".join(f"r.{c}" for c in READ_COLUMNS)
    + """,
       l.description AS location_description,
       s.session_name,
       EXTRACT(EPOCH FROM (clock_timestamp() - r.received_at))::float8 AS seconds_ago
FROM timing_reads r
JOIN timing_sessions s ON s.id = r.session_id
LEFT JOIN timing_locations l
       ON l.id = r.location_id
       OR (r.location_id IS NULL AND l.session_id = r.session_id
           AND l.location_name = r.location_name)
"""
)

_PARTNER_SCOPE = "r.session_id IN (SELECT id FROM timing_sessions WHERE partner_id = %(partner)s)"


def clamp_limit(limit: int | None, default: int = DEFAULT_LIMIT) -> int:
    """``limit`` bounded to 1..MAX_LIMIT (``None`` gives ``default``)."""
    if limit is None:
        return default
    return max(1, min(int(limit), MAX_LIMIT))


def format_read_time(value: time | None) -> str | None:
    """A time of day to the hundredth, ``HH:MM:SS.hh`` (truncated, as timing systems do)."""
    return None if value is None else clock_text(value)


@dataclass(frozen=True)
class SessionSummary:
    """A timing session with its read count (the seed's ``/api/timing/sessions`` row)."""

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
class DatabaseStatus:
    """The seed's ``/api/timing/database-status``."""

    connected: bool
    current_session: int | None
    database_version: str | None
    error: str | None = None


@dataclass(frozen=True)
class Crossing:
    """One tag's first crossing of a timing point: a provisional standing before scoring."""

    place: int
    tag_code: str
    read_timestamp: datetime
    read_time: time
    read_id: int
    elapsed_s: float | None


def _where(
    clauses: list[str],
    params: dict[str, Any],
    *,
    session_id: int | None,
    location: str | None,
    tag: str | None,
    partner_id: int | None,
) -> None:
    if session_id is not None:
        clauses.append("r.session_id = %(session)s")
        params["session"] = session_id
    if location is not None:
        clauses.append("r.location_name = %(location)s")
        params["location"] = location
    if tag is not None:
        clauses.append("r.tag_code = %(tag)s")
        params["tag"] = tag
    if partner_id is not None:
        clauses.append(_PARTNER_SCOPE)
        params["partner"] = partner_id


def _rows_as_dicts(cur: psycopg.Cursor[Any]) -> list[dict[str, Any]]:
    names = [d.name for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def recent_reads(
    conn: psycopg.Connection[Any],
    *,
    limit: int | None = DEFAULT_LIMIT,
    session_id: int | None = None,
    location: str | None = None,
    tag: str | None = None,
    partner_id: int | None = None,
) -> list[dict[str, Any]]:
    """The newest reads first: every column plus location_description, session_name and
    seconds_ago. Values are Python types (``read_time`` a ``time``; see ``format_read_time``).
    """
    clauses: list[str] = []
    params: dict[str, Any] = {"limit": clamp_limit(limit)}
    _where(
        clauses, params, session_id=session_id, location=location, tag=tag, partner_id=partner_id
    )
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    query = _READ_SELECT + where + " ORDER BY r.id DESC LIMIT %(limit)s"
    with conn.cursor() as cur:
        cur.execute(query.encode(), params)
        return _rows_as_dicts(cur)


def reads_after(
    conn: psycopg.Connection[Any],
    after_id: int,
    *,
    limit: int | None = MAX_LIMIT,
    session_id: int | None = None,
    location: str | None = None,
    partner_id: int | None = None,
) -> list[dict[str, Any]]:
    """Reads with ``id > after_id``, oldest id first, in the shape of ``recent_reads``.

    This is the SSE catch-up: a client that saw ``after_id`` last asks for what followed.
    Call again with the last id returned until fewer than ``limit`` rows come back.
    """
    clauses = ["r.id > %(after)s"]
    params: dict[str, Any] = {"after": after_id, "limit": clamp_limit(limit, MAX_LIMIT)}
    _where(
        clauses, params, session_id=session_id, location=location, tag=None, partner_id=partner_id
    )
    query = _READ_SELECT + " WHERE " + " AND ".join(clauses) + " ORDER BY r.id LIMIT %(limit)s"
    with conn.cursor() as cur:
        cur.execute(query.encode(), params)
        return _rows_as_dicts(cur)


def reads_by_ids(conn: psycopg.Connection[Any], ids: Sequence[int]) -> list[dict[str, Any]]:
    """The reads with these ids (those that exist), oldest id first, as ``recent_reads``."""
    if not ids:
        return []
    query = _READ_SELECT + " WHERE r.id = ANY(%(ids)s) ORDER BY r.id"
    with conn.cursor() as cur:
        cur.execute(query.encode(), {"ids": list(ids)})
        return _rows_as_dicts(cur)


def read_ids_after(
    conn: psycopg.Connection[Any], after_id: int, *, limit: int = 100_000
) -> list[int]:
    """Just the ids above ``after_id`` (an index-only scan): what a fan-out has not seen yet."""
    rows = conn.execute(
        "SELECT id FROM timing_reads WHERE id > %s ORDER BY id LIMIT %s", (after_id, limit)
    ).fetchall()
    return [int(r[0]) for r in rows]


def max_read_id(conn: psycopg.Connection[Any]) -> int:
    """The highest read id stored (0 when there are none)."""
    row = conn.execute("SELECT COALESCE(max(id), 0) FROM timing_reads").fetchone()
    return int(row[0]) if row else 0


def sessions(
    conn: psycopg.Connection[Any],
    *,
    partner_id: int | None = None,
    status: str | None = None,
) -> list[SessionSummary]:
    """Every session in scope, newest first, with its read count."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if partner_id is not None:
        clauses.append("s.partner_id = %(partner)s")
        params["partner"] = partner_id
    if status is not None:
        clauses.append("s.status = %(status)s")
        params["status"] = status
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    counts = (
        "SELECT session_id, sum(read_count) AS n FROM timing_read_totals GROUP BY session_id"
        if has_totals(conn)
        else "SELECT session_id, count(*) AS n FROM timing_reads GROUP BY session_id"
    )
    query = f"""
        SELECT s.id, s.session_name, s.event_name, s.status, s.created_at,
               COALESCE(c.n, 0)::bigint, s.partner_id, s.start_time, s.end_time
        FROM timing_sessions s
        LEFT JOIN ({counts}) c ON c.session_id = s.id
        {where}
        ORDER BY s.created_at DESC NULLS LAST, s.id DESC
    """
    rows = conn.execute(query.encode(), params).fetchall()
    return [SessionSummary(*row) for row in rows]


def has_totals(conn: psycopg.Connection[Any]) -> bool:
    """Whether migration 005's trigger-kept totals exist (they make stats and sessions fast)."""
    row = conn.execute("SELECT to_regclass('timing_read_totals') IS NOT NULL").fetchone()
    return bool(row and row[0])


def stats(
    conn: psycopg.Connection[Any],
    *,
    session_id: int | None = None,
    partner_id: int | None = None,
) -> Stats:
    """Overall totals and per-location totals of the reads in scope.

    Read from the totals the triggers of migration 005 keep (milliseconds on any table
    size); without them, computed from ``timing_reads`` itself.
    """
    if not has_totals(conn):
        return _stats_by_scan(conn, session_id=session_id, partner_id=partner_id)
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if session_id is not None:
        clauses.append("session_id = %(session)s")
        params["session"] = session_id
    if partner_id is not None:
        clauses.append(
            "session_id IN (SELECT id FROM timing_sessions WHERE partner_id = %(partner)s)"
        )
        params["partner"] = partner_id
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    # Unique tags: across sessions from the small per-location table; within a scope from
    # the per-session one.
    tags = (
        "SELECT location_name, tag_code FROM timing_tag_totals" + where
        if clauses
        else "SELECT location_name, tag_code FROM timing_location_tags"
    )
    # timing_location_tags holds each (location, tag) once: no DISTINCT needed per location.
    per_location = (
        "SELECT DISTINCT location_name, tag_code FROM (" + tags + ") y" if clauses else tags
    )
    totals = conn.execute(
        (
            "SELECT COALESCE(sum(read_count), 0)::bigint, count(DISTINCT location_name), "
            "min(first_read), max(last_read) FROM timing_read_totals" + where
        ).encode(),
        params,
    ).fetchone()
    # count(*) over a DISTINCT subquery hashes; count(DISTINCT ...) sorts (3x slower here).
    unique = conn.execute(
        ("SELECT count(*) FROM (SELECT DISTINCT tag_code FROM (" + tags + ") t) d").encode(),
        params,
    ).fetchone()
    assert totals is not None and unique is not None
    by_location = conn.execute(
        (
            "SELECT r.location_name, r.n, COALESCE(t.n, 0), r.last_read FROM "
            "(SELECT location_name, sum(read_count)::bigint AS n, max(last_read) AS last_read "
            " FROM timing_read_totals" + where + " GROUP BY location_name) r "
            "LEFT JOIN (SELECT location_name, count(*) AS n FROM (" + per_location + ") x"
            " GROUP BY location_name) t ON t.location_name = r.location_name "
            "ORDER BY r.location_name"
        ).encode(),
        params,
    ).fetchall()
    return Stats(
        overall=OverallStats(int(totals[0]), int(unique[0]), int(totals[1]), totals[2], totals[3]),
        by_location=tuple(LocationStats(*row) for row in by_location),
    )


def _stats_by_scan(
    conn: psycopg.Connection[Any],
    *,
    session_id: int | None = None,
    partner_id: int | None = None,
) -> Stats:
    """``stats`` computed from ``timing_reads`` directly (before migration 005)."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    _where(clauses, params, session_id=session_id, location=None, tag=None, partner_id=partner_id)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    overall_row = conn.execute(
        (
            "SELECT count(*), count(DISTINCT r.tag_code), count(DISTINCT r.location_name), "
            "min(r.read_timestamp), max(r.read_timestamp) FROM timing_reads r" + where
        ).encode(),
        params,
    ).fetchone()
    assert overall_row is not None
    by_location = conn.execute(
        (
            "SELECT r.location_name, count(*), count(DISTINCT r.tag_code), max(r.read_timestamp) "
            "FROM timing_reads r" + where + " GROUP BY r.location_name ORDER BY r.location_name"
        ).encode(),
        params,
    ).fetchall()
    return Stats(
        overall=OverallStats(*overall_row),
        by_location=tuple(LocationStats(*row) for row in by_location),
    )


def current_session_id(
    conn: psycopg.Connection[Any], *, partner_id: int | None = None
) -> int | None:
    """The newest active session (the one a display should follow by default)."""
    params: dict[str, Any] = {}
    scope = ""
    if partner_id is not None:
        scope = " AND partner_id = %(partner)s"
        params["partner"] = partner_id
    row = conn.execute(
        (
            "SELECT id FROM timing_sessions WHERE status = 'active'"
            + scope
            + " ORDER BY created_at DESC NULLS LAST, id DESC LIMIT 1"
        ).encode(),
        params,
    ).fetchone()
    return int(row[0]) if row else None


def database_status(
    conn: psycopg.Connection[Any], *, partner_id: int | None = None
) -> DatabaseStatus:
    """Connected, the server's version string and the current session."""
    row = conn.execute("SELECT version()").fetchone()
    return DatabaseStatus(
        connected=True,
        current_session=current_session_id(conn, partner_id=partner_id),
        database_version=str(row[0]) if row else None,
    )


def session_partner(conn: psycopg.Connection[Any], session_id: int) -> tuple[bool, int | None]:
    """``(exists, partner_id)`` of a session: lets callers tell 404 from 403."""
    row = conn.execute(
        "SELECT partner_id FROM timing_sessions WHERE id = %s", (session_id,)
    ).fetchone()
    return (row is not None, row[0] if row else None)


def session_partners(
    conn: psycopg.Connection[Any], session_ids: Sequence[int]
) -> dict[int, int | None]:
    """``session id -> partner id`` for the sessions that exist (a tenant filter for live reads)."""
    rows = conn.execute(
        "SELECT id, partner_id FROM timing_sessions WHERE id = ANY(%s)", (list(session_ids),)
    ).fetchall()
    return {int(r[0]): (int(r[1]) if r[1] is not None else None) for r in rows}


def first_crossings(
    conn: psycopg.Connection[Any],
    session_id: int,
    location: str,
    *,
    limit: int | None = DEFAULT_LIMIT,
) -> list[Crossing]:
    """Provisional standings: each tag's first read at ``location``, earliest first.

    ``elapsed_s`` counts from the session's earliest gun time when one was recorded
    (``timing_gun_events``), else it is ``None``. This is not scoring: no dead time,
    no start mat, no participants; the results scoring replaces it where it exists.
    """
    rows = conn.execute(
        """
        WITH gun AS (
            SELECT min(gun_timestamp) AS t FROM timing_gun_events WHERE session_id = %(s)s
        ), firsts AS (
            SELECT DISTINCT ON (tag_code) tag_code, read_timestamp, read_time, id
            FROM timing_reads
            WHERE session_id = %(s)s AND location_name = %(loc)s
            ORDER BY tag_code, read_timestamp, id
        )
        SELECT f.tag_code, f.read_timestamp, f.read_time, f.id,
               EXTRACT(EPOCH FROM (f.read_timestamp - gun.t))::float8
        FROM firsts f CROSS JOIN gun
        ORDER BY f.read_timestamp, f.id
        LIMIT %(limit)s
        """,
        {"s": session_id, "loc": location, "limit": clamp_limit(limit)},
    ).fetchall()
    return [
        Crossing(
            place=i,
            tag_code=r[0],
            read_timestamp=r[1],
            read_time=r[2],
            read_id=r[3],
            elapsed_s=r[4],
        )
        for i, r in enumerate(rows, start=1)
    ]


def locations(conn: psycopg.Connection[Any], session_id: int) -> list[str]:
    """Location names that have reads (or are declared) in a session, in name order.

    The names with reads come from the totals of migration 005 when they exist: the
    leaderboard asks on every request, and DISTINCT over a session's reads took 120 ms at
    a million reads, against 0.2 ms from the totals."""
    with_reads = (
        "SELECT location_name FROM timing_read_totals WHERE session_id = %(s)s"
        if has_totals(conn)
        else "SELECT DISTINCT location_name FROM timing_reads WHERE session_id = %(s)s"
    )
    rows = conn.execute(
        (
            "SELECT location_name FROM timing_locations WHERE session_id = %(s)s UNION "
            + with_reads
            + " ORDER BY 1"
        ).encode(),
        {"s": session_id},
    ).fetchall()
    return [str(r[0]) for r in rows]


@dataclass(frozen=True)
class RaceInfo:
    """A race as the leaderboard names it."""

    id: int
    name: str
    distance_m: int
    event_name: str
    partner_id: int
    place_by: str
    session_id: int | None


def race_info(conn: psycopg.Connection[Any], race_id: int) -> RaceInfo | None:
    """The race with its event's name, or ``None`` if there is no such race."""
    row = conn.execute(
        "SELECT r.id, r.name, r.distance_m, e.name, r.partner_id, r.place_by, r.session_id "
        "FROM ct_races r JOIN ct_events e ON e.id = r.event_id WHERE r.id = %s",
        (race_id,),
    ).fetchone()
    return RaceInfo(*row) if row else None


def session_races(conn: psycopg.Connection[Any], session_id: int) -> list[RaceInfo]:
    """The races timed by a session (``ct_races.session_id``), by id."""
    rows = conn.execute(
        "SELECT r.id, r.name, r.distance_m, e.name, r.partner_id, r.place_by, r.session_id "
        "FROM ct_races r JOIN ct_events e ON e.id = r.event_id WHERE r.session_id = %s "
        "ORDER BY r.id",
        (session_id,),
    ).fetchall()
    return [RaceInfo(*row) for row in rows]
