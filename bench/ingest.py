"""Ingest benchmark: the listener, socket to committed row, against two baselines.

    python bench/ingest.py [--clients 8] [--rate 200] [--seconds 10] [--repeat 1]

In one run, on one server (P88_DATABASE_URL or the embedded one), on a scratch database:

1. listener: ``--clients`` scripted CTP01 clients stream the real capture at full speed over
   loopback (each client under its own location, so every line is a distinct read) into
   ``p88.listener.Listener``; reads/s from the first byte sent to the last row committed;
2. the writer alone: the same ``write_batch`` on prebuilt rows (where the listener's limit is);
3. one-at-a-time: the seed's pattern, one INSERT + COMMIT per read (a sample of 3,000);
4. bulk COPY: every read in one COPY + one commit, text and binary format (the practical
   ceiling: the faster of the two, the listener's writer uses binary);

then ratios (goal: >= 0.6 x COPY and >= 25 x one-at-a-time), and at a race-like ``--rate``
reads/s from one client: p50/p99/max from the line leaving the client (loopback, so
effectively its receipt) to the NOTIFY that announces its commit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_listener_support import ScriptedClient  # noqa: E402

from p88 import config  # noqa: E402
from p88.listener import Listener, ListenOptions  # noqa: E402
from p88.protocol import Read, WallClock, parse_line  # noqa: E402
from p88.store.connect import connect, database_url  # noqa: E402
from p88.store.embedded import with_database  # noqa: E402
from p88.store.migrations import migrate  # noqa: E402

#: ``../shared/captures`` beside the checkout, or ``P88_CAPTURES`` (as the tests find it).
CAPTURES = Path(
    os.environ.get("P88_CAPTURES") or Path(__file__).resolve().parents[2] / "shared" / "captures"
)
CAPTURE = CAPTURES / "mini11992-2024-12-14.ct33"
DB = "p88_bench_ingest"


def relocated(lines: list[bytes], location: str) -> bytes:
    return b"".join(line.replace(b"~MINI11992~", f"~{location}~".encode(), 1) for line in lines)


def count(url: str) -> int:
    with connect(url, autocommit=True) as c:
        row = c.execute("SELECT count(*) FROM timing_reads").fetchone()
        return int(row[0]) if row else 0


async def listener_run(
    url: str, lines: list[bytes], clients: int, spool: Path, batch: int = 1000
) -> float:
    opts = ListenOptions(
        spool_dir=spool, port=0, session=f"bench-listener-{batch}", timezone="UTC", batch_size=batch
    )
    listener = Listener(url, opts)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(listener.run(stop, ready=ready))
    await ready.wait()
    assert listener.server is not None
    port = listener.server.bound_port
    conns = [
        ScriptedClient(port, connection_id=f"b{batch}-{i}", locations=(f"P{batch}-{i}",))
        for i in range(clients)
    ]
    for c in conns:
        await c.connect()
    await asyncio.gather(*(c.started.wait() for c in conns))
    payloads = [relocated(lines, f"P{batch}-{i}") for i in range(clients)]
    total = len(lines) * clients
    t0 = time.perf_counter()
    await asyncio.gather(*(c.send(p) for c, p in zip(conns, payloads, strict=True)))
    while listener.writer.stats.committed < total:
        await asyncio.sleep(0.002)
    elapsed = time.perf_counter() - t0
    stats = listener.writer.stats
    print(f"  ({stats.batches:,} transactions, {stats.committed / stats.batches:,.0f} reads each)")
    for c in conns:
        await c.close()
    stop.set()
    await task
    return total / elapsed


def rows(lines: list[bytes], session_id: int, location: str) -> list[tuple[Any, ...]]:
    clock = WallClock(datetime(2024, 12, 14).date(), "UTC")
    now = datetime.now(UTC)
    out = []
    for line in lines:
        r = parse_line(line)
        assert isinstance(r, Read)
        ts = clock.resolve(r.time)
        out.append((session_id, location, r.tag, ts.time(), ts.date(), ts, r.lap, r.reader,
                    r.gator, r.seq, r.raw.decode(), now))  # fmt: skip
    return out


COLUMNS = (
    "session_id, location_name, tag_code, read_time, read_date, read_timestamp, lap_count,"
    " reader_id, gator_number, sequence_number, raw_data, received_at"
)


def new_session(url: str, name: str) -> int:
    with connect(url, autocommit=True) as c:
        row = c.execute(
            "INSERT INTO timing_sessions (session_name) VALUES (%s) RETURNING id", (name,)
        ).fetchone()
        assert row is not None
        return int(row[0])


def one_at_a_time(url: str, lines: list[bytes]) -> float:
    data = rows(lines[:3000], new_session(url, "bench-single"), "S")
    insert = f"INSERT INTO timing_reads ({COLUMNS}) VALUES ({', '.join(['%s'] * 12)})"
    with connect(url) as conn:
        t0 = time.perf_counter()
        for row in data:
            conn.execute(insert, row)
            conn.commit()
        return len(data) / (time.perf_counter() - t0)


def writer_alone(url: str, lines: list[bytes], copies: int) -> float:
    """The listener's write_batch on prebuilt rows, batches of 1,000: no sockets, no parsing."""
    from p88.store.ingest import SessionCache, write_batch
    from p88.store.spool import ReadRow

    clock = WallClock(datetime(2024, 12, 14).date(), "UTC")
    now = datetime.now(UTC)
    ops = []
    for i in range(copies):
        for line in lines:
            r = parse_line(line)
            assert isinstance(r, Read)
            when = clock.resolve(r.time)
            ops.append(ReadRow("bench-writer", f"W{i}", r.tag, when, r.lap, r.reader, r.gator,
                               r.seq, f"w{i}", r.raw.decode(), now, None))  # fmt: skip
    cache = SessionCache()
    with connect(url) as conn:
        t0 = time.perf_counter()
        for k in range(0, len(ops), 1000):
            write_batch(conn, ops[k : k + 1000], cache)
        return len(ops) / (time.perf_counter() - t0)


