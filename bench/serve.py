"""p88 serve benchmark: endpoint latency on a big table, and SSE fan-out to many clients.

    python bench/serve.py --reads 10000000 [--clients 200] [--samples 50] [--keep]

In one run, on one server: fill ``timing_reads`` with N reads (50 sessions, 5 points,
5,000 tags, several reads per crossing), start ``p88 serve`` in its own process, then

1. p50/p95 of each timing endpoint over HTTP, with the database quiet and again while a
   writer commits 20 reads/s (each with its NOTIFY, as the listener does); side by side,
   the plain ``COUNT(DISTINCT tag_code)`` over the table (the issue's baseline) and the
   stats query itself run uncached (``p88.store.stats``);
2. SSE fan-out: ``--clients`` streams connected at once, reads committed one at a time,
   and the time from each commit to each client receiving the read (p50/p99/max).

Uses P88_DATABASE_URL's server or the embedded one; the data goes in a scratch database
``p88_bench_serve`` (dropped at the end unless ``--keep``; reused with ``--reuse``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import psycopg
from psycopg import sql

from p88 import config, store
from p88.store import ReadsCommitted, connect, database_url, migrate, notify, run, with_database

DB = "p88_bench_serve"  # --db-name changes it
SESSIONS = 50
POINTS = ("start", "5k", "10k", "half", "finish")
TAGS = 5_000
CHUNK = 1_000_000

# Row g: session 1 + g / per_session; within a session, crossing c (3 reads per crossing on
# antennas 1-3, 0.1 s apart); point and tag from c, and a lap (3 h later) when c wraps.
FILL = """
INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_date,
                          read_timestamp, reader_id, gator_number, sequence_number, raw_data)
SELECT s, p, t, ts::time, ts::date, ts, '12057E', 1 + g %% 3, g, NULL
FROM (
  SELECT g, 1 + g / %(per_session)s AS s,
         (ARRAY['start','5k','10k','half','finish'])[1 + (c / %(tags)s) %% 5] AS p,
         (1000 + c %% %(tags)s)::text AS t,
         timestamp '2026-05-03 07:00' + make_interval(days => (g / %(per_session)s)::int)
           + make_interval(secs => (c / %(tags)s / 5) * 10800 + ((c / %(tags)s) %% 5) * 1800
                                   + (c %% %(tags)s) * 0.3 + (g %% 3) * 0.1) AS ts
  FROM (SELECT g, (g %% %(per_session)s) / 3 AS c FROM generate_series(%(lo)s, %(hi)s) g) l
) x
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(values: list[float]) -> str:
    return (
        f"p50 {pct(values, 0.5) * 1000:8.1f} ms   p95 {pct(values, 0.95) * 1000:8.1f} ms   "
        f"n={len(values)}"
    )


