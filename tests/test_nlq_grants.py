"""The second wall: p88_ask's column grants, generated from the ask allow-list.

The committed migration must be what ``p88.nlq.grants`` renders from the allow-list now
(a changed allow-list without a new migration fails here), and on a real database the
role can read the allowed columns and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from p88.nlq.grants import FIRST_MIGRATION, main, newest_migration, render_migration
from p88.nlq.schema import HIDDEN, TABLES
from p88.store.migrations import sql_dir


def test_the_newest_grants_migration_is_what_the_allow_list_renders_now() -> None:
    newest = newest_migration(sql_dir())
    assert newest is not None and newest.name >= FIRST_MIGRATION
    assert newest.read_text() == render_migration(), (
        "the ask allow-list changed: write a NEW migration with "
        "`python -m p88.nlq.grants sql/NNN_ask_column_grants.sql` (applied ones are immutable)"
    )


def test_a_changed_allow_list_renders_a_different_migration() -> None:
    fewer = {t: cols - {"first_name"} for t, cols in TABLES.items()}
    assert render_migration(fewer) != render_migration()
    assert '"first_name"' not in render_migration(fewer)


def test_the_command_checks_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check"]) == 0
    target = tmp_path / "008_ask_column_grants.sql"
    assert main([str(target)]) == 0 and target.read_text() == render_migration()
    assert main([str(target)]) == 1
    assert "immutable" in capsys.readouterr().err


def _as_p88_ask(conn: psycopg.Connection[Any], query: sql.Composable) -> list[tuple[Any, ...]]:
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE p88_ask")
        return conn.execute(query).fetchall()


@pytest.mark.parametrize(
    ("table", "column"), [(t, c) for t, cols in sorted(HIDDEN.items()) for c in cols]
)
def test_p88_ask_cannot_read_a_hidden_column(
    conn: psycopg.Connection[Any], table: str, column: str
) -> None:
    query = sql.SQL("SELECT {} FROM {}").format(sql.Identifier(column), sql.Identifier(table))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        _as_p88_ask(conn, query)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_p88_ask(conn, sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))


def test_p88_ask_reads_every_allowed_column(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        "INSERT INTO ct_participants (first_name, last_name, email) VALUES ('Ann', 'Lee', 'a@x')"
    )
    for table, columns in TABLES.items():
        query = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in sorted(columns)), sql.Identifier(table)
        )
        count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        assert len(_as_p88_ask(conn, query)) == count.fetchone()[0], table  # type: ignore[index]
    assert _as_p88_ask(conn, sql.SQL("SELECT first_name FROM ct_participants")) == [("Ann",)]


def test_p88_ask_cannot_read_tables_outside_the_allow_list(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_p88_ask(conn, sql.SQL("SELECT count(*) FROM connection_log"))
