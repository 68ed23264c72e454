"""Sanity before results (issue 15): replay goes on over bad lines as import does, a gun
far from the scheduled start is reported, and impossible finishes are held with a note
that says what to check. Real PostgreSQL; real sockets for the replay."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from typer.testing import CliRunner

from p88.cli.main import app
from p88.store.results.crossings import Timing
from p88.store.results.flags import result_flags
from p88.store.results.points import PointRule
from tests import midnight_race as mr

runner = CliRunner()


def test_replay_over_a_capture_with_a_bad_line_keeps_going(
    listener_port: int, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    start, finish = mr.write_files(tmp_path)
    lines = finish.read_bytes().split(b"\r\n")
    lines.insert(3, b"CT01_33~4~FINISH~777~00:65:00.00~1~A9B351~4")
    finish.write_bytes(b"\r\n".join(lines))
    target = f"127.0.0.1:{listener_port}"
    result = runner.invoke(app, ["replay", str(start), str(finish), "--to", target,
                                 "--speed", "max", "--date", str(mr.DAY), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == "skipped FINISH.ct33 line 4: time out of range: '00:65:00.00'\n"
    data = json.loads(result.stdout)
    assert data["bad_lines"] == 1
    assert [(f["location"], f["lines"], f["sent"]) for f in data["feeds"]] == [
        ("START", 8, 8), ("FINISH", 6, 6)
    ]  # fmt: skip
    want = len(mr.expected_reads())
    deadline = time.monotonic() + 10
    while conn.execute("SELECT count(*) FROM timing_reads").fetchone() != (want,):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    strict = runner.invoke(app, ["replay", str(start), str(finish), "--to", target,
                                 "--speed", "max", "--date", str(mr.DAY), "--strict"])  # fmt: skip
    assert strict.exit_code == 1
    assert strict.stderr == "Error: FINISH.ct33 line 4: time out of range: '00:65:00.00'\n"


def test_a_gun_far_from_the_scheduled_start_is_reported(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    out = runner.invoke(app, ["results", "new-race", "--partner", "P", "--event", "E",
                              "--date", str(mr.DAY), "--race", "5K", "--distance", "5K",
                              "--start", "21:00", "--json"]).stdout  # fmt: skip
    race = json.loads(out)["race_id"]
    runner.invoke(app, ["results", "import", str(mr.participants_csv(tmp_path / "p.csv")),
                        "--race", str(race)])  # fmt: skip
    for path in mr.write_files(tmp_path / "files"):
        assert (
            runner.invoke(
                app, ["import", str(path), "--session", "s", "--race", str(race)]
            ).exit_code
            == 0
        )
    result = runner.invoke(app, ["results", "score", "--race", str(race), "--session", "s",
                                 "--start", "START", "--finish", "FINISH", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["gun"] == "2025-12-31T21:00:00" and data["gun_source"] == "the race's start time"
    assert data["warnings"] == [
        "gun event at 2025-12-31 23:45:00 is more than an hour from the race's scheduled start "
        "2025-12-31 21:00:00: timed from the scheduled start; if the race started then, set its "
        "start (p88 results new-race --start, or the race's start_time)"
    ]
    assert (
        "warning: gun event at 2025-12-31 23:45:00"
        in runner.invoke(app, ["results", "score", "--race", str(race)]).stderr
    )


def test_each_flag_says_what_to_check() -> None:
    start = datetime(2025, 6, 1, 8, 0)
    rules = [PointRule("START", "start", distance_m=0),
             PointRule("5K", "split", seq=1, distance_m=5000),
             PointRule("FINISH", "finish", distance_m=10000)]  # fmt: skip
    ok = Timing(start=start, finish=start + timedelta(minutes=50))
    ok.splits = {"5K": (start + timedelta(minutes=25), 1), "FINISH": (ok.finish, 2)}  # type: ignore[dict-item]
    assert result_flags(ok, timedelta(minutes=50), 10000, rules, start, None) == []
    cut = Timing(start=start, finish=start + timedelta(minutes=30))
    cut.splits = {"5K": (start + timedelta(minutes=28), 1), "FINISH": (cut.finish, 2)}  # type: ignore[dict-item]
    assert result_flags(cut, timedelta(minutes=30), 10000, rules, start, None) == [
        "5000 m in 0:02:00 between 5000 m and 10000 m is faster than world-record pace: check "
        "for a cut course"
    ]
    days = Timing(start=start, finish=start + timedelta(hours=25))
    assert result_flags(days, timedelta(hours=25), 10000, rules, start, timedelta(hours=3)) == [
        "chip time 25:00:00 is over 24 h: check the reads' date (p88 import --date) and the "
        "race's date",
        "finish 25:00:00 after the gun, past the 3:00:00 cutoff",
    ]
    early = Timing(start=start, finish=start - timedelta(seconds=5))
    assert result_flags(early, timedelta(seconds=-5), 10000, rules, start, None)[0] == (
        "finish before the start (-0:00:05): check the start and finish points"
    )