def prepare(admin_url: str, n: int, reuse: bool, name: str) -> str:
    url = with_database(admin_url, name)
    if reuse:
        with connect(url, autocommit=True) as conn:
            have = run(conn, store.max_read_id())
            print(f"reusing {name}: max read id {have:,}")
            started = time.perf_counter()
            done = migrate(conn)
            if done:
                names = ", ".join(f"{m.version:03d}_{m.name}" for m in done)
                print(f"  migrated {names} in {time.perf_counter() - started:.1f} s (backfill)")
                conn.execute("VACUUM ANALYZE")
        return url
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    per_session = max(1, -(-n // SESSIONS))
    with connect(url, autocommit=True) as conn:
        migrate(conn)
        for s in range(1, SESSIONS + 1):
            conn.execute(
                "INSERT INTO timing_sessions (id, session_name, event_name, status, created_at) "
                "VALUES (%s, %s, 'Bench Race', %s, %s)",
                (
                    s,
                    f"Session_bench_{s:03d}",
                    "active" if s == SESSIONS else "finished",
                    datetime(2026, 5, 3) + timedelta(days=s),
                ),
            )
            for p in POINTS:
                conn.execute(
                    "INSERT INTO timing_locations (session_id, location_name, description) "
                    "VALUES (%s, %s, %s)",
                    (s, p, p.title()),
                )
        conn.execute("SELECT setval('timing_sessions_id_seq', %s)", (SESSIONS,))
        started = time.perf_counter()
        for lo in range(0, n, CHUNK):
            hi = min(n, lo + CHUNK) - 1
            conn.execute(FILL, {"lo": lo, "hi": hi, "per_session": per_session, "tags": TAGS})
            rate = (hi + 1) / (time.perf_counter() - started)
            print(f"  filled {hi + 1:>11,} reads ({rate:,.0f}/s)", flush=True)
        conn.execute("VACUUM ANALYZE timing_reads")
        print(f"fill + analyze: {time.perf_counter() - started:.1f} s")
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, P88_DATABASE_URL=url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "p88", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("p88 serve did not come up")


def time_http(client: httpx.Client, path: str, params: dict[str, Any], samples: int) -> list[float]:
    client.get(path, params=params)  # warm the pool and the plan cache
    out = []
    for _ in range(samples):
        t = time.perf_counter()
        r = client.get(path, params=params)
        out.append(time.perf_counter() - t)
        if r.status_code != 200:
            raise SystemExit(f"{path}: HTTP {r.status_code} {r.text[:200]}")
    return out


def time_sql(url: str, fn: Any, samples: int) -> list[float]:
    out = []
    with connect(url, autocommit=True) as conn:
        for _ in range(samples):
            t = time.perf_counter()
            fn(conn)
            out.append(time.perf_counter() - t)
    return out


class Writer(threading.Thread):
    """Commits one read at a time with its NOTIFY, at ``rate`` per second."""

    runs = 0

    def __init__(self, url: str, rate: float, count: int | None = None) -> None:
        super().__init__(daemon=True)
        Writer.runs += 1
        self.tag_base = 100_000 * Writer.runs + int(time.time()) % 1000 * 1_000_000
        self.url, self.rate, self.count = url, rate, count
        self.stop = threading.Event()
        self.committed: dict[int, float] = {}

    def run(self) -> None:
        with connect(self.url) as conn:
            i = 0
            while not self.stop.is_set() and (self.count is None or i < self.count):
                i += 1
                ts = datetime(2026, 6, 1, 9) + timedelta(milliseconds=i * 7)
                row = conn.execute(
                    "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time,"
                    " read_date, read_timestamp, reader_id) VALUES (%s, 'finish', %s, %s, %s,"
                    " %s, 'LIVE') RETURNING id",
                    (SESSIONS, str(self.tag_base + i), ts.time(), ts.date(), ts),
                ).fetchone()
                assert row is not None
                notify(conn, ReadsCommitted((SESSIONS,), row[0], 1))
                conn.commit()
                self.committed[row[0]] = time.perf_counter()
                time.sleep(1 / self.rate)


async def sse_client(
    port: int, received: dict[int, list[float]], ready: asyncio.Event, counter: list[int], n: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /api/timing/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"
    )
    await writer.drain()
    counter[0] += 1
    if counter[0] == n:
        ready.set()
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"id: "):
                received.setdefault(int(line[4:]), []).append(time.perf_counter())
    finally:
        writer.close()


async def fan_out(url: str, port: int, clients: int, reads_n: int) -> list[float]:
    received: dict[int, list[float]] = {}
    ready = asyncio.Event()
    counter = [0]
    tasks = [
        asyncio.create_task(sse_client(port, received, ready, counter, clients))
        for _ in range(clients)
    ]
    await asyncio.wait_for(ready.wait(), 30)
    await asyncio.sleep(1.0)  # let the server register every subscriber
    writer = Writer(url, rate=10, count=reads_n)
    writer.start()
    while writer.is_alive():
        await asyncio.sleep(0.05)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        len(received.get(i, [])) < clients for i in writer.committed
    ):
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = []
    missing = 0
    for read_id, committed in writer.committed.items():
        got = received.get(read_id, [])
        missing += clients - len(got)
        latencies.extend(t - committed for t in got)
    if missing:
        print(f"  WARNING: {missing} (read, client) deliveries missing")
    return latencies


BATCH_INSERT = """
INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_timestamp)
SELECT %s, l, t, ts::time, ts FROM unnest(%s::text[], %s::text[], %s::timestamp[]) u(l, t, ts)
ON CONFLICT DO NOTHING
"""


