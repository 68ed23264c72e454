"""Exports benchmark: publishing a 30,000-runner race, against scoring it.

    python bench/exports.py [--runners 30000] [--reads 300000] [--repeat 2]

Builds the marathon of bench/results.py (RUNNERS entries, 5 timing points, about two reads
per crossing, a few DNFs), scores it in full — the baseline, measured in the same run —
then times, each on its own: loading the results sheet (every entry with splits, split
places, paces and age grades), computing the awards (sheet + rules, masters and an
age-graded division included), storing the age grades, and exporting to every built-in
format and to the results site (rows/s). Each prints its ratio to the full scoring time;
the goal is under 0.25 for each. On a shared machine the load swings, so each measurement
is the best of --repeat runs, and the baseline the better of two full scorings (the first,
and a full rescore after the exports). Uses P88_DATABASE_URL or the embedded server, in a
scratch database dropped afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from psycopg import sql

sys.path.insert(0, str(Path(__file__).parent))
from results import POINTS, copy_reads, make_race, make_reads  # noqa: E402

from p88 import config  # noqa: E402
from p88.exports import BUILTIN, export_race, race_awards  # noqa: E402
from p88.store.connect import connect, database_url  # noqa: E402
from p88.store.embedded import with_database  # noqa: E402
from p88.store.migrations import migrate  # noqa: E402
from p88.store.results import ScoreOptions, score_race  # noqa: E402
from p88.store.results.agegrade import update_age_grades  # noqa: E402
from p88.store.results.divisions import load_rules, parse_division, save_rules  # noqa: E402
from p88.store.results.sheet import load_sheet  # noqa: E402

DB = "p88_bench_exports"
GOAL = 0.25


def timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def best(repeat: int, fn: Any) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs of ``fn`` (and its value)."""
    runs = [timed(fn) for _ in range(repeat)]
    return min(runs, key=lambda run: run[0])


def report(what: str, seconds: float, base: float, rows: int | None = None) -> bool:
    ratio = seconds / base
    speed = f", {rows / seconds:,.0f} rows/s" if rows else ""
    met = ratio < GOAL
    print(f"{what:28} {seconds:7.3f} s{speed}; RATIO to full scoring {ratio:.3f} "
          f"({'meets' if met else 'misses'} the < {GOAL} goal)")  # fmt: skip
    return met


def bench(url: str, runners: int, total: int, repeat: int) -> None:
    with connect(url, autocommit=True) as conn:
        race, session = make_race(conn, runners)
        conn.execute(
            "UPDATE ct_participants SET city = 'Boston', state = 'MA',"
            " birth_date = make_date(birth_year, 1 + id % 12, 1 + id % 28)"
        )
        copy_reads(conn, make_reads(runners, total), 1)
        conn.execute("VACUUM ANALYZE")
        first, full = timed(lambda: score_race(conn, race, session, ScoreOptions(points=POINTS)))
        rules = load_rules(conn, race)
        extra = ("masters=age:40|Masters", "graded=age_graded:5,open|Age graded")
        save_rules(conn, race, replace(rules, divisions=tuple(map(parse_division, extra))))
        timings: list[tuple[str, float, int | None]] = []
        seconds, changed = timed(lambda: update_age_grades(conn, race))
        timings.append((f"age grades stored ({changed:,})", seconds, runners))
        seconds, sheet = best(repeat, lambda: load_sheet(conn, race))
        timings.append(("results sheet", seconds, len(sheet.rows)))
        seconds, awards = best(repeat, lambda: race_awards(conn, race))
        count = sum(len(d.awards) for d in awards.divisions)
        timings.append((f"awards ({count} in {len(awards.divisions)} div.)", seconds, None))
        out = Path(tempfile.mkdtemp(prefix="p88-bench-exports-"))
        try:
            for fmt in BUILTIN:

                def once(f: str = fmt) -> Any:
                    target = out / f
                    if target.is_dir():
                        shutil.rmtree(target)
                    return export_race(conn, race, f, target, force=True)

                seconds, summary = best(repeat, once)
                timings.append((f"export {fmt}", seconds, summary.rows))
            size = sum(p.stat().st_size for p in (out / "site").iterdir())
            files = len(list((out / "site").iterdir()))
        finally:
            shutil.rmtree(out, ignore_errors=True)
        again, _ = timed(lambda: score_race(conn, race, session, ScoreOptions(full=True)))
        base = min(first, again)
        print(f"baseline: full scoring of {runners:,} runners, {full.reads_scored:,} reads: "
              f"{first:.2f} s, full rescore after the exports {again:.2f} s; "
              f"using {base:.2f} s ({full.finished:,} finished)")  # fmt: skip
        results = [report(what, seconds, base, rows) for what, seconds, rows in timings]
        print(f"site: {size / 1e6:.1f} MB in {files} files")
        print(f"{sum(results)} of {len(results)} measurements meet the goal (< {GOAL} of scoring)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runners", type=int, default=30_000)
    parser.add_argument("--reads", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=2, help="best of N runs per measurement")
    args = parser.parse_args()
    server = database_url(config.load())
    with connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    url = with_database(server, DB)
    try:
        with connect(url, autocommit=True) as conn:
            migrate(conn)
        bench(url, args.runners, args.reads, max(1, args.repeat))
    finally:
        with connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB))
            )


if __name__ == "__main__":
    main()
