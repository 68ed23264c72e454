"""Shared helpers for the serve tests: reads inserted with plain SQL, NOTIFY as the listener does.

Deliberately independent of the listener's writer: these tests pin the read side of the
contract (rows in timing_reads + one ``p88.store.live.notify`` per committed batch).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg

from p88.store.live import ReadsCommitted, notify

T0 = datetime(2026, 5, 3, 8, 0, 0)


def make_partner(conn: psycopg.Connection[Any], code: str = "acme") -> int:
    """A timing partner (tenant); returns its id."""
    row = conn.execute(
        "INSERT INTO timing_partners (name, code) VALUES (%s, %s) RETURNING id",
        (f"{code.title()} Timing", code),
    ).fetchone()
    assert row is not None
    return int(row[0])


def make_session(
    conn: psycopg.Connection[Any],
    name: str = "Session_20260503_080000",
    *,
    partner_id: int | None = None,
    locations: dict[str, str] | None = None,
) -> int:
    """A session with its locations (name -> description); returns the session id."""
    row = conn.execute(
        "INSERT INTO timing_sessions (session_name, event_name, partner_id) "
        "VALUES (%s, 'Test Race', %s) RETURNING id",
        (name, partner_id),
    ).fetchone()
    assert row is not None
    sid = int(row[0])
    for loc, desc in (locations or {"start": "Starting Line", "finish": "Finish Line"}).items():
        conn.execute(
            "INSERT INTO timing_locations (session_id, location_name, description) "
            "VALUES (%s, %s, %s)",
            (sid, loc, desc),
        )
    return sid


def insert_reads(
    conn: psycopg.Connection[Any],
    session_id: int,
    reads: list[tuple[str, str, datetime]],
) -> list[int]:
    """Insert (location, tag, timestamp) reads in ONE transaction with its NOTIFY; return ids."""
    ids: list[int] = []
    with conn.transaction():
        for loc, tag, ts in reads:
            row = conn.execute(
                """
                INSERT INTO timing_reads (session_id, location_id, location_name, tag_code,
                    read_time, read_date, read_timestamp, reader_id, raw_data)
                VALUES (%(s)s,
                    (SELECT id FROM timing_locations WHERE session_id = %(s)s
                       AND location_name = %(loc)s),
                    %(loc)s, %(tag)s, %(ts)s::time, %(ts)s::date, %(ts)s, 'T123',
                    %(raw)s)
                RETURNING id
                """,
                {
                    "s": session_id,
                    "loc": loc,
                    "tag": tag,
                    "ts": ts,
                    "raw": f"CT01_33~1~{loc}~{tag}~{ts:%H:%M:%S.%f}"[:-3],
                },
            ).fetchone()
            assert row is not None
            ids.append(int(row[0]))
        notify(conn, ReadsCommitted((session_id,), max(ids), len(ids)))
    return ids


def at(seconds: float) -> datetime:
    """T0 plus some seconds: readable test timestamps."""
    return T0 + timedelta(seconds=seconds)
