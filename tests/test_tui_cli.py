"""``p88 tui`` at the command line: the errors a crew can meet before the screen opens."""

from __future__ import annotations

from typer.testing import CliRunner

from p88.cli.main import app

runner = CliRunner()


def test_unreachable_database_is_one_line_and_exit_3() -> None:
    result = runner.invoke(app, ["--db", "postgresql://p88@127.0.0.1:1/none", "tui"])
    assert result.exit_code == 3
    assert result.output.startswith("Error: cannot reach PostgreSQL at 127.0.0.1:1/none")
    assert len(result.output.strip().splitlines()) == 1


def test_database_without_schema_says_migrate(empty_db_url: str) -> None:
    result = runner.invoke(app, ["--db", empty_db_url, "tui"])
    assert result.exit_code == 1
    assert "has no p88 timing tables (run p88 db migrate first)" in result.output


def test_unknown_session_is_one_line_and_exit_1(db_url: str) -> None:
    result = runner.invoke(app, ["--db", db_url, "tui", "--session", "999"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no session '999' in ")
    assert "press s to pick one" in result.output
    assert len(result.output.strip().splitlines()) == 1