TYPES = ["int4", "text", "text", "time", "date", "timestamp", "int4", "text", "int4", "int4",
         "text", "timestamptz"]  # fmt: skip


def bulk_copy(url: str, lines: list[bytes], copies: int, binary: bool) -> float:
    sid = new_session(url, f"bench-copy-{binary}")
    data = [row for i in range(copies) for row in rows(lines, sid, f"C{binary}{i}")]
    statement = f"COPY timing_reads ({COLUMNS}) FROM STDIN" + (" (FORMAT BINARY)" * binary)
    with connect(url) as conn:
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(statement) as cp:
            if binary:
                cp.set_types(TYPES)
            for row in data:
                cp.write_row(row)
        conn.commit()
        return len(data) / (time.perf_counter() - t0)


async def latency_run(
    url: str, lines: list[bytes], rate: float, seconds: float, spool: Path
) -> list[float]:
    n = int(rate * seconds)
    opts = ListenOptions(spool_dir=spool, port=0, session="bench-latency", timezone="UTC")
    listener = Listener(url, opts)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(listener.run(stop, ready=ready))
    await ready.wait()
    assert listener.server is not None
    aconn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await aconn.execute("LISTEN p88_reads")
    notes: list[tuple[float, int]] = []  # (arrival, cumulative count)

    async def collect() -> None:
        total = 0
        async for note in aconn.notifies():
            total += int(note.payload.split('"count":')[1].rstrip("}"))
            notes.append((time.perf_counter(), total))
            if total >= n:
                return

    collector = asyncio.create_task(collect())
    client = ScriptedClient(listener.server.bound_port, connection_id="lat", locations=("L",))
    await client.connect()
    await client.started.wait()
    payload = relocated(lines[:n], "L").splitlines(keepends=True)
    sent: list[float] = []
    t0 = time.perf_counter()
    for i, line in enumerate(payload):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append(time.perf_counter())
        await client.send(line)
    await asyncio.wait_for(collector, 30)
    await client.close()
    await aconn.close()
    stop.set()
    await task
    latencies = []
    j = 0
    for k, t_send in enumerate(sent, start=1):
        while notes[j][1] < k:
            j += 1
        latencies.append(notes[j][0] - t_send)
    return latencies


