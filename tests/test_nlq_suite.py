"""The question suite: every question answered over the synthetic history (fixed seed) must
give the rows its hand-written SQL gives, or the error the suite expects."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from p88.errors import P88Error
from p88.history.generate import HistoryOptions
from p88.history.load import load_history
from p88.nlq import Catalog, ask
from p88.store.connect import connect
from tests.fix_db import create_database, drop_database
from tests.nlq_suite import HISTORY, TODAY, Case, load_suite, norm_rows

CASES = load_suite()


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


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_question(case: Case, history_conn: psycopg.Connection[Any], catalog: Catalog) -> None:
    kwargs = {
        "partner": case.partner,
        "event": case.pins.get("event"),
        "year": case.pins.get("year"),
        "time_basis": case.pins.get("time"),
        "today": TODAY,
        "catalog": catalog,
    }
    if case.expect:
        with pytest.raises(P88Error) as info:
            ask(case.question, history_conn, **kwargs)
        assert type(info.value).__name__ == case.expect, info.value.message
        return
    answer = ask(case.question, history_conn, **kwargs)
    got = answer.rows
    if case.columns:
        index = [answer.columns.index(c) for c in case.columns]
        got = [tuple(row[i] for i in index) for row in got]
    assert case.sql is not None
    expected = history_conn.execute(case.sql.encode()).fetchall()
    assert norm_rows(got) == norm_rows(expected), f"{answer.understood}\n{answer.sql}"
    assert answer.understood


def test_suite_is_large_enough() -> None:
    assert len(CASES) >= 150
    assert len({c.question for c in CASES}) >= 140
