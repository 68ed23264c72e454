"""The guard against a hostile corpus, and a property: nothing guarded writes or reads
outside the allow-list, and with a partner set every partner-owned table is filtered."""

from __future__ import annotations

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from p88.errors import RefusedError
from p88.nlq.guard import guard, visible_ctes
from p88.nlq.guard_lists import ALLOWED_FUNCTIONS, FORBIDDEN_NODES
from p88.nlq.schema import POLICY, TENANT_FILTERS

HOSTILE: list[tuple[str, str]] = [
    ("SELECT 1; DROP TABLE ct_results", "one-statement"),
    ("SELECT count(*) FROM ct_results; DELETE FROM ct_results", "one-statement"),
    ("SELECT 1;; UPDATE ct_results SET bib = 'x'", "one-statement"),
    ("SELECT 1 /* ; DROP TABLE ct_results */; DROP TABLE ct_events", "one-statement"),
    ("DROP TABLE ct_results", "read-only"),
    ("DELETE FROM ct_results", "read-only"),
    ("INSERT INTO ct_events (name) VALUES ('x')", "read-only"),
    ("UPDATE ct_results SET chip_time = NULL", "read-only"),
    ("TRUNCATE ct_results", "read-only"),
    ("WITH d AS (DELETE FROM ct_results RETURNING *) SELECT count(*) FROM d", "read-only"),
    ("WITH u AS (UPDATE ct_events SET name = 'x' RETURNING id) SELECT * FROM u", "read-only"),
    ("WITH i AS (INSERT INTO ct_events DEFAULT VALUES RETURNING id) SELECT 1", "read-only"),
    ("SELECT * INTO stolen FROM ct_participants", "read-only"),
    ("SELECT * FROM ct_results FOR UPDATE", "read-only"),
    ("SELECT * FROM ct_results FOR SHARE", "read-only"),
    ("COPY ct_participants TO '/tmp/x.csv'", "read-only"),
    ("COPY (SELECT * FROM ct_participants) TO PROGRAM 'sh'", "read-only"),
    ("SET statement_timeout = 0", "read-only"),
    ("SET ROLE postgres", "read-only"),
    ("RESET ROLE", "read-only"),
    ("GRANT ALL ON ct_results TO PUBLIC", "read-only"),
    ("CREATE TABLE x AS SELECT * FROM ct_results", "read-only"),
    ("ALTER TABLE ct_results ADD COLUMN x int", "read-only"),
    ("VACUUM ct_results", "read-only"),
    ("EXPLAIN ANALYZE DELETE FROM ct_results", "read-only"),
    ("LISTEN p88_reads", "select-only"),
    ("BEGIN", "read-only"),
    ("DO $$ BEGIN DELETE FROM ct_results; END $$", "read-only"),
    ("SELECT pg_sleep(10)", "functions"),
    ("SELECT count(*) FROM ct_results WHERE pg_sleep(10) IS NULL", "functions"),
    ("SELECT * FROM ct_events WHERE id = (SELECT pg_sleep(5))", "functions"),
    ("SELECT dblink('host=evil', 'select 1')", "functions"),
    ("SELECT set_config('statement_timeout', '0', false)", "functions"),
    ("SELECT current_setting('data_directory')", "functions"),
    ("SELECT query_to_xml('delete from ct_results', true, true, '')", "functions"),
    ("SELECT lo_import('/etc/passwd')", "functions"),
    ("SELECT pg_read_file('/etc/passwd')", "functions"),
    ("SELECT version()", "functions"),
    ("SELECT current_user", "functions"),
    ("SELECT nextval('ct_events_id_seq')", "functions"),
    ("SELECT * FROM generate_series(1, 100000000000)", "functions"),
    ("SELECT pg_terminate_backend(1)", "functions"),
    ("SELECT 'ct_results'::regclass", "types"),
    ("SELECT 1::oid", "types"),
    ("SELECT * FROM pg_catalog.pg_authid", "tables"),
    ("SELECT * FROM pg_user", "tables"),
    ("SELECT * FROM pg_shadow", "tables"),
    ("SELECT * FROM information_schema.tables", "tables"),
    ("SELECT count(*) FROM secrets", "tables"),
    ("SELECT * FROM connection_log", "tables"),
    ("SELECT * FROM p88_migrations", "tables"),
    ("SELECT * FROM other_schema.ct_results", "tables"),
    ("SELECT * FROM evil.public.ct_results", "tables"),
    ("SELECT name FROM ct_events UNION SELECT usename FROM pg_user", "tables"),
    ("SELECT name FROM ct_events UNION ALL SELECT passwd FROM pg_catalog.pg_shadow", "tables"),
    ("SELECT name FROM ct_events UNION SELECT table_name FROM information_schema.tables", "tables"),
    ("SELECT * FROM (WITH ct_x AS (SELECT 1) SELECT 1) s JOIN secrets ON true", "tables"),
    ("WITH x AS (SELECT 1) SELECT * FROM (SELECT * FROM pg_user) y", "tables"),
    ("WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS q) SELECT * FROM a", "tables"),
    ("SELECT email FROM ct_participants", "columns"),
    ("SELECT raw_data FROM timing_reads", "columns"),
    ("SELECT session_user", "functions"),
    ("SELECT 1 LIMIT ALL", "limit"),
    ("SELECT 1 LIMIT NULL", "limit"),
    ("SELECT 1 LIMIT (SELECT 5)", "limit"),
    ("SELECT * FROM ct_results LIMIT 100000000", "limit"),
    ("SELECT * FROM ct_results OFFSET (SELECT 1)", "limit"),
    ("SELECT * FROM ct_results FETCH FIRST 10 ROWS ONLY", "limit"),
    ("SELECT count(*) FROM ct_results a, ct_results b, ct_results c", "cross-join"),
    ("SELECT count(*) FROM ct_results a CROSS JOIN ct_results b", "cross-join"),
    ("SELECT count(*) FROM ct_results a NATURAL JOIN ct_participants b", "cross-join"),
    ("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT 1", "recursive"),
    ("SELECT * FROM ct_results WHERE id = $1", "parameters"),
    ("SELEC * FROM", "parse"),
    ("SELECT 'unterminated", "parse"),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "rule"), HOSTILE)
