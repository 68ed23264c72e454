"""Results benchmark: scoring a big race from its reads, and generating the history.

    python bench/results.py [--runners 30000] [--reads 300000] [--history 1000000]

Scoring: a marathon of RUNNERS entries with 5 timing points (start, 3 splits, finish)
and READS reads (about two per crossing, a few DNFs, stray tags). Reports the first (full)
scoring, an incremental run after 100 new reads, a run with nothing new, and — as the
baseline, side by side — a full rescore after the same 100 reads. Midnight: a 10K of
MIDNIGHT runners whose gun goes at 23:30, imported from normal-format (dateless) lines
through `p88 import`'s library call and scored, against the same race run at 11:30 as the
baseline: the rollover must cost nothing and give the same chip times. History:
generation and COPY rows/s for HISTORY results. Uses P88_DATABASE_URL or the embedded server, in a
scratch database that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from p88 import config
from p88.history import HistoryOptions, load_history
from p88.store.connect import connect, database_url
from p88.store.embedded import with_database
from p88.store.migrations import migrate
from p88.store.results import PointRule, ScoreOptions, score_race

DB = "p88_bench_results"
DAY = date(2025, 10, 12)
GUN = datetime(2025, 10, 12, 8, 0)
POINTS = [
    PointRule("START", "start", distance_m=0),
    PointRule("10K", "split", seq=1, distance_m=10000),
    PointRule("21K", "split", seq=2, distance_m=21098),
    PointRule("30K", "split", seq=3, distance_m=30000),
    PointRule("FINISH", "finish", distance_m=42195),
]


def make_race(conn: psycopg.Connection[Any], runners: int) -> tuple[int, int]:
    conn.execute("INSERT INTO timing_partners (id, name, code) VALUES (1, 'Bench', 'bench')")
    conn.execute(
        "INSERT INTO ct_events (id, partner_id, name, event_date) "
        "VALUES (1, 1, 'Bench Marathon', %s)",
        (DAY,),
    )
    conn.execute(
        "INSERT INTO ct_races (id, partner_id, event_id, name, distance_m, start_time) "
        "VALUES (1, 1, 1, 'Marathon', 42195, %s)",
        (GUN,),
    )
    conn.execute("INSERT INTO timing_sessions (id, session_name) VALUES (1, 'bench')")
    conn.execute(
        "INSERT INTO ct_participants (id, first_name, last_name, sex, birth_year) "
        "SELECT g, 'Runner', 'No' || g, CASE WHEN g %% 2 = 0 THEN 'F' ELSE 'M' END, "
        "1950 + g %% 55 FROM generate_series(1, %s) g",
        (runners,),
    )
    conn.execute(
        "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib, sex, age) "
        "SELECT 1, 1, 1, g, g::text, CASE WHEN g %% 2 = 0 THEN 'F' ELSE 'M' END, "
        "2025 - (1950 + g %% 55) FROM generate_series(1, %s) g",
        (runners,),
    )
    return 1, 1


def make_reads(runners: int, total: int, seed: int = 1) -> list[tuple[str, str, datetime]]:
    """About two reads per crossing; 3% stop after 30K; the rest are stray tags."""
    rng = np.random.default_rng(seed)
    delay = rng.uniform(0, 900, runners)
    finish = rng.lognormal(np.log(4.3 * 3600), 0.18, runners)
    dnf = rng.random(runners) < 0.03
    reads: list[tuple[str, str, datetime]] = []
    for p in POINTS:
        share = (p.distance_m or 0) / 42195
        for i in range(runners):
            if dnf[i] and p.kind == "finish":
                continue
            t = GUN + timedelta(seconds=float(delay[i] + finish[i] * share))
            for k in range(2):
                reads.append((p.location, str(i + 1), t + timedelta(seconds=0.3 * k)))
                if len(reads) >= total:
                    return reads
    while len(reads) < total:
        t = GUN + timedelta(seconds=float(rng.uniform(0, 6 * 3600)))
        reads.append(("FINISH", f"X{len(reads)}", t))
    return reads


def copy_reads(
    conn: psycopg.Connection[Any], reads: list[tuple[str, str, datetime]], first: int
) -> None:
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY timing_reads (session_id, location_name, tag_code, read_time, read_date, "
            "read_timestamp, reader_id, gator_number, sequence_number) FROM STDIN"
        ) as copy,
    ):
        for n, (loc, tag, ts) in enumerate(reads, start=first):
            copy.write_row((1, loc, tag, ts.time(), DAY, ts, "BENCH", 1 + n % 4, n))


def timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def bench_scoring(url: str, runners: int, total: int) -> None:
    with connect(url, autocommit=True) as conn:
        race, session = make_race(conn, runners)
        reads = make_reads(runners, total)
        copy_reads(conn, reads, 1)
        conn.execute("VACUUM ANALYZE")
        full_s, full = timed(lambda: score_race(conn, race, session, ScoreOptions(points=POINTS)))
        print(
            f"full scoring: {full.reads_scored:,} reads, {runners:,} runners, 5 points: "
            f"{full_s:.2f} s ({full.reads_scored / full_s:,.0f} reads/s); "
            f"{full.finished:,} finished; verdicts {full.verdicts}"
        )
        idle_s, _ = timed(lambda: score_race(conn, race, session))
        print(f"incremental, nothing new: {idle_s * 1000:.0f} ms")
        # 100 new reads: 50 late finishers (two reads each) among the DNFs
        dnfs = sorted(
            {t for loc, t, _ in reads if loc == "30K"}
            - {t for loc, t, _ in reads if loc == "FINISH"}
        )[:50]
        new = [
            ("FINISH", tag, GUN + timedelta(hours=6, seconds=i + 0.3 * k))
            for i, tag in enumerate(dnfs)
            for k in range(2)
        ]
        copy_reads(conn, new, total + 1)
        inc_s, inc = timed(lambda: score_race(conn, race, session))
        print(
            f"incremental after {inc.new_reads} new reads: {inc_s * 1000:.0f} ms "
            f"({inc.results_changed} results changed, {inc.places_changed} places changed)"
        )
        more = [
            ("FINISH", tag, GUN + timedelta(hours=6, minutes=5, seconds=i + 0.3 * k))
            for i, tag in enumerate(dnfs)
            for k in range(2)
        ]
        copy_reads(conn, more, total + 1 + len(new))
        base_s, base = timed(lambda: score_race(conn, race, session, ScoreOptions(full=True)))
        print(f"baseline, full rescore after {len(more)} more reads: {base_s * 1000:.0f} ms")
        print(f"RATIO full rescore / incremental update: {base_s / inc_s:.1f}x")


def _night_lines(runners: int, gun: datetime, seed: int = 3) -> list[bytes]:
    """START then FINISH lines of a 10K in CT01_33 normal format (times without a date)."""
    rng = np.random.default_rng(seed)
    delay = rng.uniform(0, 120, runners)
    finish = rng.lognormal(np.log(3300), 0.2, runners)
    out: list[bytes] = []
    for point, share in (("START", 0.0), ("FINISH", 1.0)):
        times = sorted(
            (gun + timedelta(seconds=float(delay[i] + finish[i] * share)), i + 1)
            for i in range(runners)
        )
        for seq, (t, bib) in enumerate(times, start=1):
            clock = f"{t:%H:%M:%S}.{t.microsecond // 10000:02d}"
            out.append(f"CT01_33~{seq}~{point}~{bib}~{clock}~1~BENCH~1".encode())
    return out


def bench_midnight(url: str, runners: int) -> None:
    from p88.fileimport import import_lines
    from p88.store.results import ensure_race
    from p88.store.spool import SessionInfo

    figures: dict[str, tuple[float, float, int]] = {}
    for name, clock in (("midnight", "23:30"), ("daytime", "11:30")):
        gun = datetime.combine(DAY, datetime.strptime(clock, "%H:%M").time())
        lines = _night_lines(runners, gun)
        with connect(url) as conn:
            import_s, imported = timed(
                partial(import_lines, conn, SessionInfo(name, session_date=DAY), lines, anchor=gun)
            )
        with connect(url, autocommit=True) as conn:
            race = ensure_race(
                conn, partner="Bench", event=f"Night 10K {name}", event_date=DAY, race="10K",
                distance_m=10000, start=gun.time(),
            )  # fmt: skip
            conn.execute(
                "WITH p AS (INSERT INTO ct_participants (first_name, last_name) "
                "SELECT 'Runner', g::text FROM generate_series(1, %s) g RETURNING id, last_name) "
                "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib) "
                "SELECT r.partner_id, r.event_id, r.id, p.id, p.last_name FROM ct_races r, p "
                "WHERE r.id = %s",
                (runners, race),
            )
            points = [PointRule("START", "start"), PointRule("FINISH", "finish", distance_m=10000)]
            score_s, scored = timed(
                partial(score_race, conn, race, imported.session_id, ScoreOptions(points=points))
            )
        figures[name] = (import_s, score_s, scored.finished)
        print(
            f"{name} 10K (gun {clock}): import {imported.inserted:,} dateless reads "
            f"{import_s:.2f} s ({imported.inserted / import_s:,.0f} reads/s), score "
            f"{score_s:.2f} s ({scored.reads_scored / score_s:,.0f} reads/s), "
            f"{scored.finished:,} finished"
        )
    with connect(url, autocommit=True) as conn:
        same = conn.execute(
            "SELECT count(*) FROM ct_results a JOIN ct_results b ON a.bib = b.bib "
            "JOIN ct_races ra ON ra.id = a.race_id JOIN ct_races rb ON rb.id = b.race_id "
            "WHERE ra.start_time::time = '23:30' AND rb.start_time::time = '11:30' "
            "AND a.chip_time = b.chip_time AND a.status = 'finished'"
        ).fetchone()
    night, day = figures["midnight"], figures["daytime"]
    print(f"midnight race: {same[0] if same else 0:,} of {runners:,} chip times as in daylight")
    print(f"RATIO midnight / daytime import time: {night[0] / day[0]:.2f}x")
    print(f"RATIO midnight / daytime scoring time: {night[1] / day[1]:.2f}x")


def bench_history(url: str, results: int) -> None:
    with connect(url, autocommit=True) as conn:
        s = load_history(conn, HistoryOptions(results=results, seed=42))
        rows = s.partners + s.events + s.races + s.participants + s.results
        print(
            f"history: {s.results:,} results + {s.participants:,} participants: generate "
            f"{s.generate_s:.1f} s ({rows / s.generate_s:,.0f} rows/s), COPY and index "
            f"{s.load_s:.1f} s ({rows / s.load_s:,.0f} rows/s), "
            f"overall {s.rows_per_s:,.0f} rows/s"
        )
        print(f"RATIO load / generate time: {s.load_s / s.generate_s:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runners", type=int, default=30_000)
    parser.add_argument("--reads", type=int, default=300_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--midnight", type=int, default=10_000, help="runners of the night 10K")
    args = parser.parse_args()
    server = database_url(config.load())
    for part in ("scoring", "midnight", "history"):
        with connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB))
            )
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
        url = with_database(server, DB)
        with connect(url, autocommit=True) as conn:
            migrate(conn)
        try:
            if part == "scoring":
                bench_scoring(url, args.runners, args.reads)
            elif part == "midnight" and args.midnight:
                bench_midnight(url, args.midnight)
            elif args.history:
                bench_history(url, args.history)
        finally:
            with connect(server, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB))
                )


if __name__ == "__main__":
    main()
