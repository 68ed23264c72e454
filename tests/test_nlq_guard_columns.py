"""The guard's column rule per scope, against a corpus of hostile forms and their allowed
look-alikes (tests/fixtures/nlq/hostile_columns.sql, guard_lookalikes.sql)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from p88.errors import RefusedError
from p88.nlq.execute import run
from p88.nlq.guard import guard
from p88.nlq.schema import HIDDEN, POLICY, TABLES

FIXTURES = Path(__file__).parent / "fixtures" / "nlq"


@dataclass(frozen=True)
class GuardCase:
    """One statement of a guard corpus: what it tries, the SQL, the rule that refuses it."""

    form: str
    sql: str
    rule: str

    @property
    def id(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.form.lower()).strip("-")


def load_guard_corpus(name: str) -> list[GuardCase]:
    """Blocks of ``-- form: ...`` (and optional ``-- rule: ...``) comments followed by one
    statement ending with ``;`` at the end of a line."""
    cases: list[GuardCase] = []
    form, rule, lines = "", "columns", []
    for line in (FIXTURES / name).read_text().splitlines():
        if line.startswith("-- form:"):
            form, rule, lines = line.removeprefix("-- form:").strip(), "columns", []
        elif line.startswith("-- rule:"):
            rule = line.removeprefix("-- rule:").strip()
        elif line.strip() and not line.startswith("--"):
            lines.append(line)
            if line.rstrip().endswith(";"):
                assert form, f"{name}: a statement without '-- form:': {line}"
                cases.append(GuardCase(form, "\n".join(lines).rstrip().rstrip(";"), rule))
                form, lines = "", []
    assert not lines, f"{name}: unterminated statement {lines}"
    return cases


HOSTILE = load_guard_corpus("hostile_columns.sql")
LOOKALIKES = load_guard_corpus("guard_lookalikes.sql")


def test_the_corpora_are_loaded_whole() -> None:
    def forms(name: str) -> int:
        lines = (FIXTURES / name).read_text().splitlines()
        return sum(line.startswith("-- form:") for line in lines)

    assert len(HOSTILE) == forms("hostile_columns.sql") >= 60
    assert len(LOOKALIKES) == forms("guard_lookalikes.sql") >= 20
    assert len({c.id for c in HOSTILE}) == len(HOSTILE)


@pytest.mark.parametrize("case", HOSTILE, ids=[c.id for c in HOSTILE])
@pytest.mark.parametrize("partner", [None, 1])
def test_hostile_column_form_is_refused(case: GuardCase, partner: int | None) -> None:
    with pytest.raises(RefusedError) as info:
        guard(case.sql, POLICY, partner_id=partner)
    assert info.value.rule == case.rule, info.value.message
    assert info.value.message.startswith(f"refused by rule '{case.rule}': ")


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT p.email AS email FROM ct_participants p", "column email of ct_participants"),
        ("SELECT r.raw_data AS raw_data FROM timing_reads r", "column raw_data of timing_reads"),
        ("SELECT external_id FROM ct_participants", "column external_id of ct_participants"),
        ("SELECT p.nope AS nope FROM ct_participants p", "column nope of ct_participants"),
        ("SELECT concat(p) AS p FROM ct_participants p", "whole-row reference p"),
    ],
)
def test_the_refusal_names_the_column_and_its_table(sql: str, message: str) -> None:
    with pytest.raises(RefusedError, match=re.escape(message)):
        guard(sql, POLICY)


@pytest.mark.parametrize("case", LOOKALIKES, ids=[c.id for c in LOOKALIKES])
def test_allowed_lookalike_passes_and_runs_as_p88_ask(
    case: GuardCase, conn: psycopg.Connection[Any]
) -> None:
    out = guard(case.sql, POLICY, partner_id=1)
    rows = run(conn, out)
    assert rows.role == "p88_ask"
    for table, hidden in HIDDEN.items():
        for column in hidden:
            assert f"{table}.{column}" not in out.sql


def test_star_is_expanded_to_the_allowed_columns_only(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        "INSERT INTO ct_participants (first_name, last_name, email) VALUES ('Ann', 'Lee', 'a@x')"
    )
    for sql in ("SELECT * FROM ct_participants", "SELECT p.* FROM ct_participants p"):
        rows = run(conn, guard(sql, POLICY))
        assert sorted(rows.columns) == sorted(TABLES["ct_participants"])
        assert "a@x" not in rows.rows[0]


def test_the_allow_list_and_hidden_columns_cover_the_database(
    conn: psycopg.Connection[Any],
) -> None:
    """Every column of every allow-listed table is either allowed or named hidden (a
    migration adding a column must decide which), and no listed column is made up."""
    found: dict[str, set[str]] = {}
    for table, column in conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = ANY(%s)",
        (list(TABLES),),
    ):
        found.setdefault(table, set()).add(column)
    assert set(found) == set(TABLES)
    for table, allowed in TABLES.items():
        assert allowed | set(HIDDEN.get(table, ())) == found[table], table
        assert not allowed & set(HIDDEN.get(table, ())), table
