"""The store's read queries (serve's side) against a real database."""

from __future__ import annotations

from datetime import time
from typing import Any

import psycopg

from p88 import store
from p88.store import run
from tests.test_serve_fixtures import at, insert_reads, make_partner, make_session


def test_recent_reads_have_every_column_and_the_seed_extras(conn: psycopg.Connection[Any]) -> None:
    sid = make_session(conn)
    insert_reads(conn, sid, [("start", "101", at(0.123)), ("finish", "101", at(3600.5))])
    rows = run(conn, store.recent_reads(limit=10))
    assert [r["location_name"] for r in rows] == ["finish", "start"]
    first = rows[1]
    assert set(store.READ_COLUMNS) <= set(first)
    assert first["location_description"] == "Starting Line"
    assert first["session_name"] == "Session_20260503_080000"
    assert first["seconds_ago"] >= 0
    assert first["read_time"] == time(8, 0, 0, 123000)
    assert store.format_read_time(first["read_time"]) == "08:00:00.12"


def test_filters_and_limit_cap(conn: psycopg.Connection[Any]) -> None:
    sid = make_session(conn)
    partner = make_partner(conn)
    other = make_session(conn, "Other", partner_id=partner)
    insert_reads(conn, sid, [("start", str(100 + i), at(i)) for i in range(5)])
    insert_reads(conn, other, [("start", "999", at(1))])
    assert len(run(conn, store.recent_reads(limit=2))) == 2
    assert len(run(conn, store.recent_reads(limit=10**9))) == 6
    assert [r["tag_code"] for r in run(conn, store.recent_reads(tag="103"))] == ["103"]
    assert {r["session_id"] for r in run(conn, store.recent_reads(session_id=other))} == {other}
    assert [r["tag_code"] for r in run(conn, store.recent_reads(partner_id=partner))] == ["999"]
    assert run(conn, store.recent_reads(location="nowhere")) == []
    assert store.clamp_limit(0) == 1 and store.clamp_limit(10**6) == store.MAX_LIMIT


def test_reads_after_sessions_stats_and_status(conn: psycopg.Connection[Any]) -> None:
    sid = make_session(conn)
    ids = insert_reads(
        conn, sid, [("start", "1", at(0)), ("start", "2", at(1)), ("finish", "1", at(60))]
    )
    assert [r["id"] for r in run(conn, store.reads_after(ids[0]))] == ids[1:]
    assert run(conn, store.read_ids_after(0)) == ids
    assert run(conn, store.max_read_id()) == ids[-1]
    (summary,) = run(conn, store.list_sessions())
    assert (summary.id, summary.total_reads, summary.status) == (sid, 3, "active")
    st = run(conn, store.stats())
    assert (st.overall.total_reads, st.overall.unique_tags, st.overall.total_locations) == (3, 2, 2)
    assert st.overall.first_read == at(0) and st.overall.last_read == at(60)
    assert [(x.location_name, x.read_count, x.unique_tags) for x in st.by_location] == [
        ("finish", 1, 1),
        ("start", 2, 2),
    ]
    status = run(conn, store.database_status())
    assert status.connected and status.current_session == sid
    assert status.database_version and status.database_version.startswith("PostgreSQL")


def test_point_standings_rank_first_crossing_per_tag(conn: psycopg.Connection[Any]) -> None:
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
    got = run(conn, store.point_standings(sid, "finish", store.Roster()))
    assert [(s.place, s.bib, s.crossed_at) for s in got] == [
        (1, "8", at(90)),
        (2, "7", at(100)),
    ]
    assert got[0].time is None  # no gun: no time, ranked by crossing
    assert run(conn, store.location_order(sid)) == ["start", "finish"]  # as declared
