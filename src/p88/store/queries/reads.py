"""Reads: the newest ones, the ones after an id (SSE catch-up), one runner's, with times.

Rows of the seed's shape (``recent_reads``, ``reads_after``, ``reads_by_ids``) are dicts
of every ``timing_reads`` column plus the location's description, the session's name and
how long ago p88 received the read. ``latest_reads`` and ``search_reads`` give
``TimedRead``: a read with its runner and its elapsed time by the one gun rule
(:mod:`p88.store.queries.timing`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from psycopg import sql

from p88.store.queries.plan import DEFAULT_LIMIT, MAX_LIMIT, Plan, Query, clamp_limit, where
from p88.store.queries.timing import GUNS, Roster, elapsed, references
from p88.units import clock_text

LATEST_LIMIT = 200
SEARCH_LIMIT = 1_000

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
_EXTRAS = ("location_description", "session_name", "seconds_ago")
_NAMES = READ_COLUMNS + _EXTRAS

# Every column of the read plus what the seed's app joined on (received_at is a
# timestamptz, so seconds_ago does not depend on the server's or the race's time zone).
_READ_SELECT = sql.SQL(
    "SELECT {cols}, l.description, s.session_name,"
    " EXTRACT(EPOCH FROM (clock_timestamp() - r.received_at))::float8"
    " FROM timing_reads r JOIN timing_sessions s ON s.id = r.session_id"
    " LEFT JOIN timing_locations l ON l.id = r.location_id"
    "  OR (r.location_id IS NULL AND l.session_id = r.session_id"
    "      AND l.location_name = r.location_name)"
).format(cols=sql.SQL(", ").join(sql.Identifier("r", c) for c in READ_COLUMNS))

_PARTNER_SCOPE = sql.SQL(
    "r.session_id IN (SELECT id FROM timing_sessions WHERE partner_id = %(partner)s)"
)

_TIMED = sql.SQL(
    "SELECT r.id, r.read_timestamp, r.location_name, r.tag_code, r.reader_id,"
    " r.gator_number, {guns} FROM timing_reads r"
    " WHERE r.session_id = %(s)s AND {cond} ORDER BY {order} LIMIT %(limit)s"
)


@dataclass(frozen=True)
class TimedRead:
    """One read as the crossings list and the search show it: who, where, how long after
    the runner's gun."""

    id: int
    at: datetime
    point: str
    tag: str
    name: str | None
    elapsed: timedelta | None
    reader: str = ""
    antenna: int = 0


def format_read_time(value: time | None) -> str | None:
    """A time of day to the hundredth, ``HH:MM:SS.hh`` (truncated, as timing systems do)."""
    return None if value is None else clock_text(value)


def _scope(
    *,
    session_id: int | None,
    location: str | None,
    tag: str | None,
    partner_id: int | None,
) -> list[sql.Composable]:
    clauses: list[sql.Composable] = []
    if session_id is not None:
        clauses.append(sql.SQL("r.session_id = %(session)s"))
    if location is not None:
        clauses.append(sql.SQL("r.location_name = %(location)s"))
    if tag is not None:
        clauses.append(sql.SQL("r.tag_code = %(tag)s"))
    if partner_id is not None:
        clauses.append(_PARTNER_SCOPE)
    return clauses


def _dicts(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(_NAMES, row, strict=True)) for row in rows]


def recent_reads(
    *,
    limit: int | None = DEFAULT_LIMIT,
    session_id: int | None = None,
    location: str | None = None,
    tag: str | None = None,
    partner_id: int | None = None,
) -> Plan[list[dict[str, Any]]]:
    """The newest reads first: every column plus location_description, session_name and
    seconds_ago. Values are Python types (``read_time`` a ``time``; see ``format_read_time``).
    """
    clauses = _scope(session_id=session_id, location=location, tag=tag, partner_id=partner_id)
    rows = yield Query(
        _READ_SELECT + where(clauses) + sql.SQL(" ORDER BY r.id DESC LIMIT %(limit)s"),
        {
            "limit": clamp_limit(limit),
            "session": session_id,
            "location": location,
            "tag": tag,
            "partner": partner_id,
        },
    )
    return _dicts(rows)


