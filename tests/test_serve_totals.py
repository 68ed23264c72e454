"""Migration 005: the read totals the triggers keep equal a full scan, whatever writes did."""

from __future__ import annotations

import random
import threading
from datetime import datetime
from typing import Any

import psycopg

from p88 import store
from p88.store import archive_reads, connect, run
from tests.test_serve_fixtures import at, insert_reads, make_session

TOTALS = {
    "timing_read_totals": (
        "SELECT session_id, location_name, read_count, first_read, last_read "
        "FROM timing_read_totals ORDER BY 1, 2",
        "SELECT session_id, location_name, count(*), min(read_timestamp), max(read_timestamp) "
        "FROM timing_reads GROUP BY 1, 2 ORDER BY 1, 2",
    ),
    "timing_tag_totals": (
        "SELECT session_id, location_name, tag_code, read_count FROM timing_tag_totals "
        "ORDER BY 1, 2, 3",
        "SELECT session_id, location_name, tag_code, count(*) FROM timing_reads "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    ),
    "timing_location_tags": (
        "SELECT location_name, tag_code, read_count FROM timing_location_tags ORDER BY 1, 2",
        "SELECT location_name, tag_code, count(*) FROM timing_reads GROUP BY 1, 2 ORDER BY 1, 2",
    ),
}


def assert_exact(conn: psycopg.Connection[Any]) -> None:
    for table, (kept, scanned) in TOTALS.items():
        assert conn.execute(kept).fetchall() == conn.execute(scanned).fetchall(), table


def test_totals_follow_inserts_duplicates_copy_update_delete_truncate(
    conn: psycopg.Connection[Any],
) -> None:
    sid = make_session(conn)
    other = make_session(conn, "Other")
    insert_reads(conn, sid, [("start", str(t), at(t)) for t in range(20)])
    insert_reads(conn, other, [("finish", "5", at(100)), ("finish", "5", at(101))])
    assert_exact(conn)
    # a resent batch: ON CONFLICT DO NOTHING skips it, and the totals must not count it
    skipped = conn.execute(
        "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_timestamp,"
        " reader_id) SELECT session_id, location_name, tag_code, read_time, read_timestamp,"
        " reader_id FROM timing_reads ON CONFLICT DO NOTHING"
    )
    assert skipped.rowcount == 0
    with conn.cursor().copy(
        "COPY timing_reads (session_id, location_name, tag_code, read_time, read_timestamp)"
        " FROM STDIN"
    ) as copy:
        for i in range(50):
            ts = at(200 + i)
            copy.write_row((sid, "finish", str(i % 7), ts.time(), ts))
    assert_exact(conn)
    conn.execute(
        "UPDATE timing_reads SET tag_code = 'moved', read_timestamp = %s "
        "WHERE tag_code = '3' AND location_name = 'start'",
        (at(-50),),
    )
    assert_exact(conn)
    conn.execute("DELETE FROM timing_reads WHERE location_name = 'finish' AND tag_code = '5'")
    assert_exact(conn)
    conn.execute(
        "UPDATE timing_reads SET read_timestamp = read_timestamp - interval '60 days' "
        "WHERE session_id = %s AND location_name = 'start' AND tag_code IN ('1', '2')",
        (sid,),
    )
    archive_reads(conn, datetime(2026, 4, 1))
    assert_exact(conn)
    st = run(conn, store.stats())
    assert st.overall.total_reads == conn.execute("SELECT count(*) FROM timing_reads").fetchone()[0]  # type: ignore[index]
    conn.execute("TRUNCATE timing_reads")
    assert_exact(conn)
    assert run(conn, store.stats()).overall.total_reads == 0


def test_concurrent_writers_on_the_same_keys_neither_deadlock_nor_miscount(
    db_url: str, conn: psycopg.Connection[Any]
) -> None:
    sid = make_session(conn)
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            with connect(db_url) as c:
                for batch in range(25):
                    # one INSERT per batch, as the listener writes (see sql/005_serve.sql)
                    tags = rng.sample(range(30), 10)
                    stamps = [at(seed * 10_000 + batch * 100 + tag) for tag in tags]
                    c.execute(
                        "INSERT INTO timing_reads (session_id, location_name, tag_code,"
                        " read_time, read_timestamp) SELECT %s, l, t, ts::time, ts"
                        " FROM unnest(%s::text[], %s::text[], %s::timestamp[]) u(l, t, ts)",
                        (
                            sid,
                            [rng.choice(["start", "finish"]) for _ in tags],
                            [str(t) for t in tags],
                            stamps,
                        ),
                    )
                    c.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert conn.execute("SELECT count(*) FROM timing_reads").fetchone() == (4 * 25 * 10,)
    assert_exact(conn)


