"""``p88 ask`` benchmark: compile time, end-to-end time, and compiled-vs-hand-written SQL.

    python bench/ask.py [--results 1000000] [--repeat 5] [--suite tests/fixtures/nlq/aside.sql]

On a database ``p88_bench_ask`` of the configured server (P88_DATABASE_URL or the embedded
one), holding ``p88 demo history --results N --seed 7`` (loaded once, reused after), for
every question of the test suite that has hand-written SQL and no partner or pin (one
question per SQL block): the time to understand, compile and guard it (median, p95), the
time ``ask()`` takes end to end with a loaded catalog (median, p95), and, in the same run,
alternating on one connection, the median execution time of the compiled (guarded) SQL
and of the hand-written SQL, whose ratio is printed per question and overall.
Goals from the issue: compile <= 5 ms median, end to end <= 150 ms p95, ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.nlq_eval import rows_match  # noqa: E402
from tests.nlq_suite import SUITE, TODAY, load_suite, norm_rows  # noqa: E402

from p88 import config  # noqa: E402
from p88.errors import MigrationError, P88Error  # noqa: E402
from p88.history.generate import HistoryOptions  # noqa: E402
from p88.history.load import load_history  # noqa: E402
from p88.nlq import Catalog, ask  # noqa: E402
from p88.nlq.api import compile_question  # noqa: E402
from p88.store.connect import connect, database_url  # noqa: E402
from p88.store.embedded import with_database  # noqa: E402
from p88.store.migrations import migrate  # noqa: E402

DB = "p88_bench_ask"


def prepare(results: int, db: str = DB) -> str:
    url = database_url(config.load())
    admin = with_database(url, "postgres")
    bench_url = with_database(url, db)
    for attempt in (1, 2):
        with psycopg.connect(admin, autocommit=True) as conn:
            name = sql.Identifier(db)
            if attempt == 2:  # migrations changed under a kept database: start again
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone()
            if not row:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
        try:
            with connect(bench_url, autocommit=True) as conn:
                migrate(conn)
            break
        except MigrationError:
            if attempt == 2:
                raise
    with connect(bench_url, autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM ct_results").fetchone()
        if not have or have[0] != results:
            print(f"loading a {results:,}-result history (seed 7) ...", flush=True)
            summary = load_history(conn, HistoryOptions(results=results, seed=7))
            print(
                f"  {summary.results:,} results, {summary.participants:,} people, "
                f"{summary.events} events in {summary.generate_s + summary.load_s:.1f} s"
            )
            conn.execute("VACUUM ANALYZE")
    return bench_url


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(conn: psycopg.Connection[Any], query: str) -> tuple[float, list[tuple[Any, ...]]]:
    started = time.perf_counter()
    rows = conn.execute(query.encode()).fetchall()
    return (time.perf_counter() - started) * 1000, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--suite", type=Path, action="append", help="question files (default: the suite)"
    )
    parser.add_argument("--database", default=DB, help=f"database to use (default {DB})")
    args = parser.parse_args()
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    url = prepare(args.results, args.database)
    seen: set[str] = set()
    cases = []
    for case in (c for path in args.suite or [SUITE] for c in load_suite(path)):
        if case.sql and not case.expect and not case.partner and not case.pins and not case.db:
            if case.sql not in seen and "timing_reads" not in case.sql:
                seen.add(case.sql)
                cases.append(case)
    with connect(url, autocommit=True) as conn:
        t0 = time.perf_counter()
        catalog = Catalog.load(conn)
        catalog_ms = (time.perf_counter() - t0) * 1000
        compile_ms: list[float] = []
        e2e_ms: list[float] = []
        e2e_by_question: list[tuple[float, str]] = []
        ratios: list[tuple[float, float, float, str]] = []
        mismatches = 0
        refused: list[str] = []
        for case in cases:
            try:  # a question p88 refuses or asks back has no SQL to time
                compile_question(case.question, conn, catalog, today=TODAY)
            except P88Error:
                refused.append(case.question)
                continue
            for _ in range(args.repeat):
                t = time.perf_counter()
                compile_question(case.question, conn, catalog, today=TODAY)
                compile_ms.append((time.perf_counter() - t) * 1000)
            _, guarded = compile_question(case.question, conn, catalog, today=TODAY)
            for _ in range(args.repeat):
                t = time.perf_counter()
                answer = ask(case.question, conn, catalog=catalog, today=TODAY)
                e2e_ms.append((time.perf_counter() - t) * 1000)
            e2e_by_question.append((statistics.median(e2e_ms[-args.repeat :]), case.question))
            mine: list[float] = []
            hand: list[float] = []
            timed(conn, guarded.sql)  # warm both once
            timed(conn, case.sql)
            for _ in range(args.repeat):
                ms, _rows = timed(conn, guarded.sql)
                mine.append(ms)
                ms, expected = timed(conn, case.sql)
                hand.append(ms)
            got = answer.rows
            if case.columns:
                index = [answer.columns.index(c) for c in case.columns]
                got = [tuple(r[i] for i in index) for r in got]
            ordered = " order by " in " ".join(case.sql.lower().split())
            if case.source != SUITE.stem:  # eval sets: rows compared whatever the columns
                same = rows_match(answer.columns, got, expected, ordered)
            else:
                same = norm_rows(got) == norm_rows(expected)
            if not same:
                mismatches += 1
            m, h = statistics.median(mine), statistics.median(hand)
            ratios.append((m / h if h else 1.0, m, h, case.question))
    print(f"\n{len(cases)} questions x {args.repeat} runs, {args.results:,} results")
    if refused:
        print(f"{len(refused)} refused or asked back (not timed): " + "; ".join(refused))
    print(f"catalog load: {catalog_ms:.1f} ms (once; reused across questions)")
    print(
        f"compile (understand + sqlglot tree + guard): median {statistics.median(compile_ms):.2f}"
        f" ms, p95 {pct(compile_ms, 0.95):.2f} ms"
    )
    print(
        f"end to end (ask, catalog loaded): median {statistics.median(e2e_ms):.1f} ms, "
        f"p95 {pct(e2e_ms, 0.95):.1f} ms"
    )
    values = [r[0] for r in ratios]
    geo = statistics.geometric_mean(values)
    total = sum(r[1] for r in ratios) / sum(r[2] for r in ratios)
    print(
        f"compiled / hand-written execution time: median {statistics.median(values):.2f}, "
        f"geometric mean {geo:.2f}, total {total:.2f}, worst {max(values):.2f}"
    )
    timed_n = len(cases) - len(refused)
    print(f"answers equal to the hand-written SQL's rows: {timed_n - mismatches}/{timed_n}")
    print("\nslowest end to end (median):")
    for ms, q in sorted(e2e_by_question, reverse=True)[:5]:
        print(f"  {ms:7.1f} ms  {q}")
    print("\nslowest ratios:")
    for ratio, m, h, q in sorted(ratios, reverse=True)[:6]:
        print(f"  {ratio:5.2f}  compiled {m:7.1f} ms  hand {h:7.1f} ms  {q}")


if __name__ == "__main__":
    main()
