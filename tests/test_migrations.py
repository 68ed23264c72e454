from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest

from p88.errors import MigrationError
from p88.store.connect import connect
from p88.store.migrations import discover, migrate, sql_dir, status


def _tables(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    ).fetchall()
    return {r[0] for r in rows}


def test_migrate_from_empty_creates_seed_tables(empty_db_url: str) -> None:
    with connect(empty_db_url, autocommit=True) as conn:
        done = migrate(conn)
        assert [m.version for m in done] == [m.version for m in discover()]
        assert {
            "timing_sessions",
            "timing_locations",
            "timing_reads",
            "connection_log",
            "timing_reads_archive",
            "rejected_lines",
            "p88_migrations",
        } <= _tables(conn)
        st = status(conn)
        assert st.pending == [] and st.changed == []


def test_migrate_twice_applies_nothing_the_second_time(empty_db_url: str) -> None:
    with connect(empty_db_url, autocommit=True) as conn:
        assert migrate(conn)
        assert migrate(conn) == []


def test_changed_file_is_refused(empty_db_url: str, tmp_path: Path) -> None:
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    with connect(empty_db_url, autocommit=True) as conn:
        migrate(conn, copy)
        first = sorted(copy.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- edited\n")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            migrate(conn, copy)
        assert status(conn, copy).changed[0].version == 1


def test_failed_migration_rolls_back_and_is_not_recorded(empty_db_url: str, tmp_path: Path) -> None:
    (tmp_path / "001_ok.sql").write_text("CREATE TABLE a (x int);")
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE b (x int); SELECT no_such_function();")
    with connect(empty_db_url, autocommit=True) as conn:
        with pytest.raises(MigrationError, match="002_bad.sql failed"):
            migrate(conn, tmp_path)
        assert "a" in _tables(conn) and "b" not in _tables(conn)
        assert [a.version for a in status(conn, tmp_path).applied] == [1]


def test_concurrent_migrate_applies_each_file_once(empty_db_url: str) -> None:
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def run() -> None:
        try:
            with connect(empty_db_url, autocommit=True) as conn:
                barrier.wait()
                results.append(len(migrate(conn)))
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(results) == [0, 0, len(discover())]
    with connect(empty_db_url, autocommit=True) as conn:
        rows = conn.execute("SELECT version, count(*) FROM p88_migrations GROUP BY 1").fetchall()
    assert all(count == 1 for _, count in rows)


def test_misnamed_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_bad.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNN_name.sql"):
        discover(tmp_path)


def test_seed_monitoring_queries_run_unchanged(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute(
        "SELECT COUNT(*) as total_reads, COUNT(DISTINCT session_id) as sessions, "
        "COUNT(DISTINCT location_name) as locations, MAX(read_timestamp) as latest_read "
        "FROM timing_reads"
    ).fetchone()
    assert row == (0, 0, 0, None)
    assert conn.execute("SELECT archive_old_timing_data()").fetchone() == (0,)
