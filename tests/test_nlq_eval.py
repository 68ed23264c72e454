"""The issue-18 evaluation set (development part, tests/fixtures/nlq/eval.sql) over the
suite's history: every answer given equals the hand-written SQL's rows (whatever the answer
names its columns), and every question that must be refused is refused for the reason the
set expects. The held-aside part (aside.sql) is deliberately not run here: it is scored
once, by hand, with ``python -m tests.nlq_eval tests/fixtures/nlq/aside.sql``.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from p88.nlq import Catalog
from tests.nlq_eval import EVAL, rows_match, score_case
from tests.nlq_suite import Case, catalog, history_conn, history_url, load_suite

__all__ = ["catalog", "history_conn", "history_url"]  # session fixtures

CASES = load_suite(EVAL)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_eval_question(
    case: Case,
    history_conn: psycopg.Connection[Any],
    catalog: Catalog,
    request: pytest.FixtureRequest,
) -> None:
    if case.db == "empty":
        conn = request.getfixturevalue("conn")
        outcome = score_case(case, conn, Catalog.load(conn))
    else:
        outcome = score_case(case, history_conn, catalog)
    if case.expect:
        assert outcome.kind == "refused-ok", outcome.detail
    else:
        assert outcome.kind == "correct", outcome.detail


def test_the_eval_set_is_large_and_varied() -> None:
    assert len(CASES) >= 140
    assert sum(1 for c in CASES if c.expect) >= 15


@pytest.mark.parametrize(
    ("got", "want", "ordered", "same"),
    [
        ([(1, "a", 5)], [("a", 5)], True, True),  # extra answer columns are fine
        ([(1, "a", 5), (2, "b", 6)], [("b", 6), ("a", 5)], False, True),
        ([(1, "a", 5), (2, "b", 6)], [("b", 6), ("a", 5)], True, False),  # order counts
        ([(1, "a", 5)], [("a", 6)], False, False),
        ([(1, "a", 5), (2, "b", 5)], [("a", 5)], False, False),  # one row too many
        ([("a", 5, 6)], [("a", 6)], False, True),
        ([("a", 5), ("b", 6)], [("a", 6), ("b", 5)], False, False),  # values paired wrongly
    ],
)
def test_rows_match(got: list[Any], want: list[Any], ordered: bool, same: bool) -> None:
    assert rows_match([f"c{i}" for i in range(len(got[0]))], got, want, ordered) is same
