"""Timing points set by the crew, settings stored with the race, flagged results held,
live scoring that follows the race (issue 15). Real PostgreSQL, the CLI in-process; the
race is tests/midnight_race.py, whose every time and place is known."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
from typer.testing import CliRunner

from p88.cli.main import app
from tests import midnight_race as mr

runner = CliRunner()


def cli(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def setup_race(tmp_path: Path) -> int:
    out = cli("results", "new-race", "--partner", "Night Timing", "--event", "NYE 5K",
              "--date", str(mr.DAY), "--race", "5K", "--distance", "5K", "--start", "23:45",
              "--json").stdout  # fmt: skip
    race = int(json.loads(out)["race_id"])
    cli("results", "import", str(mr.participants_csv(tmp_path / "p.csv")), "--race", str(race))
    return race


def load(path: Path, session: str = "live") -> None:
    cli("import", str(path), "--session", session, "--date", str(mr.DAY))


def results(conn: psycopg.Connection[Any], race: int) -> dict[str, tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT bib, status, chip_time, gun_time, overall_place, sex_place FROM ct_results"
        " WHERE race_id = %s AND status IS NOT NULL",
        (race,),
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def saved_points(conn: psycopg.Connection[Any], race: int) -> list[tuple[str, str]]:
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT location_name, kind FROM ct_race_points WHERE race_id = %s ORDER BY 1",
            (race,),
        ).fetchall()
    ]


def test_score_before_the_finish_has_reads_guesses_nothing_and_saves_nothing(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = setup_race(tmp_path)
    start, finish = mr.write_files(tmp_path / "files")
    load(start)
    result = cli("results", "score", "--race", str(race), "--session", "live", code=1)
    assert result.stderr.startswith("Error: cannot tell the start and finish among locations START")
    live = cli("results", "score", "--race", str(race), "--session", "live",
               "--every", "0.05", "--runs", "2")  # fmt: skip
    assert live.stderr.count("waiting: cannot tell the start and finish") == 2
    assert saved_points(conn, race) == [] and results(conn, race) == {}
    # a client announced FINISH before its first read: still not a finish to score against
    conn.execute(
        "INSERT INTO connection_log (session_id, session_info) SELECT id, "
        '\'{"locations": ["START", "FINISH"]}\' FROM timing_sessions'
    )
    result = cli("results", "score", "--race", str(race), "--session", "live", code=1)
    assert "the finish FINISH has no reads yet (reads only at START)" in result.stderr
    load(finish)
    got = json.loads(
        cli("results", "score", "--race", str(race), "--session", "live", "--json").stdout
    )
    assert got["points_source"] == "proposed" and got["points"] == ["START:start", "FINISH:finish"]
    assert (got["finished"], got["held"]) == (4, 1)
    assert results(conn, race) == mr.TRUTH
    assert saved_points(conn, race) == []  # a proposal is used, never saved
    cli("results", "points", "--race", str(race), "--propose")
    assert saved_points(conn, race) == [("FINISH", "finish"), ("START", "start")]


def test_a_mistyped_point_is_refused_naming_the_real_locations(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = setup_race(tmp_path)
    for path in mr.write_files(tmp_path / "files"):
        load(path)
    (sid,) = conn.execute("SELECT id FROM timing_sessions").fetchone()  # type: ignore[misc]
    result = cli("results", "score", "--race", str(race), "--session", "live",
                 "--start", "NOPE", "--finish", "ALSO", code=1)  # fmt: skip
    assert result.stderr == (
        f"Error: no location 'NOPE', 'ALSO' in session 'live' ({sid}): its locations are "
        "FINISH, START\n"
    )
    assert saved_points(conn, race) == [] and results(conn, race) == {}
    result = cli("results", "points", "--race", str(race), "--start", "START",
                 "--finish", "START", code=1)  # fmt: skip
    assert "START named for two roles" in result.stderr
    result = cli("results", "points", "--race", str(race), "--session", "live",
                 "--start", "START", "--finish", "FINSH", code=1)  # fmt: skip
    assert "no location 'FINSH'" in result.stderr and "FINISH, START" in result.stderr
    shown = json.loads(cli("results", "points", "--race", str(race), "--session", "live",
                           "--start", "START", "--finish", "FINISH", "--dead-time", "FINISH=5",
                           "--json").stdout)  # fmt: skip
    assert [(p["name"], p["role"], p["dead_time_s"]) for p in shown["points"]] == [
        ("START", "start", 10.0), ("FINISH", "finish", 5.0)
    ]  # fmt: skip
    cli("results", "score", "--race", str(race))
    assert results(conn, race) == mr.TRUTH


def test_age_groups_survive_an_incremental_run_and_a_change_rescores(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = setup_race(tmp_path)
    start, finish = mr.write_files(tmp_path / "files")
    load(start)
    lines = finish.read_bytes().splitlines()
    early, late = tmp_path / "early.ct33", tmp_path / "late.ct33"
    early.write_bytes(b"\r\n".join(lines[:-1]) + b"\r\n")  # all but 102's finish
    late.write_bytes(lines[-1] + b"\r\n")
    load(early)
    cli("results", "points", "--race", str(race), "--start", "START", "--finish", "FINISH")
    cli("results", "score", "--race", str(race), "--session", "live", "--full",
        "--age-groups", "10:20:70")  # fmt: skip
    # a file of its own, dated by the race: 00:10:10 after a 23:45 gun is the next day
    cli("import", str(late), "--session", "live", "--race", str(race))
    got = json.loads(cli("results", "score", "--race", str(race), "--json").stdout)
    assert (got["full"], got["new_reads"], got["results_changed"]) == (False, 1, 1)

    def groups() -> dict[str, tuple[Any, ...]]:
        rows = conn.execute(
            "SELECT bib, age_group, age_group_place FROM ct_results WHERE race_id = %s", (race,)
        ).fetchall()
        return {r[0]: tuple(r[1:]) for r in rows}

    assert groups() == {
        "101": ("30-39", 1), "102": ("40-49", 1), "103": ("40-49", 1), "104": ("20-29", 1),
        "105": ("30-39", None), "106": ("60-69", None),
    }  # fmt: skip
    # a setting changed: the next plain run rescores everything with it
    cli("results", "settings", "--race", str(race), "--age-groups", "F=5:20:80",
        "--age-label", "20-24=Open", "--masters", "40")  # fmt: skip
    got = json.loads(cli("results", "score", "--race", str(race), "--json").stdout)
    assert got["full"] is True
    assert groups()["102"] == ("40-44", 1) and groups()["104"] == ("Open", 1)
    assert groups()["103"] == ("40-49", 1)
    masters = conn.execute(
        "SELECT bib, masters_place FROM ct_results WHERE race_id = %s AND masters_place IS NOT NULL"
        " ORDER BY bib",
        (race,),
    ).fetchall()
    assert masters == [("102", 1), ("103", 1)]
    shown = json.loads(cli("results", "settings", "--race", str(race), "--json").stdout)
    assert (shown["masters_age"], shown["age_labels"]) == (40, {"20-24": "Open"})
    # the start rule is a setting too: 'first' times 103 from the walk to the corral
    cli("results", "settings", "--race", str(race), "--start-rule", "first", "--masters", "0")
    cli("results", "score", "--race", str(race))
    assert results(conn, race)["103"] == ("finished", mr.span("0:22:40"), mr.span("0:22:41"), 3, 2)
    assert conn.execute(
        "SELECT count(*) FROM ct_results WHERE race_id = %s AND masters_place IS NOT NULL", (race,)
    ).fetchone() == (0,)


def test_a_flagged_runner_is_held_unplaced_and_its_note_is_in_every_output(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = setup_race(tmp_path)
    for path in mr.write_files(tmp_path / "files"):
        load(path)
    cli("results", "score", "--race", str(race), "--session", "live")
    rows = json.loads(cli("results", "standings", "--race", str(race), "--json").stdout)
    held = [r for r in rows if r["bib"] == "105"]
    assert [(r["status"], r["place"], r["sex_place"]) for r in held] == [("review", None, None)]
    assert held[0]["note"].startswith("impossible time: faster than world-record pace")
    assert [(r["place"], r["bib"]) for r in rows if r["place"]] == [
        (1, "104"), (2, "101"), (3, "103"), (4, "102")
    ]  # fmt: skip
    table = cli("results", "standings", "--race", str(race)).stdout
    assert "Held for review: bib 105 (Runner No105): impossible time: faster than" in table
    summary = cli("results", "score", "--race", str(race), "--full").stdout
    assert "4 finished, 1 held for review" in " ".join(summary.split())


def test_follow_wakes_on_the_listeners_notify_and_picks_up_a_new_point(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    from p88.store import connect
    from p88.store.results import ScoreOptions
    from p88.store.results.follow import follow_race

    race = setup_race(tmp_path)
    start, finish = mr.write_files(tmp_path / "files")
    load(start)
    (sid,) = conn.execute("SELECT id FROM timing_sessions").fetchone()  # type: ignore[misc]
    seen: list[Any] = []
    waits: list[str] = []
    loader = threading.Timer(0.5, load, args=(finish,))
    loader.start()
    started = time.monotonic()
    with connect(p88_env, autocommit=True) as c, connect(p88_env, autocommit=True) as listen:
        runs = follow_race(c, race, sid, ScoreOptions(), every=20, runs=2, listen=listen,
                           report=seen.append, waiting=waits.append)  # fmt: skip
    loader.join()
    assert runs == 2 and time.monotonic() - started < 10  # woken by NOTIFY, not the 20 s
    assert len(waits) == 1 and [s.finished for s in seen] == [4]
    assert results(conn, race) == mr.TRUTH
