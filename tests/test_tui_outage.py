"""The leaderboard loses its database and gets it back: banner, retries, catch-up.
And it cannot write, even if it tried."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from p88.tui import LeaderboardApp
from p88.tui.feed import APPLICATION_NAME
from tests.test_tui_data import GUN, add_points, add_session, insert_reads
from tests.test_tui_live import SIZE, column, make_app, wait_for


def _allow_connections(admin_url: str, database: str, allow: bool) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(database), sql.Literal(allow)
            )
        )


def _kill_app_backends(conn: psycopg.Connection[Any]) -> int:
    rows = conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = %s",
        (APPLICATION_NAME,),
    ).fetchall()
    return len(rows)


def test_killed_connection_shows_banner_then_recovers(
    db_url: str, pg_admin_url: str, conn: psycopg.Connection[Any]
) -> None:
    sid = add_session(conn, "outage")
    add_points(conn, sid, ["FINISH"])
    insert_reads(conn, sid, [("FINISH", "1", GUN)])
    database = conn.info.dbname

    async def go() -> None:
        app = make_app(db_url, retry_s=(0.05, 0.1, 0.2), health_s=0.5)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: column(app, "crossings-table", 2) == ["1"])
            banner = app.query_one("#banner")
            assert not banner.display
            _allow_connections(pg_admin_url, database, False)  # keep it down while we look
            try:
                assert _kill_app_backends(conn) == 3  # listen, live, bulk
                await wait_for(pilot, lambda: banner.display)
                assert "Database connection lost" in str(banner.render())
                assert not app.query_one("#status").online
                await wait_for(pilot, lambda: "attempt" in str(banner.render()))
                # reads committed while the app is cut off
                insert_reads(conn, sid, [("FINISH", "2", GUN + timedelta(seconds=5))])
                insert_reads(conn, sid, [("FINISH", "3", GUN + timedelta(seconds=6))])
            finally:
                _allow_connections(pg_admin_url, database, True)
            await wait_for(pilot, lambda: not banner.display)
            assert app.is_running
            # caught up from "id > last seen": nothing committed during the outage is lost
            await wait_for(pilot, lambda: column(app, "crossings-table", 2) == ["3", "2", "1"])
            insert_reads(conn, sid, [("FINISH", "4", GUN + timedelta(seconds=7))])
            await wait_for(pilot, lambda: column(app, "crossings-table", 2)[0] == "4")

    asyncio.run(go())


def test_the_apps_connections_are_read_only(db_url: str, conn: psycopg.Connection[Any]) -> None:
    add_session(conn, "ro")

    async def go() -> None:
        app: LeaderboardApp = make_app(db_url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.feed.connected and app.session_id is not None)
            for link in (app.feed.live, app.feed.bulk):
                assert link is not None
                with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                    await link.execute("UPDATE timing_sessions SET status = 'closed'")
            await wait_for(pilot, lambda: app.feed.connected)

    asyncio.run(go())
    row = conn.execute("SELECT status FROM timing_sessions").fetchone()
    assert row == ("active",)
