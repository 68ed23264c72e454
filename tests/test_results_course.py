"""Cut-offs and on-course status on a hand-made 20K whose every number is worked out here.

Gun 08:00:00; points START (0 m), 10K (10,000 m, cut-off 1:00:00 after the gun: 09:00:00)
and FINISH (20,000 m). Phase 1 holds the reads up to 08:55, phase 2 the rest.

bib  START     10K       FINISH    what the numbers say
1    08:00:00  08:50:00  -         own pace 0.3 s/m: finish expected 09:40:00, grace
                                   max(5:00, 25% of 50:00) = 12:30; at 10:00 overdue 20:00
2    08:00:10  09:05:00  -         crossed 10K after 09:00: DNF
3    08:00:20  -         -         not at 10K when the clock passes 09:00: DNF
4    08:00:30  (missed)  09:40:30  10K estimated 08:50:30 (half way in time): finished 1:40:00
5    08:00:00  (missed)  10:20:00  10K estimated 09:10:00: DNF
6    -         -         -         not started
7    08:01:00  08:41:00  09:21:00  finished 1:20:00
8    08:00:40  -         -         no pace of its own: the field's median pace to 10K in
                                   phase 1 is median(0.3, 0.24) = 0.27 s/m: 10K expected at
                                   08:00:40 + 2,700 s = 08:45:40, grace 11:15; DNF in phase 2
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import psycopg
from typer.testing import CliRunner

from p88.cli.main import app
from p88.store import arun, course_document, course_status, run
from p88.store.results import PointRule, ScoreOptions, score_race
from p88.store.results import points as pts
from p88.store.results.live_step import score_step
from tests.live_race import snapshot
from tests.test_results_scoring import add_reads, at, make_race

RULES = [
    PointRule("START", "start", distance_m=0),
    PointRule("10K", "split", seq=1, distance_m=10000, cutoff=timedelta(hours=1)),
    PointRule("FINISH", "finish", distance_m=20000),
]
PHASE_1 = [
    ("START", "1", "08:00:00.00"), ("START", "2", "08:00:10.00"), ("START", "3", "08:00:20.00"),
    ("START", "4", "08:00:30.00"), ("START", "5", "08:00:00.00"), ("START", "7", "08:01:00.00"),
    ("START", "8", "08:00:40.00"), ("10K", "7", "08:41:00.00"), ("10K", "1", "08:50:00.00"),
]  # fmt: skip
PHASE_2 = [("10K", "2", "09:05:00.00"), ("FINISH", "7", "09:21:00.00"),
           ("FINISH", "4", "09:40:30.00"), ("FINISH", "5", "10:20:00.00")]  # fmt: skip
CUT = "cut-off 1:00:00 after the gun, 09:00:00.00"


def setup(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    entries = [(str(b), "M" if b % 2 else "F", 30 + b, None) for b in range(1, 9)]
    race, session = make_race(conn, entries, distance_m=20000)
    conn.execute("UPDATE ct_races SET session_id = %s WHERE id = %s", (session, race))
    pts.save(conn, race, RULES)
    return race, session


def statuses(conn: psycopg.Connection[Any], race: int) -> dict[str, tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT bib, status, chip_time, note FROM ct_results WHERE race_id = %s", (race,)
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def follow_then_compare(conn: psycopg.Connection[Any], race: int) -> None:
    """A follower's step, then a full rescore: the full one must change nothing."""
    score_step(conn, race)
    stepped = snapshot(conn, race)
    score_race(conn, race, options=ScoreOptions(full=True))
    assert snapshot(conn, race) == stepped


