"""The crossings page in a real headless Chromium: a read committed after the page loaded
shows up as a crossing (once per runner per point); ``?view=reads`` keeps the raw reads.

Chromium is driven over the DevTools protocol (``tests/browser.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from p88.serve import create_app
from tests.browser import DevTools
from tests.test_serve_fixtures import at, insert_reads, make_session, running, wait_until


def test_page_shows_a_read_inserted_after_it_loaded(
    db_url: str, conn: psycopg.Connection[Any], browser_profile: Path
) -> None:
    sid = make_session(conn)
    insert_reads(conn, sid, [("finish", "1001", at(3000))])
    app = create_app(db_url)
    with running(app) as base:
        wait_until(lambda: app.state.hub.floor is not None)
        chrome = DevTools(base + "/", browser_profile)
        try:
            chrome.attach_to_page()

            def page_state() -> Any:
                return chrome.evaluate("document.getElementById('status').dataset.state")

            wait_until(lambda: page_state() == "live", timeout=30)
            wait_until(lambda: len(app.state.display_feed.watchers) == 1)
            reads_text = "document.getElementById('reads').innerText"
            wait_until(lambda: "1001" in chrome.evaluate(reads_text))  # loaded with the page
            assert "4242" not in chrome.evaluate(reads_text)

            insert_reads(conn, sid, [("finish", "4242", at(2900.57))])
            wait_until(lambda: "4242" in chrome.evaluate(reads_text), timeout=10)
            rows_js = (
                "Array.from(document.querySelectorAll('#reads tr'))"
                ".map(r => Array.from(r.cells).map(c => c.textContent))"
            )
            # crossings, newest crossing first (not arrival): 4242 crossed before 1001,
            # so 1001's place at the finish moves to 2 (the page refreshes places)
            expected = [
                ["08:50:00.00", "finish", "1001", "", "", "2", ""],
                ["08:48:20.57", "finish", "4242", "", "", "1", ""],
            ]
            wait_until(lambda: chrome.evaluate(rows_js) == expected, timeout=10)
            # more reads of 4242 inside the dead time are the same crossing: no new row
            insert_reads(conn, sid, [("finish", "4242", at(2900.9)), ("finish", "4242", at(2901.3)),
                                     ("finish", "5555", at(2950))])  # fmt: skip
            wait_until(lambda: "5555" in chrome.evaluate(reads_text), timeout=10)
            assert [r[2] for r in chrome.evaluate(rows_js)] == ["1001", "5555", "4242"]
            board = "document.getElementById('board').innerText"
            # the leaderboard refreshes too: 4242 crossed before 1001, so it leads
            wait_until(lambda: chrome.evaluate(board).split()[:2] == ["1", "4242"], timeout=10)
        finally:
            chrome.close()


def test_page_shows_race_standings(
    db_url: str, conn: psycopg.Connection[Any], browser_profile: Path
) -> None:
    """``/?race_id=N``: the leaderboard shows the race's placed finishers by name."""
    from tests.test_serve_fixtures import make_partner

    partner = make_partner(conn, "acme")
    sid = make_session(conn, partner_id=partner)
    event = conn.execute(
        "INSERT INTO ct_events (partner_id, name, event_date) VALUES (%s, 'Acme 5K', "
        "'2026-05-03') RETURNING id",
        (partner,),
    ).fetchone()[0]  # type: ignore[index]
    race = conn.execute(
        "INSERT INTO ct_races (partner_id, event_id, name, distance_m, session_id, place_by)"
        " VALUES (%s, %s, '5K', 5000, %s, 'chip') RETURNING id",
        (partner, event, sid),
    ).fetchone()[0]  # type: ignore[index]
    for place, (bib, first, last, secs) in enumerate(
        [("7", "Ada", "Quick", 1000.5), ("9", "Ben", "Steady", 1100.25)], start=1
    ):
        person = conn.execute(
            "INSERT INTO ct_participants (first_name, last_name) VALUES (%s, %s) RETURNING id",
            (first, last),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib,"
            " status, chip_time, overall_place, source)"
            " VALUES (%s, %s, %s, %s, %s, 'finished', make_interval(secs => %s), %s, 'manual')",
            (partner, event, race, person, bib, secs, place),
        )
    app = create_app(db_url)
    with running(app) as base:
        chrome = DevTools(f"{base}/?race_id={race}", browser_profile)
        try:
            chrome.attach_to_page()
            board = "document.getElementById('board').innerText"
            wait_until(lambda: "Ada Quick" in (chrome.evaluate(board) or ""), timeout=30)
            rows = chrome.evaluate(
                "Array.from(document.querySelectorAll('#board tr'))"
                ".map(r => Array.from(r.cells).map(c => c.textContent))"
            )
            assert rows == [
                ["1", "7", "Ada Quick", "0:16:40.50"],
                ["2", "9", "Ben Steady", "0:18:20.25"],
            ]
            title = chrome.evaluate("document.getElementById('board-title').textContent")
            assert title == "Leaderboard — Acme 5K 5K"
        finally:
            chrome.close()


def test_reads_view_keeps_every_raw_read(
    db_url: str, conn: psycopg.Connection[Any], browser_profile: Path
) -> None:
    """``/?view=reads``: each antenna read is its own row, as ``/api/timing/*`` gives them."""
    sid = make_session(conn)
    app = create_app(db_url)
    with running(app) as base:
        wait_until(lambda: app.state.hub.floor is not None)
        chrome = DevTools(base + "/?view=reads", browser_profile)
        try:
            chrome.attach_to_page()
            state = "document.getElementById('status').dataset.state"
            wait_until(lambda: chrome.evaluate(state) == "live", timeout=30)
            wait_until(lambda: len(app.state.hub.subscribers) == 1)
            insert_reads(
                conn, sid, [("finish", "4242", at(2900.57)), ("finish", "4242", at(2900.9))]
            )
            rows_js = (
                "Array.from(document.querySelectorAll('#reads tr'))"
                ".map(r => Array.from(r.cells).map(c => c.textContent))"
            )
            wait_until(lambda: len(chrome.evaluate(rows_js)) == 2, timeout=10)
            assert chrome.evaluate(rows_js) == [
                ["08:48:20.90", "Finish Line", "4242"],
                ["08:48:20.57", "Finish Line", "4242"],
            ]
        finally:
            chrome.close()
