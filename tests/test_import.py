"""p88 import: a capture straight into the store through the exactly-once writer (real
PostgreSQL, the CLI in-process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
from typer.testing import CliRunner

from p88.cli.main import app

runner = CliRunner()


def _import(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["import", *args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_import_real_capture_once_in_both_time_formats(
    p88_env: str, conn: psycopg.Connection[Any], captures_dir: Path
) -> None:
    normal = captures_dir / "mini11992-2024-12-14.ct33"
    iso = captures_dir / "mini11992-2024-12-14.iso.ct33"
    first = _import(str(normal), "--session", "mini", "--date", "2024-12-14")
    assert (first["lines"], first["inserted"], first["duplicates"]) == (8859, 8859, 0)
    again = _import(str(normal), "--session", "mini", "--date", "2024-12-14")
    assert (again["inserted"], again["duplicates"]) == (0, 8859)
    # The same reads written with ISO times are the same reads.
    same = _import(str(iso), "--session", "mini")
    assert (same["inserted"], same["duplicates"], same["rejects"]) == (0, 8859, 0)
    row = conn.execute(
        "SELECT count(*), count(DISTINCT tag_code), min(read_timestamp)::text,"
        " max(read_timestamp)::text FROM timing_reads"
    ).fetchone()
    assert row == (8859, 3376, "2024-12-14 11:05:15.06", "2024-12-14 11:46:58.31")


def test_import_keeps_bad_lines_and_gun_times(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    path = tmp_path / "mixed.ct33"
    path.write_bytes(
        b"CT01_33~1~START~guntime~07:30:00.00~0~A9B351~0\r\n"
        b"CT01_33~2~START~12~07:30:03.37~1~A9B351~2\r\n"
        b"CT01_33~3~START~12~07:65:03.37~1~A9B351~2\r\n"
        b"CT01_33~4~START~13~07:30:04.01~1~A9B351~8\r\n"
    )
    result = _import(str(path), "--session", "s1", "--date", "2026-06-07")
    assert (result["inserted"], result["gun_events"], result["rejects"]) == (2, 1, 1)
    reject = conn.execute("SELECT source, line_number, raw_line FROM rejected_lines").fetchone()
    assert reject == ("mixed.ct33", 3, b"CT01_33~3~START~12~07:65:03.37~1~A9B351~2")


def test_import_missing_file_is_one_clear_line(p88_env: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "nope.ct33"), "--session", "x"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot read ")
    assert "Traceback" not in result.output
