"""One rule per race concept, and every consumer sees the same answer.

The main test feeds one race with two waves to every consumer (``p88 serve``'s JSON
from the app served in this process, the TUI's data layer, ``p88 results standings --json``) and
asserts the same runner has the same time and place everywhere. The others pin each
unified rule: the gun, the first crossing, elapsed time, the current session, location
order and the default point, and the schema check at start.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from p88 import store
from p88.cli.main import app as cli
from p88.errors import MigrationError
from p88.serve import create_app
from p88.store import PointRule, ScoreOptions, arun, run
from p88.store.migrations import sql_dir
from p88.store.results.crossings import Read  # scoring's own read type, for the pure rule
from tests.test_results_scoring import add_reads, at, make_race
from tests.test_serve_fixtures import running

POINTS = [PointRule("START", "start"), PointRule("FINISH", "finish", distance_m=10000)]
# bib: wave, start-mat crossing, finish crossing (re-read 0.6 s later, same crossing)
RUNNERS = {
    "1": ("A", "08:00:04.00", "08:40:00.00"),  # 40:00 from the 08:00 gun
    "2": ("A", "08:00:06.00", "08:38:00.00"),  # 38:00
    "3": ("B", "08:10:03.00", "08:45:00.00"),  # 35:00 from the 08:10 wave start
    "4": ("B", "08:10:05.00", "08:55:00.00"),  # 45:00
}
# Expected by gun time: 3, 2, 1, 4 (crossing order would be 2, 1, 3, 4).
EXPECTED = [("3", 1, 2100.0), ("2", 2, 2280.0), ("1", 3, 2400.0), ("4", 4, 2700.0)]


def two_wave_race(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    """A race with waves A (08:00) and B (08:10), a gun event for each, four runners, and
    a wave-B runner who walked over the finish mat before their wave started."""
    race, session = make_race(
        conn,
        [(bib, "F", 30, wave) for bib, (wave, _, _) in RUNNERS.items()],
        waves={"A": "08:00:00.00", "B": "08:10:00.00"},
    )
    conn.execute("UPDATE ct_races SET session_id = %s WHERE id = %s", (session, race))
    conn.execute("UPDATE timing_sessions SET status = 'active' WHERE id = %s", (session,))
    for gun in ("08:00:00.00", "08:10:00.00"):
        conn.execute(
            "INSERT INTO timing_gun_events (session_id, location_name, gun_timestamp) "
            "VALUES (%s, 'START', %s)",
            (session, at(gun)),
        )
    reads = [("FINISH", "3", "08:09:30.00")]  # before wave B's start: not a crossing
    for bib, (_, start, finish) in RUNNERS.items():
        reads.append(("START", bib, start))
        reads.append(("FINISH", bib, finish))
        later = (datetime.strptime(finish, "%H:%M:%S.%f") + timedelta(seconds=0.6)).strftime(
            "%H:%M:%S.%f"
        )[:11]
        reads.append(("FINISH", bib, later))
    add_reads(conn, session, reads)
    store.score_race(conn, race, session, ScoreOptions(points=POINTS))
    return race, session


def _seconds(value: Any) -> float:
    """A duration from JSON: seconds, a {"seconds": ...} object, or H:MM:SS[.ff] text."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return float(value["seconds"])
    h, m, s = str(value).split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_two_waves_same_time_and_place_everywhere(
    p88_env: str, conn: psycopg.Connection[Any]
) -> None:
    race, session = two_wave_race(conn)

    with running(create_app(p88_env)) as base, httpx.Client(base_url=base, timeout=10) as api:
        point = api.get(
            "/api/timing/leaderboard", params={"session_id": session, "location": "FINISH"}
        ).json()
        official = api.get("/api/timing/leaderboard", params={"race_id": race}).json()
        default = api.get("/api/timing/leaderboard").json()
    serve_point = [(s["tag_code"], s["place"], s["elapsed_seconds"]) for s in point["standings"]]
    serve_official = [
        (s["bib"], s["place"], _seconds(s["gun_time"])) for s in official["standings"]
    ]
    assert (default["session_id"], default["location"]) == (session, "FINISH")

    async def tui() -> tuple[list[Any], list[Any], list[Any]]:
        async with await psycopg.AsyncConnection.connect(p88_env, autocommit=True) as a:
            roster = await arun(a, store.load_roster(session))
            points = await arun(a, store.point_standings(session, "FINISH", roster))
            ranking = await arun(a, store.live_ranking(race))
            latest = await arun(a, store.latest_reads(session, roster))
        return points, ranking, latest

    points, ranking, latest = asyncio.run(tui())
    tui_point = [(s.bib, s.place, s.time.total_seconds()) for s in points]
    tui_ranking = [(s.bib, s.place, s.time.total_seconds()) for s in ranking]

    result = CliRunner().invoke(cli, ["results", "standings", "--race", str(race), "--json"])
    assert result.exit_code == 0, result.output
    cli_rows = [(r["bib"], r["place"], _seconds(r["gun_time"])) for r in json.loads(result.stdout)]

    assert serve_point == EXPECTED
    assert serve_official == EXPECTED
    assert tui_point == EXPECTED
    assert tui_ranking == EXPECTED
    assert cli_rows == EXPECTED
    # The crossings list times every read from the same gun: runner 3's finish is 35:00,
    # and the stray read before their wave started is listed, 30 s before their gun.
    mine = {(r.at, r.elapsed) for r in latest if r.tag == "3" and r.point == "FINISH"}
    assert (at("08:45:00.00"), timedelta(seconds=2100)) in mine
    assert (at("08:09:30.00"), timedelta(seconds=-30)) in mine


