"""The leaderboard at the keyboard, as a user meets it: keys after the search box, the
announcer and runner-card tabs, the footer at 80×24, the header with a long database
label, and a notice when reads arrive in another session than the one shown."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import psycopg
from textual.widgets import Digits, Input, Select, Static, TabbedContent
from textual.widgets._footer import FooterKey
from typer.testing import CliRunner

from p88.cli.main import app as cli
from p88.tui.card import RunnerCard
from p88.tui.screens import HELP, HelpScreen
from p88.tui.status import StatusBar
from tests.test_tui_data import GUN, add_session, fixed_race, insert_reads, with_course
from tests.test_tui_live import SIZE, column, make_app, wait_for

TABS = ("crossings", "standings", "announcer", "card", "reads")


def _active(app: Any) -> str:
    return str(app.query_one(TabbedContent).active)


def test_keys_work_again_after_search_and_escape(
    db_url: str, conn: psycopg.Connection[Any]
) -> None:
    fixed_race(conn)

    async def go() -> None:
        app = make_app(db_url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: len(column(app, "crossings-table", 0)) == 17)
            search = app.query_one("#search-input", Input)
            await pilot.press("slash", *"okafor")
            assert _active(app) == "search" and app.focused is search
            await pilot.press("escape")
            assert app.focused is not search
            for key, tab in zip("12345", TABS, strict=True):
                await pilot.press(key)
                assert _active(app) == tab, key
            assert search.value == "okafor"  # no key went into the box
            await pilot.press("x")  # sex: All -> F, on the standings
            assert _active(app) == "standings"
            assert app.query_one("#sex", Select).value == "F"
            await pilot.press("a")
            assert app.query_one("#age", Select).value == "30-34"
            assert search.value == "okafor"
            # again after a search was submitted, then q quits
            await pilot.press("slash", "enter", "escape", "1")
            assert _active(app) == "crossings"
            await pilot.press("q")
            await pilot.pause(0.1)
            assert search.value == "okafor"
            assert not app.is_running

    asyncio.run(go())


def test_announcer_and_runner_card(db_url: str, conn: psycopg.Connection[Any]) -> None:
    sid = fixed_race(conn)
    with_course(conn, sid)

    async def go() -> None:
        app = make_app(db_url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: len(column(app, "crossings-table", 0)) == 23)
            await pilot.press("3")
            coming = ["109", "107", "108"]
            await wait_for(pilot, lambda: column(app, "announcer-table", 2) == coming)
            assert column(app, "announcer-table", 0) == ["10:39:58", "10:46:38", "10:49:58"]
            assert column(app, "announcer-table", 3) == ["", "★", ""]
            assert column(app, "announcer-table", 5) == ["", "Hartford", "Boston"]
            summary = app.query_one("#announcer-summary", Static).render()
            assert "Next 3 expected at FINISH" in str(summary)

            await pilot.press("4")
            card = app.query_one(RunnerCard)
            digits = app.query_one("#card-time", Digits)
            await wait_for(pilot, lambda: card.crossing is not None)
            assert card.crossing is not None and card.crossing.name == "Emma Jones"
            assert digits.value == "2:45:50.0"
            message = app.query_one("#card-message", Static)
            assert str(message.render()) == "Go Mom!"
            art = str(app.query_one("#card-name", Static).render())
            assert len(art.splitlines()) >= 5  # the name in a FIGlet font

            # Hugo Lind finishes, his re-read 2 s later is the same crossing
            insert_reads(
                conn,
                sid,
                [
                    ("FINISH", "108", GUN + timedelta(seconds=10100)),
                    ("FINISH", "108", GUN + timedelta(seconds=10102)),
                ],
            )
            await wait_for(pilot, lambda: card.crossing is not None and card.crossing.bib == "108")
            assert digits.value == "2:48:20.0" and str(message.render()) == "Boston or bust"
            assert "place 6" in str(app.query_one("#card-where", Static).render())
            info = str(app.query_one("#card-info", Static).render())
            assert "bib 108" in info and "M40-44" in info and "Boston" in info
            assert column(app, "crossings-table", 2)[:2] == ["108", "105"]
            assert column(app, "crossings-table", 5)[0] == "6"
            assert len(column(app, "crossings-table", 0)) == 24
            assert column(app, "crossings-table", 6)[0] == "6:25/mi"  # 10100 s / 26.2 mi

            await pilot.press("3")
            await wait_for(pilot, lambda: column(app, "announcer-table", 2) == ["109", "107"])
            await pilot.press("5")  # the raw reads are still there: both of Hugo's
            await wait_for(pilot, lambda: column(app, "reads-table", 2)[:2] == ["108", "108"])

            await pilot.press("p", "p")  # the standings' point: FINISH -> race -> START
            assert app.query_one("#view", Select).value == "point:START"
            await pilot.press("4")
            await wait_for(pilot, lambda: card.crossing is not None and card.crossing.bib == "109")
            assert card.point == "START"

    asyncio.run(go())


def test_footer_and_header_fit_80_by_24(db_url: str, conn: psycopg.Connection[Any]) -> None:
    fixed_race(conn)
    label = "postgresql://timing@race-hub.example.org:5432/hartford_marathon_2025_finish"

    async def go() -> None:
        for width, height in ((80, 24), (120, 36)):
            app = make_app(db_url)
            app.db_label = label
            status = app.status_bar
            async with app.run_test(size=(width, height)) as pilot:
                await wait_for(pilot, lambda: status.figures is not None)  # noqa: B023

                def laid_out() -> bool:
                    shown = {k.key: k for k in app.query(FooterKey)}  # noqa: B023
                    return all(
                        k in shown and shown[k].region.width > 0 for k in ("question_mark", "q")
                    )

                await wait_for(pilot, laid_out)  # the footer is laid out after the first frame
                keys = {k.key: k for k in app.query(FooterKey)}
                for key in ("question_mark", "q"):
                    region = keys[key].region
                    assert 0 < region.width and region.right <= width, (width, key, region)
                lines = status.render().plain.splitlines()
                assert len(lines) == 2 and all(len(line) <= width - 2 for line in lines)
                assert "…" in lines[0] and "Hartford_2025" in lines[0]
                for figure in ("controllers 1", "reads/min", "rejects 1"):
                    assert figure in lines[1], (width, lines)

    asyncio.run(go())


def test_reads_in_another_session_are_noticed(db_url: str, conn: psycopg.Connection[Any]) -> None:
    sid = fixed_race(conn)

    async def go() -> None:
        app = make_app(db_url, session=str(sid))
        async with app.run_test(size=SIZE) as pilot:
            status = app.query_one(StatusBar)
            await wait_for(pilot, lambda: status.figures is not None)
            assert status.notice == ""
            other = add_session(conn, "Warmup_2025")
            insert_reads(conn, other, [("LAP", "7", GUN)])
            await wait_for(pilot, lambda: f"session #{other} Warmup_2025" in status.notice)
            assert "s to switch" in status.notice
            assert len(status.render().plain.splitlines()) == 3
            app.switch_session(other)
            await pilot.pause(0.05)
            assert status.notice == ""

    asyncio.run(go())


def test_help_and_cli_name_every_tab_and_key(db_url: str, conn: psycopg.Connection[Any]) -> None:
    fixed_race(conn)
    help_text = CliRunner().invoke(cli, ["tui", "--help"]).output.lower()
    for name in ("crossings", "standings", "announcer", "runner card", "reads", "search"):
        assert name in help_text and name in HELP
    shown = [b for b in make_app(db_url).BINDINGS if not isinstance(b, tuple) and b.show]
    for binding in shown:
        key = {"slash": "/", "question_mark": "?"}.get(binding.key, binding.key)
        assert f"[b]{key}[/b]" in HELP, binding
        assert binding.description.lower().split("/")[0] in HELP.lower(), binding

    async def go() -> None:
        app = make_app(db_url)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)

    asyncio.run(go())
