"""How fast ``p88 replay --speed max`` can feed a listener: one stream, and eight at once.

Run:  python bench/replay.py [--runners 10000] [--rounds 2]

A simulated race (START, 5K, FINISH; about 7.7 lines per runner) is replayed at full
speed into a real ``p88 listen`` running as its own process (as on race day), on a fresh
database ``p88_bench_replay`` of the configured server (the embedded one by default).
Each case is timed from the first connection until the database holds every read
(polled every 20 ms), so the figure is reads *stored* per second, not merely sent.

Cases, measured in turn in every round so machine noise hits them alike:

* ``import``   — the same lines through ``p88 import``'s writer, no network: the ceiling
                 the store sets;
* ``sink``     — one replay stream into a CTP01 server that discards what it gets: the
                 ceiling the client sets;
* ``1 stream`` — one replay client (three locations on one link) into the listener;
* ``8 streams``— eight replay clients at once, each its own session, 8x the lines.

Figures are medians over rounds; ratios compare cases of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import psycopg

from p88 import config
from p88.fileimport import import_reads
from p88.protocol.client import ClientOptions
from p88.protocol.replay import ReplayConfig, replay
from p88.sim import build_course, simulate
from p88.sim.files import SimulatedRace, to_message
from p88.sim.plan import new_connection_id
from p88.store.connect import connect, database_url
from p88.store.embedded import with_database
from p88.store.migrations import migrate
from p88.store.spool import SessionInfo

DB = "p88_bench_replay"
SINK = textwrap.dedent(
    """
    import asyncio, sys
    async def client(reader, writer):
        await reader.readline()
        writer.write(b"sink~1~2\\r\\nstream-mode=push\\r\\ntime-format=iso\\r\\nstart\\r\\n")
        while await reader.read(1 << 16):
            pass
        writer.close()
    async def main():
        server = await asyncio.start_server(client, "127.0.0.1", int(sys.argv[1]))
        async with server:
            await server.serve_forever()
    asyncio.run(main())
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None:
            raise SystemExit("server process exited early")
        time.sleep(0.05)
    raise SystemExit("server did not start")


def count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM timing_reads").fetchone()
        return int(row[0]) if row else 0


def clients(race: SimulatedRace, n: int, tag: str) -> list[tuple[list[Any], ClientOptions]]:
    return [
        (race.feeds("iso"), ClientOptions(new_connection_id(), event_name=f"{tag}-{i}"))
        for i in range(n)
    ]


def timed_replay(url: str, port: int, race: SimulatedRace, n: int, tag: str, want: int) -> float:
    """Seconds from the first connection until ``want`` more reads are stored (0: sink)."""
    before = count(url) if want else 0
    started = time.monotonic()
    config = ReplayConfig("127.0.0.1", port, speed=None, linger_s=0.05)
    asyncio.run(replay(clients(race, n, tag), config))
    while want and count(url) - before < want:
        if time.monotonic() - started > 600:
            raise SystemExit("the listener did not store everything within 600 s")
        time.sleep(0.02)
    return time.monotonic() - started


def timed_import(url: str, race: SimulatedRace, tag: str) -> float:
    day0 = race.course.waves[0].date()
    lines = [to_message(x, "iso", day0) for point in race.lines.values() for x in point]
    started = time.monotonic()
    with connect(url) as conn:
        import_reads(conn, SessionInfo(tag), lines)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runners", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    server = database_url(config.load())
    with connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DB}")
    url = with_database(server, DB)
    with connect(url, autocommit=True) as conn:
        migrate(conn)

    race = simulate(build_course("START,5K,FINISH", "10K", "3"), args.runners, seed=5)
    lines = sum(len(v) for v in race.lines.values())
    reads = lines - len(race.course.waves)
    print(f"race: {args.runners:,} runners, {lines:,} lines ({reads:,} reads) per stream")

    spool = Path(tempfile.mkdtemp(prefix="p88-bench-spool-"))
    port, sink_port = free_port(), free_port()
    env = {**os.environ, "P88_DATABASE_URL": url}
    listen = subprocess.Popen(
        [sys.executable, "-m", "p88", "listen", "--port", str(port), "--spool-dir", str(spool)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(sink_port)])
    times: dict[str, list[float]] = {"import": [], "sink": [], "1 stream": [], "8 streams": []}
    try:
        wait_port(port, listen)
        wait_port(sink_port, sink)
        for r in range(args.rounds):
            times["import"].append(timed_import(url, race, f"import-{r}"))
            times["sink"].append(timed_replay(url, sink_port, race, 1, f"sink-{r}", 0))
            times["1 stream"].append(timed_replay(url, port, race, 1, f"one-{r}", reads))
            times["8 streams"].append(timed_replay(url, port, race, 8, f"eight-{r}", 8 * reads))
    finally:
        for proc in (listen, sink):
            proc.terminate()
            proc.wait(30)

    volume = {"import": reads, "sink": lines, "1 stream": reads, "8 streams": 8 * reads}
    rate = {case: volume[case] / statistics.median(t) for case, t in times.items()}
    print(f"{'case':<10} {'median s':>9} {'reads/s':>10}   (rounds: {args.rounds})")
    for case, t in times.items():
        print(f"{case:<10} {statistics.median(t):>9.2f} {rate[case]:>10,.0f}")
    print("ratios (same run):")
    print(f"  8 streams / 1 stream       {rate['8 streams'] / rate['1 stream']:.2f}")
    print(f"  1 stream / import ceiling  {rate['1 stream'] / rate['import']:.2f}")
    print(f"  1 stream / client ceiling  {rate['1 stream'] / rate['sink']:.2f}")


if __name__ == "__main__":
    main()
