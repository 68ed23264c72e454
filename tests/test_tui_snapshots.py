"""What the leaderboard looks like, on the fixed race with the clock frozen.

Baselines live in tests/__snapshots__/test_tui_snapshots/; after a deliberate change of
look, regenerate them with `python -m pytest tests/test_tui_snapshots.py --snapshot-update`
and review the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from p88.tui.card import RunnerCard
from tests.test_tui_data import GUN, add_session, fixed_race, insert_reads, with_course
from tests.test_tui_live import column, make_app, wait_for

SIZE = (110, 32)
Compare = Callable[..., bool]
LONG_LABEL = "postgresql://timing@race-hub.example.org:5432/hartford_marathon_2025_finish_line"


@pytest.fixture
def race_url(db_url: str, conn: psycopg.Connection[Any]) -> str:
    with_course(conn, fixed_race(conn))
    return db_url


def loaded(app: Any) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(
            pilot,
            lambda: (
                len(column(app, "crossings-table", 0)) == 23
                and app.query_one("#status").figures is not None
                and app.query_one("#status").online
            ),
        )

    return run_before


def test_crossings(snap_compare: Compare, race_url: str) -> None:
    app = make_app(race_url)
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded(app))


def test_standings_women(snap_compare: Compare, race_url: str) -> None:
    app = make_app(race_url)

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(app)(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: column(app, "standings-table", 1) == ["101", "103", "105"])

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_search_by_name(snap_compare: Compare, race_url: str) -> None:
    app = make_app(race_url)

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(app)(pilot)
        await pilot.press("slash", *"silva", "enter")
        await wait_for(pilot, lambda: len(column(app, "search-table", 0)) == 4)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_session_picker(
    snap_compare: Compare, race_url: str, conn: psycopg.Connection[Any]
) -> None:
    warmup = add_session(conn, "Warmup_2025")
    insert_reads(conn, warmup, [("LAP", "7", GUN)])
    app = make_app(race_url, session="Hartford_2025")

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(app)(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen.focused, OptionList))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare: Compare, race_url: str) -> None:
    app = make_app(race_url)
    assert snap_compare(app, press=["question_mark"], terminal_size=SIZE, run_before=loaded(app))


def test_header_long_label_at_120_columns(snap_compare: Compare, race_url: str) -> None:
    app = make_app(race_url)
    app.db_label = LONG_LABEL
    assert snap_compare(app, terminal_size=(120, 30), run_before=loaded(app))


def test_header_and_footer_at_80_by_24(snap_compare: Compare, race_url: str) -> None:
    app = make_app(race_url)
    app.db_label = LONG_LABEL
    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded(app))


def test_announcer(snap_compare: Compare, race_url: str) -> None:
    app = make_app(race_url)

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(app)(pilot)
        await pilot.press("3")
        await wait_for(pilot, lambda: len(column(app, "announcer-table", 0)) == 3)

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


def test_runner_card(snap_compare: Compare, race_url: str) -> None:
    app = make_app(race_url)

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(app)(pilot)
        await pilot.press("4")
        await wait_for(pilot, lambda: app.query_one(RunnerCard).crossing is not None)

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)