def test_hostile_sql_is_refused_by_the_named_rule(sql: str, rule: str) -> None:
    with pytest.raises(RefusedError) as info:
        guard(sql, POLICY, partner_id=1)
    assert info.value.rule == rule, info.value.message
    assert f"'{rule}'" in info.value.message


def test_comments_hiding_dml_are_dropped_from_the_emitted_sql() -> None:
    out = guard("SELECT count(*) FROM ct_events /* ; DROP TABLE x */ -- ; DELETE", POLICY)
    assert "DROP" not in out.sql and "DELETE" not in out.sql and "--" not in out.sql
    assert out.sql.endswith("LIMIT 100")


def test_cte_names_are_not_tables_but_shadowing_cannot_reach_a_real_table() -> None:
    out = guard("WITH pg_user AS (SELECT id FROM ct_events) SELECT * FROM pg_user", POLICY)
    assert out.tables == {"ct_events"}
    tree = sqlglot.parse_one(
        "WITH a AS (SELECT 1) SELECT * FROM (SELECT * FROM a) s JOIN b ON true", read="postgres"
    )
    a_ref, b_ref = [t for t in tree.find_all(exp.Table) if t.name in ("a", "b")]
    assert "a" in visible_ctes(a_ref) and "a" in visible_ctes(b_ref)


def test_other_tenants_ids_are_filtered_away_in_every_scope_and_union_branch() -> None:
    sql = (
        "SELECT e.name FROM ct_events e WHERE e.partner_id = 2 "
        "AND e.id IN (SELECT event_id FROM ct_results WHERE partner_id = 2) "
        "UNION SELECT name FROM ct_events WHERE id = 6"
    )
    out = guard(sql, POLICY, partner_id=1)
    assert out.sql.count("WHERE partner_id = 1") == 3
    _assert_tenant_safe(out.sql, 1)