def test_gun_rule() -> None:
    """Nearest gun to the race's start within an hour; the wave's start wins; a tag
    without an entry gets the session's first gun."""
    guns = [at("07:59:58.00"), at("08:10:01.00")]
    assert store.pick_race_gun(guns, at("08:00:00.00"))[0] == at("07:59:58.00")
    assert store.pick_race_gun(guns, at("10:00:00.00"))[0] == at("10:00:00.00")  # none near
    assert store.pick_race_gun(guns, None)[0] == at("07:59:58.00")
    assert store.pick_race_gun([], None)[0] is None
    waves = {"B": at("08:10:00.00")}
    assert store.runner_gun(at("08:00:00.00"), waves, "B") == at("08:10:00.00")
    assert store.runner_gun(at("08:00:00.00"), waves, "C") == at("08:00:00.00")
    roster = store.Roster(
        runners={"7": store.Entrant("7", "Ann", "F", None, race_id=1, wave="B")},
        timings=(store.RaceTiming(1, "10K", at("08:00:00.00"), waves),),
    )
    assert roster.gun_for("7", guns) == at("08:10:00.00")
    assert roster.gun_for("unknown", guns) == at("07:59:58.00")


def test_first_crossing_rule() -> None:
    """Scoring's crossing rule: reads before the gun ignored, reads within the dead time
    are one crossing, timed by its first read (the last one on the start mat)."""
    clocks = ["07:59:00.00", "08:30:00.00", "08:30:04.00", "08:31:00.00"]
    reads = [Read(at(c), i, "FIN") for i, c in enumerate(clocks)]
    gun = at("08:00:00.00")
    first = store.first_crossing(reads, PointRule("FIN", "finish"), gun)
    assert first is not None and first.id == 1
    start = store.first_crossing(reads[1:3], PointRule("FIN", "start"), gun)
    assert start is not None and start.id == 2  # last read of the crossing on a start mat
    late = store.first_crossing(reads, PointRule("FIN", "finish", min_elapsed=s(31)), gun)
    assert late is not None and late.id == 3
    assert store.first_crossing(reads[:1], PointRule("FIN", "finish"), gun) is None


def s(minutes: int) -> timedelta:
    return timedelta(minutes=minutes)


def test_elapsed_rule() -> None:
    """From the runner's gun, truncated to the hundredth as scoring stores it."""
    gun = at("08:00:00.00")
    assert store.elapsed(gun + timedelta(seconds=3600.456), gun) == timedelta(
        seconds=3600.45
    )  # truncated, as timing does
    assert store.elapsed(gun, None) is None


def test_current_session_rule(conn: psycopg.Connection[Any]) -> None:
    def add(name: str, status: str, created: str, partner: int | None = None) -> int:
        row = conn.execute(
            "INSERT INTO timing_sessions (session_name, status, created_at, partner_id)"
            " VALUES (%s, %s, %s, %s) RETURNING id",
            (name, status, at(created), partner),
        ).fetchone()
        assert row is not None
        return int(row[0])

    partner = conn.execute(
        "INSERT INTO timing_partners (name, code) VALUES ('P', 'p') RETURNING id"
    ).fetchone()[0]  # type: ignore[index]
    closed = add("Session_20240601_090000", "closed", "09:00:00.00")
    old = add("Session_20240601_070000", "active", "07:00:00.00", partner)
    new = add("Session_20240531_080000", "active", "08:00:00.00")
    assert run(conn, store.current_session()) == new  # newest active by creation time
    assert run(conn, store.current_session(partner_id=partner)) == old
    assert run(conn, store.current_session(named_like="Session_20240601_%")) == old
    conn.execute("UPDATE timing_sessions SET status = 'closed' WHERE status = 'active'")
    assert run(conn, store.current_session()) is None
    assert run(conn, store.current_session(or_newest=True)) == closed
    assert run(conn, store.find_session(str(new))) == new
    assert run(conn, store.find_session("Session_20240601_070000")) == old


def test_location_order_and_default_point(conn: psycopg.Connection[Any]) -> None:
    """Declared points in the order declared, then points with reads only, by name; the
    finish by name, else the last point; the start mat by name."""
    race, session = make_race(conn, [])
    for name in ("START", "10K", "Finish Line"):
        conn.execute(
            "INSERT INTO timing_locations (session_id, location_name) VALUES (%s, %s)",
            (session, name),
        )
    add_reads(conn, session, [("5K", "1", "08:20:00.00"), ("Aid", "1", "08:30:00.00")])
    names = run(conn, store.location_order(session))
    assert names == ["START", "10K", "Finish Line", "5K", "Aid"]
    assert store.default_point(names) == "Finish Line"
    assert store.default_point(["A", "FIN"]) == "FIN"
    assert store.default_point(["A", "B"]) == "B"
    assert store.start_point(names) == "START"
    assert store.start_point(["Start A", "Start B"]) is None  # two: scoring refuses too


def test_schema_behind_is_refused_at_start(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    store.require_current(conn)  # the test database is current
    for f in sql_dir().glob("*.sql"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "999_future_table.sql").write_text("CREATE TABLE future (id int);\n")
    with pytest.raises(MigrationError, match=r"1 migration\(s\) pending \(999_future_table\)"):
        store.require_current(conn, tmp_path)


def test_serve_refuses_a_schema_behind_at_start(empty_db_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", empty_db_url, "serve", "--port", "18809"])
    assert result.exit_code == 1
    assert "the database schema is behind this p88" in result.output
    assert "run p88 db migrate first" in result.output