def one_run(server: str, lines: list[bytes], args: argparse.Namespace) -> dict[str, float]:
    """Every figure once, on a fresh scratch database; prints them as it goes."""
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DB}")
    url = with_database(server, DB)
    try:
        with connect(url, autocommit=True) as conn:
            migrate(conn)
        spool = Path(tempfile.mkdtemp(prefix="p88-bench-spool-"))
        total = len(lines) * args.clients
        print(f"reads: {total:,} ({args.clients} clients x {len(lines):,} capture lines)")
        listener = asyncio.run(listener_run(url, lines, args.clients, spool, args.batch))
        print(f"listener, socket -> committed : {listener:>10,.0f} reads/s")
        single = one_at_a_time(url, lines)
        print(f"one INSERT + COMMIT per read  : {single:>10,.0f} reads/s")
        alone = writer_alone(url, lines, args.clients)
        print(f"writer alone (prebuilt rows)  : {alone:>10,.0f} reads/s")
        text_copy = bulk_copy(url, lines, args.clients, binary=False)
        print(f"one bulk COPY, text           : {text_copy:>10,.0f} reads/s")
        binary_copy = bulk_copy(url, lines, args.clients, binary=True)
        print(f"one bulk COPY, binary         : {binary_copy:>10,.0f} reads/s")
        copy = max(text_copy, binary_copy)
        print(f"ratio listener / best COPY    : {listener / copy:>10.2f}  (goal >= 0.6)")
        print(f"ratio listener / one-at-a-time: {listener / single:>10.1f}  (goal >= 25)")
        lat = asyncio.run(latency_run(url, lines, args.rate, args.seconds, spool))
        q = statistics.quantiles(lat, n=100)
        ms = [q[49] * 1000, q[98] * 1000, max(lat) * 1000]
        print(f"at {args.rate:.0f} reads/s, line sent -> NOTIFY over {len(lat):,} reads: "
              f"p50 {ms[0]:.1f} ms, p99 {ms[1]:.1f} ms, max {ms[2]:.1f} ms")  # fmt: skip
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    return {
        "listener": listener, "one-at-a-time": single, "COPY text": text_copy,
        "COPY binary": binary_copy, "x COPY": listener / copy, "x one-at-a-time": listener / single,
        "NOTIFY p50 ms": ms[0], "NOTIFY p99 ms": ms[1],
    }  # fmt: skip


def summary(runs: list[dict[str, float]]) -> None:
    """Medians and ranges over the runs, and how many runs met each goal."""
    print(f"\nover {len(runs)} runs: median (min - max)")
    for key in runs[0]:
        values = [run[key] for run in runs]
        digits = 2 if key.startswith("x ") or key.endswith("ms") else 0
        low, mid, high = min(values), statistics.median(values), max(values)
        print(f"  {key:16} {mid:>10,.{digits}f}  ({low:,.{digits}f} - {high:,.{digits}f})")
    for key, goal in (("x COPY", 0.6), ("x one-at-a-time", 25.0)):
        met = sum(run[key] >= goal for run in runs)
        print(f"  goal {key} >= {goal:g}: met in {met} of {len(runs)} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=1000, help="listener batch size")
    parser.add_argument("--repeat", type=int, default=1, help="runs, then medians and ranges")
    args = parser.parse_args()
    lines = CAPTURE.read_bytes().splitlines(keepends=True)
    server = database_url(config.load())
    runs = []
    for n in range(args.repeat):
        if args.repeat > 1:
            print(f"\n--- run {n + 1} of {args.repeat}")
        runs.append(one_run(server, lines, args))
    if args.repeat > 1:
        summary(runs)


if __name__ == "__main__":
    main()
