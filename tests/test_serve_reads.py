"""The read queries in p88.store.reads against a real database."""

from __future__ import annotations

from datetime import time
from typing import Any

import psycopg

from p88.store import reads
from tests.test_serve_fixtures import at, insert_reads, make_partner, make_session


def test_recent_reads_have_every_column_and_the_seed_extras(conn: psycopg.Connection[Any]) -> None:
    sid = make_session(conn)
    insert_reads(conn, sid, [("start", "101", at(0.123)), ("finish", "101", at(3600.5))])
    rows = reads.recent_reads(conn, limit=10)
    assert [r["location_name"] for r in rows] == ["finish", "start"]
    first = rows[1]
    assert set(reads.READ_COLUMNS) <= set(first)
    assert first["location_description"] == "Starting Line"
    assert first["session_name"] == "Session_20260503_080000"
    assert first["seconds_ago"] >= 0
    assert first["read_time"] == time(8, 0, 0, 123000)
    assert reads.format_read_time(first["read_time"]) == "08:00:00.12"


def test_filters_and_limit_cap(conn: psycopg.Connection[Any]) -> None:
    sid = make_session(conn)
    partner = make_partner(conn)
    other = make_session(conn, "Other", partner_id=partner)
    insert_reads(conn, sid, [("start", str(100 + i), at(i)) for i in range(5)])
    insert_reads(conn, other, [("start", "999", at(1))])
    assert len(reads.recent_reads(conn, limit=2)) == 2
    assert len(reads.recent_reads(conn, limit=10**9)) == 6
    assert [r["tag_code"] for r in reads.recent_reads(conn, tag="103")] == ["103"]
    assert {r["session_id"] for r in reads.recent_reads(conn, session_id=other)} == {other}
    assert [r["tag_code"] for r in reads.recent_reads(conn, partner_id=partner)] == ["999"]
    assert reads.recent_reads(conn, location="nowhere") == []
    assert reads.clamp_limit(0) == 1 and reads.clamp_limit(10**6) == reads.MAX_LIMIT


def test_reads_after_sessions_stats_and_status(conn: psycopg.Connection[Any]) -> None:
    sid = make_session(conn)
    ids = insert_reads(
        conn, sid, [("start", "1", at(0)), ("start", "2", at(1)), ("finish", "1", at(60))]
    )
    assert [r["id"] for r in reads.reads_after(conn, ids[0])] == ids[1:]
    assert reads.read_ids_after(conn, 0) == ids
    assert reads.max_read_id(conn) == ids[-1]
    (summary,) = reads.sessions(conn)
    assert (summary.id, summary.total_reads, summary.status) == (sid, 3, "active")
    st = reads.stats(conn)
    assert (st.overall.total_reads, st.overall.unique_tags, st.overall.total_locations) == (3, 2, 2)
    assert st.overall.first_read == at(0) and st.overall.last_read == at(60)
    assert [(x.location_name, x.read_count, x.unique_tags) for x in st.by_location] == [
        ("finish", 1, 1),
        ("start", 2, 2),
    ]
    status = reads.database_status(conn)
    assert status.connected and status.current_session == sid
    assert status.database_version and status.database_version.startswith("PostgreSQL")


def test_first_crossings_rank_first_read_per_tag(conn: psycopg.Connection[Any]) -> None:
    sid = make_session(conn)
    insert_reads(
        conn,
        sid,
        [
            ("finish", "7", at(100)),
            ("finish", "7", at(100.4)),
            ("finish", "8", at(90)),
            ("start", "9", at(1)),
        ],
    )
    got = reads.first_crossings(conn, sid, "finish")
    assert [(c.place, c.tag_code, c.read_timestamp) for c in got] == [
        (1, "8", at(90)),
        (2, "7", at(100)),
    ]
    assert got[0].elapsed_s is None
    assert reads.locations(conn, sid) == ["finish", "start"]
