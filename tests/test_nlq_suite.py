"""The question suite: every question answered over the synthetic history (fixed seed) must
give the rows its hand-written SQL gives, or the error the suite expects."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from p88.errors import P88Error
from p88.nlq import Catalog, ask
from tests.nlq_suite import (
    HELDOUT,
    TODAY,
    Case,
    catalog,
    history_conn,
    history_url,
    load_suite,
    norm_rows,
)

__all__ = ["catalog", "history_conn", "history_url"]  # session fixtures

CASES = load_suite() + load_suite(HELDOUT)


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


def test_a_partner_cannot_tell_another_partners_event_from_a_made_up_one(
    history_conn: psycopg.Connection[Any], catalog: Catalog
) -> None:
    messages = []
    for name in ("Boston", "Flagstaff", "Bostn"):
        with pytest.raises(P88Error) as info:
            ask(
                f"how many finished the {name} Marathon in 2023",
                history_conn,
                partner="bigriver",
                catalog=catalog,
                today=TODAY,
            )
        assert type(info.value).__name__ == "NotYours"
        text = info.value.message + str(info.value.hint)
        messages.append(text.replace(f"'{name.lower()}'", "'X'"))
        assert "Boston Marathon" not in text and "Chicago" not in text
    assert len(set(messages)) == 1, messages