def test_stats_from_totals_equal_stats_from_a_scan(conn: psycopg.Connection[Any]) -> None:
    from tests.test_serve_fixtures import make_partner

    partner = make_partner(conn, "acme")
    a = make_session(conn, "A", partner_id=partner)
    b = make_session(conn, "B")
    insert_reads(conn, a, [("start", str(t % 4), at(t)) for t in range(12)])
    insert_reads(conn, a, [("finish", str(t % 3), at(500 + t)) for t in range(5)])
    insert_reads(conn, b, [("finish", str(t % 5), at(900 + t)) for t in range(9)])
    for scope in (
        {},
        {"session_id": a},
        {"session_id": b},
        {"partner_id": partner},
        {"partner_id": partner + 1},
        {"session_id": b, "partner_id": partner},
    ):
        assert run(conn, store.stats(**scope)) == _stats_by_scan(conn, **scope), scope
    assert {s.id: s.total_reads for s in run(conn, store.list_sessions())} == {a: 17, b: 9}
    for sid in (a, b):  # the leaderboard's location list, from the totals and from a scan
        scanned = conn.execute(
            "SELECT location_name FROM timing_locations WHERE session_id = %(s)s UNION"
            " SELECT DISTINCT location_name FROM timing_reads WHERE session_id = %(s)s"
            " ORDER BY 1",
            {"s": sid},
        ).fetchall()
        assert sorted(run(conn, store.location_order(sid))) == [r[0] for r in scanned]
    assert run(conn, store.location_order(a)) == ["start", "finish"]  # as declared


def _stats_by_scan(
    conn: psycopg.Connection[Any], *, session_id: int | None = None, partner_id: int | None = None
) -> store.Stats:
    """The stats computed from timing_reads itself: what the totals must equal."""
    scope = (
        " WHERE (%(s)s::int IS NULL OR r.session_id = %(s)s) AND (%(p)s::int IS NULL OR"
        " r.session_id IN (SELECT id FROM timing_sessions WHERE partner_id = %(p)s))"
    )
    params = {"s": session_id, "p": partner_id}
    overall = conn.execute(
        "SELECT count(*), count(DISTINCT r.tag_code), count(DISTINCT r.location_name),"
        " min(r.read_timestamp), max(r.read_timestamp) FROM timing_reads r" + scope,
        params,
    ).fetchone()
    assert overall is not None
    by_location = conn.execute(
        "SELECT r.location_name, count(*), count(DISTINCT r.tag_code), max(r.read_timestamp)"
        " FROM timing_reads r" + scope + " GROUP BY r.location_name ORDER BY r.location_name",
        params,
    ).fetchall()
    return store.Stats(
        overall=store.OverallStats(*overall),
        by_location=tuple(store.LocationStats(*row) for row in by_location),
    )


def test_a_copy_rolled_back_to_its_savepoint_leaves_no_trace(conn: psycopg.Connection[Any]) -> None:
    """The listener's fast path: COPY under a savepoint; on a duplicate, roll back and
    insert with ON CONFLICT DO NOTHING. The totals count each stored read once."""
    sid = make_session(conn)
    insert_reads(conn, sid, [("start", "1", at(0))])
    batch = [("start", "1", at(0)), ("start", "2", at(1)), ("finish", "2", at(50))]
    with conn.transaction():
        try:
            with (
                conn.transaction(),
                conn.cursor().copy(
                    "COPY timing_reads (session_id, location_name, tag_code, read_time, "
                    "read_timestamp, reader_id) FROM STDIN"
                ) as copy,
            ):
                for loc, tag, ts in batch:
                    copy.write_row((sid, loc, tag, ts.time(), ts, "T123"))
        except psycopg.errors.UniqueViolation:
            pass
        for loc, tag, ts in batch:
            conn.execute(
                "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time,"
                " read_timestamp, reader_id) VALUES (%s, %s, %s, %s, %s, 'T123')"
                " ON CONFLICT DO NOTHING",
                (sid, loc, tag, ts.time(), ts),
            )
    assert conn.execute("SELECT count(*) FROM timing_reads").fetchone() == (3,)
    assert_exact(conn)
