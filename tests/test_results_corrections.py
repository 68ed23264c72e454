"""Corrections (issue 16, item 1): applied and undone with rescoring, on the hand-made
midnight 5K of tests/midnight_race.py, whose every time and place is known. Real
PostgreSQL, the CLI in-process; every case asserts exact times and places."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from p88.cli.main import app
from tests import midnight_race as mr

runner = CliRunner()
span = mr.span
TRUTH = mr.TRUTH


def cli(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def scored_race(tmp_path: Path, files: list[Path] | None = None) -> int:
    """The midnight 5K, its participants and points, scored from its reads."""
    out = cli("results", "new-race", "--partner", "Night Timing", "--event", "NYE 5K",
              "--date", str(mr.DAY), "--race", "5K", "--distance", "5K", "--start", "23:45",
              "--json").stdout  # fmt: skip
    race = int(json.loads(out)["race_id"])
    cli("results", "import", str(mr.participants_csv(tmp_path / "p.csv")), "--race", str(race))
    for path in files if files is not None else mr.write_files(tmp_path / "files"):
        cli("import", str(path), "--session", "nye", "--date", str(mr.DAY))
    cli("results", "points", "--race", str(race), "--session", "nye", "--start", "START",
        "--finish", "FINISH")  # fmt: skip
    cli("results", "score", "--race", str(race))
    return race


def results(conn: psycopg.Connection[Any], race: int) -> dict[str, tuple[Any, ...]]:
    """bib -> (status, chip, gun, overall place, sex place) of every result with a status."""
    rows = conn.execute(
        "SELECT bib, status, chip_time, gun_time, overall_place, sex_place FROM ct_results"
        " WHERE race_id = %s AND status IS NOT NULL",
        (race,),
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def correct(race: int, bib: str, *args: str, code: int = 0) -> Any:
    """Make a correction (its rescore re-times only the runners it names); a full rescore
    right after must then change nothing."""
    got = cli("results", "correct", "--race", str(race), "--bib", bib, *args, "--by", "ref",
              "--json", code=code)  # fmt: skip
    if code:
        return got
    full = json.loads(cli("results", "score", "--race", str(race), "--full", "--json").stdout)
    assert full["results_changed"] == 0, full
    return json.loads(got.stdout)


def test_a_dqd_winner_moves_everyone_up_and_undo_puts_them_back(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = scored_race(tmp_path)
    assert results(conn, race) == TRUTH
    got = correct(race, "104", "--dq", "--reason", "cut the course at the cone")
    assert got["correction"]["what"] == "DQ"
    assert got["rescored"] == {"full": False, "results_changed": 1, "finished": 3, "held": 1}
    assert results(conn, race) == {
        **TRUTH,
        "104": ("DQ", span("0:14:56.90"), span("0:14:59.90"), None, None),
        "101": ("finished", span("0:20:00.50"), span("0:20:05.50"), 1, 1),
        "103": ("finished", span("0:22:00.00"), span("0:22:41.00"), 2, 2),
        "102": ("finished", span("0:25:00.00"), span("0:25:10.00"), 3, 1),
    }
    note = conn.execute(
        "SELECT note FROM ct_results WHERE race_id = %s AND bib = '104'", (race,)
    ).fetchone()
    assert note == ("DQ (#1 ref: cut the course at the cone)",)
    correct(race, "104", "--undo", str(got["correction"]["id"]), "--reason", "protest upheld")
    assert results(conn, race) == TRUTH


def test_a_penalty_changes_places_and_a_bonus_takes_it_back_by_hand(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = scored_race(tmp_path)
    correct(race, "101", "--penalty", "3m", "--reason", "headphones")
    assert results(conn, race) == {
        **TRUTH,
        "101": ("finished", span("0:23:00.50"), span("0:23:05.50"), 3, 2),
        "103": ("finished", span("0:22:00.00"), span("0:22:41.00"), 2, 1),
    }
    pace = conn.execute(
        "SELECT pace FROM ct_results WHERE race_id = %s AND bib = '101'", (race,)
    ).fetchone()
    assert pace == (span("0:07:24.33"),)  # 23:00.50 over 5 km, per mile, truncated
    correct(race, "101", "--penalty", "-0:03:00", "--reason", "penalty was for bib 110")
    assert results(conn, race) == TRUTH


def test_a_hand_time_for_a_missed_finish_read_makes_a_finisher(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = scored_race(tmp_path)
    assert "106" not in results(conn, race)
    got = correct(race, "106", "--time", "FINISH=00:15:00.00", "--reason", "hand timing sheet")
    assert got["correction"]["at"] == "2026-01-01T00:15:00"  # after the 23:45 gun: next day
    assert results(conn, race)["106"] == (
        "finished", span("0:29:00.00"), span("0:30:00.00"), 5, 3
    )  # fmt: skip
    split = conn.execute(
        "SELECT point, elapsed, read_id FROM ct_splits s JOIN ct_results r ON r.id = s.result_id"
        " WHERE r.race_id = %s AND r.bib = '106'",
        (race,),
    ).fetchall()
    assert split == [("FINISH", span("0:29:00.00"), None)]
    # a hand time replaces the reads at its point: 101 is re-timed and its read overridden
    correct(race, "101", "--time", "FINISH=00:04:00", "--reason", "clicker at the line")
    assert results(conn, race)["101"] == ("finished", span("0:18:55.00"), span("0:19:00.00"), 2, 1)
    verdict = conn.execute(
        "SELECT verdict FROM ct_read_verdicts v JOIN timing_reads t ON t.id = v.read_id"
        " WHERE v.race_id = %s AND t.tag_code = '101' AND t.location_name = 'FINISH'",
        (race,),
    ).fetchone()
    assert verdict == ("overridden",)


def test_a_bib_swap_swaps_results(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = scored_race(tmp_path)
    got = correct(race, "101", "--swap", "102", "--reason", "friends swapped bibs")
    assert results(conn, race) == {
        **TRUTH,
        "102": ("finished", span("0:20:00.50"), span("0:20:05.50"), 2, 2),
        "101": ("finished", span("0:25:00.00"), span("0:25:10.00"), 4, 2),
        "103": ("finished", span("0:22:00.00"), span("0:22:41.00"), 3, 1),
    }
    history = json.loads(cli("results", "history", "--race", str(race), "--json").stdout)
    assert [(h["bib"], h["action"], h["other_bib"], h["made_by"]) for h in history] == [
        ("101", "swap", "102", "ref")
    ]
    # the undo may name either runner of the swap
    correct(race, "102", "--undo", str(got["correction"]["id"]), "--reason", "wrong pair")
    assert results(conn, race) == TRUTH


def test_a_tag_reassigned_from_a_time(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = scored_race(tmp_path)
    # 106 lost their chip; from 23:50 they wore spare chip 999, read at 00:00:02
    first = correct(race, "106", "--tag", "999", "--from", "23:50:00", "--reason", "spare chip")
    assert results(conn, race)["106"] == (
        "finished", span("0:14:02.00"), span("0:15:02.00"), 2, 1
    )  # fmt: skip
    assert results(conn, race)["101"][3:] == (3, 2)
    # from a time after the read, the read is still nobody's
    correct(race, "106", "--undo", str(first["correction"]["id"]), "--reason", "wrong time")
    correct(race, "106", "--tag", "999", "--from", "00:01:00", "--reason", "spare chip")
    assert "106" not in results(conn, race) and results(conn, race) == TRUTH
    verdict = conn.execute(
        "SELECT verdict, result_id FROM ct_read_verdicts WHERE race_id = %s AND tag_code = '999'",
        (race,),
    ).fetchall()
    assert verdict == [("unknown_tag", None)]


def test_clearing_a_held_runner_places_them(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = scored_race(tmp_path)
    got = correct(race, "105", "--clear", "--reason", "short course for the X wave: checked")
    assert results(conn, race) == {
        "105": ("finished", span("0:06:40.00"), span("0:07:00.00"), 1, 1),
        "104": ("finished", span("0:14:56.90"), span("0:14:59.90"), 2, 1),
        "101": ("finished", span("0:20:00.50"), span("0:20:05.50"), 3, 1),
        "103": ("finished", span("0:22:00.00"), span("0:22:41.00"), 4, 2),
        "102": ("finished", span("0:25:00.00"), span("0:25:10.00"), 5, 2),
    }
    result = correct(race, "104", "--clear", "--reason", "x", code=1)
    assert (
        result.stderr
        == "Error: bib 104 is not held for review (status finished): nothing to clear\n"
    )
    correct(race, "105", "--undo", str(got["correction"]["id"]), "--reason", "not checked")
    assert results(conn, race) == TRUTH


def test_corrections_hold_through_incremental_runs(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    start, finish = mr.write_files(tmp_path / "files")
    lines = finish.read_bytes().splitlines()
    early, late = tmp_path / "early.ct33", tmp_path / "late.ct33"
    early.write_bytes(b"\r\n".join(lines[:-1]) + b"\r\n")  # all but 102's finish
    late.write_bytes(lines[-1] + b"\r\n")
    race = scored_race(tmp_path, [start, early])
    correct(race, "101", "--swap", "102", "--reason", "friends swapped bibs")
    correct(race, "104", "--penalty", "30s", "--reason", "littering")
    cli("import", str(late), "--session", "nye", "--race", str(race))
    got = json.loads(cli("results", "score", "--race", str(race), "--json").stdout)
    assert (got["full"], got["new_reads"]) == (False, 1)
    assert results(conn, race) == {
        **TRUTH,
        "104": ("finished", span("0:15:26.90"), span("0:15:29.90"), 1, 1),
        "102": ("finished", span("0:20:00.50"), span("0:20:05.50"), 2, 2),
        "101": ("finished", span("0:25:00.00"), span("0:25:10.00"), 4, 2),
        "103": ("finished", span("0:22:00.00"), span("0:22:41.00"), 3, 1),
    }
    full = json.loads(cli("results", "score", "--race", str(race), "--full", "--json").stdout)
    assert full["results_changed"] == 0  # the incremental run got it right


def test_history_is_the_trail_and_rows_are_never_edited(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    race = scored_race(tmp_path)
    monkeypatch.setenv("LOGNAME", "timer-anna")
    monkeypatch.setenv("USER", "timer-anna")
    cli("results", "correct", "--race", str(race), "--bib", "103", "--dnf", "--reason", "stopped")
    correct(race, "103", "--undo", "1", "--reason", "was a slow finisher")
    rows = json.loads(cli("results", "history", "--race", str(race), "--json").stdout)
    assert [(r["id"], r["made_by"], r["what"], r["reason"], r["undone_by"], r["active"])
            for r in rows] == [
        (1, "timer-anna", "DNF", "stopped", 2, False),
        (2, "ref", "undo #1", "was a slow finisher", None, False),
    ]  # fmt: skip
    table = cli("results", "history", "--race", str(race)).stdout
    assert "timer-anna" in table and "#2" in table
    with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
        conn.execute("UPDATE ct_result_corrections SET reason = 'edited' WHERE id = 1")
    with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
        conn.execute("DELETE FROM ct_result_corrections WHERE id = 2")
    again = correct(race, "103", "--undo", "1", "--reason", "twice", code=1)
    assert again.stderr == "Error: correction #1 is already undone (by #2)\n"


BAD = [
    (("--race", "99", "--bib", "101", "--dq", "--reason", "x"), "Error: no race 99 (p88 "),
    (("--bib", "999", "--dq", "--reason", "x"), "Error: bib 999 is not registered in race"),
    (("--bib", "106", "--time", "FINISH=23:00:00", "--reason", "x"),
     "Error: --time FINISH=2025-12-31 23:00:00: outside race"),
    (("--bib", "106", "--time", "FINISH=2026-01-02T00:00:00", "--reason", "x"),
     "Error: --time FINISH=2026-01-02 00:00:00: outside race 1's window 2025-12-31 23:45:00 to"
     " 2026-01-01 23:45:00"),
    (("--bib", "106", "--time", "NOPE=00:01:00", "--reason", "x"), "Error: --time NOPE=...: no"),
    (("--bib", "101", "--swap", "777", "--reason", "x"),
     "Error: bib 777 is not registered in race"),
    (("--bib", "106", "--tag", "999", "--from", "noon", "--reason", "x"), "Error: --from 'noon'"),
    (("--bib", "101", "--dq", "--dnf", "--reason", "x"),
     "Error: give exactly one of --dq, --dnf, --dns, --penalty, --time, --swap, --tag, "
     "--clear, --undo (got --dq, --dnf)"),
    (("--bib", "101", "--reason", "x"), "Error: give exactly one of"),
    (("--bib", "101", "--dq"), "Error: a correction needs --reason TEXT"),
    (("--bib", "101", "--penalty", "soon", "--reason", "x"), "Error: --penalty 'soon'"),
    (("--bib", "101", "--undo", "42", "--reason", "x"), "Error: no correction #42 in race"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_is_one_line_exit_1_and_nothing_written(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    race = scored_race(tmp_path)
    before = results(conn, race)
    full = args if args[0] == "--race" else ("--race", str(race), *args)
    got = cli("results", "correct", *full, code=1)
    assert got.stderr.startswith(message) and got.stderr.count("\n") == 1, got.stderr
    assert conn.execute("SELECT count(*) FROM ct_result_corrections").fetchone() == (0,)
    assert results(conn, race) == before


def test_a_correction_stays_recorded_when_the_rescore_is_refused(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = scored_race(tmp_path)
    conn.execute("UPDATE ct_events SET event_date = '2024-06-01'")  # reads now far off its day
    got = cli("results", "correct", "--race", str(race), "--bib", "104", "--dq", "--reason",
              "cut", "--by", "ref", code=4)  # fmt: skip
    assert got.stdout == "Correction #1 recorded: bib 104 DQ.\n"
    assert got.stderr.startswith("Error: not rescored: session 'nye'")
    assert got.stderr.endswith(
        f"the correction applies at the next p88 results score --race {race} that succeeds\n"
    )
    assert results(conn, race) == TRUTH  # not rescored yet
    conn.execute("UPDATE ct_events SET event_date = %s", (mr.DAY,))
    cli("results", "score", "--race", str(race))
    assert results(conn, race)["104"][0] == "DQ" and results(conn, race)["101"][3] == 1


def test_a_chip_handed_over_before_its_read_arrives_counts_in_the_incremental_run(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    start, finish = mr.write_files(tmp_path / "files")
    lines = finish.read_bytes().splitlines()
    early, late = tmp_path / "early.ct33", tmp_path / "late.ct33"
    early.write_bytes(b"\r\n".join(line for line in lines if b"~999~" not in line) + b"\r\n")
    late.write_bytes(b"".join(line + b"\r\n" for line in lines if b"~999~" in line))
    race = scored_race(tmp_path, [start, early])
    assert results(conn, race) == TRUTH
    correct(race, "106", "--tag", "999", "--from", "23:50", "--reason", "spare chip")
    cli("import", str(late), "--session", "nye", "--race", str(race))
    got = json.loads(cli("results", "score", "--race", str(race), "--json").stdout)
    assert (got["full"], got["new_reads"]) == (False, 1)
    assert results(conn, race)["106"] == (
        "finished", span("0:14:02.00"), span("0:15:02.00"), 2, 1
    )  # fmt: skip
    full = json.loads(cli("results", "score", "--race", str(race), "--full", "--json").stdout)
    assert full["results_changed"] == 0
    trail = json.loads(cli("results", "history", "--race", str(race), "--json").stdout)
    assert [t["what"] for t in trail] == ["tag 999 from 2025-12-31 23:50:00"]


def test_history_of_a_race_without_corrections(p88_env: str, tmp_path: Path) -> None:
    race = scored_race(tmp_path)
    assert cli("results", "history", "--race", str(race)).stdout == (
        f"Race {race} has no corrections.\n"
    )
    assert json.loads(cli("results", "history", "--race", str(race), "--json").stdout) == []
    assert cli("results", "history", "--race", "9", code=1).stderr.startswith("Error: no race 9")
