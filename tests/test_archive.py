from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest

from p88.errors import P88Error
from p88.store.archive import archive_reads, parse_age
from p88.store.connect import connect

NOW = datetime(2026, 11, 25, 12, 0, 0)


def _session(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "INSERT INTO timing_sessions (session_name) VALUES ('archive test') RETURNING id"
    ).fetchone()
    assert row
    return int(row[0])


def _insert(
    conn: psycopg.Connection[Any], session: int, stamps: list[datetime], tag0: int = 0
) -> None:
    with conn.cursor().copy(
        "COPY timing_reads (session_id, location_name, tag_code, read_time, read_date, "
        "read_timestamp, reader_id, gator_number) FROM STDIN"
    ) as copy:
        for i, ts in enumerate(stamps):
            copy.write_row(
                (session, "FINISH", str(tag0 + i), ts.time(), ts.date(), ts, "12057E", 1)
            )


def _counts(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    live = conn.execute("SELECT count(*) FROM timing_reads").fetchone()
    archived = conn.execute("SELECT count(*) FROM timing_reads_archive").fetchone()
    assert live and archived
    return int(live[0]), int(archived[0])


def test_read_exactly_at_cutoff_stays(conn: psycopg.Connection[Any]) -> None:
    session = _session(conn)
    cutoff = NOW - timedelta(days=30)
    _insert(
        conn,
        session,
        [cutoff - timedelta(microseconds=10_000), cutoff, cutoff + timedelta(seconds=1)],
    )
    result = archive_reads(conn, cutoff)
    assert (result.eligible, result.moved) == (1, 1)
    assert _counts(conn) == (2, 1)
    kept = conn.execute("SELECT min(read_timestamp) FROM timing_reads").fetchone()
    assert kept and kept[0] == cutoff


def test_dry_run_moves_nothing(conn: psycopg.Connection[Any]) -> None:
    session = _session(conn)
    _insert(conn, session, [NOW - timedelta(days=40)] * 1 + [NOW - timedelta(days=41)])
    result = archive_reads(conn, NOW - timedelta(days=30), dry_run=True)
    assert (result.eligible, result.moved, result.dry_run) == (2, 0, True)
    assert _counts(conn) == (2, 0)


def test_archive_twice_is_safe_and_logged(conn: psycopg.Connection[Any]) -> None:
    session = _session(conn)
    _insert(conn, session, [NOW - timedelta(days=31, seconds=i) for i in range(250)])
    first = archive_reads(conn, NOW - timedelta(days=30), batch_size=100)
    second = archive_reads(conn, NOW - timedelta(days=30), batch_size=100)
    assert (first.moved, first.batches) == (250, 3)
    assert (second.moved, second.eligible) == (0, 0)
    assert _counts(conn) == (0, 250)
    logged = conn.execute(
        "SELECT message_count, session_info->>'action' FROM connection_log ORDER BY id"
    ).fetchall()
    assert logged == [(250, "archive"), (0, "archive")]


def test_read_already_in_archive_is_not_duplicated(conn: psycopg.Connection[Any]) -> None:
    session = _session(conn)
    old = NOW - timedelta(days=60)
    _insert(conn, session, [old])
    archive_reads(conn, NOW - timedelta(days=30))
    _insert(conn, session, [old])  # the same read arrives again (a replay of an old file)
    result = archive_reads(conn, NOW - timedelta(days=30))
    assert (result.moved, result.already_archived) == (0, 1)
    assert _counts(conn) == (0, 1)


def test_archive_while_inserting_loses_and_duplicates_nothing(
    db_url: str, conn: psycopg.Connection[Any]
) -> None:
    session = _session(conn)
    _insert(conn, session, [NOW - timedelta(days=45, seconds=i) for i in range(3000)])
    stop = threading.Event()
    inserted: list[int] = []

    def writer() -> None:
        with connect(db_url, autocommit=True) as w:
            i = 0
            while not stop.is_set() or i < 50:
                ts = NOW - timedelta(days=45 if i % 2 else 0, seconds=-i)
                w.execute(
                    "INSERT INTO timing_reads (session_id, location_name, tag_code, "
                    "read_time, read_timestamp, reader_id, gator_number) "
                    "VALUES (%s, 'START', %s, %s, %s, '', 2)",
                    (session, f"w{i}", ts.time(), ts),
                )
                inserted.append(i)
                i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        archive_reads(conn, NOW - timedelta(days=30), batch_size=200)
    finally:
        stop.set()
        thread.join(30)
    live, archived = _counts(conn)
    assert live + archived == 3000 + len(inserted)
    ids = conn.execute(
        "SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM timing_reads "
        "UNION ALL SELECT id FROM timing_reads_archive) t"
    ).fetchone()
    assert ids and ids[0] == ids[1]


def test_parse_age() -> None:
    assert parse_age("30d") == timedelta(days=30)
    assert parse_age("12h") == timedelta(hours=12)
    assert parse_age("2w") == timedelta(weeks=2)
    with pytest.raises(P88Error, match="cannot read age"):
        parse_age("thirty days")


def test_archive_needs_autocommit(db_url: str) -> None:
    with connect(db_url) as c, pytest.raises(P88Error, match="autocommit"):
        archive_reads(c, NOW)