def test_cut_offs_make_dnf_with_the_reason_and_course_status_projects_by_pace(
    conn: psycopg.Connection[Any], db_url: str
) -> None:
    race, session = setup(conn)
    add_reads(conn, session, PHASE_1)
    follow_then_compare(conn, race)
    assert all(s[0] is None for s in statuses(conn, race).values())  # all still out there

    early = run(conn, course_status(race, as_of=at("08:55:00.00")))
    assert early.as_of_source == "given"
    assert early.counts | {} == {
        "entered": 8, "started": 7, "not_started": 1, "on_course": 7, "finished": 0,
        "review": 0, "DNF": 0, "DNS": 0, "DQ": 0,
    }  # fmt: skip
    assert early.overdue == []
    late = run(conn, course_status(race, as_of=at("09:00:00.00"), bib="8"))
    (eight,) = late.runners
    assert (eight.last_point, eight.next_point, eight.pace_source) == ("START", "10K", "field")
    assert eight.pace_s_per_km == 270.0 and eight.projected == at("08:45:40.00")
    assert eight.overdue_by == timedelta(minutes=14, seconds=20)  # past 08:45:40 + 11:15
    assert eight.past_cutoff_projected is False
    assert [(r.bib, r.overdue_by) for r in late.overdue] == [
        ("5", timedelta(minutes=15)), ("2", timedelta(minutes=14, seconds=50)),
        ("3", timedelta(minutes=14, seconds=40)), ("4", timedelta(minutes=14, seconds=30)),
        ("8", timedelta(minutes=14, seconds=20)),
    ]  # fmt: skip
    one = run(conn, course_status(race, as_of=at("09:00:00.00"), bib="1")).runners[0]
    assert (one.last_point, one.next_point, one.pace_source) == ("10K", "FINISH", "own")
    assert one.pace_s_per_km == 300.0 and one.projected == at("09:40:00.00")
    assert one.overdue_by is None

    add_reads(conn, session, PHASE_2)
    follow_then_compare(conn, race)
    got = statuses(conn, race)
    assert got["2"] == ("DNF", None, f"past the 10K cut-off: crossed at 09:05:00.00 ({CUT})")
    assert got["3"] == ("DNF", None, f"not at 10K by its cut-off ({CUT})")
    assert got["8"] == ("DNF", None, f"not at 10K by its cut-off ({CUT})")
    assert got["5"][0] == "DNF" and got["5"][2] == (
        f"past the 10K cut-off: no read there, estimated at 09:10:00.00 from the points "
        f"either side ({CUT})"
    )
    assert got["4"] == ("finished", timedelta(hours=1, minutes=40), None)
    assert got["7"] == ("finished", timedelta(hours=1, minutes=20), None)
    assert got["1"] == (None, None, None) and got["6"] == (None, None, None)

    end = run(conn, course_status(race, as_of=at("10:00:00.00")))
    assert (end.counts["finished"], end.counts["DNF"], end.counts["on_course"]) == (2, 4, 1)
    assert [(r.bib, r.last_point, r.overdue_by) for r in end.overdue] == [
        ("1", "10K", timedelta(minutes=20))
    ]
    ten = next(p for p in end.points if p.name == "10K")
    assert (ten.passed, ten.last_seen_here, ten.overdue_next) == (3, 1, 0)
    assert ten.closes_at == at("09:00:00.00")
    finish = next(p for p in end.points if p.name == "FINISH")
    assert (finish.passed, finish.overdue_next) == (3, 1)
    doc = course_document(end)
    assert doc["overdue"][0]["overdue_by"] == {"seconds": 1200.0, "iso": "PT20M"}
    assert doc["as_of"] == "2024-06-01T10:00:00"
    clock = run(conn, course_status(race))  # the race clock: the latest read, 10:20:00
    assert clock.as_of == at("10:20:00.00") and clock.as_of_source.startswith("race clock")

    async def on_async() -> Any:  # what a TUI tab does: the same plan, no thread
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as aconn:
            return await arun(aconn, course_status(race, as_of=at("10:00:00.00")))

    assert asyncio.run(on_async()) == end


def test_course_and_follow_at_the_command_line(p88_env: str, conn: psycopg.Connection[Any]) -> None:
    import json

    race, session = setup(conn)
    add_reads(conn, session, PHASE_1)
    score_step(conn, race)
    cli = CliRunner()
    got = cli.invoke(app, ["results", "course", "--race", str(race), "--at", "09:00", "--json"])
    assert got.exit_code == 0, got.stderr
    doc = json.loads(got.stdout)
    assert [r["bib"] for r in doc["overdue"]] == ["5", "2", "3", "4", "8"]
    table = cli.invoke(app, ["results", "course", "--race", str(race), "--at", "09:00"])
    assert table.exit_code == 0 and "7 on the course" in " ".join(table.stdout.split())
    points = ["results", "points", "--race", str(race), "--json", "--cutoff"]
    moved = cli.invoke(app, [*points, "10K=0:50:00"])
    assert moved.exit_code == 0, moved.stderr
    assert [p["cutoff_s"] for p in json.loads(moved.stdout)["points"]] == [None, 3000.0, None]
    wrong = cli.invoke(app, [*points, "20K=1:00:00"])
    assert wrong.exit_code == 1
    assert wrong.stderr.strip() == f"Error: --cutoff names 20K, not a point of race {race}"
    on_finish = cli.invoke(app, [*points, "FINISH=3:00:00"])
    assert on_finish.exit_code == 1 and "a cut-off is a positive time" in on_finish.stderr
    cleared = cli.invoke(app, [*points, "10K=off"])
    assert [p["cutoff_s"] for p in json.loads(cleared.stdout)["points"]] == [None, None, None]
    bad = cli.invoke(app, ["results", "course", "--race", str(race), "--bib", "77"])
    assert bad.exit_code == 1 and bad.stderr.strip() == f"Error: no bib 77 in race {race}"
    unknown = cli.invoke(app, ["results", "follow", "--race", "999"])
    assert unknown.exit_code == 1 and unknown.stderr.startswith("Error: no race 999 (")
    conn.execute("DELETE FROM ct_race_points WHERE race_id = %s", (race,))
    refused = cli.invoke(app, ["results", "follow", "--race", str(race)])
    assert refused.exit_code == 4
    assert refused.stderr.strip() == (
        f"Error: race {race} has no timing points stored: set them first with "
        f"p88 results points --race {race} --start LOC --finish LOC"
    )
