"""A read's date is never a guess (issue 15): `p88 import` and `p88 replay` date dateless
times from --date, the file name or the race, roll them over midnight from the stream's
own clock, and refuse when nothing dates them; scoring refuses reads dated far from the
race. Real PostgreSQL, the CLI in-process; the race is tests/midnight_race.py."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
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


def new_race(start: str = "23:45") -> int:
    out = cli("results", "new-race", "--partner", "Night Timing", "--event", "NYE 5K",
              "--date", str(mr.DAY), "--race", "5K", "--distance", "5K", "--start", start,
              "--json").stdout  # fmt: skip
    return int(json.loads(out)["race_id"])


def stored(conn: psycopg.Connection[Any], session: str) -> list[tuple[str, str, datetime]]:
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT location_name, tag_code, read_timestamp FROM timing_reads r JOIN"
            " timing_sessions s ON s.id = r.session_id WHERE s.session_name = %s ORDER BY 1, 2, 3",
            (session,),
        ).fetchall()
    ]


def results(conn: psycopg.Connection[Any], race: int) -> dict[str, tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT bib, status, chip_time, gun_time, overall_place, sex_place FROM ct_results"
        " WHERE race_id = %s AND status IS NOT NULL",
        (race,),
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_import_across_midnight_in_both_formats_dated_by_the_race(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = new_race()
    normal = mr.write_files(tmp_path / "normal")
    iso = mr.write_files(tmp_path / "iso", "iso")
    for path in normal:
        got = json.loads(cli("import", str(path), "--session", "nye", "--race", str(race),
                             "--json").stdout)  # fmt: skip
        assert (got["date"], got["date_from"]) == ("2025-12-31", "race date")
    assert stored(conn, "nye") == mr.expected_reads()
    for path in iso:  # the same reads with ISO times: the same rows, nothing new
        got = json.loads(cli("import", str(path), "--session", "nye", "--json").stdout)
        assert (got["inserted"], got["date_from"]) == (0, "ISO times")
    cli("results", "import", str(mr.participants_csv(tmp_path / "p.csv")), "--race", str(race))
    cli("results", "score", "--race", str(race), "--session", "nye")
    cli("results", "final", "--race", str(race), "--accept", "--by", "crew")
    assert results(conn, race) == {**mr.TRUTH, "106": ("DNF", None, None, None, None)}


def test_a_capture_without_a_date_is_refused_naming_date(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    start, _ = mr.write_files(tmp_path)
    result = cli("import", str(start), "--session", "nodate", code=1)
    assert result.stderr.count("\n") == 1 and "--date" in result.stderr
    assert stored(conn, "nodate") == []
    # the date in the file name dates it
    named = tmp_path / "START-2025-12-31.ct33"
    named.write_bytes(start.read_bytes())
    got = json.loads(cli("import", str(named), "--session", "named", "--json").stdout)
    assert (got["date"], got["date_from"], got["inserted"]) == ("2025-12-31", "file name", 7)
    assert cli("import", str(start), "--session", "x", "--date", "31/12/2025", code=1).stderr == (
        "Error: --date '31/12/2025': use YYYY-MM-DD\n"
    )


def test_scoring_refuses_reads_dated_far_from_the_race(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = new_race()
    cli("results", "import", str(mr.participants_csv(tmp_path / "p.csv")), "--race", str(race))
    for path in mr.write_files(tmp_path):
        cli("import", str(path), "--session", "wrong", "--date", "2026-12-06")
    result = cli("results", "score", "--race", str(race), "--session", "wrong", code=4)
    assert result.stderr.startswith("Error: session 'wrong'")
    assert "2026-12-06 to 2026-12-07" in result.stderr and "--date 2025-12-31" in result.stderr
    assert results(conn, race) == {}  # nothing scored, nothing finished


def test_replay_dates_each_file_and_goes_on_over_a_bad_line(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    from p88.protocol.feed import BadLine
    from p88.sim.plan import plan_clients

    start, finish = mr.write_files(tmp_path)
    raw = finish.read_bytes().split(b"\r\n")
    raw.insert(2, b"CT01_33~9~FINISH~777~00:65:00.00~1~A9B351~9")
    finish.write_bytes(b"\r\n".join(raw))
    bad: list[BadLine] = []
    plan = plan_clients([start, finish], days={"START.ct33": mr.DAY}, day0=None,
                        race=(mr.DAY, mr.GUN), bad_lines=bad)  # fmt: skip
    moments = {f.location: f.moments for group, _ in plan for f in group}
    assert [str(b) for b in bad] == ["FINISH.ct33 line 3: time out of range: '00:65:00.00'"]
    assert moments["FINISH"][:3] == [
        mr.moment("23:52:00.00", 0),
        mr.moment("00:00:02.00", 1),
        mr.moment("23:59:59.90", 0),
    ]
    assert moments["START"][-1] == mr.moment("23:46:00.00", 0)
    # per-file dates: a second day's file is dated on its own
    other = plan_clients([start, finish], days={"START.ct33": mr.DAY + timedelta(days=1)},
                         day0=mr.DAY, bad_lines=[])  # fmt: skip
    got = {f.location: f.moments[0] for group, _ in other for f in group}
    assert got == {"START": datetime(2026, 1, 1, 23, 45), "FINISH": mr.moment("23:52:00.00", 0)}
    result = cli("replay", str(start), "--to", "127.0.0.1:1", code=1)
    assert "--date" in result.stderr and result.stderr.count("\n") == 1


def test_date_options_per_file_and_for_all(tmp_path: Path) -> None:
    import pytest

    from p88.errors import InputError
    from p88.protocol.dates import date_options
    from p88.protocol.times import date_in_name

    files = [tmp_path / "START.ct33", tmp_path / "FINISH.ct33"]
    every, per = date_options(["2025-12-31", "FINISH.ct33=2026-01-01"], files)
    assert (every, per) == (mr.DAY, {"FINISH.ct33": mr.DAY + timedelta(days=1)})
    with pytest.raises(InputError, match="no file named 'FINSH.ct33'"):
        date_options(["FINSH.ct33=2026-01-01"], files)
    with pytest.raises(InputError, match="--date given twice"):
        date_options(["2025-12-31", "2026-01-01"], files)
    assert date_in_name("race-20241214.ct33") == mr.DAY.replace(2024, 12, 14)
    assert date_in_name("2024-12-14-to-2024-12-15.ct33") is None  # two dates: no guess
    assert date_in_name("bib12345678.ct33") is None  # not a date


def test_a_date_far_from_the_race_is_refused_at_import(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = new_race()
    start, _ = mr.write_files(tmp_path)
    result = cli("import", str(start), "--session", "s", "--race", str(race),
                 "--date", "2026-12-06", code=1)  # fmt: skip
    assert result.stderr == (
        "Error: START.ct33: --date 2026-12-06 is 340 days from the race's date 2025-12-31: "
        "fix one of them\n"
    )
    assert stored(conn, "s") == []


def test_import_several_files_each_with_its_own_date(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    start, finish = mr.write_files(tmp_path)
    named = tmp_path / "FINISH-2025-12-31.ct33"
    finish.rename(named)
    got = json.loads(cli("import", str(start), str(named), "--session", "both",
                         "--date", "START.ct33=2025-12-31", "--json").stdout)  # fmt: skip
    assert [(f["file"], f["date"], f["date_from"], f["inserted"]) for f in got["files"]] == [
        ("START.ct33", "2025-12-31", "--date", 7), ("FINISH-2025-12-31.ct33", "2025-12-31",
                                                   "file name", 6),
    ]  # fmt: skip
    assert got["inserted"] == 13 and stored(conn, "both") == mr.expected_reads()
    # one file without a date refuses the whole command before anything is loaded
    result = cli("import", str(named), str(start), "--session", "none", code=1)
    assert "START.ct33: its times have no date" in result.stderr
    assert stored(conn, "none") == []