def test_missing_limit_is_added_and_small_limit_kept() -> None:
    assert guard("SELECT id FROM ct_events", POLICY).limit == POLICY.default_limit
    assert guard("SELECT id FROM ct_events LIMIT 5", POLICY).sql.endswith("LIMIT 5")


def test_participants_are_projected_without_hidden_columns() -> None:
    out = guard("SELECT * FROM ct_participants", POLICY)
    assert "email" not in out.sql and "first_name" in out.sql


def _assert_tenant_safe(sql: str, partner_id: int) -> None:
    tree = sqlglot.parse_one(sql, read="postgres")
    for table in tree.find_all(exp.Table):
        if not table.text("db"):
            assert table.name in visible_ctes(table)
            continue
        assert table.text("db") == "public" and table.name in POLICY.tables
        if table.name in TENANT_FILTERS:
            select = table.find_ancestor(exp.Select)
            assert select is not None and select.args["from_"].this is table
            expected = TENANT_FILTERS[table.name](partner_id).sql(dialect="postgres")
            assert select.args["where"].this.sql(dialect="postgres") == expected


# --- property: random SQL built from safe and hostile fragments -------------------------

_TABLES = [*POLICY.tables, "pg_user", "secrets", "pg_catalog.pg_authid", "connection_log"]
_TABLES += ["information_schema.columns", "public.ct_results", "x.ct_events", "cte"]
_COLUMNS = ["id", "name", "partner_id", "email", "chip_time", "usename", "raw_data", "*"]
_FUNCS = ["count(*)", "max(id)", "pg_sleep(1)", "version()", "lower(name)", "dblink('x')"]
_FUNCS += ["set_config('a', 'b', false)", "current_setting('x')", "avg(chip_time)"]
_TAILS = ["", " LIMIT 5", " LIMIT ALL", " LIMIT 5000", " FOR UPDATE", "; DROP TABLE ct_events"]
_TAILS += [" LIMIT (SELECT 1)", " -- x", " OFFSET 3 LIMIT 2"]


@st.composite
def queries(draw: st.DrawFn) -> str:
    def select(depth: int) -> str:
        table = draw(st.sampled_from(_TABLES))
        alias = draw(st.sampled_from(["", " t", " ct_events", " pg_user"]))
        cols = draw(st.lists(st.sampled_from(_COLUMNS + _FUNCS), min_size=1, max_size=3))
        sql = f"SELECT {', '.join(cols)} FROM {table}{alias}"
        if depth and draw(st.booleans()):
            sql += f" WHERE id IN ({select(depth - 1)})"
        if depth and draw(st.booleans()):
            sql += f" JOIN ({select(depth - 1)}) j ON j.id = id"
        return sql

    sql = select(2)
    if draw(st.booleans()):
        sql = f"{sql} {draw(st.sampled_from(['UNION', 'UNION ALL', 'EXCEPT']))} {select(1)}"
    if draw(st.booleans()):
        body = draw(st.sampled_from([select(1), "DELETE FROM ct_results RETURNING id"]))
        sql = f"WITH cte AS ({body}) {sql}"
    return sql + draw(st.sampled_from(_TAILS))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries(), st.sampled_from([None, 1, 3]))
def test_property_guarded_sql_never_writes_or_reads_outside_the_allow_list(
    sql: str, partner: int | None
) -> None:
    try:
        out = guard(sql, POLICY, partner_id=partner)
    except RefusedError:
        return
    tree = sqlglot.parse_one(out.sql, read="postgres")
    assert isinstance(tree, (exp.Select, exp.SetOperation))
    assert not any(isinstance(n, FORBIDDEN_NODES) for n in tree.walk())
    for func in tree.find_all(exp.Func):
        assert isinstance(func, ALLOWED_FUNCTIONS)
    for col in tree.find_all(exp.Column):
        assert col.name not in ("email", "raw_data", "usename")
    limit = tree.args["limit"].expression
    assert isinstance(limit, exp.Literal) and int(limit.this) <= POLICY.max_limit
    if partner is not None:
        _assert_tenant_safe(out.sql, partner)
    else:
        for table in tree.find_all(exp.Table):
            assert table.name in POLICY.tables or table.name in visible_ctes(table)
