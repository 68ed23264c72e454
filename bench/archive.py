"""Archive benchmark: p88's batched archive against the seed's one-statement archive.

    python bench/archive.py 1000000 [--batch 5000]

For each method, in the same run on the same server: fill timing_reads with N reads older
than 30 days, start a writer that inserts (and commits) one new read at a time, archive,
and report reads/s plus the longest and p99 time one of those inserts waited. The baseline
is the seed's ``archive_old_timing_data()`` (DELETE ... RETURNING into the archive, one
statement, one transaction). Uses P88_DATABASE_URL or the embedded server.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import psycopg

from p88 import config
from p88.store.archive import archive_reads
from p88.store.connect import connect, database_url
from p88.store.embedded import with_database
from p88.store.migrations import migrate

FILL = """
INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_date,
                          read_timestamp, reader_id, gator_number, sequence_number)
SELECT %(session)s, 'L' || (g %% 5), (g / 5)::text, ts::time, ts::date, ts, '12057E', 1 + g %% 4, g
FROM (SELECT g, %(base)s::timestamp - make_interval(secs => g * 0.01) AS ts
      FROM generate_series(1, %(n)s) g) s
"""


def fill(conn: psycopg.Connection[Any], session: int, n: int) -> float:
    started = time.perf_counter()
    base = datetime.now() - timedelta(days=40)
    with conn.transaction():
        conn.execute(FILL, {"session": session, "base": base, "n": n})
    conn.execute("VACUUM ANALYZE timing_reads")
    return time.perf_counter() - started


def with_writer(url: str, session: int, work: Callable[[], None]) -> tuple[float, list[float]]:
    """Run ``work`` while another connection inserts single reads; return (seconds, waits)."""
    stop = threading.Event()
    waits: list[float] = []

    def writer() -> None:
        with connect(url, autocommit=True) as w:
            i = 0
            while not stop.is_set():
                ts = datetime.now()
                t0 = time.perf_counter()
                w.execute(
                    "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, "
                    "read_timestamp) VALUES (%s, 'LIVE', %s, %s, %s)",
                    (session, f"w{i}", ts.time(), ts),
                )
                waits.append(time.perf_counter() - t0)
                i += 1
                time.sleep(0.005)

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.2)
    started = time.perf_counter()
    try:
        work()
    finally:
        elapsed = time.perf_counter() - started
        stop.set()
        thread.join()
    return elapsed, waits


def run(url: str, n: int, batch: int) -> None:
    results = {}
    for method in ("seed one statement", f"p88 batched ({batch}/tx)"):
        with connect(url, autocommit=True) as conn:
            conn.execute("TRUNCATE timing_reads, timing_reads_archive, timing_sessions CASCADE")
            row = conn.execute(
                "INSERT INTO timing_sessions (session_name) VALUES ('bench') RETURNING id"
            ).fetchone()
            assert row
            session = int(row[0])
            fill_s = fill(conn, session, n)
            cutoff = datetime.now() - timedelta(days=30)
            if method.startswith("seed"):
                elapsed, waits = with_writer(
                    url, session, lambda c=conn: c.execute("SELECT archive_old_timing_data()")
                )
            else:
                elapsed, waits = with_writer(
                    url, session, lambda c=conn, t=cutoff: archive_reads(c, t, batch_size=batch)
                )
            moved = conn.execute("SELECT count(*) FROM timing_reads_archive").fetchone()
            assert moved and moved[0] == n, f"{method}: archived {moved} of {n}"
        waits.sort()
        p99 = waits[int(len(waits) * 0.99) - 1] if waits else float("nan")
        results[method] = (n / elapsed, max(waits), p99, statistics.median(waits), fill_s)
    print(f"\narchive of {n:,} reads ({len(results)} methods, same server, same run)")
    print(f"{'method':28} {'reads/s':>12} {'max insert wait':>16} {'p99 wait':>10} {'median':>9}")
    for method, (rate, worst, p99, med, _) in results.items():
        waits_ms = f"{worst * 1000:13.1f} ms {p99 * 1000:7.1f} ms {med * 1000:6.2f} ms"
        print(f"{method:28} {rate:12,.0f} {waits_ms}")
    (seed_rate, seed_worst, *_), (p88_rate, p88_worst, *_) = results.values()
    print(
        f"ratio p88/seed: throughput {p88_rate / seed_rate:.2f}x, "
        f"longest insert wait {p88_worst / seed_worst:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    server = database_url(config.load())
    with connect(server, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS p88_bench_archive WITH (FORCE)")
        admin.execute("CREATE DATABASE p88_bench_archive")
    url = with_database(server, "p88_bench_archive")
    with connect(url, autocommit=True) as conn:
        migrate(conn)
    try:
        run(url, args.n, args.batch)
    finally:
        with connect(server, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS p88_bench_archive WITH (FORCE)")


if __name__ == "__main__":
    main()
