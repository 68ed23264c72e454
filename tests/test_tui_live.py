"""The leaderboard driven by Textual's pilot against a real PostgreSQL: reads committed
by a writer appear on screen, and search, filters and the session picker answer keys."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, TabbedContent

from p88.tui import LeaderboardApp
from p88.tui.table import LiveTable
from tests.test_tui_data import GUN, NOW, add_points, add_session, fixed_race, insert_reads

SIZE = (120, 36)


async def wait_for(pilot: Pilot[Any], check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until ``check()`` holds (fails the test after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.02)


def column(app: LeaderboardApp, table_id: str, index: int) -> list[str]:
    table = app.query_one(f"#{table_id}", LiveTable)
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


def make_app(url: str, **kwargs: Any) -> LeaderboardApp:
    return LeaderboardApp(url, clock=lambda: NOW, db_label="test", **kwargs)


def test_committed_reads_appear_newest_first(db_url: str, conn: psycopg.Connection[Any]) -> None:
    sid = add_session(conn, "live")
    add_points(conn, sid, ["START", "FINISH"])
    insert_reads(conn, sid, [("START", "11", GUN), ("START", "12", GUN + timedelta(seconds=1))])

    async def go() -> None:
        app = make_app(db_url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: column(app, "crossings-table", 2) == ["12", "11"])
            insert_reads(conn, sid, [("FINISH", "12", GUN + timedelta(minutes=20))])
            await wait_for(
                pilot,
                lambda: (
                    column(app, "crossings-table", 2)[:1] == ["12"]
                    and column(app, "crossings-table", 1)[0] == "FINISH"
                ),
            )
            assert column(app, "crossings-table", 4)[0] == "19:59.0"  # from 12's own first read
            insert_reads(conn, sid, [("FINISH", "11", GUN + timedelta(minutes=21))])
            await wait_for(
                pilot, lambda: column(app, "crossings-table", 2) == ["11", "12", "12", "11"]
            )
            await wait_for(
                pilot,
                lambda: (
                    app.query_one("#status").figures is not None
                    and app.query_one("#status").figures.total_reads == 4
                ),
            )
            # the standings default to the finish point and follow new reads too
            await pilot.press("2")
            await wait_for(pilot, lambda: column(app, "standings-table", 1) == ["12", "11"])
            other = add_session(conn, "someone else's")
            insert_reads(conn, other, [("FINISH", "99", GUN)])
            await pilot.pause(0.3)
            assert "99" not in column(app, "crossings-table", 2)

    asyncio.run(go())


def test_search_filters_and_picker_by_keystroke(db_url: str, conn: psycopg.Connection[Any]) -> None:
    sid = fixed_race(conn)
    bare = add_session(conn, "warmup")
    insert_reads(conn, bare, [("LAP", "7", GUN)])

    async def go() -> None:
        app = make_app(db_url, session=str(sid))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(
                pilot,
                lambda: (
                    app.query_one(TabbedContent).active == "crossings"
                    and len(column(app, "crossings-table", 0)) == 17  # 6 + 6 + 5 crossings
                ),
            )
            assert column(app, "crossings-table", 3)[0] == "Emma Jones"

            await pilot.press("slash", *"okafor", "enter")
            await wait_for(pilot, lambda: column(app, "search-table", 2) == ["102"] * 4)
            assert column(app, "search-table", 1) == ["START", "HALF", "FINISH", "FINISH"]
            assert app.query_one("#search-input", Input).value == "okafor"

            # the mouse: click the Standings tab, then the third runner's row
            assert await pilot.click("#--content-tab-standings")
            await wait_for(
                pilot,
                lambda: column(app, "standings-table", 1) == ["104", "102", "101", "103", "105"],
            )
            table = app.query_one("#standings-table", LiveTable)
            assert await pilot.click("#standings-table", offset=(3, 3))  # header is line 0
            assert table.cursor_row == 2 and table.has_focus
            await pilot.press("down")
            assert table.cursor_row == 3
            app.set_focus(None)
            await pilot.press("1", "2")
            await wait_for(
                pilot,
                lambda: column(app, "standings-table", 1) == ["104", "102", "101", "103", "105"],
            )
            await pilot.press("x")  # sex: All -> F
            await wait_for(
                pilot, lambda: column(app, "standings-table", 1) == ["101", "103", "105"]
            )
            assert column(app, "standings-table", 0) == ["1", "2", "3"]
            await pilot.press("a")  # age group: All -> 30-34, within F
            await wait_for(pilot, lambda: column(app, "standings-table", 1) == ["101", "105"])
            assert column(app, "standings-table", 6) == ["—", "+15:30.0"]
            await pilot.press("x", "x", "a", "a", "a")  # sex F -> M -> All; age -> All
            await wait_for(pilot, lambda: len(column(app, "standings-table", 1)) == 5)
            await pilot.press("p")  # FINISH -> Race Marathon (results tables)
            assert app.query_one("#view", Select).value.startswith("race:")
            await wait_for(pilot, lambda: column(app, "standings-table", 5)[:1] == ["2:23:35.2"])

            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen.focused, OptionList))
            await pilot.press("up", "enter")  # newest first: warmup is above Hartford
            await wait_for(pilot, lambda: app.session_id == bare)
            await pilot.press("1")
            await wait_for(pilot, lambda: column(app, "crossings-table", 2) == ["7"])
            assert app.query_one("#view", Select).value == "point:LAP"

    asyncio.run(go())
