"""Official-results benchmark: ``results check`` and a correction's rescore on a big race.

    python bench/checks.py [--runners 30000] [--reads 300000]

The race is bench/results.py's marathon (5 timing points, about two reads per crossing,
3% DNF, stray tags), with a 6-hour cutoff. Baseline, measured in the same run: the full
scoring of that race. Reported against it: every check of ``p88 results check`` (goal:
under a quarter of the full scoring), and a DQ of the winner recorded and rescored (a
correction re-times only the runners it names, then re-places the race). Uses
P88_DATABASE_URL or the embedded server, in a scratch database dropped afterwards.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from psycopg import sql
from results import POINTS, copy_reads, make_race, make_reads, timed

from p88 import config
from p88.store import (
    CorrectionRequest,
    RaceSettings,
    ScoreOptions,
    connect,
    correct_result,
    database_url,
    migrate,
    run_checks,
    save_settings,
    score_race,
    with_database,
)

DB = "p88_bench_checks"


def bench(url: str, runners: int, total: int) -> None:
    with connect(url, autocommit=True) as conn:
        race, session = make_race(conn, runners)
        copy_reads(conn, make_reads(runners, total), 1)
        save_settings(conn, race, RaceSettings(cutoff=timedelta(hours=6)))
        conn.execute("VACUUM ANALYZE")
        full_s, full = timed(lambda: score_race(conn, race, session, ScoreOptions(points=POINTS)))
        print(
            f"baseline, full scoring: {full.reads_scored:,} reads, {runners:,} runners: "
            f"{full_s:.2f} s; {full.finished:,} finished, {full.held:,} held"
        )
        conn.execute("ANALYZE")
        check_s, report = timed(lambda: run_checks(conn, race))
        found = ", ".join(f"{c.name} {c.count}" for c in report.checks)
        print(f"results check: {check_s * 1000:.0f} ms ({found})")
        (winner,) = conn.execute(
            "SELECT bib FROM ct_results WHERE race_id = %s AND overall_place = 1 LIMIT 1", (race,)
        ).fetchone() or ("1",)
        request = CorrectionRequest(bib=winner, action="dq", reason="bench", made_by="bench")
        fix_s, fixed = timed(lambda: correct_result(conn, race, request))
        assert fixed.scoring is not None
        print(
            f"DQ of the winner, recorded and rescored: {fix_s:.2f} s "
            f"({fixed.scoring.results_changed} results changed)"
        )
        print(f"RATIO results check / full scoring: {check_s / full_s:.3f}x (goal < 0.25)")
        print(f"RATIO correction + rescore / full scoring: {fix_s / full_s:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runners", type=int, default=30_000)
    parser.add_argument("--reads", type=int, default=300_000)
    args = parser.parse_args()
    server = database_url(config.load())
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB))
    with connect(server, autocommit=True) as admin:
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    url = with_database(server, DB)
    try:
        with connect(url, autocommit=True) as conn:
            migrate(conn)
        bench(url, args.runners, args.reads)
    finally:
        with connect(server, autocommit=True) as admin:
            admin.execute(drop)


if __name__ == "__main__":
    main()
