"""The read-only executor and the p88_ask role, on a real PostgreSQL."""

from __future__ import annotations

import ast
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from p88.errors import RefusedError, StoreError
from p88.nlq.execute import run
from p88.nlq.guard import Guarded, guard
from p88.nlq.schema import POLICY
from p88.store.connect import connect
from p88.store.embedded import with_database
from p88.store.migrations import migrate
from tests.fix_db import create_database, drop_database


def test_guarded_select_runs_as_the_select_only_role(conn: psycopg.Connection[Any]) -> None:
    rows = run(conn, guard("SELECT count(*) FROM ct_results", POLICY))
    assert rows.rows == [(0,)] and rows.columns == ["count"]
    assert rows.role == "p88_ask"
    privileges = conn.execute(  # per column since 007 (tests/test_nlq_grants.py)
        "SELECT has_column_privilege('p88_ask', 'ct_results', 'chip_time', 'SELECT'), "
        "has_table_privilege('p88_ask', 'ct_results', 'INSERT'), "
        "has_any_column_privilege('p88_ask', 'connection_log', 'SELECT')"
    ).fetchone()
    assert privileges == (True, False, False)


def test_a_role_without_this_databases_grants_is_not_used(conn: psycopg.Connection[Any]) -> None:
    conn.execute("REVOKE SELECT ON ct_results FROM p88_ask")
    rows = run(conn, guard("SELECT count(*) FROM ct_results", POLICY))
    assert rows.role == "(connecting user)" and rows.rows == [(0,)]
    assert run(conn, guard("SELECT count(*) FROM ct_events", POLICY), role="no_such_role").rows


def test_the_transaction_is_read_only_even_for_sql_that_slipped_past(
    conn: psycopg.Connection[Any],
) -> None:
    sneaky = Guarded(
        sql="SELECT 1 FROM (SELECT set_config('x.y', '1', false)) s",
        tables=frozenset(),
        partner_id=None,
        limit=1,
    )
    assert run(conn, sneaky, role=None).rows == [(1,)]
    assert conn.execute("SELECT current_setting('x.y', true)").fetchone() == ("",)
    writer = Guarded(sql="SELECT 1", tables=frozenset(), partner_id=None, limit=1)
    object.__setattr__(writer, "sql", "INSERT INTO timing_partners (name, code) VALUES ('a', 'b')")
    with pytest.raises(StoreError, match="read-only transaction"):
        run(conn, writer, role=None)


def test_raw_text_is_not_accepted(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(TypeError):
        run(conn, "SELECT 1")  # type: ignore[arg-type]


def _sleeper(seconds: float) -> Guarded:
    return Guarded(sql=f"SELECT pg_sleep({seconds})", tables=frozenset(), partner_id=None, limit=1)


def test_statement_timeout_cancels_a_slow_query(conn: psycopg.Connection[Any]) -> None:
    started = time.monotonic()
    with pytest.raises(StoreError, match="cancelled"):
        run(conn, _sleeper(5), timeout_s=0.2, role=None)
    assert time.monotonic() - started < 2
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_client_side_cancel_works_without_the_server_timeout(
    conn: psycopg.Connection[Any],
) -> None:
    started = time.monotonic()
    with pytest.raises(StoreError, match="cancelled"):
        run(conn, _sleeper(10), timeout_s=0.2, role=None, server_timeout=False)
    assert time.monotonic() - started < 3


def test_a_query_the_planner_prices_too_high_is_refused(conn: psycopg.Connection[Any]) -> None:
    out = guard(
        "SELECT count(*) FROM ct_results a JOIN ct_results b ON a.chip_time < b.chip_time",
        POLICY,
    )
    conn.execute("SET enable_nestloop = on")
    with pytest.raises(RefusedError) as info:
        run(conn, out, max_cost=1.0)
    assert info.value.rule == "cost"


def test_migration_succeeds_where_the_user_may_not_create_roles(pg_admin_url: str) -> None:
    user = f"p88_lim_{uuid.uuid4().hex[:8]}"
    name = f"p88_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN NOCREATEROLE").format(sql.Identifier(user)))
    create_database(pg_admin_url, name)
    try:
        with psycopg.connect(with_database(pg_admin_url, name), autocommit=True) as owner:
            owner.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(name), sql.Identifier(user)))  # fmt: skip
            owner.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(user)))
        url = with_database(pg_admin_url, name) + f" user={user}"
        with connect(url, autocommit=True) as limited:
            migrate(limited)
            rows = run(limited, guard("SELECT count(*) FROM ct_events", POLICY))
            assert rows.rows == [(0,)]
            assert rows.role == "(connecting user)"
    finally:
        drop_database(pg_admin_url, name)
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(user)))


def test_nlq_reaches_the_database_only_through_store() -> None:
    """No nlq module runs SQL itself: no execute/cursor/transaction call, no psycopg
    import outside type checking (issue 14: the queries live in store/queries/ask.py)."""
    import p88.nlq

    calls = {"execute", "executemany", "cursor", "transaction", "pipeline"}  # copy needs a cursor
    found: list[str] = []
    for path in sorted(Path(p88.nlq.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in calls:
                    found.append(f"{path.name}:{node.lineno} .{node.func.attr}()")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("psycopg"):
                if node.module != "psycopg" or {a.name for a in node.names} != {"sql"}:
                    found.append(f"{path.name}:{node.lineno} from {node.module} import")
    assert found == []
