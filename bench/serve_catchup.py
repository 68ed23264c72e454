"""p88 serve benchmark: server memory while many SSE clients catch up from Last-Event-ID 0.

    python bench/serve_catchup.py [--reads 20000] [--clients 200] [--hold 5]

In one run, on one ``p88 serve`` process: fill a scratch database (``p88_bench_catchup`` on
P88_DATABASE_URL's server) with N reads, then

1. baseline: ``--clients`` live streams (no ``Last-Event-ID``), the server's RSS after
   ``--hold`` seconds;
2. catch-up: as many streams with ``Last-Event-ID: 0`` that do not read (the worst case: every
   catch-up page waits on a full socket), the server's RSS and peak RSS after ``--hold`` s.

Prints both and the ratio of the extra memory per client (catch-up over live). Issue 19
measured 300 such clients taking the server from 238 MB to about 730 MB.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from typing import Any

import httpx
import psycopg
from psycopg import sql

from p88 import config
from p88.store.connect import database_url
from p88.store.migrations import migrate

DB = "p88_bench_catchup"
FILL = """
INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_date,
                          read_timestamp, reader_id, gator_number, sequence_number, raw_data)
SELECT %(sid)s, 'finish', (1000 + g %% 5000)::text, ts::time, ts::date, ts, '12057E', 1, g,
       'CT01_33~' || g || '~finish~' || (1000 + g %% 5000) || '~' || ts::time || '~1~12057E~1'
FROM generate_series(1, %(n)s) g,
     LATERAL (SELECT timestamp '2026-05-03 07:00' + make_interval(secs => g * 0.1) AS ts) t
"""


def _kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _scratch(admin: str, reads: int) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    url = psycopg.conninfo.make_conninfo(admin, dbname=DB)
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        row = conn.execute(
            "INSERT INTO timing_sessions (session_name) VALUES ('bench') RETURNING id"
        ).fetchone()
        assert row is not None
        conn.execute(FILL, {"sid": row[0], "n": reads})
    return url


def _clients(port: int, n: int, resume: bool) -> list[socket.socket]:
    socks = []
    head = "GET /api/timing/stream HTTP/1.1\r\nHost: b\r\n"
    if resume:
        head += "Last-Event-ID: 0\r\n"
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a slow reader
        s.sendall((head + "\r\n").encode())
        socks.append(s)
    return socks


def _phase(proc: Any, port: int, n: int, resume: bool, hold: float) -> int:
    socks = _clients(port, n, resume)
    time.sleep(hold)
    rss = _kb(proc.pid, "VmRSS")
    for s in socks:
        s.close()
    time.sleep(1)
    return rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--hold", type=float, default=5.0)
    args = parser.parse_args()
    admin = database_url(config.load())
    url = _scratch(admin, args.reads)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "P88_DATABASE_URL": url}
    cmd = [sys.executable, "-c", "from p88.cli.main import main; main()", "serve",
           "--port", str(port), "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        idle = _kb(proc.pid, "VmRSS")
        live = _phase(proc, port, args.clients, False, args.hold)
        catchup = _phase(proc, port, args.clients, True, args.hold)
        peak = _kb(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait(10)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(DB)))
    per_live = (live - idle) / args.clients
    per_catchup = (catchup - idle) / args.clients
    print(f"{args.reads:,} reads, {args.clients} clients, held {args.hold:.0f} s")
    print(f"server idle              {idle / 1024:8.1f} MB")
    print(f"live streams             {live / 1024:8.1f} MB  ({per_live:7.1f} KB a client)")
    print(f"catch-up from id 0       {catchup / 1024:8.1f} MB  ({per_catchup:7.1f} KB a client)")
    print(f"peak                     {peak / 1024:8.1f} MB")
    print(f"catch-up / live, extra memory a client: {per_catchup / max(per_live, 1):.1f}x")


if __name__ == "__main__":
    main()
