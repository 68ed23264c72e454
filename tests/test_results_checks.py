"""Checks before official, and ``p88 results final`` (issue 16, item 2). Each check fires
on a hand-built 5K with one fault injected and stays quiet on the clean one; ``final``
refuses while a check is open (nothing written) and passes with ``--accept``. Real
PostgreSQL, the CLI in-process."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from p88.cli.main import app

runner = CliRunner()
DAY = date(2026, 6, 7)
GUN = datetime(2026, 6, 7, 9, 0)
BIBS = [str(i) for i in range(1, 9)]


def cli(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def crossings(faults: set[str]) -> dict[str, list[tuple[str, datetime]]]:
    """(tag, time) per point: runner i starts i s after the gun and runs 20:00 + 30 i s,
    passing 2K at 40 % of it; each crossing read twice (the start counts the last read,
    0.3 s later). Faults change one thing each."""
    at: dict[str, list[tuple[str, datetime]]] = {"START": [], "2K": [], "FINISH": []}
    for i in range(1, 9):
        start = GUN + timedelta(seconds=i)
        chip = timedelta(seconds=1200 + 30 * i)
        if i == 8 and "gun_chip_top" in faults:  # starts 3 min late, fastest on the chip
            start, chip = GUN + timedelta(seconds=180), timedelta(minutes=18)
        split = chip * 0.4
        if i == 4 and "impossible_pace" in faults:
            split = timedelta(seconds=60)  # 2 km in a minute: a cut course
        for point, when in (("START", start), ("2K", start + split), ("FINISH", start + chip)):
            if (i, point) in {(3, "2K")} and "missing_splits" in faults:
                continue
            if (i, point) == (6, "FINISH") and "reads_no_result" in faults:
                continue
            at[point] += [(str(i), when), (str(i), when + timedelta(seconds=0.3))]
    if "unknown_tags" in faults:  # a volunteer's bib on the finish mat
        at["FINISH"] += [("777", GUN + timedelta(minutes=10, seconds=30 * k)) for k in range(12)]
    if "after_window" in faults:  # the course closes at 0:40:00: reads at 0:45 and 0:50
        at["FINISH"].append(("555", GUN + timedelta(minutes=50)))
        at["FINISH"].append(("5", GUN + timedelta(minutes=45)))  # 5 walks back over the mat
    return at


def build(tmp_path: Path, conn: psycopg.Connection[Any], faults: set[str]) -> int:
    out = cli("results", "new-race", "--partner", "Check Timing", "--event", "June 5K",
              "--date", str(DAY), "--race", "5K", "--distance", "5K", "--start", "09:00",
              "--json").stdout  # fmt: skip
    race = int(json.loads(out)["race_id"])
    people = tmp_path / "people.csv"
    people.write_text("Bib,First Name,Last Name,Gender,Age\n" + "".join(
        f"{b},Runner,No{b},{'M' if int(b) % 2 else 'F'},{30 + int(b)}\n" for b in BIBS
    ))  # fmt: skip
    cli("results", "import", str(people), "--race", str(race))
    if "duplicate_bibs" in faults:  # bib 7 was given bib 2's chip
        conn.execute("UPDATE ct_results SET tag_code = '2' WHERE bib = '7'")
    for point, reads in crossings(faults).items():
        path = tmp_path / f"{point}.ct33"
        path.write_text("".join(
            f"CT01_33~{n}~{point}~{tag}~{t:%H:%M:%S}.{t.microsecond // 10000:02d}~1~CHK~{n}\r\n"
            for n, (tag, t) in enumerate(sorted(reads, key=lambda r: r[1]), start=1)
        ))  # fmt: skip
        cli("import", str(path), "--session", "june", "--date", str(DAY))
    cli("results", "points", "--race", str(race), "--session", "june", "--start", "START",
        "--split", "2K=2km", "--finish", "FINISH")  # fmt: skip
    cli("results", "settings", "--race", str(race), "--cutoff", "0:40:00")
    cli("results", "score", "--race", str(race))
    return race


def check(race: int, code: int) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(
        cli("results", "check", "--race", str(race), "--json", code=code).stdout
    )
    return report


def found(report: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        c["name"]: [(f["bib"], f["tag"], f["name"], f["detail"]) for f in c["found"]]
        for c in report["checks"]
        if c["found"]
    }


EXPECTED: dict[str, dict[str, list[tuple[Any, ...]]]] = {
    "missing_splits": {"missing_splits": [("3", None, "Runner No3",
                                           "finished without a read at 2K")]},
    "impossible_pace": {
        "impossible_pace": [("4", None, "Runner No4", "2000 m from the start to 2K in "
                             "0:00:59.70: faster than world-record pace")],
        "held": [("4", None, "Runner No4", "2000 m in 0:00:59 between 0 m and 2000 m is faster "
                  "than world-record pace: check for a cut course")],
    },
    "after_window": {"after_window": [
        ("5", "5", "Runner No5",
         "1 read(s) after the course closed at 2026-06-07 09:40:00, last 2026-06-07 09:45:00"),
        (None, "555", None,
         "1 read(s) after the course closed at 2026-06-07 09:40:00, last 2026-06-07 09:50:00"),
    ]},
    "reads_no_result": {"reads_no_result": [("6", None, "Runner No6",
                                             "read at 2K, START but no finish")]},
    "unknown_tags": {"unknown_tags": [(None, "777", None,
                                       "12 reads at FINISH, no runner of this race")]},
    "duplicate_bibs": {"duplicate_bibs": [("2", None, "Runner No2",
                                           "bib(s) 2, 7 share tag 2")]},
    "gun_chip_top": {"gun_chip_top": [("1", None, "Runner No1",
                                       "top 3 overall: by gun 1, 8, 2; by chip 8, 1, 2")]},
}  # fmt: skip


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_each_check_fires_on_a_race_built_to_trigger_it(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path, fault: str
) -> None:
    race = build(tmp_path, conn, {fault})
    report = check(race, 4)
    assert report["clean"] is False
    assert found(report) == EXPECTED[fault]
    counts = {c["name"]: c["count"] for c in report["checks"]}
    assert counts == {name: len(EXPECTED[fault].get(name, [])) for name in counts}
    text = cli("results", "check", "--race", str(race), code=4).stdout
    assert f"Race {race}: {len(EXPECTED[fault])} check(s) open." in text


def test_a_clean_race_is_clean_and_final_makes_it_official(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = build(tmp_path, conn, set())
    report = check(race, 0)
    assert report["clean"] is True and report["open"] == [] and len(report["checks"]) == 9
    assert f"Race {race}: clean." in cli("results", "check", "--race", str(race)).stdout
    got = json.loads(cli("results", "final", "--race", str(race), "--by", "lead", "--json").stdout)
    assert (got["official_by"], got["accepted"], got["finished"]) == ("lead", {}, 8)
    row = conn.execute(
        "SELECT official_by, official_open, official_at IS NOT NULL FROM ct_races WHERE id = %s",
        (race,),
    ).fetchone()
    assert row == ("lead", None, True)


def test_final_refuses_with_open_checks_writing_nothing_and_passes_with_accept(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = build(tmp_path, conn, {"reads_no_result", "impossible_pace"})

    def state() -> tuple[Any, ...]:
        row = conn.execute(
            "SELECT r.official_at, (SELECT status FROM ct_results WHERE race_id = r.id"
            " AND bib = '6') FROM ct_races r WHERE r.id = %s",
            (race,),
        ).fetchone()
        assert row is not None
        return tuple(row)

    refused = cli("results", "final", "--race", str(race), "--by", "lead", code=4)
    assert refused.stderr == (
        f"Error: race {race} is not official: open checks: impossible pace between points (1), "
        f"registered runners with reads but no result (1), results held for review (1); see p88 "
        f"results check --race {race}, correct them, or accept them with --accept\n"
    )
    assert state() == (None, None)  # not official, and no DNF written
    # a person decides: 6 did not finish, 4's time is cleared after a look at the course
    cli("results", "correct", "--race", str(race), "--bib", "6", "--dnf", "--reason", "dropped")
    cli("results", "correct", "--race", str(race), "--bib", "4", "--clear", "--reason", "ok")
    assert found(check(race, 0)) == {}
    # a new fault after that: accepted with --accept, and recorded with the stamp
    conn.execute("UPDATE ct_results SET tag_code = '2' WHERE bib = '7' AND race_id = %s", (race,))
    cli("results", "score", "--race", str(race), "--full")
    assert check(race, 4)["open"] == ["duplicate_bibs"]
    cli("results", "final", "--race", str(race), "--by", "lead", code=4)
    text = cli("results", "final", "--race", str(race), "--by", "lead", "--accept").stdout
    assert "accepting open checks: duplicate_bibs (1)" in " ".join(text.split())
    official = conn.execute("SELECT official_open FROM ct_races WHERE id = %s", (race,)).fetchone()
    assert official == ({"duplicate_bibs": 1},)
    statuses = dict(
        conn.execute("SELECT bib, status FROM ct_results WHERE race_id = %s", (race,)).fetchall()
    )
    # 2 and 7 share a chip: nobody's reads, so DNS; 6 DNF by hand; 4 cleared
    assert statuses == {"1": "finished", "2": "DNS", "3": "finished", "4": "finished",
                        "5": "finished", "6": "DNF", "7": "DNS", "8": "finished"}  # fmt: skip


def test_an_official_race_keeps_dnf_through_a_correction_and_its_undo(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = build(tmp_path, conn, {"reads_no_result"})
    cli("results", "final", "--race", str(race), "--accept", "--by", "lead")

    def six() -> tuple[Any, ...]:
        row = conn.execute(
            "SELECT status, chip_time, overall_place FROM ct_results WHERE race_id = %s"
            " AND bib = '6'",
            (race,),
        ).fetchone()
        assert row is not None
        return tuple(row)

    assert six() == ("DNF", None, None)
    got = json.loads(cli("results", "correct", "--race", str(race), "--bib", "6", "--time",
                         "FINISH=09:23:06.30", "--reason", "hand timing", "--by", "ref",
                         "--json").stdout)  # fmt: skip
    assert six() == ("finished", timedelta(minutes=23), 6)
    cli("results", "correct", "--race", str(race), "--bib", "6", "--undo",
        str(got["correction"]["id"]), "--reason", "sheet was for bib 9")  # fmt: skip
    assert six() == ("DNF", None, None)


def test_reads_after_the_last_scoring_run_are_a_check(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = build(tmp_path, conn, set())
    late = tmp_path / "late.ct33"
    late.write_text("CT01_33~99~FINISH~9~09:30:00.00~1~CHK~99\r\n")
    cli("import", str(late), "--session", "june", "--date", str(DAY))
    report = check(race, 4)
    assert found(report) == {"not_scored": [(None, None, None, found(report)["not_scored"][0][3])]}
    assert found(report)["not_scored"][0][3].startswith("1 read(s) not scored since the last")
    cli("results", "score", "--race", str(race))
    assert check(race, 0)["clean"] is True


def test_score_final_points_at_results_final(p88_env: str) -> None:
    got = cli("results", "score", "--race", "1", "--final", code=1)
    assert got.stderr.startswith("Error: --final moved: p88 results final --race 1 closes")
    assert got.stderr.count("\n") == 1
    assert cli("results", "check", "--race", "5", code=1).stderr == (
        "Error: no race 5 (p88 results new-race creates a race and prints its id)\n"
    )
