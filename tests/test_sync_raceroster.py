"""Race Roster's files: participants export in (with bib and chip changes), bibs and results out."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from p88.cli.main import app
from p88.store.results import ImportRejected, ensure_race
from p88.sync import SyncError, import_export, write_bibs, write_results

runner = CliRunner()
HEADER = (
    "Participant ID,Bib Number,First Name,Last Name,Gender,Date of Birth,City,Province/State,"
    "Country,Email,Chip\n"
)
EXPORT = (
    HEADER
    + """88001,101,Marie,Tremblay,F,1985-03-02,Montreal,QC,CA,marie@example.com,A101
88002,102,Luc,Gagnon,M,1979-11-20,Laval,QC,CA,luc@example.com,A102
88003,103,Sam,Roy,X,1999-07-14,Ottawa,ON,CA,,A103
88004,104,Ann,Lee,F,1990-01-01,Toronto,ON,CA,,A104
"""
)


@pytest.fixture
def race(conn: psycopg.Connection[Any]) -> int:
    return ensure_race(conn, partner="North Timing", event="Lac 10K", event_date=date(2026, 6, 7),
                       race="10K", distance_m=10_000)  # fmt: skip


def entries(conn: psycopg.Connection[Any], race: int) -> dict[str, tuple[int, str, str | None]]:
    rows = conn.execute(
        "SELECT p.external_id, r.id, r.bib, r.tag_code FROM ct_results r "
        "JOIN ct_participants p ON p.id = r.participant_id WHERE r.race_id = %s",
        (race,),
    ).fetchall()
    return {e: (i, b, t) for e, i, b, t in rows}


def test_import_then_a_changed_export_moves_bibs_and_chips(
    conn: psycopg.Connection[Any], race: int, tmp_path: Path
) -> None:
    path = tmp_path / "participants.csv"
    path.write_text(EXPORT)
    first = import_export(conn, path, race)
    assert first.summary.rows == 4 and first.changes == []
    before = entries(conn, race)
    assert before["88001"][1:] == ("101", "A101")
    state = conn.execute(
        "SELECT state, country, birth_year FROM ct_participants WHERE external_id = '88003'"
    ).fetchone()
    assert state == ("ON", "CA", 1999)

    # Race morning: 88001 and 88002 swap bibs, 88004 gets a new chip.
    changed = (EXPORT.replace("88001,101", "88001,102").replace("88002,102", "88002,101")
               .replace(",A104", ",B204"))  # fmt: skip
    path.write_text(changed)
    second = import_export(conn, path, race)
    after = entries(conn, race)
    assert len(after) == 4
    assert after["88001"] == (before["88001"][0], "102", "A101")
    assert after["88002"] == (before["88002"][0], "101", "A102")
    assert after["88004"] == (before["88004"][0], "104", "B204")
    assert sorted((c["field"], c["old"], c["new"]) for c in second.changes) == [
        ("bib", "101", "102"), ("bib", "102", "101"), ("chip", "A104", "B204"),
    ]  # fmt: skip
    audit = conn.execute("SELECT count(*), min(source) FROM sync_changes").fetchone()
    assert audit == (3, "raceroster")
    assert import_export(conn, path, race).changes == []  # the same file again: no change


def test_a_bad_row_rolls_back_the_bib_changes_too(
    conn: psycopg.Connection[Any], race: int, tmp_path: Path
) -> None:
    path = tmp_path / "participants.csv"
    path.write_text(EXPORT)
    import_export(conn, path, race)
    path.write_text(EXPORT.replace("88001,101", "88001,109") + "88005,105,,NoFirst,F,,,,,,\n")
    with pytest.raises(ImportRejected, match="line 6"):
        import_export(conn, path, race)
    assert entries(conn, race)["88001"][1] == "101"
    assert conn.execute("SELECT count(*) FROM sync_changes").fetchone() == (0,)


def test_bib_upload_and_results_files(
    conn: psycopg.Connection[Any], race: int, tmp_path: Path
) -> None:
    path = tmp_path / "participants.csv"
    path.write_text(EXPORT)
    import_export(conn, path, race)
    bibs = tmp_path / "bibs.csv"
    assert write_bibs(conn, race, bibs) == 4
    assert bibs.read_text().splitlines()[:2] == ["Participant ID,Bib Number", "88001,101"]
    with pytest.raises(SyncError, match="no results yet"):
        write_results(conn, race, tmp_path / "none.csv")
    partner, event = conn.execute(
        "SELECT partner_id, event_id FROM ct_races WHERE id = %s", (race,)
    ).fetchone()  # type: ignore[misc]
    conn.execute(
        "INSERT INTO ct_race_points (race_id, event_id, partner_id, location_name, kind, seq) "
        "VALUES (%s, %s, %s, '5K', 'split', 1)",
        (race, event, partner),
    )
    conn.execute(
        "UPDATE ct_results SET status = 'finished', chip_time = %s, gun_time = %s, "
        "overall_place = 1, sex_place = 1, age_group = '40-44', age_group_place = 1 "
        "WHERE race_id = %s AND bib = '102'",
        (timedelta(minutes=41, seconds=2.5), timedelta(minutes=41, seconds=10), race),
    )
    conn.execute("UPDATE ct_results SET status = 'DNF' WHERE race_id = %s AND bib = '103'", (race,))
    conn.execute(
        "INSERT INTO ct_splits (result_id, race_id, partner_id, point, crossing_time, elapsed) "
        "SELECT id, race_id, partner_id, '5K', %s, %s FROM ct_results "
        "WHERE race_id = %s AND bib = '102'",
        (datetime(2026, 6, 7, 8, 20), timedelta(minutes=20, seconds=1), race),
    )
    out = tmp_path / "results.csv"
    assert write_results(conn, race, out) == 2
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["Participant ID"] == "88002" and rows[0]["Chip Time"] == "0:41:02.50"
    assert rows[0]["Gun Time"] == "0:41:10.00" and rows[0]["Division"] == "M40-44"
    assert rows[0]["5K"] == "0:20:01.00" and rows[0]["Overall Place"] == "1"
    assert rows[1]["Status"] == "DNF" and rows[1]["Chip Time"] == ""


def test_cli_import_and_export(p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    race = ensure_race(conn, partner="P", event="E", event_date=date(2026, 6, 7), race="5K",
                       distance_m=5000)  # fmt: skip
    path = tmp_path / "participants.csv"
    path.write_text(EXPORT)
    result = runner.invoke(app, ["sync", "raceroster", "import", str(path), "--race", str(race),
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 4
    out = tmp_path / "bibs.csv"
    result = runner.invoke(app, ["sync", "raceroster", "export", "bibs", "--race", str(race),
                                 "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0 and out.read_text().count("\n") == 5
    result = runner.invoke(app, ["sync", "raceroster", "export", "starts", "--race", str(race),
                                 "-o", str(out)])  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == "Error: cannot export 'starts' (bibs or results)\n"
