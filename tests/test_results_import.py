"""Importing participants and results files, places against hand-computed tables, the CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from p88.cli.main import app
from p88.errors import P88Error
from p88.store.results import (
    AgeGroups,
    ImportRejected,
    ensure_race,
    import_file,
    update_places,
)
from p88.units import parse_distance, whole_metres
from tests.test_results_scoring import DAY, add_reads

runner = CliRunner()

PARTICIPANTS = """\
Registration ID,Bib,First Name,Last Name,Gender,Age,City,State,Country,Email,Chip
R-1,101,Ann,Lee,F,34,Hartford,CT,US,ann@example.com,A1
R-2,102,Bob,Diaz,Male,45,Boston,MA,US,,A2
R-3,103,Cy,Moss,M,29,Austin,TX,US,,
"""

RESULTS = """\
Bib,Name,Gender,Age,City,State,Chip Time,Clock Time,Status
1,Al Ames,M,30,Hartford,CT,0:40:00,0:40:10,
2,Bea Bell,F,31,Boston,MA,0:41:00,0:41:00,
3,Cal Cobb,M,34,Austin,TX,0:39:00,0:40:10,
4,Dan Dunn,M,45,Denver,CO,0:50:00,0:50:30,
5,Eve Egan,F,45,Dallas,TX,,,DNF
6,Fay Fox,X,28,Seattle,WA,0:45:00,0:45:00,
"""


@pytest.fixture
def race_id(conn: psycopg.Connection[Any]) -> int:
    return ensure_race(
        conn, partner="Test Timing", event="Spring 10K", event_date=DAY, race="10K",
        distance_m=10000,
    )  # fmt: skip


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def places(conn: psycopg.Connection[Any], race: int) -> dict[str, tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT bib, overall_place, sex_place, age_group_place, age_group FROM ct_results "
        "WHERE race_id = %s",
        (race,),
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_runsignup_participants(
    conn: psycopg.Connection[Any], race_id: int, tmp_path: Path
) -> None:
    s = import_file(conn, write(tmp_path, "participants.csv", PARTICIPANTS), race_id=race_id)
    assert (s.kind, s.rows, s.participants_created, s.placed) == ("participants", 3, 3, False)
    rows = conn.execute(
        "SELECT r.bib, r.tag_code, r.sex, r.age, r.age_group, r.status, p.first_name, "
        "p.birth_year, p.external_id FROM ct_results r JOIN ct_participants p "
        "ON p.id = r.participant_id ORDER BY r.bib"
    ).fetchall()
    assert rows == [
        ("101", "A1", "F", 34, "30-34", None, "Ann", 1990, "R-1"),
        ("102", "A2", "M", 45, "45-49", None, "Bob", 1979, "R-2"),
        ("103", None, "M", 29, "25-29", None, "Cy", 1995, "R-3"),
    ]
    again = import_file(conn, write(tmp_path, "participants.csv", PARTICIPANTS), race_id=race_id)
    assert (again.participants_created, again.participants_matched) == (0, 3)
    assert conn.execute("SELECT count(*) FROM ct_results").fetchone() == (3,)


def test_results_places_by_gun_then_chip(
    conn: psycopg.Connection[Any], race_id: int, tmp_path: Path
) -> None:
    s = import_file(conn, write(tmp_path, "results.csv", RESULTS), race_id=race_id)
    assert (s.kind, s.rows, s.placed) == ("results", 6, True)
    # by gun (clock) time: 1 and 3 tie at 40:10
    assert places(conn, race_id) == {
        "1": (1, 1, 1, "30-34"),
        "3": (1, 1, 1, "30-34"),
        "2": (3, 1, 1, "30-34"),
        "6": (4, 1, 1, "25-29"),
        "4": (5, 3, 1, "45-49"),
        "5": (None, None, None, "45-49"),
    }
    conn.execute("UPDATE ct_races SET place_by = 'chip' WHERE id = %s", (race_id,))
    assert update_places(conn, race_id) == 1  # only bib 1 moves: its tie with 3 breaks
    assert places(conn, race_id) == {
        "3": (1, 1, 1, "30-34"),
        "1": (2, 2, 2, "30-34"),
        "2": (3, 1, 1, "30-34"),
        "6": (4, 1, 1, "25-29"),
        "4": (5, 3, 1, "45-49"),
        "5": (None, None, None, "45-49"),
    }
    status, chip, pace = conn.execute(
        "SELECT status, chip_time, pace FROM ct_results WHERE bib = '4'"
    ).fetchone()  # type: ignore[misc]
    assert status == "finished" and chip == timedelta(minutes=50)
    assert pace == timedelta(seconds=482.80)  # 50:00 over 6.2137 mi, truncated to 1/100 s
    assert conn.execute("SELECT status FROM ct_results WHERE bib = '5'").fetchone() == ("DNF",)


def test_places_from_the_file_are_kept(
    conn: psycopg.Connection[Any], race_id: int, tmp_path: Path
) -> None:
    text = (
        "Place,Bib,First Name,Last Name,Sex,Chip Time\n"
        "2,7,Gil,Gray,M,0:30:00\n"
        "1,8,Hal,Hale,M,0:31:00\n"
    )
    s = import_file(conn, write(tmp_path, "r.csv", text), race_id=race_id)
    assert not s.placed
    assert conn.execute("SELECT bib, overall_place FROM ct_results ORDER BY bib").fetchall() == [
        ("7", 2),
        ("8", 1),
    ]


def test_missing_column_names_it(
    conn: psycopg.Connection[Any], race_id: int, tmp_path: Path
) -> None:
    with pytest.raises(P88Error, match=r"missing required column\(s\): bib \(found: Runner No"):
        import_file(
            conn,
            write(tmp_path, "p.csv", "Runner No,First Name,Last Name\n1,A,B\n"),
            race_id=race_id,
        )
    s = import_file(
        conn, write(tmp_path, "p.csv", "Runner No,First Name,Last Name\n1,A,B\n"),
        race_id=race_id, mapping={"runnerno": "bib"},
    )  # fmt: skip
    assert s.rows == 1


def test_bad_rows_import_nothing(
    conn: psycopg.Connection[Any], race_id: int, tmp_path: Path
) -> None:
    text = (
        "Bib,First Name,Last Name,Gender,Age,Chip Time\n"
        "1,Al,Ames,M,30,0:40:00\n"
        "2,Bea,Bell,Q,31,0:41:00\n"
        "3,Cal,Cobb,M,abc,0:39:00\n"
        "4,Dan,Dunn,M,45,1:99:00\n"
        "1,Eve,Egan,F,45,0:50:00\n"
        ",Fay,Fox,F,28,0:45:00\n"
    )
    with pytest.raises(ImportRejected) as info:
        import_file(conn, write(tmp_path, "results.csv", text), race_id=race_id)
    assert [str(e) for e in info.value.errors] == [
        "line 3, sex: sex 'Q' is not M, F or X",
        "line 4, age: age 'abc' is not a whole number",
        "line 5, chip_time: '1:99:00' is not a time like 1:23:45",
        "line 6, bib: bib 1 already on line 2",
        "line 7, bib: no bib",
    ]
    assert "5 bad row(s), nothing imported" in str(info.value)
    assert conn.execute("SELECT count(*) FROM ct_results").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM ct_participants").fetchone() == (0,)


def test_event_import_by_race_column(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    ten = ensure_race(conn, partner="T", event="Fest", event_date=DAY, race="10K", distance_m=10000)
    five = ensure_race(conn, partner="T", event="Fest", event_date=DAY, race="5K", distance_m=5000)
    event = conn.execute("SELECT event_id FROM ct_races WHERE id = %s", (ten,)).fetchone()[0]  # type: ignore[index]
    text = "Event,Bib,First Name,Last Name\n10K,1,A,B\n5k,2,C,D\nMile,3,E,F\n"
    with pytest.raises(ImportRejected, match=r"line 4, race: race 'Mile' is not in the event"):
        import_file(conn, write(tmp_path, "p.csv", text), event_id=event)
    s = import_file(conn, write(tmp_path, "p.csv", text.rsplit("Mile", 1)[0]), event_id=event)
    assert sorted(s.races) == sorted([ten, five])


def test_age_groups_are_configurable() -> None:
    g = AgeGroups(width=10, first=20, last=70)
    assert [g.label(a) for a in (12, 20, 34, 45, 69, 75)] == [
        "0-19", "20-29", "30-39", "40-49", "60-69", "70+",
    ]  # fmt: skip
    assert AgeGroups.parse("10:20:70") == g
    assert AgeGroups().labels()[:3] == ["0-19", "20-24", "25-29"]
    with pytest.raises(P88Error):
        AgeGroups.parse("7:20:80")
    # ct_races.distance_m holds whole metres of the one distance parser (p88.units)
    assert whole_metres(parse_distance("half")) == 21098
    assert whole_metres(parse_distance("13.1mi")) == 21082
    assert whole_metres(parse_distance("10K")) == 10000
    assert whole_metres(parse_distance("marathon")) == 42195


def test_cli_new_race_import_score_standings(p88_env: str, tmp_path: Path) -> None:
    made = runner.invoke(
        app,
        ["results", "new-race", "--partner", "CLI Timing", "--event", "CLI 10K", "--date",
         DAY.isoformat(), "--race", "10K", "--distance", "10K", "--start", "08:00", "--json"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    race = json.loads(made.stdout)["race_id"]
    csv_path = write(tmp_path, "participants.csv", PARTICIPANTS)
    imported = runner.invoke(app, ["results", "import", str(csv_path), "--race", str(race)])
    assert imported.exit_code == 0, imported.output
    assert "Imported 3 participants row(s)" in imported.stdout
    with psycopg.connect(p88_env, autocommit=True) as conn:
        session = conn.execute(
            "INSERT INTO timing_sessions (session_name) VALUES ('cli') RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        add_reads(conn, session, [("START", "A1", "08:00:10.00"), ("FINISH", "A1", "08:50:10.00"),
                                  ("FINISH", "103", "08:45:00.00")])  # fmt: skip
    scored = runner.invoke(
        app,
        ["results", "score", "--session", "cli", "--race", str(race), "--start", "START",
         "--finish", "FINISH", "--json"],
    )  # fmt: skip
    assert scored.exit_code == 0, scored.output
    data = json.loads(scored.stdout)
    assert data["finished"] == 2 and data["verdicts"] == {"used": 3}
    watch = runner.invoke(
        app, ["results", "score", "--race", str(race), "--every", "0.05", "--runs", "2"]
    )
    assert watch.exit_code == 0, watch.output
    assert watch.stdout.count("(incremental): 0 new read(s)") == 2
    table = runner.invoke(app, ["results", "standings", "--race", str(race), "--json"])
    rows = json.loads(table.stdout)
    assert [(r["bib"], r["place"]) for r in rows] == [("103", 1), ("101", 2), ("102", None)]
    tag_map = write(tmp_path, "tags.csv", "Bib,Chip\n102,B2\n")
    with psycopg.connect(p88_env, autocommit=True) as conn:
        add_reads(conn, session, [("FINISH", "B2", "08:55:00.00")])
    remapped = runner.invoke(
        app, ["results", "score", "--race", str(race), "--tag-map", str(tag_map), "--json"]
    )
    assert remapped.exit_code == 0, remapped.output
    assert json.loads(remapped.stdout)["full"] and json.loads(remapped.stdout)["finished"] == 3
    wrong = write(tmp_path, "wrong.csv", "Bib,Chip\n777,Z\n")
    refused = runner.invoke(app, ["results", "score", "--race", str(race), "--tag-map", str(wrong)])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: tag map names bib(s) not in race")
    bad = runner.invoke(app, ["results", "import", str(tmp_path / "nope.csv"), "--race", "1"])
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: no such file")


def test_tag_map_file_errors(tmp_path: Path) -> None:
    from p88.store.results import read_tag_map

    good = write(tmp_path, "tags.csv", "Bib,Chip\n1,A\n2,B\n")
    assert read_tag_map(good) == {"1": "A", "2": "B"}
    twice = write(tmp_path, "twice.csv", "Bib,Tag\n1,A\n2,A\n3,\n")
    with pytest.raises(P88Error) as info:
        read_tag_map(twice)
    assert str(info.value) == (
        "twice.csv: nothing applied: line 3: tag A already belongs to bib 1; "
        "line 4: bib and tag are both needed"
    )
    with pytest.raises(P88Error, match="needs a bib column and a chip/tag column"):
        read_tag_map(write(tmp_path, "x.csv", "Bib,Name\n1,A\n"))
