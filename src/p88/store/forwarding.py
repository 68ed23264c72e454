"""What ``p88 forward`` reads from the laptop's database, and the stream it keeps per target.

The forwarder streams a session's committed reads (and gun times) to a hub as a CTP01
client. A read goes out with its row id as the sequence number: ids grow with commits
when one writer fills the table, as ``p88 listen`` does, so a hub that resumes "from
sequence N" gets every read committed after the ones it has. A read committed late with
a lower id (a second writer) is found by counting: the per-location totals of migration
005 say how many reads a location holds, and a forwarder that loaded fewer at or below
its high-water id knows one arrived behind it (see :func:`late_reads`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

FORWARD_PAGE = 20_000


@dataclass(frozen=True, slots=True)
class ForwardRead:
    """One read or gun time as the forwarder sends it; ``seq`` is its row id."""

    seq: int
    location: str
    tag: str
    at: datetime
    lap: int
    reader: str
    gator: int
    gun: bool = False


@dataclass(frozen=True)
class Stream:
    """The CTP01 stream a target knows this laptop's session by."""

    target: str
    session_id: int
    connection_id: str
    generation: int


def open_stream(conn: psycopg.Connection[Any], target: str, session_id: int) -> Stream:
    """The stream for ``target`` and ``session_id``, created on first use.

    The connection id is kept so a restarted forwarder is the same client to the hub,
    which then resumes from what it committed instead of taking everything again.
    """
    key = uuid.uuid4().hex[:12]
    conn.execute(
        sql.SQL(
            "INSERT INTO forward_streams (target, session_id, stream_key) VALUES (%s, %s, %s) "
            "ON CONFLICT (target, session_id) DO NOTHING"
        ),
        (target, session_id, key),
    )
    row = conn.execute(
        sql.SQL(
            "SELECT stream_key, generation FROM forward_streams "
            "WHERE target = %s AND session_id = %s"
        ),
        (target, session_id),
    ).fetchone()
    assert row is not None  # inserted or already there, in this transaction
    return _stream(target, session_id, str(row[0]), int(row[1]))


def next_generation(conn: psycopg.Connection[Any], stream: Stream) -> Stream:
    """A new connection id for the same target and session: the hub asks for everything."""
    row = conn.execute(
        sql.SQL(
            "UPDATE forward_streams SET generation = generation + 1, updated_at = now() "
            "WHERE target = %s AND session_id = %s RETURNING stream_key, generation"
        ),
        (stream.target, stream.session_id),
    ).fetchone()
    assert row is not None
    return _stream(stream.target, stream.session_id, str(row[0]), int(row[1]))


def _stream(target: str, session_id: int, key: str, generation: int) -> Stream:
    return Stream(target, session_id, f"p88fwd-{key}-g{generation}", generation)


def record_sent(conn: psycopg.Connection[Any], stream: Stream, upto: int) -> None:
    """Note the highest sequence sent (for ``p88 forward --json`` and the operator only)."""
    conn.execute(
        sql.SQL(
            "UPDATE forward_streams SET sent_upto = GREATEST(sent_upto, %s), updated_at = now() "
            "WHERE target = %s AND session_id = %s"
        ),
        (upto, stream.target, stream.session_id),
    )


def reads_after(
    conn: psycopg.Connection[Any], session_id: int, after_id: int, limit: int = FORWARD_PAGE
) -> list[ForwardRead]:
    """The session's reads with an id above ``after_id``, in id order, one page."""
    rows = conn.execute(
        sql.SQL(
            "SELECT id, location_name, tag_code, read_timestamp, COALESCE(lap_count, 1), "
            "reader_id, gator_number FROM timing_reads "
            "WHERE session_id = %s AND id > %s ORDER BY id LIMIT %s"
        ),
        (session_id, after_id, limit),
    ).fetchall()
    return [ForwardRead(int(r[0]), r[1], r[2], r[3], int(r[4]), r[5], int(r[6])) for r in rows]


def guns_after(conn: psycopg.Connection[Any], session_id: int, after_id: int) -> list[ForwardRead]:
    """The session's gun times with an id above ``after_id``, in id order."""
    rows = conn.execute(
        sql.SQL(
            "SELECT id, location_name, gun_timestamp, reader_id FROM timing_gun_events "
            "WHERE session_id = %s AND id > %s ORDER BY id"
        ),
        (session_id, after_id),
    ).fetchall()
    return [ForwardRead(int(r[0]), r[1], "guntime", r[2], 0, r[3], 0, gun=True) for r in rows]


def location_counts(conn: psycopg.Connection[Any], session_id: int) -> dict[str, int]:
    """Reads per location of a session, from the exact totals (no scan of the reads)."""
    rows = conn.execute(
        sql.SQL("SELECT location_name, read_count FROM timing_read_totals WHERE session_id = %s"),
        (session_id,),
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def late_reads(loaded: dict[str, int], counts: dict[str, int]) -> list[str]:
    """Locations whose database count exceeds what the forwarder loaded: a read arrived
    below the high-water id after the forwarder passed it."""
    return sorted(loc for loc, n in counts.items() if n > loaded.get(loc, 0))