def ingest_cost(url: str, batches: int, size: int) -> None:
    """Listener-shaped batches (one INSERT of ``size`` reads per transaction), timed with
    migration 005's triggers on and off: what the totals cost the writer."""
    with connect(url) as conn:
        rounds = (("on, warm-up", True), ("off", False), ("on", True), ("off", False), ("on", True))
        for label, enabled in rounds:
            conn.execute(
                f"ALTER TABLE timing_reads {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER"
            )
            conn.commit()
            times = []
            for b in range(batches):
                base = datetime(2027, 1, 1) + timedelta(hours=b, days=0 if enabled else 200)
                stamps = [base + timedelta(milliseconds=7 * i) for i in range(size)]
                t = time.perf_counter()
                conn.execute(
                    BATCH_INSERT,
                    (
                        1,
                        [POINTS[i % 5] for i in range(size)],
                        [str(50_000 + i % 3000) for i in range(size)],
                        stamps,
                    ),
                )
                conn.commit()
                times.append(time.perf_counter() - t)
            print(f"  batch of {size} reads, triggers {label:12s}{ms(times)}")
            conn.execute("DELETE FROM timing_reads WHERE read_timestamp >= '2027-01-01'")
            conn.commit()
        conn.execute("ALTER TABLE timing_reads ENABLE TRIGGER USER")
        conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=10_000_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--sse-reads", type=int, default=50)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    parser.add_argument("--fill-only", action="store_true", help="fill, keep, and stop")
    parser.add_argument("--db-name", default=DB, help="scratch database name")
    args = parser.parse_args()

    admin = database_url(config.load())
    url = prepare(admin, args.reads, args.reuse, args.db_name)
    if args.fill_only:
        return
    port = free_port()
    server = start_server(url, port)
    try:
        with connect(url, autocommit=True) as conn:
            total = conn.execute("SELECT count(*) FROM timing_reads").fetchone()
        print(f"\n{total[0] if total else 0:,} reads stored; server pid {server.pid}\n")

        print("baselines (direct SQL, same server):")
        base = time_sql(
            url,
            lambda c: c.execute("SELECT COUNT(DISTINCT tag_code) FROM timing_reads").fetchone(),
            5,
        )
        print(f"  COUNT(DISTINCT tag_code)        {ms(base)}")
        raw = time_sql(url, lambda c: run(c, store.stats()), 5)
        print(f"  store.stats() uncached          {ms(raw)}")
        sess = time_sql(url, lambda c: run(c, store.list_sessions()), 5)
        print(f"  store.list_sessions() uncached  {ms(sess)}")

        endpoints = [
            ("/api/timing/database-status", {}),
            ("/api/timing/stats", {}),
            ("/api/timing/recent-reads", {"limit": 50}),
            ("/api/timing/sessions", {}),
            ("/api/timing/leaderboard", {"session_id": SESSIONS}),
        ]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            print("\nHTTP, database quiet:")
            for path, params in endpoints:
                print(f"  {path:32s}{ms(time_http(client, path, params, args.samples))}")
            print("\nHTTP, while a writer commits 20 reads/s (each with NOTIFY):")
            writer = Writer(url, rate=20)
            writer.start()
            try:
                for path, params in endpoints:
                    print(f"  {path:32s}{ms(time_http(client, path, params, args.samples))}")
            finally:
                writer.stop.set()
                writer.join()
            print(f"  ({len(writer.committed)} reads committed meanwhile)")

        print("\ningest cost of the totals (listener-shaped batches, one INSERT each):")
        ingest_cost(url, batches=20, size=500)

        print(f"\nSSE fan-out: {args.clients} clients, {args.sse_reads} reads committed at 10/s")
        lat = asyncio.run(fan_out(url, port, args.clients, args.sse_reads))
        if lat:
            print(
                f"  commit -> client: p50 {pct(lat, 0.5) * 1000:.1f} ms   "
                f"p99 {pct(lat, 0.99) * 1000:.1f} ms   max {max(lat) * 1000:.1f} ms   "
                f"deliveries {len(lat):,}"
            )
    finally:
        server.terminate()
        server.wait(10)
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(args.db_name)
                    )
                )


if __name__ == "__main__":
    main()
