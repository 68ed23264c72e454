"""``p88 results awards / export / divisions / agegrade / fields / formats`` in-process,
and every bad input of an export: one line on stderr, a non-zero exit, nothing written."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from p88.cli.main import app
from p88.exports import registry
from p88.exports._atomic import write_directory, write_file
from tests.exports_race import build

runner = CliRunner()


def p88(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"P88_NO_PLUGINS": "1"})


def one_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return str(lines[0])


def test_awards_table_json_and_html(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = build(conn)
    shown = p88("results", "awards", "--race", str(race))
    assert shown.exit_code == 0, shown.output
    assert "Overall Female" in shown.stdout and "Ada Swift" in shown.stdout
    assert "Eve Hall" not in shown.stdout  # DQ'd
    assert "Kai Roe" not in shown.stdout  # held for review
    data = json.loads(p88("results", "awards", "--race", str(race), "--json").stdout)
    first = data["awards"][0]
    assert first["division"] == "overall-m" and first["bib"] == "107"
    assert first["time"] == {"seconds": 1862.0, "iso": "PT31M2S"}
    page = tmp_path / "awards.html"
    made = p88("results", "awards", "--race", str(race), "--html", str(page))
    assert made.exit_code == 0, made.output
    html = page.read_text()
    assert "@media print" in html and html.count('<section class="division"') >= 5
    again = p88("results", "awards", "--race", str(race), "--html", str(page))
    assert again.exit_code == 4 and "exists" in one_line(again)


def test_export_writes_and_refuses(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = build(conn)
    out = tmp_path / "a.csv"
    done = p88("results", "export", "--race", str(race), "--format", "athlinks", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert out.read_text().startswith("First Name,Last Name,Age,Gender,Rank,Class/Bracket,Bib,")
    before = out.read_bytes()
    again = p88("results", "export", "--race", str(race), "--format", "csv", "--out", str(out))
    assert again.exit_code == 4
    assert one_line(again) == f"Error: {out} exists (pass --force to replace it)"
    assert out.read_bytes() == before
    forced = p88("results", "export", "--race", str(race), "--format", "csv", "--out", str(out),
                 "--force")  # fmt: skip
    assert forced.exit_code == 0 and out.read_text().startswith("Place,Bib,")
    site = tmp_path / "site"
    made = p88("results", "export", "--race", str(race), "--format", "site", "--out", str(site),
               "--json")  # fmt: skip
    assert json.loads(made.stdout)["rows"] == 16
    assert sorted(p.name for p in site.iterdir()) == [
        "awards-1.html", "index.html", "race-1.html", "site.css", "site.js"
    ]  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "site"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--format", "xlsx"], 1, "Error: unknown export format 'xlsx' (known: csv, runsignup, "
         "athlinks, ultrasignup, baa, json, site)"),
        (["--race", "999"], 1, "Error: no race 999 (p88 results new-race creates a race and "
         "prints its id)"),
        (["--out", "{tmp}/nowhere/x.csv"], 1,
         "Error: no directory {tmp}/nowhere to write x.csv in"),
        (["--format", "site", "--out", "{tmp}/file.txt", "--force"], 1,
         "Error: {tmp}/file.txt is a file; this format writes a directory"),
    ],
)  # fmt: skip
def test_bad_export_input_is_one_line_and_writes_nothing(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path,
    args: list[str], code: int, message: str,
) -> None:  # fmt: skip
    race = build(conn)
    (tmp_path / "file.txt").write_text("keep")
    options = {"--race": str(race), "--format": "csv", "--out": str(tmp_path / "new.csv")}
    for key, value in zip(args[::2], args[1::2], strict=False):
        options[key] = value.replace("{tmp}", str(tmp_path))
    flags = [a for a in args if a == "--force"]
    result = p88("results", "export", *[x for kv in options.items() for x in kv], *flags)
    assert result.exit_code == code
    assert one_line(result) == message.replace("{tmp}", str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
    assert (tmp_path / "file.txt").read_text() == "keep"


def test_a_crash_leaves_no_half_file_and_no_half_site(tmp_path: Path) -> None:
    def crash_file(path: Path) -> int:
        path.write_text("half a line,")
        raise RuntimeError("power cut")

    def crash_dir(path: Path) -> int:
        (path / "index.html").write_text("<html>")
        raise RuntimeError("power cut")

    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "index.html").write_text("the old site")
    with pytest.raises(RuntimeError):
        write_file(tmp_path / "x.csv", crash_file, force=False)
    with pytest.raises(RuntimeError):
        write_directory(tmp_path / "old", crash_dir, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]
    assert (tmp_path / "old" / "index.html").read_text() == "the old site"


def test_divisions_set_and_show(p88_env: str, conn: psycopg.Connection[Any]) -> None:
    race = str(build(conn))
    bad = p88("results", "divisions", "--race", race, "--division", "masters")
    assert bad.exit_code == 1 and one_line(bad).startswith("Error: --division 'masters': use")
    done = p88(
        "results", "divisions", "--race", race, "--division", "masters=age:40|Masters",
        "--double-dip", "keep", "--awards-by", "chip", "--overall-depth", "5", "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    rules = json.loads(done.stdout)
    assert rules["double_dip"] == "keep" and rules["time_basis"] == "chip"
    assert rules["overall_depth"] == 5 and rules["divisions"][0]["min_age"] == 40
    shown = json.loads(p88("results", "divisions", "--race", race, "--json").stdout)
    assert shown == rules
    cleared = json.loads(p88("results", "divisions", "--race", race, "--clear", "--json").stdout)
    assert cleared["divisions"] == [] and cleared["double_dip"] == "keep"


def test_agegrade_stores_the_columns_for_ask(p88_env: str, conn: psycopg.Connection[Any]) -> None:
    race = build(conn)
    first = json.loads(p88("results", "agegrade", "--race", str(race), "--json").stdout)
    assert first["changed"] == 12  # finishers with M/F and an age; not Ned (X), DQ or DNF
    again = json.loads(p88("results", "agegrade", "--race", str(race), "--json").stdout)
    assert again["changed"] == 0
    pct, graded = conn.execute(
        "SELECT age_grade, age_graded_time FROM ct_results WHERE race_id = %s AND bib = '109'",
        (race,),
    ).fetchone()  # type: ignore[misc]
    assert float(pct) == 91.58 and str(graded) == "0:28:49.720000"  # 33:00 x the M52 factor


def test_fields_load_all_or_nothing(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = str(build(conn))
    good = tmp_path / "entries.csv"
    good.write_text("Bib,Team,Shirt\n106,Hill Harriers,M\n114,Hill Harriers,S\n")
    done = p88("results", "fields", "--race", race, str(good), "--column", "Team")
    assert done.exit_code == 0, done.output
    teams = dict(conn.execute("SELECT bib, entry_fields->>'team' FROM ct_results"
                              " WHERE entry_fields ? 'team'").fetchall())  # fmt: skip
    assert teams["106"] == "Hill Harriers" and teams["114"] == "Hill Harriers"
    bad = tmp_path / "bad.csv"
    bad.write_text("Bib,Team\n101,Z\n999,Z\n")
    refused = p88("results", "fields", "--race", race, str(bad), "--column", "Team")
    assert refused.exit_code == 1
    assert one_line(refused) == f"Error: {bad}:3: bib '999' is not entered in race {race}"
    assert conn.execute("SELECT entry_fields->>'team' FROM ct_results WHERE bib = '101'"
                        ).fetchone() == ("River Runners",)  # fmt: skip


PLUGIN = """
from pathlib import Path