def reads_after(
    after_id: int,
    *,
    limit: int | None = MAX_LIMIT,
    session_id: int | None = None,
    location: str | None = None,
    partner_id: int | None = None,
) -> Plan[list[dict[str, Any]]]:
    """Reads with ``id > after_id``, oldest id first, in the shape of ``recent_reads``.

    This is the SSE catch-up: a client that saw ``after_id`` last asks for what followed.
    Call again with the last id returned until fewer than ``limit`` rows come back.
    """
    clauses: list[sql.Composable] = [sql.SQL("r.id > %(after)s")]
    clauses += _scope(session_id=session_id, location=location, tag=None, partner_id=partner_id)
    rows = yield Query(
        _READ_SELECT + where(clauses) + sql.SQL(" ORDER BY r.id LIMIT %(limit)s"),
        {
            "after": after_id,
            "limit": clamp_limit(limit, MAX_LIMIT),
            "session": session_id,
            "location": location,
            "partner": partner_id,
        },
    )
    return _dicts(rows)


def reads_by_ids(ids: Sequence[int]) -> Plan[list[dict[str, Any]]]:
    """The reads with these ids (those that exist), oldest id first, as ``recent_reads``."""
    rows = yield Query(
        _READ_SELECT + sql.SQL(" WHERE r.id = ANY(%(ids)s) ORDER BY r.id"), {"ids": list(ids)}
    )
    return _dicts(rows)


def read_ids_after(after_id: int, *, limit: int = 100_000) -> Plan[list[int]]:
    """Just the ids above ``after_id`` (an index-only scan): what a fan-out has not seen."""
    rows = yield Query(
        sql.SQL("SELECT id FROM timing_reads WHERE id > %(after)s ORDER BY id LIMIT %(limit)s"),
        {"after": after_id, "limit": limit},
    )
    return [int(r[0]) for r in rows]


def max_read_id() -> Plan[int]:
    """The highest read id stored (0 when there are none)."""
    rows = yield Query(sql.SQL("SELECT COALESCE(max(id), 0) FROM timing_reads"))
    return int(rows[0][0]) if rows else 0


def _timed(session_id: int, rows: list[tuple[Any, ...]], roster: Roster) -> Plan[list[TimedRead]]:
    guns = rows[0][6] if rows else []
    refs = yield from references(session_id, roster, roster.guns_for({r[3] for r in rows}, guns))
    return [
        TimedRead(read_id, at, point, tag, roster.name(tag), elapsed(at, refs[tag]), reader, ant)
        for read_id, at, point, tag, reader, ant, _ in rows
    ]


def latest_reads(
    session_id: int, roster: Roster, *, after_id: int = 0, limit: int = LATEST_LIMIT
) -> Plan[list[TimedRead]]:
    """Reads of the session with ``id > after_id``, newest first, at most ``limit``."""
    rows = yield Query(
        _TIMED.format(guns=GUNS, cond=sql.SQL("r.id > %(after)s"), order=sql.SQL("r.id DESC")),
        {"s": session_id, "after": after_id, "limit": limit},
    )
    return (yield from _timed(session_id, rows, roster))


def search_reads(
    session_id: int, text: str, roster: Roster, *, limit: int = SEARCH_LIMIT
) -> Plan[list[TimedRead]]:
    """Every read, at every point, of the runner(s) whose bib/tag is ``text`` or whose
    name contains it; grouped by tag, in time order."""
    text = text.strip()
    if not text:
        return []
    rows = yield Query(
        _TIMED.format(
            guns=GUNS,
            cond=sql.SQL("r.tag_code = ANY(%(tags)s)"),
            order=sql.SQL("r.tag_code, r.read_timestamp, r.id"),
        ),
        {"s": session_id, "tags": [text, *roster.tags_named(text)], "limit": limit},
    )
    return (yield from _timed(session_id, rows, roster))


def new_reads(session_id: int, after_id: int) -> Plan[tuple[list[int], list[str]]]:
    """Ids (oldest first) and points of the session's reads with ``id > after_id``: what a
    live screen has not seen yet, and where (a point may be new)."""
    rows = yield Query(
        sql.SQL(
            "SELECT coalesce(array_agg(id ORDER BY id), '{}'),"
            " coalesce(array_agg(DISTINCT location_name), '{}')"
            " FROM timing_reads WHERE session_id = %(s)s AND id > %(after)s"
        ),
        {"s": session_id, "after": after_id},
    )
    ids, points = rows[0] if rows else ([], [])
    return [int(i) for i in ids], sorted(points)
