"""Scoring ``p88 ask`` on an evaluation set (tests/fixtures/nlq/eval.sql, aside.sql).

The format is the suite's (``-- q:`` questions sharing one hand-written SQL), plus:

* ``-- expect: refuse`` the question must be refused or asked back (any ``P88Error``);
  ``-- says: TEXT`` the refusal's message or hint must contain TEXT (case-insensitive).
* ``-- db: empty`` the question is asked of a database with no results loaded.

An answer is correct when its rows equal the hand SQL's rows, whatever the answer names its
columns and whatever extra columns it adds: each expected column must match one answer
column value for value, in order when the SQL has ORDER BY, as a multiset otherwise.

    python -m tests.nlq_eval tests/fixtures/nlq/eval.sql [--seed 11] [--results 20000] [-v]

prints correct / wrong / refused for the answerable questions and refused / answered for
the ones that must be refused.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from p88.errors import P88Error
from p88.history.generate import HistoryOptions
from p88.history.load import load_history
from p88.nlq import Catalog, ask
from p88.store.connect import connect
from p88.store.migrations import migrate
from tests.fix_db import create_database, drop_database
from tests.nlq_suite import TODAY, Case, _live_reads, load_suite, norm_rows

EVAL = Path(__file__).parent / "fixtures" / "nlq" / "eval.sql"
ASIDE = EVAL.with_name("aside.sql")


@dataclass
class Outcome:
    """How one question went: ``kind`` is correct, wrong, refused (answerable) or
    refused-ok, refused-vague, answered (must be refused)."""

    case: Case
    kind: str
    detail: str


def rows_match(got_cols: list[str], got: list[tuple[Any, ...]], want: list[tuple[Any, ...]],
               ordered: bool) -> bool:  # fmt: skip
    """True when every expected column is some answer column, row for row."""
    got_n, want_n = norm_rows(got), norm_rows(want)
    if len(got_n) != len(want_n):
        return False
    if not want_n:
        return True
    width = len(want_n[0])
    if not got_n or len(got_n[0]) < width:
        return False

    def column(rows: list[tuple[Any, ...]], i: int) -> list[Any]:
        return [r[i] for r in rows]

    def key(v: Any) -> tuple[str, str]:
        return (type(v).__name__, repr(v))

    candidates: list[list[int]] = []
    for j in range(width):
        want_col = column(want_n, j)
        fits = [
            i
            for i in range(len(got_n[0]))
            if (column(got_n, i) == want_col if ordered else
                sorted(column(got_n, i), key=key) == sorted(want_col, key=key))
        ]  # fmt: skip
        if not fits:
            return False
        candidates.append(fits)
    for mapping in itertools.islice(itertools.product(*candidates), 2000):
        picked = [tuple(r[i] for i in mapping) for r in got_n]
        if ordered and picked == want_n:
            return True
        if not ordered and Counter(picked) == Counter(want_n):
            return True
    return False


def score_case(case: Case, conn: psycopg.Connection[Any], catalog: Catalog) -> Outcome:
    kwargs: dict[str, Any] = {
        "partner": case.partner,
        "event": case.pins.get("event"),
        "year": case.pins.get("year"),
        "time_basis": case.pins.get("time"),
        "today": TODAY,
        "catalog": catalog,
    }
    try:
        answer = ask(case.question, conn, **kwargs)
    except P88Error as exc:
        text = f"{type(exc).__name__}: {exc.message} ({exc.hint})"
        if case.expect:
            says = case.says
            ok = says is None or says.lower() in text.lower()
            return Outcome(case, "refused-ok" if ok else "refused-vague", text)
        return Outcome(case, "refused", text)
    if case.expect:
        return Outcome(case, "answered", f"{answer.understood}\n    {answer.sql}")
    assert case.sql is not None
    want = conn.execute(case.sql.encode()).fetchall()
    ordered = " order by " in " ".join(case.sql.lower().split())
    ok = rows_match(answer.columns, answer.rows, want, ordered)
    detail = f"{answer.understood}\n    {answer.sql}"
    if not ok:
        detail += f"\n    got {norm_rows(answer.rows)[:4]}\n    want {norm_rows(want)[:4]}"
    return Outcome(case, "correct" if ok else "wrong", detail)


def summary(outcomes: list[Outcome]) -> str:
    c = Counter(o.kind for o in outcomes)
    answerable = c["correct"] + c["wrong"] + c["refused"]
    given = c["correct"] + c["wrong"]
    refuse = c["refused-ok"] + c["refused-vague"] + c["answered"]
    pct = lambda a, b: f"{100 * a / b:.1f}%" if b else "n/a"  # noqa: E731
    return (
        f"answerable {answerable}: correct {c['correct']} ({pct(c['correct'], answerable)}), "
        f"wrong {c['wrong']}, refused {c['refused']}; "
        f"given answers correct {pct(c['correct'], given)}\n"
        f"must refuse {refuse}: refused {c['refused-ok'] + c['refused-vague']} "
        f"({pct(c['refused-ok'] + c['refused-vague'], refuse)}), of which with the expected "
        f"reason {c['refused-ok']}; answered {c['answered']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[EVAL])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--results", type=int, default=20_000)
    parser.add_argument("-v", "--verbose", action="count", default=0)
    args = parser.parse_args(argv)
    admin = os.environ["P88_TEST_DATABASE_URL"]
    tag = uuid.uuid4().hex[:8]
    full, empty = f"p88_eval_{tag}", f"p88_eval_empty_{tag}"
    urls = [create_database(admin, full), create_database(admin, empty)]
    try:
        for url in urls:
            with connect(url, autocommit=True) as conn:
                migrate(conn)
        with connect(urls[0], autocommit=True) as conn:
            load_history(conn, HistoryOptions(results=args.results, seed=args.seed))
            _live_reads(conn)
        with (
            connect(urls[0], autocommit=True) as conn,
            connect(urls[1], autocommit=True) as empty_conn,
        ):
            catalogs = {False: Catalog.load(conn), True: Catalog.load(empty_conn)}
            for path in args.files:
                outcomes = []
                for case in load_suite(path):
                    is_empty = case.db == "empty"
                    outcomes.append(
                        score_case(case, empty_conn if is_empty else conn, catalogs[is_empty])
                    )
                print(f"== {path.name} (seed {args.seed}, {args.results} results)")
                for o in outcomes:
                    bad = o.kind in ("wrong", "refused", "answered", "refused-vague")
                    if args.verbose > 1 or (args.verbose and bad):
                        print(f"[{o.kind}] {o.case.id}\n    {o.detail}")
                print(summary(outcomes))
    finally:
        for name in (full, empty):
            drop_database(admin, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["ASIDE", "EVAL", "Outcome", "rows_match", "score_case", "summary"]