class Names:
    name = "names"
    description = "one name per line"
    directory = False
    whole_event = False

    def write(self, publication, path: Path) -> int:
        rows = publication.sheet.rows
        path.write_text("".join(r.name + "\\n" for r in rows))
        return len(rows)
"""


def test_a_plugin_adds_a_format_through_entry_points(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    race = str(build(conn))
    site = tmp_path / "plugins"
    (site / "p88_names").mkdir(parents=True)
    (site / "p88_names" / "__init__.py").write_text(PLUGIN)
    info = site / "p88_names-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: p88-names\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[p88.exporters]\nnames = p88_names:Names\ncsv = p88_names:Names\nbroken = p88_missing:X\n"
    )
    monkeypatch.syspath_prepend(str(site))
    registry._plugins.cache_clear()
    try:
        listed = p88("results", "formats")
        assert "names" in listed.stdout and "one name per line" in listed.stdout
        assert "export format 'csv'" in listed.stderr and "name taken" in listed.stderr
        assert "export format 'broken'" in listed.stderr
        out = tmp_path / "names.txt"
        done = p88("results", "export", "--race", race, "--format", "names", "--out", str(out))
        assert done.exit_code == 0, done.output
        assert out.read_text().splitlines()[:2] == ["Gil Park", "Hal Ives"]
    finally:
        registry._plugins.cache_clear()
        sys.modules.pop("p88_names", None)


def test_standings_show_pace_and_places_at_splits(
    p88_env: str, conn: psycopg.Connection[Any]
) -> None:
    race = str(build(conn))
    shown = runner.invoke(app, ["results", "standings", "--race", race, "--splits"],
                          env={"COLUMNS": "250", "P88_NO_PLUGINS": "1"})  # fmt: skip
    assert shown.exit_code == 0, shown.output
    line = next(ln for ln in shown.stdout.splitlines() if "Ian Cole" in ln)
    assert (
        "5:18/mi" in line and "3:18/km" in line and "0:16:31.00 (4)" in line
    )  # Kai (held, 14:50) takes no place
    data = json.loads(p88("results", "standings", "--race", race, "--json").stdout)
    ian = next(r for r in data if r["bib"] == "109")
    assert ian["pace_per_km"] == {"seconds": 198.0, "iso": "PT3M18S"}
    assert [(s["point"], s["place"]) for s in ian["splits"]] == [("5K", 4), ("FINISH", 3)]
    held = next(r for r in data if r["bib"] == "111")
    assert held["splits"][0]["place"] is None and held["place"] is None  # held: no places
