"""Loading the question suite (tests/fixtures/nlq/questions.sql) and comparing rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from p88.history.generate import HistoryOptions
from p88.history.load import load_history
from p88.nlq import Catalog
from p88.store.connect import connect
from tests.fix_db import create_database, drop_database

SUITE = Path(__file__).parent / "fixtures" / "nlq" / "questions.sql"
HELDOUT = SUITE.with_name("heldout.sql")
TODAY = date(2026, 11, 25)
HISTORY = {"results": 20_000, "seed": 7}


@dataclass
class Case:
    """One question of the suite, with what its answer must be."""

    question: str
    sql: str | None
    expect: str | None
    partner: str | None = None
    pins: dict[str, str] = field(default_factory=dict)
    columns: list[str] | None = None
    line: int = 0
    says: str | None = None
    db: str | None = None
    source: str = "questions"

    @property
    def id(self) -> str:
        who = f"[{self.partner}]" if self.partner else ""
        return f"{self.source}:{self.line}:{who}{self.question[:60]}"


def load_suite(path: Path = SUITE) -> list[Case]:
    """Every question of the suite file, one ``Case`` each (paraphrases share the SQL)."""
    cases: list[Case] = []
    for block, first_line in _blocks(path.read_text()):
        questions: list[str] = []
        meta: dict[str, str] = {}
        sql_lines: list[str] = []
        for line in block:
            if line.startswith("-- q:"):
                questions.append(line[5:].strip())
            elif line.startswith("-- ") and ":" in line and not sql_lines:
                key, value = line[3:].split(":", 1)
                meta[key.strip()] = value.strip()
            elif not line.startswith("--"):
                sql_lines.append(line)
        if not questions:
            continue
        pins = dict(p.split("=", 1) for p in meta["pin"].split(",")) if "pin" in meta else {}
        for q in questions:
            cases.append(
                Case(
                    question=q,
                    sql="\n".join(sql_lines).strip().rstrip(";") or None,
                    expect=meta.get("expect"),
                    partner=meta.get("partner"),
                    pins=pins,
                    columns=meta["columns"].split(",") if "columns" in meta else None,
                    line=first_line,
                    says=meta.get("says"),
                    db=meta.get("db"),
                    source=path.stem,
                )
            )
    return cases


def _blocks(text: str) -> list[tuple[list[str], int]]:
    blocks: list[tuple[list[str], int]] = []
    current: list[str] = []
    start = 0
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if current:
                blocks.append((current, start))
            current = []
            continue
        if not current:
            start = n
        current.append(line)
    if current:
        blocks.append((current, start))
    return blocks


def norm(value: Any) -> Any:
    """A cell in a form both sides agree on (times to the millisecond, decimals rounded)."""
    if isinstance(value, timedelta):
        return round(value.total_seconds(), 3)
    if isinstance(value, (Decimal, float)):
        return round(float(value), 3)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def norm_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(norm(v) for v in row) for row in rows]


def _live_reads(conn: psycopg.Connection[Any]) -> None:
    """Session 1 (Big River's): reads at start and finish, some in the last 10 minutes."""
    conn.execute(
        "INSERT INTO timing_sessions (id, session_name, partner_id) "
        "SELECT 1, 'Session_test', id FROM timing_partners WHERE code = 'bigriver'"
    )
    conn.execute(
        "INSERT INTO timing_locations (id, session_id, location_name) "
        "VALUES (1, 1, 'start'), (2, 1, 'finish')"
    )
    conn.execute(
        "INSERT INTO timing_reads (session_id, location_id, location_name, tag_code, read_time,"
        " read_date, read_timestamp) "
        "SELECT 1, l.id, l.location_name, (1000 + g % 23)::text, t::time, t::date, t "
        "FROM generate_series(1, 60) g JOIN timing_locations l ON l.id = 1 + g % 2, "
        "LATERAL (SELECT localtimestamp - (g * interval '37 seconds') AS t) x"
    )


@pytest.fixture(scope="session")
def history_url(pg_admin_url: str, template_db: str) -> Iterator[str]:
    """A migrated database with the suite's synthetic history, made once per session."""
    name = f"p88_nlq_{uuid.uuid4().hex[:10]}"
    url = create_database(pg_admin_url, name, template=template_db)
    with connect(url, autocommit=True) as conn:
        load_history(conn, HistoryOptions(**HISTORY))
        _live_reads(conn)
    yield url
    drop_database(pg_admin_url, name)


@pytest.fixture(scope="session")
def history_conn(history_url: str) -> Iterator[psycopg.Connection[Any]]:
    with connect(history_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def catalog(history_conn: psycopg.Connection[Any]) -> Catalog:
    return Catalog.load(history_conn)
